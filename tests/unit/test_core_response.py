"""Reading non-streamed answers: reasoning fields, padding, tool calls, bad bodies."""

from __future__ import annotations

import json

import pytest

from skillboss_core import InvalidResponseError, StreamError
from skillboss_core.response import parse_completion_bytes


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
