"""Parameter validation: bad values fail before any request, with the range in the message."""

from __future__ import annotations

import re
from typing import Any

import pytest

from skillboss_core import ChatParams, InvalidParameterError
from skillboss_core.transport.gateway import encode_body

TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"temperature": 2.5}, r"temperature must be a number from 0 to 2, got 2\.5"),
        ({"temperature": -0.1}, r"temperature must be a number from 0 to 2"),
        ({"temperature": "hot"}, r"temperature must be a number from 0 to 2, got 'hot'"),
        ({"top_p": 1.5}, r"top_p must be a number from 0 to 1"),
        ({"frequency_penalty": 3}, r"frequency_penalty must be a number from -2 to 2"),
        ({"presence_penalty": -2.1}, r"presence_penalty must be a number from -2 to 2"),
        ({"top_logprobs": 21, "logprobs": True}, r"top_logprobs must be an integer from 0 to 20"),
        ({"top_logprobs": 3}, r"top_logprobs needs logprobs=True"),
        ({"max_tokens": 0}, r"max_tokens must be a positive integer"),
        ({"max_completion_tokens": 2.5}, r"max_completion_tokens must be a positive integer"),
        ({"stop": ["a", "b", "c", "d", "e"]}, r"stop accepts at most 4 strings, got 5"),
        ({"reasoning_effort": "extreme"}, r"reasoning_effort must be one of minimal, low"),
        ({"seed": "x"}, r"seed"),
        ({"frobnicate": 1}, r"unknown parameter 'frobnicate'.*extra_body"),
        ({"model": "  "}, r"model must be a non-empty model id"),
        (
            {"tools": [{"type": "function", "function": {"name": "bad name!"}}]},
            r"tools\[0\]\.function\.name",
        ),
        ({"tools": [{"name": "x"}]}, r"tools\[0\] must look like"),
        (
            {
                "tools": [
                    {
                        "type": "function",
                        "function": {"name": "f", "parameters": {"type": "string"}},
                    }
                ]
            },
            r"parameters must be a JSON schema of type 'object'",
        ),
        ({"tool_choice": "sometimes", "tools": [TOOL]}, r"tool_choice must be 'auto'"),
        ({"tool_choice": "required"}, r"needs at least one tool"),
        (
            {"tools": [TOOL], "tool_choice": {"type": "function", "function": {"name": "nope"}}},
            r"not among the tools",
        ),
    ],
)
def test_bad_values_raise_naming_the_parameter(values: dict[str, Any], expected: str) -> None:
    with pytest.raises(InvalidParameterError, match=expected):
        ChatParams.parse({"model": "openai/gpt-5.4-mini", **values})


def test_invalid_parameter_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        ChatParams.parse({"model": "m", "temperature": 9})


def test_body_drops_none_merges_extra_body_and_asks_for_stream_usage() -> None:
    params = ChatParams.parse(
        {
            "model": "m",
            "temperature": 0.2,
            "top_p": None,
            "stop": ["END"],
            "tools": [TOOL],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
            "extra_body": {"provider": {"sort": "price"}, "temperature": 0.3},
        }
    )
    body = params.to_body([{"role": "user", "content": "hi"}], stream=True)
    assert "top_p" not in body and "extra_body" not in body
    assert body["temperature"] == 0.3  # extra_body wins: it is the user's explicit override
    assert body["provider"] == {"sort": "price"}
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["messages"] == [{"role": "user", "content": "hi"}]
    plain = params.to_body([{"role": "user", "content": "hi"}], stream=False)
    assert "stream" not in plain and "stream_options" not in plain


def test_empty_message_list_is_rejected() -> None:
    with pytest.raises(InvalidParameterError, match="at least one message"):
        ChatParams.parse({"model": "m"}).to_body([], stream=False)


def test_body_that_is_not_json_serialisable_fails_clearly() -> None:
    body = ChatParams.parse({"model": "m"}).to_body(
        [{"role": "user", "content": object()}], stream=False
    )
    with pytest.raises(InvalidParameterError, match="JSON-serialisable"):
        encode_body(body)


def test_boundaries_are_accepted() -> None:
    params = ChatParams.parse(
        {
            "model": "m",
            "temperature": 2,
            "top_p": 0,
            "frequency_penalty": -2,
            "presence_penalty": 2,
            "top_logprobs": 20,
            "logprobs": True,
            "stop": "x",
            "reasoning_effort": "minimal",
            "max_tokens": 1,
            "seed": 7,
        }
    )
    assert params.temperature == 2.0 and params.top_logprobs == 20


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"model": "  "}, "model must be a non-empty model id, e.g. 'openai/gpt-5.4-mini'"),
        ({"top_logprobs": 3}, "top_logprobs needs logprobs=True"),
        (
            {"top_logprobs": 2.5, "logprobs": True},
            "top_logprobs must be an integer from 0 to 20, got 2.5",
        ),
        (
            {"reasoning_effort": "extreme"},
            "reasoning_effort must be one of minimal, low, medium, high; got 'extreme'",
        ),
        ({"tool_choice": "required"}, "tool_choice='required' needs at least one tool"),
        (
            {"tools": [TOOL], "tool_choice": {"type": "tool", "function": {"name": "get_weather"}}},
            "tool_choice dict must be {'type': 'function', 'function': {'name': ...}}, "
            "got {'type': 'tool', 'function': {'name': 'get_weather'}}",
        ),
    ],
)
def test_the_whole_message(values: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        ChatParams.parse({"model": "openai/gpt-5.4-mini", **values})
    assert str(caught.value) == message


def test_pydantics_complaints_name_the_place_and_are_joined() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        ChatParams.parse({"model": "m", "tools": ["x"]})
    assert re.fullmatch(r"tools\.0: .+ \(got 'x'\)", str(caught.value))
    with pytest.raises(InvalidParameterError) as caught:
        ChatParams.parse({"model": "m", "seed": "x", "user": 5})
    assert re.fullmatch(r"seed: .+ \(got 'x'\); user: .+ \(got 5\)", str(caught.value))


def test_empty_message_list_message() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        ChatParams.parse({"model": "m"}).to_body([], stream=False)
    assert str(caught.value) == "messages must hold at least one message"


@pytest.mark.parametrize(
    "tool",
    [
        {"type": "function", "function": "get_weather"},
        {"type": "tool", "function": {"name": "get_weather"}},
    ],
    ids=["function not an object", "type not function"],
)
def test_a_tool_needs_both_the_function_type_and_a_function_object(tool: dict[str, Any]) -> None:
    with pytest.raises(InvalidParameterError, match=r"tools\[0\] must look like"):
        ChatParams.parse({"model": "m", "tools": [tool]})


def test_accepted_shapes() -> None:
    # One stop string of any length; four stop strings.
    assert ChatParams.parse({"model": "m", "stop": "Observation:"}).stop == "Observation:"
    assert ChatParams.parse({"model": "m", "stop": ["a", "b", "c", "d"]}).stop == [
        "a",
        "b",
        "c",
        "d",
    ]
    # A parameters schema without "type" is an object schema.
    tool = {"type": "function", "function": {"name": "f", "parameters": {"properties": {}}}}
    assert ChatParams.parse({"model": "m", "tools": [tool]}).tools == [tool]
    # "auto" and "none" need no tools.
    for choice in ("auto", "none"):
        assert ChatParams.parse({"model": "m", "tool_choice": choice}).tool_choice == choice
