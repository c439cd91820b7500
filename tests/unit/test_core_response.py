"""Reading non-streamed answers: reasoning fields, padding, tool calls, bad bodies."""

from __future__ import annotations

import json
import logging

import pytest

from skillboss_core import (
    InvalidResponseError,
    StreamAccumulator,
    StreamError,
    ToolCall,
    Usage,
    results,
)
from skillboss_core.errors import ResponseTooLargeError, ToolArgumentsError
from skillboss_core.wire.decode import DEFAULT_MAX_BODY_BYTES, BodyBuffer, parse_completion_bytes


def completion(message: dict[str, object], **extra: object) -> dict[str, object]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", **message},
                "finish_reason": extra.pop("finish", "stop"),
                "logprobs": extra.pop("logprobs", None),
            }
        ],
        "usage": {
            "prompt_tokens": 5,
            "completion_tokens": 2,
            "total_tokens": 7,
            "completion_tokens_details": {"reasoning_tokens": 1},
        },
        **extra,
    }


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_is_read_from_either_field(field: str) -> None:
    body = json.dumps(completion({"content": "ok", field: "because"})).encode()
    result = parse_completion_bytes(body)
    assert result.reasoning == "because" and result.content == "ok"
    assert result.usage is not None and result.usage.reasoning_tokens == 1


def test_leading_keepalive_whitespace_is_tolerated() -> None:
    body = b"\n\n   \n" + json.dumps(completion({"content": "padded"})).encode()
    assert parse_completion_bytes(body).content == "padded"


def test_tool_calls_refusal_logprobs_and_metadata() -> None:
    calls = [
        {"id": "call_a", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}},
        {"id": "call_b", "type": "function", "function": {"name": "g", "arguments": ""}},
    ]
    lp = {"content": [{"token": "a", "logprob": -0.5, "top_logprobs": []}]}
    body = completion(
        {"content": None, "tool_calls": calls, "refusal": None},
        finish="tool_calls",
        logprobs=lp,
        system_fingerprint="fp",
        service_tier="default",
    )
    result = parse_completion_bytes(json.dumps(body).encode())
    assert [(c.id, c.name, c.index) for c in result.tool_calls] == [
        ("call_a", "f", 0),
        ("call_b", "g", 1),
    ]
    assert result.tool_calls[0].parsed_arguments() == {"x": 1}
    assert result.tool_calls[1].parsed_arguments() == {}
    assert result.logprobs == lp["content"]
    assert (result.system_fingerprint, result.service_tier) == ("fp", "default")
    refused = parse_completion_bytes(
        json.dumps(completion({"content": None, "refusal": "No."})).encode()
    )
    assert refused.refusal == "No."


def test_non_json_body_is_a_clear_error() -> None:
    with pytest.raises(InvalidResponseError, match=r"not JSON.*<html>"):
        parse_completion_bytes(b"<html>Bad gateway</html>")


def test_missing_choices_and_error_objects() -> None:
    with pytest.raises(InvalidResponseError, match="without any choices"):
        parse_completion_bytes(b'{"id": "x", "choices": []}')
    with pytest.raises(StreamError, match="quota gone"):
        parse_completion_bytes(b'{"error": {"message": "quota gone"}}')


# -- malformed bodies are typed errors ---------------------------------------------------------


def body_with(choices: object) -> bytes:
    return json.dumps({"id": "x", "model": "m", "choices": choices}).encode()


def choice_with(message: object, **extra: object) -> bytes:
    return body_with([{"index": 0, "message": message, "finish_reason": "stop", **extra}])


@pytest.mark.parametrize(
    "body",
    [
        choice_with(None),
        body_with([{"index": 0, "finish_reason": "stop"}]),
    ],
    ids=["message-null", "message-missing"],
)
def test_an_answer_without_a_message_is_not_an_empty_answer(body: bytes) -> None:
    with pytest.raises(InvalidResponseError, match="without a message"):
        parse_completion_bytes(body)


def test_the_first_choice_is_the_one_with_index_0_on_both_paths() -> None:
    """n > 1 answers may list their choices in any order: a body reads the choice with index
    0, as a stream does, never whichever came first."""
    body = body_with(
        [
            {"index": 1, "message": {"content": "second"}, "finish_reason": "stop"},
            {"index": 0, "message": {"content": "first"}, "finish_reason": "stop"},
        ]
    )
    assert parse_completion_bytes(body).content == "first"
    accumulator = StreamAccumulator()
    events = [
        {"choices": [{"index": 1, "delta": {"content": "second"}}]},
        {"choices": [{"index": 0, "delta": {"content": "first"}, "finish_reason": "stop"}]},
    ]
    for event in events:
        accumulator.feed(b"data: " + json.dumps(event).encode() + b"\n\n")
    accumulator.close()
    assert accumulator.result().content == "first"
    with pytest.raises(InvalidResponseError, match="no choice with index 0"):
        parse_completion_bytes(body_with([{"index": 2, "message": {"content": "x"}}]))


