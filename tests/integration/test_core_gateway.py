"""The core Gateway over HTTP: a whole answer, a streamed answer and a streamed tool call,
read into the core's neutral results (text, finish reason, ids, usage once per stream).

Each test scripts the answer; faults and retries are in tests/faults/test_fault_matrix.py,
model listing in tests/integration/test_model_listing.py.
"""

from __future__ import annotations

from skillboss_core import ChatParams, Gateway, GatewaySettings, StreamChunk
from tests.support.scripted_gateway import Reply, ScriptedGateway, ToolCall

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
# The usage the gateway reports with the scripted answers.
USAGE = {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14}


def gateway(server: ScriptedGateway) -> Gateway:
    return Gateway(GatewaySettings(base_url=server.base_url, max_retries=0))


def body(text: str, *, stream: bool = False, **params: object) -> dict[str, object]:
    return ChatParams.parse({"model": MODEL, **params}).to_body(
        [{"role": "user", "content": text}], stream=stream
    )


def test_complete_returns_text_and_usage(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply("Hello, SkillBoss!", usage=USAGE))
    with gateway(gateway_server) as core:
        result = core.complete(body("Say hello to SkillBoss", temperature=0.0))
    assert result.content == "Hello, SkillBoss!"
    assert result.finish_reason == "stop"
    assert (result.id, result.model) == ("chatcmpl-1", MODEL)
    assert result.usage is not None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (9, 5)
    assert result.usage.total_tokens == 14
    assert gateway_server.requests[0].json["temperature"] == 0.0


def test_stream_yields_text_then_usage_once(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply("One, two, three, four, five.", usage=USAGE))
    with gateway(gateway_server) as core:
        chunks = list(core.stream(body("Count to five", stream=True)))
    assert all(isinstance(c, StreamChunk) for c in chunks)
    assert "".join(c.text for c in chunks) == "One, two, three, four, five."
    assert [c.finish_reason for c in chunks if c.finish_reason] == ["stop"]
    usage = [c.usage for c in chunks if c.usage is not None]
    assert len(usage) == 1 and usage[0].completion_tokens == 5
    assert chunks[0].requested_model == MODEL
    assert gateway_server.requests[0].json["stream"] is True


def test_streamed_tool_call_is_complete(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]))
    request = body(
        "What is the weather in Paris?", stream=True, tools=[WEATHER_TOOL], tool_choice="required"
    )
    with gateway(gateway_server) as core:
        chunks = list(core.stream(request))
    deltas = [d for c in chunks for d in (c.tool_calls or [])]
    assert deltas and deltas[0].id == "call_1_0" and deltas[0].name == "get_weather"
    assert "".join(d.arguments for d in deltas if d.index == 0) == '{"city":"Paris"}'
    assert [c.finish_reason for c in chunks if c.finish_reason] == ["tool_calls"]
    sent = gateway_server.requests[0].json
    assert (sent["tool_choice"], sent["tools"]) == ("required", [WEATHER_TOOL])
