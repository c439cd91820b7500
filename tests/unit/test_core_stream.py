"""The SSE reader and accumulator against realistic server behaviours (no HTTP)."""

from __future__ import annotations

import json
import re
from typing import Any

import openai
import pytest

from skillboss_core import (
    IncompleteStreamError,
    SSEDecoder,
    StreamAccumulator,
    StreamChunk,
    StreamError,
)
from tests.unit import sse_fixtures as fx


def read_all(
    data: bytes, *, piece: int | None = None
) -> tuple[StreamAccumulator, list[StreamChunk]]:
    """Feed `data` in pieces of `piece` bytes (default: all at once), then close."""
    acc = StreamAccumulator()
    out: list[StreamChunk] = []
    step = piece or len(data) or 1
    for start in range(0, len(data), step):
        out.extend(acc.feed(data[start : start + step]))
    out.extend(acc.close())
    return acc, out


def test_openai_stream_text_usage_once_and_metadata_once() -> None:
    acc, chunks = read_all(fx.openai_text_stream())
    assert "".join(c.text for c in chunks) == "Hello, world"
    usage_chunks = [c for c in chunks if c.usage is not None]
    assert len(usage_chunks) == 1 and usage_chunks[0] is chunks[-1]
    usage = usage_chunks[0].usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (12, 7, 19)
    assert (usage.cached_tokens, usage.reasoning_tokens) == (4, 3)
    assert [c.id for c in chunks if c.id] == ["chatcmpl-fixture"]
    assert [c.model for c in chunks if c.model] == ["openai/gpt-5.4-mini"]
    assert [c.finish_reason for c in chunks if c.finish_reason] == ["stop"]
    result = acc.result()
    assert result.content == "Hello, world" and result.finish_reason == "stop"
    assert result.system_fingerprint == "fp_fixture"


@pytest.mark.parametrize("piece", [None, 1, 7])
def test_byte_splitting_does_not_change_the_result(piece: int | None) -> None:
    _, chunks = read_all(fx.openai_text_stream(), piece=piece)
    assert "".join(c.text for c in chunks) == "Hello, world"


def test_deepseek_reasoning_content_and_usage_on_finish_chunk() -> None:
    acc, chunks = read_all(fx.deepseek_reasoning_stream())
    assert "".join(c.reasoning for c in chunks) == "Think hard."
    assert acc.result().content == "42"
    assert acc.result().reasoning == "Think hard."
    assert sum(1 for c in chunks if c.usage) == 1


def test_openrouter_comments_are_ignored_and_reasoning_field_read() -> None:
    acc, chunks = read_all(fx.openrouter_reasoning_stream(), piece=5)
    assert acc.result().reasoning == "Let me see."
    assert acc.result().content == "Yes."
    assert sum(1 for c in chunks if c.usage) == 1
    assert acc.usage is not None and acc.usage.raw["cost"] == 0.0001


@pytest.mark.parametrize("repeat_ids", [False, True])
def test_parallel_tool_calls_accumulate_by_index(repeat_ids: bool) -> None:
    acc, chunks = read_all(fx.parallel_tool_stream(repeat_ids=repeat_ids))
    calls = acc.tool_calls()
    assert [(c.id, c.name) for c in calls] == [("call_0", "get_weather"), ("call_1", "get_time")]
    assert [c.parsed_arguments() for c in calls] == [{"city": "Paris"}, {"tz": "CET"}]
    deltas = [d for c in chunks for d in (c.tool_calls or [])]
    # id and name are handed out once per call, however often the server repeats them
    assert [d.id for d in deltas if d.id] == ["call_0", "call_1"]
    assert [d.name for d in deltas if d.name] == ["get_weather", "get_time"]
    assert acc.result().finish_reason == "tool_calls"
    assert acc.result().content is None


def test_whole_tool_call_in_one_delta_with_crlf_and_x_groq_usage() -> None:
    acc, chunks = read_all(fx.groq_whole_call_stream(), piece=3)
    (call,) = acc.tool_calls()
    assert (call.id, call.name, call.parsed_arguments()) == ("fc_1", "lookup", {"q": "x"})
    assert acc.result().reasoning == "plan"
    assert sum(1 for c in chunks if c.usage) == 1