MALFORMED_BODIES = {
    "choices-object": body_with({"0": {"message": {"content": "x"}}}),
    "choices-string": body_with("abc"),
    "choices-numbers": body_with([1, 2]),
    "message-string": choice_with("hello"),
    "message-list": choice_with(["hello"]),
    "content-number": choice_with({"content": 5}),
    "content-object": choice_with({"content": {"a": 1}}),
    "content-bad-parts": choice_with({"content": [1]}),
    "refusal-number": choice_with({"content": None, "refusal": 5}),
    "tool-calls-object": choice_with({"tool_calls": {"a": 1}}),
    "tool-call-string": choice_with({"tool_calls": ["x"]}),
    "tool-function-string": choice_with({"tool_calls": [{"id": "c", "function": "f"}]}),
    "tool-name-number": choice_with({"tool_calls": [{"id": "c", "function": {"name": 5}}]}),
    "tool-arguments-number": choice_with(
        {"tool_calls": [{"id": "c", "function": {"name": "f", "arguments": 5}}]}
    ),
    "finish-number": choice_with({"content": "x"}, finish_reason=5),
    "logprobs-content-string": choice_with({"content": "x"}, logprobs={"content": "abc"}),
}


@pytest.mark.parametrize("body", MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
def test_malformed_body_is_a_typed_error(body: bytes) -> None:
    with pytest.raises(InvalidResponseError, match="malformed"):
        parse_completion_bytes(body)


def test_deeply_nested_body_is_a_typed_error() -> None:
    with pytest.raises(InvalidResponseError, match="nested too deeply"):
        parse_completion_bytes(b"[" * 100_000 + b"]" * 100_000)


def test_content_parts_are_joined_in_a_body() -> None:
    parts = [{"type": "text", "text": "Hel"}, {"type": "image_url"}, {"type": "text", "text": "lo"}]
    assert parse_completion_bytes(choice_with({"content": parts})).content == "Hello"


def test_lone_surrogate_in_a_body_passes_through() -> None:
    body = b'{"choices": [{"message": {"content": "a\\ud800b"}, "finish_reason": "stop"}]}'
    assert parse_completion_bytes(body).content == "a\ud800b"


def test_non_string_metadata_in_a_body_is_dropped() -> None:
    body = json.dumps(
        {"id": 5, "model": {}, "created": "x", "choices": [{"message": {"content": "ok"}}]}
    ).encode()
    result = parse_completion_bytes(body)
    assert (result.id, result.model, result.created, result.content) == (None, None, None, "ok")


def test_tool_arguments_deeply_nested_are_a_tool_arguments_error() -> None:
    call = ToolCall(id="c", name="f", arguments="[" * 100_000 + "]" * 100_000)
    with pytest.raises(ToolArgumentsError):
        call.parsed_arguments()
    with pytest.raises(ToolArgumentsError):
        call.arguments_object()
    assert issubclass(ToolArgumentsError, ValueError)


# -- the body size cap -------------------------------------------------------------------------


def test_default_body_cap_is_64_mib() -> None:
    assert DEFAULT_MAX_BODY_BYTES == 64 * 1024 * 1024


def test_body_buffer_collects_and_refuses_past_its_cap() -> None:
    buffer = BodyBuffer(max_bytes=10)
    buffer.add(b"12345")
    buffer.add(b"67890")
    assert buffer.bytes() == b"1234567890"
    with pytest.raises(ResponseTooLargeError, match=r"10 bytes.*max_body_bytes"):
        buffer.add(b"x")


def test_body_buffer_refuses_a_declared_length_past_its_cap_before_reading() -> None:
    BodyBuffer(max_bytes=10).expect("10")
    BodyBuffer(max_bytes=10).expect(None)
    BodyBuffer(max_bytes=10).expect("not a number")  # the read itself is still capped
    with pytest.raises(ResponseTooLargeError):
        BodyBuffer(max_bytes=10).expect("11")


# -- usage figures never cost the answer -------------------------------------------------------


def usage_of(text: str) -> Usage:
    return Usage.from_json(json.loads(text))


@pytest.mark.parametrize(
    ("figure", "expected"),
    [
        ("NaN", 0),
        ("Infinity", 0),
        ("-Infinity", 0),
        ("-5", 0),
        ('"5"', 5),
        ("5.0", 5),
        ("5.5", 0),
        ("true", 0),
        ('{"a": [1]}', 0),
        ("[5]", 0),
        ('"5 tokens"', 0),
        ('"' + "9" * 5000 + '"', 0),
        ("null", 0),
    ],
)
def test_bad_usage_figures_are_coerced_or_dropped(figure: str, expected: int) -> None:
    usage = usage_of(f'{{"prompt_tokens": {figure}, "completion_tokens": 3}}')
    assert usage.prompt_tokens == expected
    assert type(usage.prompt_tokens) is int and type(usage.total_tokens) is int
    assert usage.total_tokens == expected + 3


def test_total_is_computed_from_whole_numbers_only() -> None:
    usage = usage_of('{"prompt_tokens": "5", "completion_tokens": "3"}')
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (5, 3, 8)
    usage = usage_of('{"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": NaN}')
    assert usage.total_tokens == 8


def test_bad_detail_figures_become_none_and_raw_is_kept() -> None:
    text = (
        '{"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3,'
        ' "prompt_tokens_details": {"cached_tokens": NaN},'
        ' "completion_tokens_details": ["x"]}'
    )
    usage = usage_of(text)
    assert (usage.cached_tokens, usage.reasoning_tokens) == (None, None)
    assert usage.raw["completion_tokens_details"] == ["x"]
    usage = usage_of('{"prompt_tokens_details": "x", "prompt_cache_hit_tokens": "4"}')
    assert usage.cached_tokens == 4


def test_a_bad_usage_figure_is_logged_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(results, "_warned_about_usage", False)
    with caplog.at_level(logging.WARNING, logger="skillboss_core"):
        usage_of('{"prompt_tokens": "5"}')
        usage_of('{"prompt_tokens": NaN}')
        usage_of('{"prompt_tokens": 5}')
    warnings = [r for r in caplog.records if "usage" in r.getMessage()]
    assert len(warnings) == 1 and "prompt_tokens" in warnings[0].getMessage()


def test_good_usage_figures_are_not_logged(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(results, "_warned_about_usage", False)
    with caplog.at_level(logging.WARNING, logger="skillboss_core"):
        usage_of('{"prompt_tokens": 5, "completion_tokens": null}')
    assert not caplog.records


# One message / delta per case: the body and a one-event stream must read it alike.
SAME_ON_BOTH_PATHS = {
    "text": ({"content": "hi"}, {}),
    "text-parts": ({"content": [{"type": "text", "text": "h"}, {"type": "text", "text": "i"}]}, {}),
    "reasoning": ({"content": "a", "reasoning": "think"}, {}),
    "refusal": ({"content": None, "refusal": "no"}, {}),
    "tool-call": (
        {"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "f", "arguments": "{}"}}]},
        {"finish_reason": "tool_calls"},
    ),
    "object-arguments": (
        {"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "f", "arguments": {}}}]},
        {},
    ),
    "logprobs": ({"content": "a"}, {"logprobs": {"content": [{"token": "a", "logprob": -1}]}}),
    "length": ({"content": "a"}, {"finish_reason": "length"}),
}


@pytest.mark.parametrize(
    ("message", "choice"), SAME_ON_BOTH_PATHS.values(), ids=SAME_ON_BOTH_PATHS.keys()
)
@pytest.mark.parametrize("usage_at", ["usage", "x_groq"])
def test_a_body_and_a_stream_read_every_field_alike(
    message: dict[str, object], choice: dict[str, object], usage_at: str
) -> None:
    """One decoder for both paths: the same fields give the same answer, usage included
    (Groq puts it under `x_groq`)."""
    usage = {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
    placed = {"usage": usage} if usage_at == "usage" else {"x_groq": {"usage": usage}}
    finish = {"finish_reason": "stop", **choice}
    body = {"choices": [{"index": 0, "message": message, **finish}], **placed}
    event = {"choices": [{"index": 0, "delta": message, **finish}], **placed}
    whole = parse_completion_bytes(json.dumps(body).encode())
    accumulator = StreamAccumulator()
    accumulator.feed(b"data: " + json.dumps(event).encode() + b"\n\n")
    accumulator.close()
    streamed = accumulator.result()
    fields = ("content", "reasoning", "refusal", "tool_calls", "finish_reason", "logprobs")
    assert {name: getattr(streamed, name) for name in fields} == {
        name: getattr(whole, name) for name in fields
    }
    assert whole.usage is not None and streamed.usage is not None
    assert whole.usage.total_tokens == streamed.usage.total_tokens == 4
