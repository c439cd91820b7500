"""Preparing tool turns and structured-output requests (no HTTP)."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index_skillboss import SkillBoss
from llama_index_skillboss.structured import parse_output, response_format
from skillboss_core import InvalidParameterError
from skillboss_core.errors import AnswerTruncatedError, RefusalError, StructuredOutputError
from skillboss_core.wire.builders import strict_schema


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


TOOLS = [FunctionTool.from_defaults(add), FunctionTool.from_defaults(multiply)]


@pytest.fixture
def llm() -> SkillBoss:
    return SkillBoss(api_key="sk-unit-0123456789abcdef")


def test_prepare_builds_openai_tools_auto_choice_and_single_call(llm: SkillBoss) -> None:
    kwargs = llm._prepare_chat_with_tools(TOOLS, user_msg="add 1 and 2")
    assert [t["function"]["name"] for t in kwargs["tools"]] == ["add", "multiply"]
    assert kwargs["tools"][0]["function"]["parameters"]["required"] == ["a", "b"]
    assert kwargs["tool_choice"] == "auto"
    assert kwargs["parallel_tool_calls"] is False
    assert kwargs["messages"][-1].content == "add 1 and 2"


@pytest.mark.parametrize(
    ("tool_choice", "tool_required", "expected"),
    [
        (None, True, "required"),
        ("any", False, "required"),
        ("none", False, "none"),
        ("multiply", False, {"type": "function", "function": {"name": "multiply"}}),
        (
            {"type": "function", "function": {"name": "add"}},
            False,
            {"type": "function", "function": {"name": "add"}},
        ),
    ],
)
def test_tool_choice_and_tool_required(
    llm: SkillBoss, tool_choice: object, tool_required: bool, expected: object
) -> None:
    kwargs = llm._prepare_chat_with_tools(
        TOOLS, user_msg="hi", tool_choice=tool_choice, tool_required=tool_required
    )
    assert kwargs["tool_choice"] == expected


def test_unknown_tool_choice_is_a_clear_error(llm: SkillBoss) -> None:
    with pytest.raises(InvalidParameterError, match="divide"):
        llm._prepare_chat_with_tools(TOOLS, user_msg="hi", tool_choice="divide")


def test_parallel_calls_allowed_sends_nothing_extra(llm: SkillBoss) -> None:
    kwargs = llm._prepare_chat_with_tools(TOOLS, user_msg="hi", allow_parallel_tool_calls=True)
    assert "parallel_tool_calls" not in kwargs


def test_no_tools_means_no_tool_fields(llm: SkillBoss) -> None:
    kwargs = llm._prepare_chat_with_tools([], user_msg="hi", tool_required=True)
    assert set(kwargs) == {"messages"}


def test_callers_chat_history_is_not_mutated(llm: SkillBoss) -> None:
    history = [ChatMessage(role="user", content="earlier")]
    kwargs = llm._prepare_chat_with_tools(TOOLS, user_msg="now", chat_history=history)
    assert len(history) == 1
    assert [m.content for m in kwargs["messages"]] == ["earlier", "now"]


def test_strict_closes_every_object(llm: SkillBoss) -> None:
    kwargs = llm._prepare_chat_with_tools(TOOLS, user_msg="hi", strict=True)
    function = kwargs["tools"][0]["function"]
    assert function["strict"] is True
    assert function["parameters"]["additionalProperties"] is False
    nested = strict_schema(
        {"type": "object", "properties": {"inner": {"type": "object", "properties": {"x": {}}}}}
    )
    assert nested["properties"]["inner"] == {
        "type": "object",
        "properties": {"x": {}},
        "additionalProperties": False,
        "required": ["x"],
    }


def test_supports_tool_required_is_detected_by_llama_index() -> None:
    from llama_index.core.llms.function_calling import _supports_tool_required

    assert _supports_tool_required(SkillBoss, True)


class City(BaseModel):
    """A city and its population."""

    name: str
    population: int


def test_response_format_from_a_pydantic_class() -> None:
    fmt = response_format(City, strict=False)
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "City"
    assert fmt["json_schema"]["schema"]["required"] == ["name", "population"]
    assert "strict" not in fmt["json_schema"]
    strict = response_format(City, strict=True)["json_schema"]
    assert strict["strict"] is True and strict["schema"]["additionalProperties"] is False


def test_parse_output_says_why_it_cannot() -> None:
    def answer(text: str, finish: str = "stop", **extra: object) -> ChatResponse:
        return ChatResponse(
            message=ChatMessage(role="assistant", content=text, additional_kwargs=extra),
            raw={"choices": [{"index": 0, "finish_reason": finish}]},
        )

    assert parse_output(City, answer('{"name": "Oslo", "population": 700000}')) == City(
        name="Oslo", population=700_000
    )
    with pytest.raises(RefusalError, match="refused"):
        parse_output(City, answer("", refusal="I can't help with that."))
    with pytest.raises(AnswerTruncatedError, match="cut at the token cap"):
        parse_output(City, answer('{"name": "Oslo"', finish="length"))
    with pytest.raises(StructuredOutputError, match=r"not valid JSON for .*\(City\)"):
        parse_output(City, answer('{"name": "Oslo"'))
    with pytest.raises(StructuredOutputError, match=r"population: Field required"):
        parse_output(City, answer('{"name": "Oslo"}'))


def test_tool_calls_kept_only_in_additional_kwargs_are_read(llm: SkillBoss) -> None:
    legacy = {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}}
    response = ChatResponse(
        message=ChatMessage(
            role="assistant", content="", additional_kwargs={"tool_calls": [legacy]}
        )
    )
    [selection] = llm.get_tool_calls_from_response(response)
    assert (selection.tool_id, selection.tool_name, selection.tool_kwargs) == (
        "c1",
        "add",
        {"a": 1},
    )
