"""with_structured_output: what each method binds to the model, checked without any HTTP.

What is sent and parsed over HTTP is in tests/integration/test_langchain_structured_output.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.runnables import RunnableBinding, RunnableSequence
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from langchain_skillboss import ChatSkillBoss


class GetWeather(BaseModel):
    """Get the weather for a city."""

    city: str = Field(description="City name")


class Lookup(TypedDict):
    """Look a word up."""

    word: str


@pytest.fixture
def llm() -> ChatSkillBoss:
    return ChatSkillBoss(model="openai/gpt-5.4-mini", api_key="unit-test")


def bound(runnable: Any) -> dict[str, Any]:
    assert isinstance(runnable, RunnableBinding)
    return dict(runnable.kwargs)


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
