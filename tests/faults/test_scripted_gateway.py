"""Fast checks of the scripted gateway itself, over real loopback HTTP with plain httpx.

Why: every live-loopback test trusts this server, so its wire shapes, the order in which
it serves scripted answers, and its one-shot faults are pinned here.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.embedder import cosine, embed
from tests.support.embeddings_wire import EmbeddingsOptions, decode_embedding
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


def embeddings(gw: ScriptedGateway, body: Any) -> httpx.Response:
    """POST one embeddings request with exactly `body`."""
    return httpx.post(f"{gw.base_url}/embeddings", json=body, timeout=10)


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


# --------------------------------------------------------------------------- embeddings

EMBEDDING_MODEL = "openai/text-embedding-3-small"
TEXTS = ["Paris is the capital of France.", "Bananas are yellow.", "Rust has no GC", "a b", "z"]


def float32(vector: list[float]) -> list[float]:
    """A vector rounded to float32, as vectors travel."""
    return list(struct.unpack(f"<{len(vector)}f", struct.pack(f"<{len(vector)}f", *vector)))


def test_embeddings_answer_by_default_with_the_embedder_and_are_recorded(
    gw: ScriptedGateway,
) -> None:
    response = embeddings(gw, {"model": EMBEDDING_MODEL, "input": TEXTS[:2]})

    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "list" and body["model"] == EMBEDDING_MODEL
    assert body["usage"] == {"prompt_tokens": 9, "total_tokens": 9}  # 6 + 3 words
    assert [(d["object"], d["index"]) for d in body["data"]] == [("embedding", 0), ("embedding", 1)]
    for item, text in zip(body["data"], TEXTS[:2], strict=True):
        assert item["embedding"] == float32(embed(text))
        assert len(item["embedding"]) == 1536
        assert math.isclose(math.hypot(*item["embedding"]), 1.0, abs_tol=1e-6)
    recorded = gw.last_request
    assert recorded.path == "/v1/embeddings" and recorded.json["input"] == TEXTS[:2]
    single = embeddings(gw, {"model": EMBEDDING_MODEL, "input": TEXTS[0]}).json()
    assert single["data"][0]["embedding"] == body["data"][0]["embedding"]
    assert single["usage"]["prompt_tokens"] == 6


def test_base64_embeddings_are_the_float_embeddings_as_little_endian_float32(
    gw: ScriptedGateway,
) -> None:
    asked = {"model": EMBEDDING_MODEL, "input": TEXTS, "dimensions": 64}
    floats = embeddings(gw, {**asked, "encoding_format": "float"}).json()["data"]
    packed = embeddings(gw, {**asked, "encoding_format": "base64"}).json()["data"]

    for as_floats, as_base64 in zip(floats, packed, strict=True):
        raw = base64.b64decode(as_base64["embedding"])
        assert list(struct.unpack("<64f", raw)) == as_floats["embedding"]
        assert decode_embedding(as_base64["embedding"]) == as_floats["embedding"]
        assert len(as_floats["embedding"]) == 64


def test_dimensions_choose_the_vector_length(gw: ScriptedGateway) -> None:
    body = {"model": EMBEDDING_MODEL, "input": "capital of France", "dimensions": 256}

    vector = embeddings(gw, body).json()["data"][0]["embedding"]

    assert vector == float32(embed("capital of France", 256))
    assert len(vector) == 256


def test_a_shuffled_answer_keeps_every_index_right() -> None:
    asked = {"model": EMBEDDING_MODEL, "input": TEXTS}
    with ScriptedGateway(lifetime=60) as plain:
        expected = embeddings(plain, asked).json()["data"]
    with ScriptedGateway(lifetime=60, embeddings=EmbeddingsOptions(shuffle_seed=3)) as gw:
        shuffled = embeddings(gw, asked).json()["data"]
        pair = embeddings(gw, {**asked, "input": TEXTS[:2]}).json()["data"]

    assert [d["index"] for d in shuffled] != list(range(len(TEXTS)))
    assert sorted(shuffled, key=lambda d: d["index"]) == expected
    assert [d["index"] for d in pair] == [1, 0]  # never the sent order


def test_floats_can_be_answered_where_base64_was_asked() -> None:
    options = EmbeddingsOptions(ignore_encoding_format=True)
    with ScriptedGateway(lifetime=60, embeddings=options) as gw:
        asked = {"model": EMBEDDING_MODEL, "input": "x y", "encoding_format": "base64"}
        vector = embeddings(gw, asked).json()["data"][0]["embedding"]

    assert vector == float32(embed("x y"))


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": "no model"}, "model"),
        ({"model": EMBEDDING_MODEL}, "input"),
        ({"model": EMBEDDING_MODEL, "input": ""}, "input"),
        ({"model": EMBEDDING_MODEL, "input": []}, "input"),
        ({"model": EMBEDDING_MODEL, "input": ["fine", ""]}, "input"),
        ({"model": EMBEDDING_MODEL, "input": ["fine", 3]}, "input"),
        ({"model": EMBEDDING_MODEL, "input": [1234, 5678]}, "input"),
        ({"model": EMBEDDING_MODEL, "input": [[1234, 5678]]}, "input"),
        ({"model": EMBEDDING_MODEL, "input": None}, "input"),
        ({"model": EMBEDDING_MODEL, "input": "x", "dimensions": 0}, "dimensions"),
        ({"model": EMBEDDING_MODEL, "input": "x", "dimensions": 1537}, "dimensions"),
        ({"model": EMBEDDING_MODEL, "input": "x", "dimensions": "256"}, "dimensions"),
        ({"model": EMBEDDING_MODEL, "input": "x", "encoding_format": "hex"}, "encoding_format"),
        ({"model": EMBEDDING_MODEL, "input": "x", "temperature": 0}, "temperature"),
    ],
)
def test_bad_embeddings_requests_get_an_openai_style_400(
    gw: ScriptedGateway, body: dict[str, Any], param: str
) -> None:
    response = embeddings(gw, body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert error["message"]
    assert gw.last_request.json == body


def test_a_batch_over_the_input_cap_is_refused_naming_the_cap(gw: ScriptedGateway) -> None:
    at_cap = {"model": EMBEDDING_MODEL, "input": ["word"] * 2048, "dimensions": 1}

    assert len(embeddings(gw, at_cap).json()["data"]) == 2048
    over = embeddings(gw, {**at_cap, "input": ["word"] * 2049})
    assert over.status_code == 400 and "2048" in over.json()["error"]["message"]
    with ScriptedGateway(lifetime=60, embeddings=EmbeddingsOptions(max_inputs=2)) as small:
        refused = embeddings(small, {"model": EMBEDDING_MODEL, "input": ["a", "b", "c"]})
    assert refused.status_code == 400 and "is 2." in refused.json()["error"]["message"]


def test_faults_apply_to_embeddings_as_to_chat(gw: ScriptedGateway) -> None:
    gw.enqueue(Fault.status(429, headers={"retry-after": "0"}), Fault.stream_reset())
    asked = {"model": EMBEDDING_MODEL, "input": "again"}

    limited = embeddings(gw, asked)
    with pytest.raises(httpx.RemoteProtocolError):
        embeddings(gw, asked)
    answered = embeddings(gw, asked)

    assert limited.status_code == 429 and limited.json()["error"]["type"] == "rate_limit_error"
    assert answered.status_code == 200 and gw.pending_faults == 0


def test_only_the_embeddings_script_sees_embeddings_requests(gw: ScriptedGateway) -> None:
    gw.script(lambda body: Reply("chat only"))
    seen: list[Any] = []

    @gw.script_embeddings
    def broken_proxy(body: dict[str, Any]) -> Any:
        seen.append(body["input"])
        if body["input"] == "honest":
            return None
        return 200, {"Content-Type": "application/json"}, b'{"object": "list", "data": []}'

    scripted = embeddings(gw, {"model": EMBEDDING_MODEL, "input": "empty please"})
    honest = embeddings(gw, {"model": EMBEDDING_MODEL, "input": "honest"})
    said = chat(gw, "hello").json()["choices"][0]["message"]["content"]

    assert scripted.json()["data"] == []
    assert honest.json()["data"][0]["embedding"] == float32(embed("honest"))
    assert seen == ["empty please", "honest"] and said == "chat only"


def test_the_embedder_makes_retrieval_by_shared_words_meaningful() -> None:
    documents = [
        "Berlin is the capital of Germany.",
        "Paris is the capital of France.",
        "Bananas are rich in potassium.",
        "The Pacific is the largest ocean on Earth.",
    ]
    query = embed("What is the capital of France?")

    scores = [cosine(query, embed(d)) for d in documents]

    assert max(range(len(documents)), key=scores.__getitem__) == 1
    assert scores[1] > scores[0] > scores[3] > scores[2] == 0.0
    assert cosine(embed("red apples"), embed("Red apples!")) == pytest.approx(1.0)


def test_the_embedder_is_stable_unit_length_and_zero_without_words() -> None:
    hello = embed("Hello hello world", 16)  # pinned: recordings depend on this algorithm

    assert {i: round(v, 4) for i, v in enumerate(hello) if v} == {6: -0.8944, 14: 0.4472}
    assert math.isclose(math.hypot(*embed("any words at all")), 1.0)
    assert embed("?!", 4) == [0.0] * 4
