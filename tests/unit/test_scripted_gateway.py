"""Fast checks of the scripted gateway itself, over real loopback HTTP with plain httpx.

Why: every cassette and live-loopback test trusts this server, so its wire shapes, its
schema-valid tool arguments and its one-shot faults are pinned here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from enum import Enum
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, Field

from tests.support.scripted_gateway import LOOPBACK, Fault, ScriptedGateway

MODEL = "openai/gpt-5.4-mini"


@pytest.fixture
def gw() -> Iterator[ScriptedGateway]:
    with ScriptedGateway(lifetime=60) as gateway:
        yield gateway


def chat(gw: ScriptedGateway, text: str, **body: Any) -> httpx.Response:
    """POST one chat completion with a single user message."""
    payload = {"model": MODEL, "messages": [{"role": "user", "content": text}], **body}
    return httpx.post(f"{gw.base_url}/chat/completions", json=payload, timeout=10)


def data_lines(stream_text: str) -> list[str]:
    """The payloads of the `data:` lines of an SSE body."""
    return [line[len("data: ") :] for line in stream_text.splitlines() if line.startswith("data: ")]


class Unit(str, Enum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


class Place(BaseModel):
    city: str
    country: str | None = None


class WeatherQuery(BaseModel):
    place: Place
    days: int = Field(ge=1, le=7)
    include_hourly: bool
    tags: list[str]
    unit: Unit = Unit.CELSIUS


class Person(BaseModel):
    name: str
    age: int


def tool(name: str, description: str, model: type[BaseModel]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": model.model_json_schema(),
        },
    }


def test_non_stream_reply_has_the_openai_shape_and_is_recorded(gw: ScriptedGateway) -> None:
    response = chat(gw, "Hello there, gateway")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "chatcmpl-1"
    assert body["object"] == "chat.completion"
    assert body["model"] == MODEL
    assert body["system_fingerprint"] == "fp_scripted"
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    assert "Hello there, gateway" in choice["message"]["content"]
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert "cached_tokens" in usage["prompt_tokens_details"]
    assert "reasoning_tokens" in usage["completion_tokens_details"]
    recorded = gw.requests[-1]
    assert recorded.path == "/v1/chat/completions"
    assert recorded.json["messages"][0]["content"] == "Hello there, gateway"
    assert recorded.headers["content-type"] == "application/json"
    assert gw.connections_opened >= 1


def test_stream_ends_with_a_usage_chunk_then_done(gw: ScriptedGateway) -> None:
    response = chat(gw, "Stream me", stream=True, stream_options={"include_usage": True})

    assert response.headers["content-type"].startswith("text/event-stream")
    assert ": keep-alive" in response.text
    payloads = data_lines(response.text)
    assert payloads[-1] == "[DONE]"
    usage_chunk = json.loads(payloads[-2])
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["total_tokens"] > 0
    chunks = [json.loads(p) for p in payloads[:-2]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == chat(gw, "Stream me").json()["choices"][0]["message"]["content"]
    assert len(chunks) > 3


def test_tool_call_arguments_validate_against_the_tool_schema(gw: ScriptedGateway) -> None:
    tools = [
        tool("get_weather", "Get the weather forecast for a place", WeatherQuery),
        tool("lookup_person", "Find a person by name", Person),
    ]

    response = chat(gw, "What's the weather in Paris for 3 days?", tools=tools)

    choice = response.json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    (call,) = choice["message"]["tool_calls"]
    assert call["id"] == "call_1_0"
    assert call["function"]["name"] == "get_weather"
    args = WeatherQuery.model_validate_json(call["function"]["arguments"])
    assert args.place.city == "Paris"
    assert args.days == 3


def test_two_requests_joined_by_and_call_two_tools(gw: ScriptedGateway) -> None:
    tools = [
        tool("get_weather", "Get the weather forecast for a place", WeatherQuery),
        tool("lookup_person", "Find a person by name", Person),
    ]

    response = chat(gw, "Find the person named Alice and the weather in Rome", tools=tools)

    calls = response.json()["choices"][0]["message"]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["lookup_person", "get_weather"]
    assert [c["id"] for c in calls] == ["call_1_0", "call_1_1"]
    assert Person.model_validate_json(calls[0]["function"]["arguments"]).name == "Alice"
    weather = WeatherQuery.model_validate_json(calls[1]["function"]["arguments"])
    assert weather.place.city == "Rome"


def test_json_schema_output_parses_and_borrows_from_the_prompt(gw: ScriptedGateway) -> None:
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "Person", "schema": Person.model_json_schema(), "strict": True},
    }

    response = chat(gw, "Alice is 30 years old", response_format=response_format)

    content = response.json()["choices"][0]["message"]["content"]
    assert Person.model_validate_json(content) == Person(name="Alice", age=30)


def test_a_fault_is_served_once_then_normal_answers_resume(gw: ScriptedGateway) -> None:
    gw.enqueue(Fault.status(429, headers={"retry-after": "0"}))

    first = chat(gw, "one")
    second = chat(gw, "two")

    assert first.status_code == 429
    assert first.headers["retry-after"] == "0"
    assert first.json()["error"]["type"] == "rate_limit_error"
    assert second.status_code == 200
    assert "two" in second.json()["choices"][0]["message"]["content"]
    assert gw.pending_faults == 0
    assert len(gw.requests) == 2


def test_stream_reset_breaks_the_body_mid_stream(gw: ScriptedGateway) -> None:
    gw.enqueue(Fault.stream_reset(after_chunks=2))

    with pytest.raises(httpx.RemoteProtocolError):
        chat(gw, "cut me off", stream=True)

    assert chat(gw, "again", stream=True).text.endswith("data: [DONE]\n\n")


def test_flavour_header_selects_the_reasoning_field(gw: ScriptedGateway) -> None:
    messages = [{"role": "user", "content": "think"}]
    payload = {"model": "deepseek/deepseek-reasoner", "messages": messages}
    url = f"{gw.base_url}/chat/completions"

    groq = httpx.post(url, json=payload, headers={"x-scripted-flavour": "groq"}, timeout=10)
    default = httpx.post(url, json=payload, timeout=10)

    assert "reasoning" in groq.json()["choices"][0]["message"]
    message = default.json()["choices"][0]["message"]
    assert message["reasoning_content"]
    assert default.json()["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0


@pytest.mark.parametrize("host", ["0.0.0.0", "localhost", "::1", "192.168.1.10"])
def test_refuses_to_bind_anything_but_loopback(host: str) -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        ScriptedGateway(host=host)


def test_binds_loopback_on_an_ephemeral_port_and_stops(gw: ScriptedGateway) -> None:
    assert gw.base_url == f"http://{LOOPBACK}:{gw.port}/v1"
    assert gw.port > 0

    gw.stop()

    assert not gw.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{gw.base_url}/models", timeout=2)
