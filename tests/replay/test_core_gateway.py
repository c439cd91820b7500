"""The core against recorded gateway exchanges: whole answers, streams, tools, models.

Assertions are structural (types, names, arguments, usage fields) so that they hold after a
live re-record (`make record`).
"""

from __future__ import annotations

import asyncio

import pytest

from skillboss_core import ChatParams, ChatResult, Gateway, GatewaySettings, StreamChunk

pytestmark = pytest.mark.vcr

MODEL = "openai/gpt-5.4-mini"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def gateway() -> Gateway:
    return Gateway(GatewaySettings(max_retries=0))


def body(text: str, *, stream: bool = False, **params: object) -> dict[str, object]:
    return ChatParams.parse({"model": MODEL, **params}).to_body(
        [{"role": "user", "content": text}], stream=stream
    )


def assert_usage(result: ChatResult) -> None:
    assert result.usage is not None
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert result.usage.total_tokens >= result.usage.prompt_tokens + result.usage.completion_tokens


def test_complete_returns_text_and_usage() -> None:
    result = gateway().complete(body("Say hello to SkillBoss", temperature=0.0))
    assert isinstance(result.content, str) and result.content
    assert result.finish_reason == "stop"
    assert result.id and result.model
    assert_usage(result)


def test_stream_yields_text_then_usage_once() -> None:
    chunks = list(gateway().stream(body("Count to five", stream=True)))
    assert all(isinstance(c, StreamChunk) for c in chunks)
    assert "".join(c.text for c in chunks).strip()
    assert [c.finish_reason for c in chunks if c.finish_reason] == ["stop"]
    usage = [c.usage for c in chunks if c.usage is not None]
    assert len(usage) == 1 and usage[0].completion_tokens > 0
    assert chunks[0].requested_model == MODEL


def test_streamed_tool_call_is_complete() -> None:
    request = body(
        "What is the weather in Paris?", stream=True, tools=[WEATHER_TOOL], tool_choice="required"
    )
    chunks = list(gateway().stream(request))
    deltas = [d for c in chunks for d in (c.tool_calls or [])]
    assert deltas and deltas[0].id and deltas[0].name == "get_weather"
    arguments = "".join(d.arguments for d in deltas if d.index == 0)
    assert "city" in arguments
    assert [c.finish_reason for c in chunks if c.finish_reason] == ["tool_calls"]


def test_async_complete_works_across_two_event_loops() -> None:
    shared = gateway()

    async def ask() -> ChatResult:
        return await shared.acomplete(body("Say hello to SkillBoss", temperature=0.0))

    first = asyncio.run(ask())
    second = asyncio.run(ask())
    assert first.content and second.content


def test_list_models_returns_ids() -> None:
    models = gateway().list_models()
    assert models and all(isinstance(model, str) for model in models)
    assert MODEL in models
