"""Typed gateway errors, fallbacks, and bad input that never leaves the process.

These need real HTTP with scripted faults rather than cassettes, so each test starts the
project's scripted gateway on 127.0.0.1 and asserts on what reached it.
"""

from __future__ import annotations

import asyncio
import operator
from collections.abc import Callable, Iterator
from functools import reduce
from typing import Any

import openai
import pytest
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    HumanMessage,
    RemoveMessage,
    ToolMessage,
)

from langchain_skillboss import ChatSkillBoss
from skillboss_core import (
    GatewayAuthenticationError,
    IncompleteStreamError,
    InsufficientCreditsError,
    MissingAPIKeyError,
    StreamError,
)
from tests.support.scripted_gateway import Fault, ScriptedGateway

KEY = "sb-wholesale-test-0123456789abcdef"


_MODELS: list[ChatSkillBoss] = []


@pytest.fixture
def gw() -> Iterator[ScriptedGateway]:
    with ScriptedGateway() as server:
        yield server
    while _MODELS:  # close the connection pools the test's models opened
        _MODELS.pop().gateway.clients.close()


def llm(gw: ScriptedGateway, **kwargs: Any) -> ChatSkillBoss:
    model = ChatSkillBoss(
        **{"model": "openai/gpt-5.4-mini", "api_key": KEY, "base_url": gw.base_url, **kwargs}
    )
    _MODELS.append(model)
    return model


def run_invoke(model: Any, *args: Any, **kwargs: Any) -> Any:
    return model.invoke(*args, **kwargs)


def run_stream(model: Any, *args: Any, **kwargs: Any) -> Any:
    return list(model.stream(*args, **kwargs))


def run_ainvoke(model: Any, *args: Any, **kwargs: Any) -> Any:
    return asyncio.run(model.ainvoke(*args, **kwargs))


def run_astream(model: Any, *args: Any, **kwargs: Any) -> Any:
    async def collect() -> list[Any]:
        return [chunk async for chunk in model.astream(*args, **kwargs)]

    return asyncio.run(collect())


def run_batch(model: Any, *args: Any, **kwargs: Any) -> Any:
    return model.batch([args[0], args[0]], **kwargs)


CALLS: dict[str, Callable[..., Any]] = {
    "invoke": run_invoke,
    "stream": run_stream,
    "ainvoke": run_ainvoke,
    "astream": run_astream,
    "batch": run_batch,
}


# -- typed errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("call", CALLS)
def test_402_is_insufficient_credits_and_never_retried(gw: ScriptedGateway, call: str) -> None:
    gw.enqueue(Fault.status(402, headers={"x-should-retry": "true"}))
    gw.enqueue(Fault.status(402))  # batch makes two calls
    with pytest.raises(InsufficientCreditsError) as caught:
        CALLS[call](llm(gw, max_retries=3), "hello")
    assert isinstance(caught.value, openai.APIStatusError)
    assert caught.value.status_code == 402
    assert "top up" in str(caught.value).lower()
    assert len(gw.requests) == (2 if call == "batch" else 1)


@pytest.mark.parametrize("call", ["invoke", "stream", "astream"])
def test_401_is_an_authentication_error_without_the_key(gw: ScriptedGateway, call: str) -> None:
    gw.enqueue(Fault.status(401))
    with pytest.raises(GatewayAuthenticationError) as caught:
        CALLS[call](llm(gw), "hello")
    assert isinstance(caught.value, openai.AuthenticationError)
    message = str(caught.value)
    assert "SKILLBOSS_WHOLESALE_KEY" in message and "wholesale" in message
    assert KEY not in message and KEY not in repr(caught.value)
    assert len(gw.requests) == 1


def test_in_stream_error_event_raises(gw: ScriptedGateway) -> None:
    gw.enqueue(Fault.stream_error_event(after_chunks=2, message="provider fell over"))
    with pytest.raises(StreamError, match="provider fell over"):
        run_stream(llm(gw), "hello")


def test_truncated_stream_raises_instead_of_a_partial_answer(gw: ScriptedGateway) -> None:
    gw.enqueue(Fault.stream_truncated(after_chunks=2))
    with pytest.raises(IncompleteStreamError):
        run_stream(llm(gw), "hello")


# -- fallbacks -------------------------------------------------------------------------------


@pytest.mark.parametrize("call", ["invoke", "stream", "ainvoke", "astream"])
def test_fallback_models_are_tried_in_order(gw: ScriptedGateway, call: str) -> None:
    gw.enqueue(Fault.status(503))
    model = llm(gw, max_retries=0, fallback_models=["openai/gpt-5.4"])
    out = CALLS[call](model, "hello")
    message = out if not isinstance(out, list) else out[0]
    assert [r.json["model"] for r in gw.requests] == ["openai/gpt-5.4-mini", "openai/gpt-5.4"]
    assert message.response_metadata["model_name"] == "openai/gpt-5.4"


def test_per_call_fallback_models_override(gw: ScriptedGateway) -> None:
    gw.enqueue(Fault.status(503))
    model = llm(gw, max_retries=0, fallback_models=["openai/gpt-5.4"])
    model.invoke("hello", fallback_models=["reel-31-api"])
    assert [r.json["model"] for r in gw.requests] == ["openai/gpt-5.4-mini", "reel-31-api"]


