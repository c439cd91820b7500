"""The SSE reader and accumulator against realistic server behaviours (no HTTP)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import openai
import pytest

from skillboss_core import (
    AsyncChatStream,
    ChatResult,
    ChatStream,
    IncompleteStreamError,
    InvalidResponseError,
    SSEDecoder,
    StreamAccumulator,
    StreamChunk,
    StreamError,
    ToolCall,
    Usage,
)
from skillboss_core.errors import ResponseTooLargeError
from skillboss_core.wire.results import ToolCallDelta
from skillboss_core.wire.stream import DEFAULT_MAX_EVENT_BYTES, StreamSource
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
    "second-choice-string": '{"choices": [{"index": 0, "delta": {}}, "x"]}',
}


# What each one says after "The gateway answered with a malformed stream event: ".
MALFORMED_WHAT = {
    "array": "the event is not a JSON object",
    "string": "the event is not a JSON object",
    "number": "the event is not a JSON object",
    "null": "the event is not a JSON object",
    "choices-object": "`choices` is not a list",
    "choices-string": "`choices` is not a list",
    "choices-numbers": "a choice is not an object",
    "choice-string": "a choice is not an object",
    "delta-string": "`delta` is not an object",
    "delta-list": "`delta` is not an object",
    "content-number": "`content` is neither text nor a list of content parts",
    "content-object": "`content` is neither text nor a list of content parts",
    "content-false": "`content` is neither text nor a list of content parts",
    "content-bad-parts": "a `content` part is not an object",
    "content-part-text-number": "a text part of `content` has no text",
    "refusal-number": "`refusal` is not a string",
    "tool-calls-object": "`tool_calls` is not a list",
    "tool-calls-string": "`tool_calls` is not a list",
    "tool-call-number": "a tool call is not an object",
    "tool-function-string": "`function` is not an object",
    "tool-name-number": "`tool call name` is not a string",
    "tool-id-object": "`tool call id` is not a string",
    "tool-arguments-number": "tool call `arguments` are not a string",
    "finish-number": "`finish_reason` is not a string",
    "finish-object": "`finish_reason` is not a string",
    "logprobs-string": "`logprobs` is not an object",
    "logprobs-content-string": "`logprobs.content` is not a list of objects",
    "second-choice-string": "a choice is not an object",
}


@pytest.mark.parametrize("name", MALFORMED_EVENTS)
def test_malformed_event_is_a_typed_error(name: str) -> None:
    data = fx.event(MALFORMED_EVENTS[name]) + fx.event(fx.chunk({}, finish="stop"))
    with pytest.raises(InvalidResponseError) as caught:
        read_all(data)
    assert str(caught.value) == (
        f"The gateway answered with a malformed stream event: {MALFORMED_WHAT[name]}."
    )


def test_deeply_nested_event_is_a_typed_error() -> None:
    payload = "[" * 100_000 + "]" * 100_000
    with pytest.raises(InvalidResponseError, match="nested too deeply"):
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


# -- the decoder: where the reads split the bytes never changes the events --------------------

SPLIT_STREAMS = {
    "the answer says data:": b'data: {"content": "data: y"}\n\n',
    "two data lines": b"data: a\ndata: b\n\n",
    "event name": b"data: a\n\nevent: error\ndata: x\n\n",
    "three events": b"data: a\n\ndata: b\n\ndata: c\n\n",
    "crlf": b"data: a\r\n\r\ndata: b\r\ndata: c\r\n\r\n",
    "cr in an lf event": b"data: a\n\ndata: b\r\n\n",
    "no space, two spaces": b"data: a\n\ndata:xy\n\ndata:  z\n\n",
    "field names are case-sensitive": b"data: a\n\nDATA: x\n\ndata: y\n\n",
    "a control byte before the lf": b"data: a\n\ndata: x\x0b\n",
    "an extra blank line": b"data: a\n\ndata: b\n\n\n",
    "a line after one lf": b"data: a\n\ndata: b\ndata: c\n\n",
    "a control byte after one lf": b"data: a\n\ndata: b\n\x0bdata: c\n\n",
}


def decoded(reads: list[bytes], cap: int | None = None) -> list[tuple[str | None, bytes]]:
    decoder = SSEDecoder(cap)
    events = [event for read in reads for event in decoder.feed(read)]
    return events + decoder.close()


@pytest.mark.parametrize("name", SPLIT_STREAMS)
def test_every_split_into_three_reads_gives_the_events_of_one_read(name: str) -> None:
    data = SPLIT_STREAMS[name]
    whole = decoded([data])
    for first in range(1, len(data)):
        for second in range(first, len(data)):
            reads = [data[:first], data[first:second], data[second:]]
            assert decoded(reads) == whole, (name, reads)


def test_a_cr_ending_a_read_pairs_with_one_lf_only() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"\n") == [(None, b"a")]


def test_crlf_lines_of_one_event_stay_one_event() -> None:
    assert decoded([b"data: a\r\ndata: b\r\n\r\n"]) == [(None, b"a\nb")]


def test_a_byte_order_mark_is_dropped_only_at_the_start_of_the_stream() -> None:
    assert decoded([b"\xef\xbb\xbfdata: 1\n\n", b"\xef\xbb\xbfdata: 2\n\n"]) == [(None, b"1")]
    assert decoded([b"data: 1\n\n", b"\xef\xbb\xbfdata: 2\n\n"]) == [(None, b"1")]


def test_an_event_name_that_is_not_utf8_is_read_with_replacement_characters() -> None:
    assert decoded([b"event: err\xffor\ndata: x\n\n"]) == [("err\ufffdor", b"x")]


# The size of an event: its data values plus one byte per data line. A line still arriving
# counts with its field name.
@pytest.mark.parametrize(
    ("cap", "reads", "events"),
    [
        # At the cap, as the first event and after another one.
        (10, [b"data: " + b"x" * 9 + b"\n\n"], [(None, b"x" * 9)]),
        (10, [b"data: a\n\ndata: " + b"x" * 9 + b"\n\n"], [(None, b"a"), (None, b"x" * 9)]),
        # A `data` line without a colon counts one byte.
        (4, [b"data: ab\ndata\n\n"], [(None, b"ab\n")]),
        # A line still arriving, at the cap; then a line joined from two reads and the next.
        (10, [b"data: xxxx", b"\n\n"], [(None, b"xxxx")]),
        (10, [b"data: ab", b"\n", b"data: x", b"\n\n"], [(None, b"ab\nx")]),
    ],
)
def test_events_up_to_the_cap_are_read(
    cap: int, reads: list[bytes], events: list[tuple[str | None, bytes]]
) -> None:
    assert decoded(reads, cap) == events


@pytest.mark.parametrize(
    ("cap", "reads"),
    [
        (10, [b"data: " + b"x" * 10 + b"\n\n"]),
        (10, [b"data: a\n\ndata: " + b"x" * 10 + b"\n\n"]),
        (4, [b"data: abc\ndata\n\n"]),
        (10, [b"data: xxxxx"]),
        # The data already read and the line still arriving count together.
        (10, [b"data: abcd\n", b"data: xyzwv"]),
    ],
)
def test_an_event_past_the_cap_is_refused_as_soon_as_it_passes(
    cap: int, reads: list[bytes]
) -> None:
    decoder = SSEDecoder(cap)
    *before, last = reads
    for read in before:
        decoder.feed(read)
    with pytest.raises(ResponseTooLargeError) as caught:
        decoder.feed(last)
    assert str(caught.value) == (
        f"One stream event is larger than its cap of {cap} bytes (max_event_bytes); reading "
        "stopped there. Raise max_event_bytes if answers this large are expected."
    )


# -- the accumulator -------------------------------------------------------------------------


def test_the_end_of_a_stream_without_finish_reason_says_what_was_missing() -> None:
    with pytest.raises(IncompleteStreamError) as caught:
        read_all(fx.event(fx.chunk({"content": "Hel"})))
    assert str(caught.value) == (
        "The stream ended before the model finished (no finish_reason and no [DONE]); "
        "the answer would be truncated."
    )
    assert caught.value.partial_text == "Hel"
    with pytest.raises(IncompleteStreamError) as caught:
        read_all(fx.event(fx.chunk({"content": "Hel"})) + fx.event("[DONE]"))
    assert str(caught.value) == (
        "The stream ended before the model finished (no finish_reason); the answer would "
        "be truncated."
    )


def test_data_that_is_not_json_is_quoted_in_the_error() -> None:
    payload = "x" * 200
    with pytest.raises(InvalidResponseError) as caught:
        read_all(fx.event(payload))
    assert str(caught.value) == f"The stream carried data that is not JSON: {b'x' * 120!r}"
    assert caught.value.body is None
    with pytest.raises(InvalidResponseError) as caught:
        read_all(fx.event("[" * 100_000 + "]" * 100_000))
    assert str(caught.value) == "The stream carried JSON nested too deeply to read"


@pytest.mark.parametrize(
    ("data", "message", "body", "code"),
    [
        (
            fx.event({"error": {"message": "Overloaded", "code": 529}}, name="error"),
            "Overloaded",
            {"error": {"message": "Overloaded", "code": 529}},
            "529",
        ),
        # No message: the error object itself.
        (
            fx.event({"error": {"code": "server_error"}}),
            '{"code": "server_error"}',
            {"error": {"code": "server_error"}},
            "server_error",
        ),
        # No `error` wrapper after `event: error`: the object is the error.
        (fx.event({"message": "boom"}, name="error"), "boom", {"message": "boom"}, None),
        (fx.event('"boom"', name="error"), "boom", "boom", None),
        (fx.event("null", name="error"), "null", None, None),
        # Not JSON: the data as it came, undecodable bytes replaced.
        (b"event: error\ndata: upstream \xff exploded\n\n", "upstream \ufffd exploded", None, None),
    ],
    ids=["event error", "error object without message", "unwrapped", "string", "null", "text"],
)
def test_an_error_in_the_stream_says_what_the_provider_said(
    data: bytes, message: str, body: object, code: str | None
) -> None:
    with pytest.raises(StreamError) as caught:
        read_all(fx.event(fx.chunk({"content": "Hel"})) + data)
    error = caught.value
    told = f" (code: {code})" if code else ""
    assert str(error) == (
        f"The provider behind the gateway reported an error instead of an answer: {message}{told}"
    )
    assert (error.body, error.code) == (body, code)


def test_an_error_event_cut_at_the_end_of_the_stream_is_still_an_error() -> None:
    acc = StreamAccumulator()
    acc.feed(fx.event(fx.chunk({"content": "Hel"})))
    acc.feed(b'event: error\ndata: {"message": "cut"}')
    with pytest.raises(StreamError, match="cut"):
        acc.close()


def test_the_last_event_without_its_blank_line_is_read_at_close() -> None:
    acc = StreamAccumulator()
    assert [c.text for c in acc.feed(fx.event(fx.chunk({"content": "Hel"})))] == ["Hel"]
    acc.feed(fx.event(fx.chunk({"content": "lo"}, finish="stop"))[:-2])
    closed = acc.close()
    assert [(c.text, c.finish_reason) for c in closed] == [("lo", "stop")]


def test_an_error_key_beside_choices_is_not_an_error() -> None:
    acc, _ = read_all(fx.event(fx.chunk({"content": "Hi"}, finish="stop", error=None)))
    assert acc.text == "Hi"


def test_close_adds_only_the_usage_chunk() -> None:
    acc = StreamAccumulator()
    acc.feed(fx.openai_text_stream())
    closed = acc.close()
    assert len(closed) == 1 and closed[0].usage is not None and closed[0].usage.total_tokens == 19


def test_lone_surrogate_bytes_in_the_data_are_kept() -> None:
    # "\ud83d" written as UTF-8 bytes, as some servers do with a cut emoji.
    data = b'data: {"choices": [{"index": 0, "delta": {"content": "a\xed\xa0\xbd"}}]}\n\n'
    acc, _ = read_all(data + fx.event(fx.chunk({}, finish="stop")))
    assert acc.text == "a\ud83d"


@pytest.mark.parametrize(
    ("high", "low", "joined"),
    [("\ud800", "\udc00", "\U00010000"), ("\udbff", "\udfff", "\U0010ffff")],
    ids=["first pair", "last pair"],
)
def test_a_surrogate_pair_split_across_deltas_is_joined(high: str, low: str, joined: str) -> None:
    data = (
        # JSON escapes (json.dumps' default), as servers send a pair cut in two.
        fx.event(json.dumps(fx.chunk({"content": "a" + high})))
        + fx.event(json.dumps(fx.chunk({"content": low + "b"})))
        + fx.event(fx.chunk({}, finish="stop"))
    )
    acc, chunks = read_all(data)
    assert acc.text == "a" + joined + "b"
    assert [c.text for c in chunks if c.text] == ["a", joined + "b"]


def test_usage_only_in_x_groq_is_read() -> None:
    data = fx.event(fx.chunk({"content": "Hi"}, finish="stop", x_groq={"usage": fx.USAGE}))
    acc, chunks = read_all(data)
    assert acc.usage is not None and acc.usage.total_tokens == 19
    assert chunks[-1].usage == acc.usage


def test_chunks_seen_counts_the_json_events() -> None:
    acc, _ = read_all(fx.openai_text_stream())
    assert acc.chunks_seen == 5


def test_metadata_is_taken_once_from_the_first_event_carrying_each_field() -> None:
    events = [
        {"id": "a", "created": 1_760_000_001},
        {"choices": []},
        {"model": "m", "choices": []},
        {"system_fingerprint": "fp_1", "choices": []},
        {"service_tier": "flex", "choices": []},
        {"id": "b", "model": "n", "system_fingerprint": "fp_2", "service_tier": "default"},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    acc = StreamAccumulator()
    chunks = [c for e in events for c in acc.feed(fx.event(e))]
    assert chunks == [
        StreamChunk(id="a"),
        StreamChunk(model="m"),
        StreamChunk(system_fingerprint="fp_1"),
        StreamChunk(service_tier="flex"),
        StreamChunk(finish_reason="stop"),
    ]
    result = acc.result()
    assert (result.id, result.model, result.created) == ("a", "m", 1_760_000_001)
    assert (result.system_fingerprint, result.service_tier) == ("fp_1", "flex")


def n2_event(*choices: dict[str, Any], **meta: Any) -> bytes:
    return fx.event({**meta, "choices": list(choices)})


def test_with_several_choices_only_choice_zero_is_the_answer() -> None:
    acc = StreamAccumulator()
    first = acc.feed(n2_event({"index": 1, "delta": {"content": "B"}}, id="c", model="m"))
    assert first == [StreamChunk(id="c", model="m")]
    assert acc.feed(n2_event({"index": 1, "delta": {"content": "B"}})) == []
    both = n2_event(
        {"index": 1, "delta": {"content": "b"}}, {"index": 0, "delta": {"content": "A"}}
    )
    assert [c.text for c in acc.feed(both)] == ["A"]
    no_index_first = n2_event({"delta": {"content": "a"}}, {"index": 1, "delta": {"content": "c"}})
    assert [c.text for c in acc.feed(no_index_first)] == ["a"]
    acc.feed(n2_event({"index": 0, "delta": {}, "finish_reason": "stop"}))
    acc.close()
    assert acc.text == "Aa"


def test_a_reasoning_field_that_is_not_text_is_ignored() -> None:
    data = fx.event(fx.chunk({"content": "Hi", "reasoning": {"summary": "x"}}, finish="stop"))
    acc, chunks = read_all(data)
    assert acc.result().reasoning is None and [c.reasoning for c in chunks] == [""]


def index_less(*calls: dict[str, Any]) -> bytes:
    return fx.event(fx.chunk({"tool_calls": list(calls)}))


def test_tool_calls_without_index_are_matched_by_id() -> None:
    """Some servers omit the index: a new id opens a call, a known id continues its call,
    a piece without id continues the last call."""
    data = (
        index_less({"id": "call_a", "function": {"name": "get_weather", "arguments": ""}})
        + index_less({"function": {"arguments": '{"city":'}})
        + index_less({"id": "call_b", "function": {"name": "get_time", "arguments": '{"tz":'}})
        + index_less({"function": {"arguments": ' "CET"}'}})
        + index_less({"id": "call_a", "function": {"arguments": ' "Paris"}'}})
        + fx.event(fx.chunk({}, finish="tool_calls"))
    )
    acc, chunks = read_all(data)
    deltas = [d for c in chunks for d in c.tool_calls or []]
    assert [(d.index, d.id, d.name) for d in deltas] == [
        (0, "call_a", "get_weather"),
        (0, None, None),
        (1, "call_b", "get_time"),
        (1, None, None),
        (0, None, None),
    ]
    assert [(c.index, c.id, c.name, c.arguments) for c in acc.result().tool_calls] == [
        (0, "call_a", "get_weather", '{"city": "Paris"}'),
        (1, "call_b", "get_time", '{"tz": "CET"}'),
    ]


def test_an_index_less_call_without_id_is_call_zero() -> None:
    data = index_less({"function": {"name": "f", "arguments": "{}"}}) + fx.event(
        fx.chunk({}, finish="tool_calls")
    )
    acc, _ = read_all(data)
    assert [(c.index, c.name) for c in acc.result().tool_calls] == [(0, "f")]


def test_text_beside_tool_calls_is_kept() -> None:
    call = {"index": 0, "id": "c1", "function": {"name": "f", "arguments": "{}"}}
    data = fx.event(
        fx.chunk({"content": "Let me check.", "tool_calls": [call]}, finish="tool_calls")
    )
    acc, _ = read_all(data)
    assert acc.result().content == "Let me check."


def test_the_result_has_everything_the_stream_carried() -> None:
    data = fx.event(fx.chunk({"content": "Hi"}, service_tier="flex")) + fx.event(
        fx.chunk({}, finish="stop", usage=fx.USAGE)
    )
    acc, _ = read_all(data)
    result = acc.result()
    assert (result.id, result.model, result.created) == (
        "chatcmpl-fixture",
        "openai/gpt-5.4-mini",
        1_760_000_000,
    )
    assert (result.service_tier, result.usage) == ("flex", acc.usage)
    assert result.usage is not None and result.usage.total_tokens == 19
    assert result.tool_calls == []


# -- a whole answer from a server that ignored stream: true -----------------------------------


def whole_answer(**fields: Any) -> ChatResult:
    values: dict[str, Any] = {
        "id": "chatcmpl-1",
        "model": "m",
        "content": "Hi",
        "reasoning": "Think.",
        "refusal": None,
        "tool_calls": [ToolCall(id="c1", name="f", arguments="{}", index=0)],
        "finish_reason": "tool_calls",
        "usage": Usage.from_json(fx.USAGE),
        "logprobs": [{"token": "Hi", "logprob": -0.1}],
        "system_fingerprint": "fp",
        "service_tier": "flex",
        "created": 1_760_000_000,
    }
    return ChatResult(**{**values, **fields})


def test_a_whole_answer_is_held_like_a_streamed_one() -> None:
    result = whole_answer()
    acc = StreamAccumulator()
    chunks = acc.take_result(result)
    assert chunks == [
        StreamChunk(
            text="Hi",
            reasoning="Think.",
            tool_calls=[ToolCallDelta(index=0, id="c1", name="f", arguments="{}")],
            logprobs=[{"token": "Hi", "logprob": -0.1}],
            finish_reason="tool_calls",
            id="chatcmpl-1",
            model="m",
            system_fingerprint="fp",
            service_tier="flex",
        ),
        StreamChunk(usage=result.usage),
    ]
    assert acc.done and acc.close() == [StreamChunk(usage=result.usage)]
    held = acc.result()
    assert (held.content, held.reasoning, held.tool_calls, held.finish_reason) == (
        "Hi",
        "Think.",
        result.tool_calls,
        "tool_calls",
    )
    assert (held.usage, held.logprobs, held.created) == (
        result.usage,
        result.logprobs,
        1_760_000_000,
    )


def test_a_whole_answer_without_finish_reason_or_usage_is_a_finished_one() -> None:
    acc = StreamAccumulator()
    chunks = acc.take_result(
        whole_answer(
            content=None,
            reasoning=None,
            refusal="No.",
            tool_calls=[],
            finish_reason=None,
            usage=None,
        )
    )
    assert chunks == [
        StreamChunk(
            refusal="No.",
            logprobs=[{"token": "Hi", "logprob": -0.1}],
            finish_reason="stop",
            id="chatcmpl-1",
            model="m",
            system_fingerprint="fp",
            service_tier="flex",
        )
    ]
    assert acc.result().finish_reason == "stop" and acc.result().refusal == "No."
    assert acc.close() == []


# -- the stream objects -----------------------------------------------------------------------


def test_a_chat_stream_shows_its_source_and_closes_its_chunks() -> None:
    closed: list[str] = []

    def chunks() -> Iterator[StreamChunk]:
        try:
            yield StreamChunk(text="a")
            yield StreamChunk(text="b")
        finally:
            closed.append("closed")

    source = StreamSource()
    stream = ChatStream(source).attach(chunks())
    assert stream.source is source and stream.answer is source.answer
    assert stream.requested_model is None
    assert next(stream).text == "a"
    stream.close()
    assert closed == ["closed"]
    plain = ChatStream().attach(iter([StreamChunk(text="x")]))
    plain.close()  # an iterator without close(): nothing to release
    assert [c.text for c in plain] == ["x"]


async def test_an_async_chat_stream_yields_and_closes_its_chunks() -> None:
    closed: list[str] = []

    async def chunks() -> AsyncIterator[StreamChunk]:
        try:
            yield StreamChunk(text="a")
            yield StreamChunk(text="b")
        finally:
            closed.append("closed")

    source = StreamSource()
    stream = AsyncChatStream(source).attach(chunks())
    assert stream.source is source and stream.answer is source.answer
    assert (await stream.__anext__()).text == "a"
    await stream.aclose()
    assert closed == ["closed"]
    assert [c async for c in AsyncChatStream()] == []
    await AsyncChatStream().aclose()  # nothing attached: nothing to release


def test_odd_but_valid_shapes() -> None:
    data = (
        # A choice without delta; an empty tool_calls list; a refusal.
        fx.event({"choices": [{"index": 0, "finish_reason": None}]})
        + fx.event(fx.chunk({"tool_calls": [], "refusal": "I can't"}))
        # A reasoning piece ending in half a surrogate pair that never gets its other half.
        + fx.event(json.dumps(fx.chunk({"reasoning_content": "Hm\ud83d"}, finish="stop")))
        # [DONE] without its blank line.
        + b"data: [DONE]"
    )
    acc, chunks = read_all(data)
    assert acc.refusal == "I can't" and acc.done
    assert acc.result().reasoning == "Hm\ud83d"
    assert [c.reasoning for c in chunks if c.reasoning] == ["Hm", "\ud83d"]
    assert all(c.tool_calls is None for c in chunks)


def _call_fragment(call_id: str | None, name: str | None, arguments: str) -> bytes:
    """A tool-call fragment with no `index` (some servers omit it)."""
    call: dict[str, Any] = {"function": {"arguments": arguments}}
    if call_id:
        call["id"] = call_id
    if name:
        call["function"]["name"] = name
    return fx.event(fx.chunk({"tool_calls": [call]}))


@pytest.mark.parametrize("one_tool_call", [False, True])
def test_one_tool_call_keeps_the_first_whole_and_drops_the_rest_whole(one_tool_call: bool) -> None:
    """parallel_tool_calls=False: the second call is dropped, and its later fragments (no
    index, no id) never join the first call's arguments."""
    answer = StreamAccumulator(one_tool_call=one_tool_call)
    chunks = []
    for data in (
        _call_fragment("c1", "f", ""),
        _call_fragment(None, None, '{"x": 1}'),
        _call_fragment("c2", "g", ""),
        _call_fragment(None, None, '{"y": 2}'),
        fx.event(fx.chunk({}, finish="tool_calls")),
    ):
        chunks += answer.feed(data)
    chunks += answer.close()
    calls = [(call.id, call.name, call.arguments) for call in answer.tool_calls()]
    expected = [("c1", "f", '{"x": 1}'), ("c2", "g", '{"y": 2}')]
    assert calls == (expected[:1] if one_tool_call else expected)
    streamed = {delta.index for chunk in chunks for delta in chunk.tool_calls or []}
    assert streamed == ({0} if one_tool_call else {0, 1})
