"""Bad input never leaves the process: every call style of ChatSkillBoss raises before any
request reaches the (scripted, loopback) gateway.

Which error each check raises is unit-tested with the code that checks it
(tests/unit/test_core_params.py, test_langchain_messages.py, test_langchain_tools.py); here
the point is that nothing is sent, whichever way the model is called.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    HumanMessage,
    RemoveMessage,
    ToolMessage,
)

from langchain_skillboss import ChatSkillBoss
from skillboss_core import MissingAPIKeyError
from tests.support.scripted_gateway import ScriptedGateway

KEY = "sb-wholesale-test-0123456789abcdef"


def llm(server: ScriptedGateway) -> ChatSkillBoss:
    return ChatSkillBoss(model="openai/gpt-5.4-mini", api_key=KEY, base_url=server.base_url)


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
def test_bad_input_fails_before_any_request(
    gateway_server: ScriptedGateway, call: str, case: str
) -> None:
    messages, kwargs, error, message = BAD_INPUTS[case]
    with pytest.raises(error, match=message):
        CALLS[call](llm(gateway_server), messages, **kwargs)
    assert gateway_server.requests == []


def test_missing_key_fails_before_any_request(
    gateway_server: ScriptedGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SKILLBOSS_WHOLESALE_KEY", raising=False)
    model = ChatSkillBoss(base_url=gateway_server.base_url)
    for call in CALLS:
        with pytest.raises(MissingAPIKeyError, match="SKILLBOSS_WHOLESALE_KEY"):
            CALLS[call](model, "hi")
    assert gateway_server.requests == []