@pytest.mark.parametrize("call", ["invoke", "stream", "ainvoke", "astream", "batch"])
def test_with_fallbacks_moves_to_the_next_model_on_a_typed_error(
    gw: ScriptedGateway, call: str
) -> None:
    """LangChain's own `with_fallbacks` sees the typed error and runs the next runnable."""
    gw.enqueue(Fault.status(503))
    if call == "batch":  # two inputs, two failing first tries
        gw.enqueue(Fault.status(503))
    primary = llm(gw, max_retries=0)
    chain = primary.with_fallbacks(
        [llm(gw, model="openai/gpt-5.4")], exceptions_to_handle=(openai.APIStatusError,)
    )
    out = CALLS[call](chain, "hello")
    if call in ("stream", "astream"):
        out = reduce(operator.add, out)
    messages = out if isinstance(out, list) else [out]
    models = [r.json["model"] for r in gw.requests]
    if call == "batch":
        assert sorted(models) == ["openai/gpt-5.4"] * 2 + ["openai/gpt-5.4-mini"] * 2
    else:
        assert models == ["openai/gpt-5.4-mini", "openai/gpt-5.4"]
    assert [m.response_metadata["model_name"] for m in messages] == ["openai/gpt-5.4"] * len(
        messages
    )


def test_no_fallback_after_402(gw: ScriptedGateway) -> None:
    gw.enqueue(Fault.status(402))
    with pytest.raises(InsufficientCreditsError):
        llm(gw, fallback_models=["openai/gpt-5.4"]).invoke("hello")
    assert len(gw.requests) == 1


# -- bad input is sent nowhere ---------------------------------------------------------------


def _tool() -> dict[str, Any]:
    return {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}


BAD_INPUTS: dict[str, tuple[Any, dict[str, Any], type[Exception], str]] = {
    "unknown block": (
        [HumanMessage([{"type": "hologram", "data": "x"}])],
        {},
        ValueError,
        "'hologram'",
    ),
    "video block": ([HumanMessage([{"type": "video", "url": "u"}])], {}, ValueError, "video"),
    "temperature": ("hi", {"temperature": 3}, ValueError, "temperature"),
    "top_logprobs alone": ("hi", {"top_logprobs": 2}, ValueError, "needs logprobs"),
    "five stops": ("hi", {"stop": ["a", "b", "c", "d", "e"]}, ValueError, "at most 4"),
    "unknown kwarg": ("hi", {"temprature": 1}, ValueError, "unknown parameter 'temprature'"),
    "tool_choice name": (
        "hi",
        {"tools": [_tool()], "tool_choice": "subtract"},
        ValueError,
        "subtract",
    ),
    "not json": ("hi", {"extra_body": {"when": object()}}, ValueError, "JSON"),
    "empty messages": ([], {}, ValueError, "at least one message"),
    "remove message": ([RemoveMessage(id="1")], {}, ValueError, "RemoveMessage"),
    "reasoning_effort": ("hi", {"reasoning_effort": "max"}, ValueError, "reasoning_effort"),
    "tool args not json": (
        [
            HumanMessage("When?"),
            AIMessage("", tool_calls=[{"name": "now", "args": {"at": object()}, "id": "c1"}]),
            ToolMessage("noon", tool_call_id="c1"),
        ],
        {},
        ValueError,
        "JSON-serialisable",
    ),
    "json block not json": (
        [HumanMessage([{"type": "json", "json": {"at": object()}}])],
        {},
        ValueError,
        "not JSON-serialisable",
    ),
    "response_format": ("hi", {"response_format": 3}, ValueError, "response_format"),
    "unknown role": ([ChatMessage(role="wizard", content="hi")], {}, ValueError, "'wizard'"),
    "wrong type": ("hi", {"temperature": "hot"}, ValueError, "temperature"),
    "invalid tool schema": (
        "hi",
        {"tools": [{"type": "function", "function": {"name": "bad name!"}}]},
        ValueError,
        "function.name",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
@pytest.mark.parametrize("call", CALLS)
def test_bad_input_fails_before_any_request(gw: ScriptedGateway, call: str, case: str) -> None:
    messages, kwargs, error, message = BAD_INPUTS[case]
    with pytest.raises(error, match=message):
        CALLS[call](llm(gw), messages, **kwargs)
    assert gw.requests == []


def test_missing_key_fails_before_any_request(
    gw: ScriptedGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SKILLBOSS_WHOLESALE_KEY", raising=False)
    model = ChatSkillBoss(base_url=gw.base_url)
    for call in ("invoke", "stream", "astream"):
        with pytest.raises(MissingAPIKeyError, match="SKILLBOSS_WHOLESALE_KEY"):
            CALLS[call](model, "hi")
    assert gw.requests == []


def test_bad_tools_fail_at_bind_time_before_any_request(gw: ScriptedGateway) -> None:
    with pytest.raises(ValueError, match="needs at least one tool"):
        llm(gw).bind_tools([], tool_choice="required")
    assert gw.requests == []


# -- LangChain's cache and rate limiter sit in front of the gateway ----------------------------


def test_cached_answers_make_no_second_request(gw: ScriptedGateway) -> None:
    from langchain_core.caches import InMemoryCache

    model = llm(gw, cache=InMemoryCache())
    first = model.invoke("hello")
    second = model.invoke("hello")
    assert second.text == first.text
    assert len(gw.requests) == 1
    model.invoke("hello", temperature=0.5)  # different parameters: a different cache entry
    assert len(gw.requests) == 2


def test_rate_limiter_is_consulted(gw: ScriptedGateway) -> None:
    from langchain_core.rate_limiters import InMemoryRateLimiter

    class Counting(InMemoryRateLimiter):
        calls: int = 0

        def acquire(self, *, blocking: bool = True) -> bool:
            self.calls += 1
            return True

    limiter = Counting()
    model = llm(gw, rate_limiter=limiter)
    model.invoke("hello")
    list(model.stream("hello"))
    assert limiter.calls == 2 and len(gw.requests) == 2
