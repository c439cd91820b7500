"""with_structured_output and ChatOpenAI's `response_format=Model` shortcut over HTTP: what
each method sends, and the objects or dicts that come back (pydantic, TypedDict, JSON schema;
with and without include_raw).

What the runnables bind is unit-tested in tests/unit/test_langchain_structured_output.py;
how cut, filtered, refused or unparseable answers end is in tests/faults/test_answer_end.py.
"""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from langchain_core.messages import AIMessage
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from langchain_skillboss import ChatSkillBoss
from tests.integration.langchain_streams import aggregate
from tests.support.scripted_gateway import Reply, ScriptedGateway, ToolCall

MODEL = "openai/gpt-5.4-mini"
PROMPT = "Alice is 31 years old. Extract the person."
ALICE = {"name": "Alice", "age": 31}


def llm(server: ScriptedGateway) -> ChatSkillBoss:
    return ChatSkillBoss(model=MODEL, base_url=server.base_url, max_retries=0)


def alice_as(method: str, tool_name: str = "Person") -> Reply:
    """The scripted model's answer under `method`: a forced tool call, or JSON text."""
    if method == "function_calling":
        return Reply(tool_calls=[ToolCall(tool_name, ALICE)])
    return Reply('{"name": "Alice", "age": 31}')


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str = Field(description="The person's name")
    age: int = Field(description="The person's age in years")


class PersonDict(TypedDict):
    """A person mentioned in the text."""

    name: Annotated[str, ..., "The person's name"]
    age: Annotated[int, ..., "The person's age in years"]


PERSON_SCHEMA = {
    "title": "Person",
    "description": "A person mentioned in the text.",
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
def test_structured_output_methods(gateway_server: ScriptedGateway, method: str) -> None:
    gateway_server.queue(alice_as(method))
    structured = llm(gateway_server).with_structured_output(Person, method=method)  # type: ignore[arg-type]
    assert structured.invoke(PROMPT) == Person(name="Alice", age=31)
    body = gateway_server.requests[0].json
    if method == "function_calling":
        assert body["tool_choice"] == {"type": "function", "function": {"name": "Person"}}
        assert "response_format" not in body
    else:
        assert body["response_format"]["type"] == (
            "json_object" if method == "json_mode" else "json_schema"
        )


@pytest.mark.parametrize("include_raw", [False, True], ids=["parsed", "raw"])
@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
@pytest.mark.parametrize("schema", [PersonDict, PERSON_SCHEMA], ids=["typeddict", "json-schema"])
def test_structured_output_dict_schemas(
    gateway_server: ScriptedGateway, schema: Any, method: str, include_raw: bool
) -> None:
    """TypedDict and JSON schema give dicts under every method, with or without raw."""
    name = "PersonDict" if schema is PersonDict else "Person"
    gateway_server.queue(alice_as(method, tool_name=name))
    structured = llm(gateway_server).with_structured_output(
        schema,
        method=method,  # type: ignore[arg-type]
        include_raw=include_raw,
    )
    out = structured.invoke(PROMPT)
    if include_raw:
        assert isinstance(out, dict) and out["parsing_error"] is None
        assert isinstance(out["raw"], AIMessage)
        out = out["parsed"]
    assert out == ALICE
    body = gateway_server.requests[0].json
    if method == "function_calling":
        assert body["tools"][0]["function"]["name"] == name
        assert body["parallel_tool_calls"] is False
    elif method == "json_schema":
        assert body["response_format"]["json_schema"]["schema"]["required"] == ["name", "age"]


def test_response_format_class_is_parsed_like_chat_openai(gateway_server: ScriptedGateway) -> None:
    """`invoke(..., response_format=Model)` (ChatOpenAI's shortcut) sends a json_schema
    format and puts the parsed object in additional_kwargs["parsed"], streamed too."""
    gateway_server.queue(alice_as("json_schema"), alice_as("json_schema"))
    model = llm(gateway_server)
    message = model.invoke(PROMPT, response_format=Person)
    assert message.additional_kwargs["parsed"] == Person(name="Alice", age=31)
    full = aggregate(list(model.stream(PROMPT, response_format=Person)))
    assert full.additional_kwargs["parsed"] == Person(name="Alice", age=31)
    assert full.text == '{"name": "Alice", "age": 31}'
    for request in gateway_server.requests:
        assert request.json["response_format"]["type"] == "json_schema"
        assert request.json["response_format"]["json_schema"]["name"] == "Person"


def test_structured_output_include_raw(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(alice_as("json_schema"))
    out = llm(gateway_server).with_structured_output(Person, include_raw=True).invoke(PROMPT)
    assert isinstance(out, dict)
    assert out["parsed"] == Person(name="Alice", age=31)
    assert out["parsing_error"] is None
    assert isinstance(out["raw"], AIMessage) and out["raw"].usage_metadata is not None
