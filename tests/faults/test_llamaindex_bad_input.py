"""Bad input to SkillBoss (LlamaIndex) fails with a clear error before anything is sent.

Each call style (chat, stream_chat and their async twins) against a scripted loopback
gateway that has no answer scripted: the assert is that it saw no request at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, VideoBlock
from llama_index.core.tools import FunctionTool

from llama_index_skillboss import SkillBoss
from skillboss_core import InvalidParameterError, MissingAPIKeyError
from tests.support.scripted_gateway import ScriptedGateway

KEY = "sb-wholesale-test-0123456789abcdef"
HELLO = [ChatMessage(role="user", content="Say hello.")]


def llm(server: ScriptedGateway, **kwargs: Any) -> SkillBoss:
    return SkillBoss(api_key=KEY, api_base=server.base_url, max_retries=0, **kwargs)


def weather(city: str) -> str:
    """Get the weather in a city."""
    return f"Sunny in {city}"


WEATHER = FunctionTool.from_defaults(weather)


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

BAD_INPUTS: list[tuple[str, Any, dict[str, Any], str]] = [
    ("temperature", HELLO, {"temperature": 7}, "temperature"),
    ("wrong type", HELLO, {"temperature": "hot"}, "temperature"),
    ("five stops", HELLO, {"stop": ["a", "b", "c", "d", "e"]}, "at most 4"),
    ("top_logprobs alone", HELLO, {"top_logprobs": 2}, "needs logprobs"),
    (
        "invalid tool schema",
        HELLO,
        {"tools": [{"type": "function", "function": {"name": "bad name!"}}]},
        "function.name",
    ),
    ("unknown parameter", HELLO, {"frobnicate": True}, "frobnicate"),
    ("no messages", [], {}, "at least one message"),
    (
        "unknown block",
        [ChatMessage(role="user", blocks=[VideoBlock(url="https://example.com/v.mp4")])],
        {},
        "VideoBlock",
    ),
    (
        "tool result without id",
        [*HELLO, ChatMessage(role="tool", content="42")],
        {},
        "tool_call_id",
    ),
    (
        "bad tool choice",
        HELLO,
        {"tools": [WEATHER.metadata.to_openai_tool()], "tool_choice": "other"},
        "tool_choice",
    ),
    ("not JSON", HELLO, {"extra_body": {"when": object()}}, "JSON"),
]


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize(
    ("messages", "kwargs", "match"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_fails_before_any_request(
    gateway_server: ScriptedGateway,
    call: Callable[..., Any],
    messages: Any,
    kwargs: dict[str, Any],
    match: str,
) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        call(llm(gateway_server), messages, **kwargs)
    assert gateway_server.requests == []


def test_bad_input_raises_when_the_stream_is_asked_for_not_when_read(
    gateway_server: ScriptedGateway,
) -> None:
    with pytest.raises(InvalidParameterError):
        llm(gateway_server).stream_chat(HELLO, temperature=9)  # nothing iterated yet
    with pytest.raises(InvalidParameterError):
        llm(gateway_server).stream_complete("hi", top_p=3)
    assert gateway_server.requests == []


def test_missing_key_is_sent_nowhere(
    gateway_server: ScriptedGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SKILLBOSS_WHOLESALE_KEY", raising=False)
    model = SkillBoss(api_base=gateway_server.base_url)
    for call in CALLS:
        with pytest.raises(MissingAPIKeyError):
            call(model, HELLO)
    assert gateway_server.requests == []


def test_bad_tool_turn_is_sent_nowhere(gateway_server: ScriptedGateway) -> None:
    with pytest.raises(InvalidParameterError, match="sunshine"):
        llm(gateway_server).chat_with_tools([WEATHER], user_msg="weather?", tool_choice="sunshine")
    assert gateway_server.requests == []
