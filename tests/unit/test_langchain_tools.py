"""bind_tools and with_structured_output: what they bind, checked without any HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.runnables import RunnableBinding, RunnableSequence
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from langchain_skillboss import ChatSkillBoss
from skillboss_core import InvalidParameterError


class GetWeather(BaseModel):
    """Get the weather for a city."""

    city: str = Field(description="City name")


class Lookup(TypedDict):
    """Look a word up."""

    word: str


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def shout(text: str) -> str:
    """Upper-case the text."""
    return text.upper()


RAW = {
    "type": "function",
    "function": {
        "name": "raw_tool",
        "description": "A tool already in OpenAI form.",
        "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}},
    },
}
ANTHROPIC = {
    "name": "color_picker",
    "description": "Pick a colour.",
    "input_schema": {"type": "object", "properties": {"c": {"type": "string"}}},
}


@pytest.fixture
def llm() -> ChatSkillBoss:
    return ChatSkillBoss(model="openai/gpt-5.4-mini", api_key="unit-test")


def bound(runnable: Any) -> dict[str, Any]:
    assert isinstance(runnable, RunnableBinding)
    return dict(runnable.kwargs)


def test_every_tool_form_becomes_an_openai_tool(llm: ChatSkillBoss) -> None:
    kwargs = bound(llm.bind_tools([GetWeather, Lookup, add, shout, RAW, ANTHROPIC]))
    names = [t["function"]["name"] for t in kwargs["tools"]]
    assert names == ["GetWeather", "Lookup", "add", "shout", "raw_tool", "color_picker"]
    assert all(t["type"] == "function" for t in kwargs["tools"])
    weather = kwargs["tools"][0]["function"]
    assert weather["parameters"]["properties"]["city"]["type"] == "string"
    assert "tool_choice" not in kwargs and "parallel_tool_calls" not in kwargs


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        ("any", "required"),
        (True, "required"),
        ("add", {"type": "function", "function": {"name": "add"}}),
        (
            {"type": "function", "function": {"name": "shout"}},
            {"type": "function", "function": {"name": "shout"}},
        ),
        ({"type": "tool", "name": "add"}, {"type": "function", "function": {"name": "add"}}),
        ({"type": "any"}, "required"),
        ({"type": "required"}, "required"),
        ({"type": "auto"}, "auto"),
        ({"type": "function", "name": "add"}, {"type": "function", "function": {"name": "add"}}),
    ],
)
def test_tool_choice_forms(llm: ChatSkillBoss, choice: Any, wire: Any) -> None:
    assert bound(llm.bind_tools([add, shout], tool_choice=choice))["tool_choice"] == wire


def test_true_with_one_tool_forces_it(llm: ChatSkillBoss) -> None:
    kwargs = bound(llm.bind_tools([add], tool_choice=True))
    assert kwargs["tool_choice"] == {"type": "function", "function": {"name": "add"}}


def test_false_and_none_bind_no_choice(llm: ChatSkillBoss) -> None:
    assert "tool_choice" not in bound(llm.bind_tools([add], tool_choice=False))
    assert "tool_choice" not in bound(llm.bind_tools([add], tool_choice=None))


def test_strict_and_parallel_tool_calls(llm: ChatSkillBoss) -> None:
    kwargs = bound(llm.bind_tools([GetWeather, RAW], strict=True, parallel_tool_calls=False))
    assert [t["function"]["strict"] for t in kwargs["tools"]] == [True, True]
    assert kwargs["tools"][0]["function"]["parameters"]["additionalProperties"] is False
    assert kwargs["parallel_tool_calls"] is False


@pytest.mark.parametrize(
    ("tools", "choice", "message"),
    [
        ([add], "subtract", "neither auto/none/required/any nor one of the tools"),
        ([], "required", "needs at least one tool"),
        ([add], {"type": "function", "function": {"name": "nope"}}, "not among the tools"),
        ([{"type": "function", "function": {"name": "bad name!"}}], None, "function.name"),
    ],
)
def test_bad_tools_fail_at_bind_time(
    llm: ChatSkillBoss, tools: list[Any], choice: Any, message: str
) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        llm.bind_tools(tools, tool_choice=choice)


def _model_binding(structured: Any) -> dict[str, Any]:
    assert isinstance(structured, RunnableSequence)
    return bound(structured.first)


def test_structured_output_json_schema_is_the_default(llm: ChatSkillBoss) -> None:
    kwargs = _model_binding(llm.with_structured_output(GetWeather))
    fmt = kwargs["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "GetWeather"
    assert fmt["json_schema"]["description"] == "Get the weather for a city."
    assert fmt["json_schema"]["schema"]["properties"]["city"]["type"] == "string"
    assert "strict" not in fmt["json_schema"]
    trace = kwargs["ls_structured_output_format"]
    assert trace == {"kwargs": {"method": "json_schema", "strict": None}, "schema": GetWeather}


def test_structured_output_strict_json_schema(llm: ChatSkillBoss) -> None:
    fmt = _model_binding(llm.with_structured_output(Lookup, strict=True))["response_format"]
    assert fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["additionalProperties"] is False


def test_structured_output_accepts_a_ready_response_format(llm: ChatSkillBoss) -> None:
    ready = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
    fmt = _model_binding(llm.with_structured_output(ready, strict=False))["response_format"]
    assert fmt == {
        "type": "json_schema",
        "json_schema": {"name": "x", "schema": {"type": "object"}, "strict": False},
    }


def test_structured_output_function_calling(llm: ChatSkillBoss) -> None:
    kwargs = _model_binding(
        llm.with_structured_output(GetWeather, method="function_calling", strict=True)
    )
    assert kwargs["tool_choice"] == {"type": "function", "function": {"name": "GetWeather"}}
    assert kwargs["parallel_tool_calls"] is False
    assert kwargs["tools"][0]["function"]["strict"] is True
    assert kwargs["ls_structured_output_format"]["kwargs"]["method"] == "function_calling"


def test_structured_output_json_mode_with_and_without_schema(llm: ChatSkillBoss) -> None:
    kwargs = _model_binding(llm.with_structured_output(GetWeather, method="json_mode"))
    assert kwargs["response_format"] == {"type": "json_object"}
    schemaless = _model_binding(llm.with_structured_output(None, method="json_mode"))
    assert schemaless == {"response_format": {"type": "json_object"}}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "xml"}, "method must be one of"),
        ({"method": "json_schema", "schema": None}, "needs a schema"),
        ({"method": "json_schema", "tools": []}, "Unsupported arguments"),
    ],
)
def test_structured_output_argument_errors(
    llm: ChatSkillBoss, kwargs: dict[str, Any], message: str
) -> None:
    schema = kwargs.pop("schema", GetWeather)
    with pytest.raises(ValueError, match=message):
        llm.with_structured_output(schema, **kwargs)
