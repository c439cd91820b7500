"""bind_tools: what it binds for every tool form and tool_choice, checked without any HTTP.

with_structured_output's bindings are in test_langchain_structured_output.py."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.runnables import RunnableBinding
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
