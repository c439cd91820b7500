"""Replay matches a request on what it asks (tests/support/cassettes.asked): strict enough that
a recording never answers a different question, loose enough that re-spelling a body does not
force a re-record."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.cassettes import asked

BASE: dict[str, Any] = {
    "model": "openai/gpt-5.4-mini",
    "stream": True,
    "stream_options": {"include_usage": True},
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "What is in this picture?"}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_abc",
                    "type": "function",
                    "function": {"name": "look", "arguments": '{"zoom": 2}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_abc", "content": "a cat"},
    ],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "look",
                "description": "Look closer.",
                "parameters": {"type": "object", "properties": {"zoom": {"type": "integer"}}},
            },
        }
    ],
    "tool_choice": "auto",
    "stop": ["END"],
}


@dataclass
class Request:
    body: bytes


def request(body: dict[str, Any], **json_options: Any) -> Request:
    return Request(json.dumps(body, **json_options).encode())


def changed(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node: Any = body
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is None and isinstance(node, dict):
        node.pop(last)
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("messages.2.tool_calls.0.id", "call_other"),  # ids are random in some suites
        ("messages.3.tool_call_id", "call_other"),
        ("tools.0.function.description", "  Look\n    closer.  "),  # docstring indentation
        ("tools.0.function.parameters.properties.zoom", {"type": "number", "minimum": 1}),
        ("messages.1.content.0.text", "What is in   this picture?"),  # whitespace
        ("temperature", 0.3),  # an option that does not change the answer's shape
    ],
)
def test_re_spelling_a_body_still_matches(path: str, value: Any) -> None:
    assert asked(request(changed(path, value))) == asked(request(BASE))


def test_key_order_and_spacing_do_not_matter() -> None:
    assert asked(request(BASE, sort_keys=True, indent=2)) == asked(request(BASE))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("model", "openai/gpt-5.4"),
        ("stream", False),
        ("stream_options.include_usage", False),
        ("messages.1.content.0.text", "What is in that picture?"),
        ("messages.1.content", [{"type": "image_url", "image_url": {"url": "data:x"}}]),
        ("messages.1.name", "ada"),
        ("messages.2.tool_calls.0.function.arguments", '{"zoom": 3}'),
        ("messages.2.tool_calls.0.function.name", "peek"),
        ("messages.3.content", "a dog"),
        ("tools.0.function.name", "peek"),
        ("tools.0.function.parameters.properties", {"level": {"type": "integer"}}),
        ("tool_choice", "required"),
        ("stop", None),
        ("n", 2),
        ("logprobs", True),
        ("max_tokens", 5),
        ("response_format", {"type": "json_schema", "json_schema": {"name": "Joke"}}),
    ],
)
def test_a_different_question_does_not_match(path: str, value: Any) -> None:
    assert asked(request(changed(path, value))) != asked(request(BASE))


def test_two_images_differ_by_what_they_carry() -> None:
    def image(url: str) -> dict[str, Any]:
        return changed("messages.1.content", [{"type": "image_url", "image_url": {"url": url}}])

    assert asked(request(image("data:a"))) != asked(request(image("data:b")))


def test_bodies_that_are_not_json_match_as_text() -> None:
    assert asked(Request(b"not json")) == "not json"
    assert asked(Request(b"")) is None


# ---- embeddings requests --------------------------------------------------------------------

EMBEDDINGS: dict[str, Any] = {
    "model": "openai/text-embedding-3-small",
    "input": ["Paris is in France.", "Rome is in Italy."],
    "encoding_format": "base64",
}


def embeddings(**changes: Any) -> dict[str, Any]:
    body = {**EMBEDDINGS, **changes}
    return {key: value for key, value in body.items() if value is not None}


@pytest.mark.parametrize(
    ("body", "same_as"),
    [
        (embeddings(user="someone"), EMBEDDINGS),  # who asks does not change a vector
        (embeddings(input="Paris is in France."), embeddings(input=["Paris is in France."])),
        (embeddings(encoding_format=None), embeddings(encoding_format="float")),  # the default
    ],
    ids=["user", "one-string-is-a-list-of-one", "float-is-the-default"],
)
def test_an_embeddings_request_spelled_differently_still_matches(
    body: dict[str, Any], same_as: dict[str, Any]
) -> None:
    assert asked(request(body)) == asked(request(same_as))


def test_embeddings_key_order_and_spacing_do_not_matter() -> None:
    assert asked(request(EMBEDDINGS, sort_keys=True, indent=2)) == asked(request(EMBEDDINGS))


@pytest.mark.parametrize(
    "body",
    [
        embeddings(model="openai/text-embedding-3-large"),
        embeddings(input=["Paris is in France."]),  # fewer texts
        embeddings(input=["Rome is in Italy.", "Paris is in France."]),  # another order
        embeddings(input=["Paris is in France!", "Rome is in Italy."]),  # another text
        embeddings(input=["Paris  is in France.", "Rome is in Italy."]),  # the exact text
        embeddings(dimensions=256),
        embeddings(encoding_format="float"),  # a base64 answer would not decode as floats
    ],
    ids=["model", "fewer", "order", "text", "spacing", "dimensions", "encoding"],
)
def test_a_different_embeddings_request_does_not_match(body: dict[str, Any]) -> None:
    assert asked(request(body)) != asked(request(EMBEDDINGS))


def test_what_an_embeddings_request_asks() -> None:
    assert asked(request(embeddings(dimensions=256))) == {
        "model": "openai/text-embedding-3-small",
        "input": ["Paris is in France.", "Rome is in Italy."],
        "dimensions": 256,
        "encoding_format": "base64",
    }


def test_an_embeddings_request_never_matches_a_chat_request() -> None:
    chat = {"model": EMBEDDINGS["model"], "messages": [{"role": "user", "content": "Paris"}]}
    assert asked(request(embeddings(input="Paris"))) != asked(request(chat))
