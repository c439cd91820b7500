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
from skillboss_core.wire.decode import (
    DEFAULT_MAX_BODY_BYTES,
    BodyBuffer,
    finish_reason_in,
    parse_completion_bytes,
    reported_error,
)


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
    """Named as a body, not a stream event: the message says where to look."""
    with pytest.raises(InvalidResponseError) as caught:
        parse_completion_bytes(body)
    assert str(caught.value).startswith("The gateway answered with a malformed chat completion: ")


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


TOO_LARGE = (
    "The gateway's answer is larger than its cap of 10 bytes (max_body_bytes); reading "
    "stopped there. Raise max_body_bytes if answers this large are expected."
)


def test_body_buffer_collects_and_refuses_past_its_cap() -> None:
    buffer = BodyBuffer(max_bytes=10)
    buffer.add(b"12345")
    buffer.add(b"67890")
    assert buffer.bytes() == b"1234567890"
    with pytest.raises(ResponseTooLargeError) as caught:
        buffer.add(b"x")
    assert str(caught.value) == TOO_LARGE


def test_body_buffer_refuses_a_declared_length_past_its_cap_before_reading() -> None:
    BodyBuffer(max_bytes=10).expect("10")
    BodyBuffer(max_bytes=10).expect(None)
    BodyBuffer(max_bytes=10).expect("not a number")  # the read itself is still capped
    with pytest.raises(ResponseTooLargeError) as caught:
        BodyBuffer(max_bytes=10).expect("11")
    assert str(caught.value) == TOO_LARGE


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


# -- every message of the body path, word for word ---------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[1]", "The gateway answered 200 with JSON that is not an object"),
        (
            b"[" * 100_000 + b"]" * 100_000,
            "The gateway answered 200 with JSON nested too deeply to read",
        ),
        (b'{"choices": []}', "The gateway answered without any choices"),
        (
            b'{"choices": [{"index": 0}]}',
            "The gateway answered without a message (`choices[0].message` is missing or null)",
        ),
        (
            b'{"choices": [{"index": 0, "message": 1}]}',
            "The gateway answered with a malformed chat completion: `message` is not an object.",
        ),
        (
            b'{"choices": [{"index": 1, "message": {}}]}',
            "The gateway answered with a malformed chat completion: no choice with index 0.",
        ),
    ],
    ids=[
        "not-an-object",
        "too-deep",
        "no-choices",
        "no-message",
        "message-not-object",
        "no-index-0",
    ],
)
def test_each_bad_body_says_what_is_wrong(body: bytes, message: str) -> None:
    with pytest.raises(InvalidResponseError) as caught:
        parse_completion_bytes(body)
    assert str(caught.value) == message


def test_a_body_that_is_not_json_is_quoted_up_to_120_characters() -> None:
    """Undecodable bytes are replaced, never an error of their own."""
    body = b"\xff" + b"x" * 200
    with pytest.raises(InvalidResponseError) as caught:
        parse_completion_bytes(body)
    quoted = ("\ufffd" + "x" * 200)[:120]
    assert str(caught.value) == f"The gateway answered 200 with a body that is not JSON: {quoted!r}"


def test_an_answer_with_an_error_field_and_choices_is_an_answer() -> None:
    """Some providers send `error` beside real choices: the choices win."""
    body = {"error": {"message": "ignored"}, "choices": [{"message": {"content": "ok"}}]}
    assert parse_completion_bytes(json.dumps(body).encode()).content == "ok"


def test_the_body_keeps_its_metadata_and_its_raw_object() -> None:
    body = {
        "id": "chatcmpl-7",
        "model": "openai/gpt-5.4-mini",
        "created": 1700000000,
        "choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}],
    }
    result = parse_completion_bytes(json.dumps(body).encode())
    assert (result.id, result.model, result.created) == (
        "chatcmpl-7",
        "openai/gpt-5.4-mini",
        1700000000,
    )
    assert result.raw == body


@pytest.mark.parametrize(
    ("arguments", "text"),
    [(None, ""), ({"city": "Zürich"}, '{"city": "Zürich"}'), ('{"a": 1}', '{"a": 1}')],
    ids=["missing", "object-non-ascii", "text"],
)
def test_tool_call_arguments_are_json_text(arguments: object, text: str) -> None:
    call: dict[str, object] = {"id": "c1", "function": {"name": "f", "arguments": arguments}}
    [parsed] = parse_completion_bytes(choice_with({"tool_calls": [call]})).tool_calls
    assert parsed.arguments == text


def test_a_tool_call_without_a_name_or_id_gets_an_empty_name_and_an_id() -> None:
    [parsed] = parse_completion_bytes(choice_with({"tool_calls": [{"function": {}}]})).tool_calls
    assert (parsed.name, parsed.arguments, parsed.index) == ("", "", 0)
    assert parsed.id


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (
            {
                "choices": [
                    {"index": 1, "finish_reason": "stop"},
                    {"index": 0, "finish_reason": "length"},
                ]
            },
            "length",
        ),
        ({"choices": [{"finish_reason": "tool_calls"}]}, "tool_calls"),
        ({"choices": [{"index": 0, "finish_reason": ""}]}, None),
        ({"choices": [{"index": 0, "finish_reason": 5}]}, None),
        ({"choices": []}, None),
        ({"choices": "x"}, None),
        ({}, None),
        (None, None),
        ("text", None),
    ],
)
def test_finish_reason_in_reads_a_handed_out_body_without_failing(
    raw: object, reason: str | None
) -> None:
    assert finish_reason_in(raw) == reason


def test_an_error_without_words_is_reported_with_the_raw_bytes() -> None:
    assert str(reported_error(None)) == (
        "The provider behind the gateway reported an error instead of an answer: "
    )
    assert str(reported_error(None, b"boom")).endswith(": boom")


def test_a_non_integer_call_index_is_no_index() -> None:
    """A fragment whose `index` is not a number is matched by its id, as one without."""
    answer = StreamAccumulator()
    for data in (
        {
            "choices": [
                {
                    "delta": {
                        "tool_calls": [
                            {"index": "0", "id": "c1", "function": {"name": "f", "arguments": "{"}}
                        ]
                    }
                }
            ]
        },
        {
            "choices": [
                {
                    "delta": {
                        "tool_calls": [{"index": "0", "id": "c1", "function": {"arguments": "}"}}]
                    },
                    "finish_reason": "tool_calls",
                }
            ]
        },
    ):
        answer.feed(b"data: " + json.dumps(data).encode() + b"\n\n")
    answer.close()
    assert [(call.index, call.arguments) for call in answer.tool_calls()] == [(0, "{}")]


def test_one_tool_call_holds_for_a_stream_answered_with_a_body() -> None:
    calls = [ToolCall(id=f"c{n}", name="f", arguments="{}", index=n) for n in range(3)]
    result = results.ChatResult(
        id="x", model="m", content=None, tool_calls=calls, finish_reason="tool_calls"
    )
    answer = StreamAccumulator(one_tool_call=True)
    answer.take_result(result)
    assert [call.id for call in answer.tool_calls()] == ["c0"]
