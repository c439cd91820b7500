"""SkillBoss over real HTTP against the scripted gateway: typed errors, faults, bad input.

These need scripted faults and provider quirks rather than cassettes, so each test starts
the project's scripted gateway on 127.0.0.1 and asserts on what reached it.
"""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index_skillboss import SkillBoss
from skillboss_core import (
    GatewayAuthenticationError,
    IncompleteStreamError,
    InsufficientCreditsError,
    InvalidParameterError,
    MissingAPIKeyError,
    StreamError,
)
from tests.support.scripted_gateway import FLAVOUR_HEADER, Fault, ScriptedGateway

KEY = "sb-wholesale-test-0123456789abcdef"
HELLO = [ChatMessage(role="user", content="Say hello.")]


@pytest.fixture
def gw() -> Iterator[ScriptedGateway]:
    with ScriptedGateway() as server:
        yield server


def llm(gw: ScriptedGateway, **kwargs: Any) -> SkillBoss:
    return SkillBoss(**{"api_key": KEY, "api_base": gw.base_url, "max_retries": 0, **kwargs})


def weather(city: str) -> str:
    """Get the weather in a city."""
    return f"Sunny in {city}"


def local_time(city: str) -> str:
    """Get the local time in a city."""
    return f"Noon in {city}"


TOOLS = [FunctionTool.from_defaults(weather), FunctionTool.from_defaults(local_time)]


def do_chat(model: SkillBoss, messages: Any, **kwargs: Any) -> Any:
    return model.chat(messages, **kwargs)


def do_stream(model: SkillBoss, messages: Any, **kwargs: Any) -> Any:
    return list(model.stream_chat(messages, **kwargs))


def do_achat(model: SkillBoss, messages: Any, **kwargs: Any) -> Any:
    return asyncio.run(model.achat(messages, **kwargs))


def do_astream(model: SkillBoss, messages: Any, **kwargs: Any) -> Any:
    async def collect() -> list[Any]:
        return [r async for r in await model.astream_chat(messages, **kwargs)]

    return asyncio.run(collect())


CALLS = [do_chat, do_stream, do_achat, do_astream]


# -- typed errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("call", CALLS)
def test_402_is_insufficient_credits_and_never_retried(
    gw: ScriptedGateway, call: Callable[..., Any]
) -> None:
    gw.enqueue(Fault.status(402, headers={"x-should-retry": "true"}))
    with pytest.raises(InsufficientCreditsError, match=r"(?i)top up") as caught:
        call(llm(gw, max_retries=2), HELLO)
    assert caught.value.status_code == 402
    assert len(gw.requests) == 1


@pytest.mark.parametrize("call", CALLS)
def test_401_names_the_wholesale_key_never_the_key(
    gw: ScriptedGateway, call: Callable[..., Any]
) -> None:
    gw.enqueue(Fault.status(401))
    with pytest.raises(GatewayAuthenticationError) as caught:
        call(llm(gw), HELLO)
    assert "wholesale key" in str(caught.value) and "SKILLBOSS_WHOLESALE_KEY" in str(caught.value)
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)


def test_errors_reach_callback_handlers(gw: ScriptedGateway) -> None:
    from llama_index.core.callbacks import CallbackManager, CBEventType, LlamaDebugHandler

    debug = LlamaDebugHandler()
    gw.enqueue(Fault.status(402))
    with pytest.raises(InsufficientCreditsError):
        llm(gw, callback_manager=CallbackManager([debug])).chat(HELLO)
    [(_, end)] = debug.get_event_pairs(CBEventType.LLM)
    assert end.payload is not None
    assert isinstance(end.payload["exception"], InsufficientCreditsError)


def test_cut_stream_and_in_stream_error_are_errors_not_short_answers(gw: ScriptedGateway) -> None:
    gw.enqueue(Fault.stream_truncated(after_chunks=3))
    with pytest.raises(IncompleteStreamError):
        do_stream(llm(gw), HELLO)
    gw.enqueue(Fault.stream_error_event(after_chunks=2, message="provider exploded"))
    with pytest.raises(StreamError, match="provider exploded"):
        do_stream(llm(gw), HELLO)


