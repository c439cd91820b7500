"""The SSE reader and accumulator against realistic server behaviours (no HTTP)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import openai
import pytest

from skillboss_core import (
    IncompleteStreamError,
    InvalidResponseError,
    SSEDecoder,
    StreamAccumulator,
    StreamChunk,
    StreamError,
)
from skillboss_core.errors import ResponseTooLargeError
from skillboss_core.stream import DEFAULT_MAX_EVENT_BYTES
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


# -- the SSE spec: line ends, BOM, fields ---------------------------------------------------


def decode_in_pieces(data: bytes, piece: int, **options: Any) -> list[tuple[str | None, bytes]]:
    decoder = SSEDecoder(**options)
    events: list[tuple[str | None, bytes]] = []
    for start in range(0, len(data), piece):
        events.extend(decoder.feed(data[start : start + piece]))
    return events + decoder.close()


@pytest.mark.parametrize("piece", [1, 2, 3, 1000])
def test_cr_only_line_ends_split_events(piece: int) -> None:
    data = b"event: a\rdata: one\r\rdata: two\rdata: 2\r\r"
    assert decode_in_pieces(data, piece) == [("a", b"one"), (None, b"two\n2")]


def test_crlf_split_across_reads_is_one_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    # a second line end here would be a blank line, which would end the event early
    assert decoder.feed(b"\ndata: b\r") == []
    assert decoder.feed(b"\n\r") == [(None, b"a\nb")]
    assert decoder.feed(b"\ndata: c\r\n\r\n") == [(None, b"c")]


@pytest.mark.parametrize("piece", [1, 2, 4, 1000])
def test_leading_byte_order_mark_is_dropped(piece: int) -> None:
    data = b"\xef\xbb\xbfdata: first\n\ndata: second\n\n"
    assert decode_in_pieces(data, piece) == [(None, b"first"), (None, b"second")]


def test_byte_order_mark_later_in_the_stream_is_data() -> None:
    data = b"data: a\n\n\xef\xbb\xbfdata: b\n\n"
    assert decode_in_pieces(data, 1000) == [(None, b"a")]  # field "\ufeffdata" is unknown


def test_a_partial_bom_is_not_stripped() -> None:
    assert decode_in_pieces(b"\xef\xbbdata: x\n\n", 1) == []  # not a BOM: an unknown field


def test_fields_follow_the_spec() -> None:
    data = (
        b": comment\n"
        b"id: 7\nretry: 100\nfoo: bar\n"
        b"data\n"  # a field with no colon has an empty value
        b"data:tight\n"
        b"data:  two spaces\n"
        b"datax: not data\n"
        b"event\n"
        b"\n"
        b"event:named\ndata: x\n\n"
    )
    assert decode_in_pieces(data, 1000) == [(None, b"\ntight\n two spaces"), ("named", b"x")]


def test_a_long_line_in_small_reads_takes_linear_time() -> None:
    """Joining the pending pieces once per line, not once per read (was 10 s here)."""
    line = b'data: {"x": "' + b"a" * (16 * 1024 * 1024) + b'"}\n\n'
    decoder = SSEDecoder()
    started = time.perf_counter()
    events = [e for i in range(0, len(line), 16384) for e in decoder.feed(line[i : i + 16384])]
    elapsed = time.perf_counter() - started
    assert len(events) == 1 and len(events[0][1]) == len(line) - 8
    assert elapsed < 1.5, f"{elapsed:.2f} s for a 16 MB line"


# -- the event size cap -----------------------------------------------------------------------


def test_default_event_cap_is_64_mib() -> None:
    assert DEFAULT_MAX_EVENT_BYTES == 64 * 1024 * 1024


def test_oversized_line_raises_before_it_is_complete() -> None:
    decoder = SSEDecoder(max_event_bytes=1000)
    assert decoder.feed(b"data: " + b"a" * 600) == []
    with pytest.raises(ResponseTooLargeError, match=r"1,000 bytes.*max_event_bytes"):
        decoder.feed(b"a" * 600)  # no line end yet: raised while still pending


def test_oversized_event_of_many_lines_raises() -> None:
    decoder = SSEDecoder(max_event_bytes=1000)
    with pytest.raises(ResponseTooLargeError):
        for _ in range(20):
            decoder.feed(b"data: " + b"a" * 100 + b"\n")


def test_oversized_single_read_event_raises_on_the_fast_path() -> None:
    with pytest.raises(ResponseTooLargeError):
        SSEDecoder(max_event_bytes=100).feed(b"data: " + b"a" * 200 + b"\n\n")


def test_oversized_comment_line_raises_too() -> None:
    decoder = SSEDecoder(max_event_bytes=100)
    with pytest.raises(ResponseTooLargeError):
        for _ in range(5):
            decoder.feed(b": " + b"a" * 50)


def test_accumulator_passes_its_cap_to_the_decoder() -> None:
    acc = StreamAccumulator(max_event_bytes=50)
    assert isinstance(ResponseTooLargeError("x"), InvalidResponseError)
    with pytest.raises(ResponseTooLargeError):
        acc.feed(fx.event(fx.chunk({"content": "x" * 100})))
    small = StreamAccumulator(max_event_bytes=10_000)
    assert small.feed(fx.event(fx.chunk({"content": "x" * 100})))[0].text == "x" * 100


# -- malformed events are typed errors -------------------------------------------------------

MALFORMED_EVENTS = {
    "array": "[1, 2]",
    "string": '"hello"',
    "number": "5",
    "null": "null",
    "choices-object": '{"choices": {"0": {"delta": {"content": "x"}}}}',
    "choices-string": '{"choices": "abc"}',
    "choices-numbers": '{"choices": [1, 2]}',
    "choice-string": '{"choices": ["x"]}',
    "delta-string": '{"choices": [{"index": 0, "delta": "text"}]}',
    "delta-list": '{"choices": [{"index": 0, "delta": [1]}]}',
    "content-number": '{"choices": [{"index": 0, "delta": {"content": 5}}]}',
    "content-object": '{"choices": [{"index": 0, "delta": {"content": {"a": 1}}}]}',
    "content-false": '{"choices": [{"index": 0, "delta": {"content": false}}]}',
    "content-bad-parts": '{"choices": [{"index": 0, "delta": {"content": [1, 2]}}]}',
    "content-part-text-number": (
        '{"choices": [{"index": 0, "delta": {"content": [{"type": "text", "text": 5}]}}]}'
    ),
    "refusal-number": '{"choices": [{"index": 0, "delta": {"refusal": 5}}]}',
    "tool-calls-object": '{"choices": [{"index": 0, "delta": {"tool_calls": {"a": 1}}}]}',
    "tool-calls-string": '{"choices": [{"index": 0, "delta": {"tool_calls": "x"}}]}',
    "tool-call-number": '{"choices": [{"index": 0, "delta": {"tool_calls": [1]}}]}',
    "tool-function-string": (
        '{"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": "f"}]}}]}'
    ),
    "tool-name-number": (
        '{"choices": [{"index": 0, "delta": {"tool_calls": '
        '[{"index": 0, "id": "c", "function": {"name": 5}}]}}]}'
    ),
    "tool-id-object": (
        '{"choices": [{"index": 0, "delta": {"tool_calls": '
        '[{"index": 0, "id": {"a": 1}, "function": {"name": "f"}}]}}]}'
    ),
    "tool-arguments-number": (
        '{"choices": [{"index": 0, "delta": {"tool_calls": '
        '[{"index": 0, "function": {"arguments": 5}}]}}]}'
    ),
    "finish-number": '{"choices": [{"index": 0, "delta": {}, "finish_reason": 1}]}',
    "finish-object": '{"choices": [{"index": 0, "delta": {}, "finish_reason": {"a": 1}}]}',
    "logprobs-string": '{"choices": [{"index": 0, "delta": {}, "logprobs": "x"}]}',
    "logprobs-content-string": (
        '{"choices": [{"index": 0, "delta": {}, "logprobs": {"content": "abc"}}]}'
    ),
}


@pytest.mark.parametrize("payload", MALFORMED_EVENTS.values(), ids=MALFORMED_EVENTS.keys())
def test_malformed_event_is_a_typed_error(payload: str) -> None:
    data = fx.event(payload) + fx.event(fx.chunk({}, finish="stop"))
    with pytest.raises(InvalidResponseError, match="malformed"):
        read_all(data)


def test_deeply_nested_event_is_a_typed_error() -> None:
    payload = "[" * 100_000 + "]" * 100_000
    with pytest.raises(StreamError, match="nested too deeply"):
        read_all(fx.event(payload))


def test_content_parts_are_joined() -> None:
    parts = [{"type": "text", "text": "Hel"}, {"type": "image_url"}, {"text": "lo"}]
    data = fx.event(fx.chunk({"content": parts})) + fx.event(fx.chunk({}, finish="stop"))
    acc, chunks = read_all(data)
    assert [c.text for c in chunks if c.text] == ["Hello"]
    assert acc.result().content == "Hello"


def test_tool_arguments_sent_as_an_object_are_serialised() -> None:
    call = {"index": 0, "id": "c", "function": {"name": "f", "arguments": {"q": "x"}}}
    data = fx.event(fx.chunk({"tool_calls": [call]})) + fx.event(fx.chunk({}, finish="tool_calls"))
    acc, _ = read_all(data)
    assert acc.tool_calls()[0].arguments_object() == {"q": "x"}


def test_non_string_metadata_is_ignored_not_kept() -> None:
    body = {"id": 5, "model": ["m"], "created": "soon", "system_fingerprint": 1, "choices": []}
    data = fx.event(body) + fx.event({"choices": [{"delta": {}, "finish_reason": "stop"}]})
    acc, _ = read_all(data)
    result = acc.result()
    assert (result.id, result.model, result.created) == (None, None, None)


# -- surrogates -------------------------------------------------------------------------------


def raw_content_event(escaped: str, finish: str | None = None) -> bytes:
    """An event whose content is given as JSON source (so escapes reach the decoder as-is)."""
    finish_json = "null" if finish is None else f'"{finish}"'
    return (
        b'data: {"choices": [{"index": 0, "delta": {"content": "'
        + escaped.encode()
        + b'"}, "finish_reason": '
        + finish_json.encode()
        + b"}]}\n\n"
    )


def test_lone_high_surrogate_followed_by_text_passes_through() -> None:
    data = raw_content_event("a\\ud800") + raw_content_event("b", finish="stop")
    acc, chunks = read_all(data)
    assert acc.text == "a\ud800b"
    assert "".join(c.text for c in chunks) == acc.text


def test_lone_low_surrogate_passes_through() -> None:
    acc, _ = read_all(raw_content_event("x\\udc00y", finish="stop"))
    assert acc.text == "x\udc00y"


def test_high_surrogate_held_back_at_the_end_is_flushed() -> None:
    data = raw_content_event("a\\ud83d") + raw_content_event("", finish="stop")
    acc, chunks = read_all(data)
    assert acc.text == "a\ud83d"
    assert "".join(c.text for c in chunks) == acc.text
    assert len(acc.text_pieces) == sum(1 for c in chunks if c.text)


def test_held_back_surrogate_in_tool_arguments_is_flushed() -> None:
    call = '{"index": 0, "id": "c", "function": {"name": "f", "arguments": "{\\"a\\": \\"\\ud83d"}}'
    data = (
        b'data: {"choices": [{"index": 0, "delta": {"tool_calls": [' + call.encode() + b"]}}]}\n\n"
    ) + fx.event(fx.chunk({}, finish="tool_calls"))
    acc, chunks = read_all(data)
    assert acc.tool_calls()[0].arguments == '{"a": "\ud83d'
    deltas = "".join(d.arguments for c in chunks for d in c.tool_calls or [])
    assert deltas == acc.tool_calls()[0].arguments