def test_in_stream_error_event_raises_with_provider_message() -> None:
    with pytest.raises(StreamError, match="tool_use_failed: bad call") as info:
        read_all(fx.inline_error_stream())
    assert info.value.code == "tool_use_failed"
    assert isinstance(info.value, openai.APIError)


def test_in_band_error_object_without_event_name_raises() -> None:
    data = fx.event({"error": {"message": "upstream overloaded"}})
    with pytest.raises(StreamError, match="upstream overloaded"):
        read_all(data)


def test_stream_without_finish_reason_is_incomplete_not_truncated() -> None:
    with pytest.raises(IncompleteStreamError, match="no finish_reason") as info:
        read_all(fx.truncated_stream())
    assert info.value.partial_text == "Partial ans"


def test_missing_done_after_finish_is_accepted() -> None:
    data = fx.event(fx.chunk({"content": "ok"})) + fx.event(fx.chunk({}, finish="stop"))
    acc, _ = read_all(data)
    assert acc.result().content == "ok" and not acc.done


def test_multibyte_character_split_across_network_reads() -> None:
    text = "héllo 😀 wörld"
    data = fx.event(fx.chunk({"content": text})) + fx.event(fx.chunk({}, finish="stop"))
    _, chunks = read_all(data, piece=1)
    assert "".join(c.text for c in chunks) == text


def test_surrogate_pair_split_across_two_argument_deltas() -> None:
    first = (
        '{"index":0,"id":"c","type":"function",'
        '"function":{"name":"n","arguments":"{\\"e\\": \\"\\ud83d"}}'
    )
    second = '{"index":0,"function":{"arguments":"\\ude00\\"}"}}'
    raw = b"".join(
        [
            b'data: {"choices":[{"index":0,"delta":{"tool_calls":[' + first.encode() + b"]}}]}\n\n",
            b'data: {"choices":[{"index":0,"delta":{"tool_calls":['
            + second.encode()
            + b"]}}]}\n\n",
            fx.event(fx.chunk({}, finish="tool_calls")),
        ]
    )
    acc, _ = read_all(raw)
    (call,) = acc.tool_calls()
    assert call.parsed_arguments() == {"e": "😀"}
    json.dumps(call.arguments).encode("utf-8")  # valid UTF-8, no lone surrogates


def test_logprobs_are_kept_per_chunk_and_in_total() -> None:
    lp = [{"token": "Hi", "logprob": -0.1, "bytes": [72, 105], "top_logprobs": []}]
    data = fx.event(fx.chunk({"content": "Hi"}, logprobs=lp)) + fx.event(
        fx.chunk({}, finish="stop")
    )
    acc, chunks = read_all(data)
    assert chunks[0].logprobs == lp
    assert acc.result().logprobs == lp


def test_refusal_deltas_are_surfaced() -> None:
    data = fx.event(fx.chunk({"refusal": "I can't"})) + fx.event(
        fx.chunk({"refusal": " help."}, finish="stop")
    )
    acc, chunks = read_all(data)
    assert "".join(c.refusal for c in chunks) == "I can't help."
    assert acc.result().refusal == "I can't help."


def test_decoder_joins_multiline_data_and_flushes_unterminated_event() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"event: x\ndata: a\ndata: b\n\ndata: tail")
    assert events == [("x", b"a\nb")]
    assert decoder.close() == [(None, b"tail")]


@pytest.mark.parametrize(
    "fixture",
    [
        fx.openai_text_stream,
        fx.deepseek_reasoning_stream,
        fx.openrouter_reasoning_stream,
        fx.parallel_tool_stream,
        fx.groq_whole_call_stream,
    ],
)
def test_one_event_per_read_gives_the_same_chunks(fixture: Any) -> None:
    """The decoder's one-event-per-read fast path must agree with the general path."""
    data = fixture()
    whole_acc, whole = read_all(data)
    acc = StreamAccumulator()
    chunks: list[StreamChunk] = []
    for event in re.split(rb"(?<=\n\n)", data):
        if event:
            chunks.extend(acc.feed(event))
    chunks.extend(acc.close())
    assert chunks == whole
    assert acc.result() == whole_acc.result()