def test_fallback_models_take_over_on_capacity_errors(gw: ScriptedGateway) -> None:
    gw.enqueue(Fault.status(503))
    model = llm(gw, model="reel-31-api", fallback_models=["openai/gpt-5.4-mini"])
    response = model.chat(HELLO)
    assert response.message.content
    assert [r.json["model"] for r in gw.requests] == ["reel-31-api", "openai/gpt-5.4-mini"]
    gw.enqueue(Fault.status(503))
    final = do_stream(model, HELLO)[-1]
    assert final.raw["requested_model"] == "openai/gpt-5.4-mini"


# -- bad input is sent nowhere ---------------------------------------------------------------------


BAD_INPUTS: list[tuple[str, Any, dict[str, Any], type[Exception], str]] = [
    ("temperature", HELLO, {"temperature": 7}, InvalidParameterError, "temperature"),
    ("wrong type", HELLO, {"temperature": "hot"}, InvalidParameterError, "temperature"),
    ("five stops", HELLO, {"stop": ["a", "b", "c", "d", "e"]}, InvalidParameterError, "at most 4"),
    ("top_logprobs alone", HELLO, {"top_logprobs": 2}, InvalidParameterError, "needs logprobs"),
    (
        "invalid tool schema",
        HELLO,
        {"tools": [{"type": "function", "function": {"name": "bad name!"}}]},
        InvalidParameterError,
        "function.name",
    ),
    ("unknown parameter", HELLO, {"frobnicate": True}, InvalidParameterError, "frobnicate"),
    ("no messages", [], {}, InvalidParameterError, "at least one message"),
    (
        "unknown block",
        [ChatMessage(role="user", blocks=[VideoBlock(url="https://example.com/v.mp4")])],
        {},
        InvalidParameterError,
        "VideoBlock",
    ),
    (
        "tool result without id",
        [*HELLO, ChatMessage(role="tool", content="42")],
        {},
        InvalidParameterError,
        "tool_call_id",
    ),
    (
        "bad tool choice",
        HELLO,
        {"tools": [TOOLS[0].metadata.to_openai_tool()], "tool_choice": "other"},
        InvalidParameterError,
        "tool_choice",
    ),
    (
        "not JSON",
        HELLO,
        {"extra_body": {"when": object()}},
        InvalidParameterError,
        "JSON",
    ),
]


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize(
    ("messages", "kwargs", "error", "match"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_fails_before_any_request(
    gw: ScriptedGateway,
    call: Callable[..., Any],
    messages: Any,
    kwargs: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=match):
        call(llm(gw), messages, **kwargs)
    assert gw.requests == []


def test_bad_input_raises_when_the_stream_is_asked_for_not_when_read(gw: ScriptedGateway) -> None:
    with pytest.raises(InvalidParameterError):
        llm(gw).stream_chat(HELLO, temperature=9)  # nothing iterated yet
    with pytest.raises(InvalidParameterError):
        llm(gw).stream_complete("hi", top_p=3)
    assert gw.requests == []


def test_missing_key_is_sent_nowhere(gw: ScriptedGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKILLBOSS_WHOLESALE_KEY", raising=False)
    model = SkillBoss(api_base=gw.base_url)
    for call in CALLS:
        with pytest.raises(MissingAPIKeyError):
            call(model, HELLO)
    assert gw.requests == []


def test_bad_tool_turn_is_sent_nowhere(gw: ScriptedGateway) -> None:
    with pytest.raises(InvalidParameterError, match="sunshine"):
        llm(gw).chat_with_tools(TOOLS, user_msg="weather?", tool_choice="sunshine")
    assert gw.requests == []


# -- provider quirks over real HTTP ----------------------------------------------------------------


@pytest.mark.parametrize("flavour", ["openai", "groq", "repeat-ids", "openrouter"])
def test_streamed_parallel_tool_calls_in_each_providers_shape(
    gw: ScriptedGateway, flavour: str
) -> None:
    model = llm(gw, default_headers={FLAVOUR_HEADER: flavour})
    prompt = "What is the weather in Paris and the local time in Tokyo?"
    responses = list(
        model.stream_chat_with_tools(TOOLS, user_msg=prompt, allow_parallel_tool_calls=True)
    )
    final = responses[-1]
    calls = model.get_tool_calls_from_response(final)
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [
        ("weather", {"city": "Paris"}),
        ("local_time", {"city": "Tokyo"}),
    ]
    wire = final.message.additional_kwargs["tool_calls"]
    assert [w["id"] for w in wire] == [c.tool_id for c in calls]
    assert len({c.tool_id for c in calls}) == 2
    assert final.additional_kwargs["total_tokens"] > 0
    for response in responses:  # mid-stream reads never raise
        model.get_tool_calls_from_response(response, error_on_no_tool_call=False)


def test_parallel_calls_off_is_enforced(gw: ScriptedGateway) -> None:
    model = llm(gw)
    prompt = "What is the weather in Paris and the local time in Tokyo?"
    response = model.chat_with_tools(TOOLS, user_msg=prompt)
    assert len(model.get_tool_calls_from_response(response)) == 1
    assert gw.last_request.json["parallel_tool_calls"] is False
    streamed = list(model.stream_chat_with_tools(TOOLS, user_msg=prompt))
    assert len(model.get_tool_calls_from_response(streamed[-1])) == 1


def test_predict_and_call(gw: ScriptedGateway) -> None:
    output = llm(gw).predict_and_call(TOOLS, user_msg="What is the weather in Lima?")
    assert output.response == "Sunny in Lima"
    assert output.sources[0].tool_name == "weather"


@pytest.mark.parametrize("flavour", ["deepseek", "openrouter", "groq"])
def test_reasoning_fields_of_each_provider(gw: ScriptedGateway, flavour: str) -> None:
    model = llm(gw, model="deepseek/deepseek-reasoner", default_headers={FLAVOUR_HEADER: flavour})
    for response in (model.chat(HELLO), do_stream(model, HELLO)[-1]):
        thinking = response.message.blocks[0]
        assert isinstance(thinking, ThinkingBlock) and thinking.content
        assert response.message.content


def test_refusal_is_surfaced_and_stops_structured_output(gw: ScriptedGateway) -> None:
    model = llm(gw)
    refused = [ChatMessage(role="user", content="REFUSE this please")]
    response = model.chat(refused)
    assert response.message.additional_kwargs["refusal"]
    streamed = do_stream(model, refused)[-1]
    assert (
        streamed.message.additional_kwargs["refusal"]
        == response.message.additional_kwargs["refusal"]
    )

    class Answer(BaseModel):
        text: str

    with pytest.raises(ValueError, match="refused"):
        model.structured_predict(Answer, PromptTemplate("REFUSE: {q}"), q="anything")


def test_history_round_trip_with_tool_blocks(gw: ScriptedGateway) -> None:
    model = llm(gw)
    first = model.chat_with_tools(TOOLS, user_msg="What is the weather in Oslo?")
    [call] = model.get_tool_calls_from_response(first)
    history = [
        ChatMessage(role="user", content="What is the weather in Oslo?"),
        first.message,
        ChatMessage(
            role="tool",
            content=weather(**call.tool_kwargs),
            additional_kwargs={"tool_call_id": call.tool_id},
        ),
    ]
    answer = model.chat_with_tools(TOOLS, chat_history=history)
    assert "Sunny in Oslo" in (answer.message.content or "")
    sent = gw.last_request.json["messages"]
    assert sent[1]["tool_calls"][0]["id"] == sent[2]["tool_call_id"] == call.tool_id
    assert len(history) == 3 and isinstance(first.message.blocks[-1], ToolCallBlock)


def test_a_pickled_model_still_works(gw: ScriptedGateway) -> None:
    model = llm(gw, temperature=0.3)
    model.chat(HELLO)
    again = pickle.loads(pickle.dumps(model))
    assert again.chat(HELLO).message.content
    assert gw.requests[-1].json["temperature"] == 0.3
