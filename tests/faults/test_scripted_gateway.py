"""Fast checks of the scripted gateway itself, over real loopback HTTP with plain httpx.

Why: every live-loopback test trusts this server, so its wire shapes, the order in which
it serves scripted answers, and its one-shot faults are pinned here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.scripted_gateway import LOOPBACK, NOTHING_SCRIPTED, Fault, ScriptedGateway
from tests.support.wire import Reply, ToolCall

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


def test_non_stream_reply_has_the_openai_shape_and_is_recorded(gw: ScriptedGateway) -> None:
    gw.queue("Hello back.")
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
    assert choice["message"]["content"] == "Hello back."
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
    gw.queue("One two three four five.")
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
    assert text == "One two three four five."
    assert len(chunks) > 3


def test_streamed_tool_call_fragments_join_to_the_scripted_arguments(
    gw: ScriptedGateway,
) -> None:
    arguments = {"location": "Paris", "days": 3}
    gw.queue(Reply(tool_calls=[ToolCall("get_weather", arguments), ToolCall("get_time", "{}")]))

    chunks = [json.loads(p) for p in data_lines(chat(gw, "weather", stream=True).text)[:-1]]

    deltas = [d for c in chunks for d in c["choices"][0]["delta"].get("tool_calls") or []]
    by_index: dict[int, str] = {}
    for delta in deltas:
        by_index[delta["index"]] = by_index.get(delta["index"], "") + delta["function"]["arguments"]
    assert json.loads(by_index[0]) == arguments and by_index[1] == "{}"
    assert [d["id"] for d in deltas if "id" in d] == ["call_1_0", "call_1_1"]
    assert len([d for d in deltas if d["index"] == 0]) > 2  # split like a real stream
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_answers_come_from_the_script_then_the_queue_then_the_fixed_reply() -> None:
    with ScriptedGateway(reply="fixed", lifetime=60) as gw:
        gw.queue("first", Reply("second", finish_reason="length"))
        gw.script(lambda body: Reply("scripted") if "script" in str(body) else None)

        said = [chat(gw, text).json()["choices"][0] for text in ("a", "script", "b", "c")]

        assert [c["message"]["content"] for c in said] == ["first", "scripted", "second", "fixed"]
        assert said[2]["finish_reason"] == "length"
        assert gw.pending_replies == 0


def test_a_request_nothing_answers_is_refused_naming_it(gw: ScriptedGateway) -> None:
    response = chat(gw, "What is the capital of France?")

    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert NOTHING_SCRIPTED in message and "capital of France" in message


def test_a_script_can_answer_with_raw_bytes(gw: ScriptedGateway) -> None:
    gw.script(lambda body: (200, {"Content-Type": "text/plain"}, b"not json"))

    response = chat(gw, "anything")

    assert response.status_code == 200 and response.text == "not json"


def test_a_fault_is_served_once_then_normal_answers_resume(gw: ScriptedGateway) -> None:
    gw.queue("answer to two")
    gw.enqueue(Fault.status(429, headers={"retry-after": "0"}))

    first = chat(gw, "one")
    second = chat(gw, "two")

    assert first.status_code == 429
    assert first.headers["retry-after"] == "0"
    assert first.json()["error"]["type"] == "rate_limit_error"
    assert second.status_code == 200
    assert second.json()["choices"][0]["message"]["content"] == "answer to two"
    assert gw.pending_faults == 0
    assert len(gw.requests) == 2


def test_stream_reset_breaks_the_body_mid_stream(gw: ScriptedGateway) -> None:
    gw.queue("one two three four", "one two three four")
    gw.enqueue(Fault.stream_reset(after_chunks=2))

    with pytest.raises(httpx.RemoteProtocolError):
        chat(gw, "cut me off", stream=True)

    assert chat(gw, "again", stream=True).text.endswith("data: [DONE]\n\n")


@pytest.mark.parametrize(
    ("flavour", "field"), [("groq", "reasoning"), ("deepseek", "reasoning_content")]
)
def test_the_flavour_selects_the_reasoning_field(flavour: str, field: str) -> None:
    with ScriptedGateway(
        flavour=flavour, reply=Reply("Blue.", reasoning="Rayleigh."), lifetime=60
    ) as gw:
        answer = chat(gw, "think").json()

    assert answer["choices"][0]["message"][field] == "Rayleigh."
    assert answer["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0


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


def test_a_reply_states_where_its_stream_is_cut(gw: ScriptedGateway) -> None:
    gw.queue(Reply("Bonjour, monde", pieces=["Bon", "jour, m", "onde"]))

    chunks = [json.loads(p) for p in data_lines(chat(gw, "cut", stream=True).text)[:-1]]

    texts = [c["choices"][0]["delta"].get("content") for c in chunks]
    assert [t for t in texts if t] == ["Bon", "jour, m", "onde"]
    with pytest.raises(ValueError, match="join"):
        Reply("Bonjour", pieces=["Bon"])
