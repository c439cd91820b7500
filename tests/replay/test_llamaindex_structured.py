"""Structured output on SkillBoss: json_schema where the catalog says so, tools otherwise.

Replayed from cassettes; the asserts check the objects' types and what was asked for,
not the values a model picks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.prompts import PromptTemplate
from llama_index_instrumentation import get_dispatcher
from llama_index_instrumentation.span_handlers import SimpleSpanHandler
from pydantic import BaseModel, Field

from llama_index_skillboss import SkillBoss

pytestmark = pytest.mark.vcr

JSON_MODEL = "openai/gpt-5.4-mini"
TOOLS_MODEL = "qwen/qwen3-max"  # the catalog: tools yes, json_schema no
PROMPT = PromptTemplate("Describe the city of {city}, population 2100000, as structured data.")


class City(BaseModel):
    """Facts about a city."""

    name: str = Field(description="The city's name")
    population: int = Field(description="Approximate population")


def llm(model: str = JSON_MODEL, **kwargs: Any) -> SkillBoss:
    return SkillBoss(model=model, max_retries=0, **kwargs)


def sent(vcr: Any) -> list[dict[str, Any]]:
    return [json.loads(request.body) for request in vcr.requests]


def assert_city(value: Any) -> None:
    assert isinstance(value, City)
    assert value.name and value.population > 0


def assert_json_schema_request(body: dict[str, Any]) -> None:
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "City"
    assert set(fmt["json_schema"]["schema"]["properties"]) == {"name", "population"}
    assert "tools" not in body


@pytest.fixture
def spans() -> Iterator[SimpleSpanHandler]:
    handler = SimpleSpanHandler()
    root = get_dispatcher()
    root.add_span_handler(handler)
    try:
        yield handler
    finally:
        root.span_handlers.remove(handler)


def span_names(handler: SimpleSpanHandler) -> list[str]:
    return [span.id_.split("-", 1)[0] for span in handler.completed_spans]


def test_structured_predict_uses_json_schema(vcr: Any, spans: SimpleSpanHandler) -> None:
    assert_city(llm().structured_predict(City, PROMPT, city="Paris"))
    [body] = sent(vcr)
    assert_json_schema_request(body)
    assert "Paris" in body["messages"][-1]["content"]
    # Span handlers (tracing integrations) see the call as for any LLM, the chat inside it.
    assert "SkillBoss.structured_predict" in span_names(spans)
    assert "SkillBoss.chat" in span_names(spans)


def test_structured_predict_strict_schema(vcr: Any) -> None:
    assert_city(llm(strict=True).structured_predict(City, PROMPT, city="Oslo"))
    spec = sent(vcr)[0]["response_format"]["json_schema"]
    assert spec["strict"] is True and spec["schema"]["additionalProperties"] is False


async def test_astructured_predict(vcr: Any, spans: SimpleSpanHandler) -> None:
    assert_city(await llm().astructured_predict(City, PROMPT, city="Rome"))
    assert_json_schema_request(sent(vcr)[0])
    assert "SkillBoss.astructured_predict" in span_names(spans)


def test_stream_structured_predict(vcr: Any) -> None:
    partials = list(llm().stream_structured_predict(City, PROMPT, city="Lima"))
    assert partials
    assert_city(partials[-1])
    [body] = sent(vcr)
    assert body["stream"] is True
    assert_json_schema_request(body)


async def test_astream_structured_predict(vcr: Any) -> None:
    partials = [p async for p in await llm().astream_structured_predict(City, PROMPT, city="Kyiv")]
    assert_city(partials[-1])


def test_as_structured_llm(vcr: Any) -> None:
    structured = llm().as_structured_llm(City)
    response = structured.chat([ChatMessage(role="user", content="Paris, population 2100000.")])
    assert_city(response.raw)
    assert City.model_validate_json(response.message.content or "") == response.raw
    streamed = list(structured.stream_chat([ChatMessage(role="user", content="Oslo, 700000.")]))
    assert_city(streamed[-1].raw)
    assert all("response_format" in body for body in sent(vcr))


def test_function_calling_where_json_schema_is_unsupported(vcr: Any) -> None:
    assert_city(llm(TOOLS_MODEL).structured_predict(City, PROMPT, city="Paris"))
    [body] = sent(vcr)
    assert "response_format" not in body
    assert [t["function"]["name"] for t in body["tools"]] == ["City"]
    assert body["tool_choice"] == "required"


def test_streamed_function_calling_forces_the_tool(vcr: Any) -> None:
    partials = list(llm(TOOLS_MODEL).stream_structured_predict(City, PROMPT, city="Bern"))
    assert_city(partials[-1])
    [body] = sent(vcr)
    assert body["tool_choice"] == {"type": "function", "function": {"name": "City"}}


async def test_async_function_calling_programs(vcr: Any) -> None:
    """astructured_predict and astream_structured_predict where json_schema is unsupported."""
    model = llm(TOOLS_MODEL)
    assert_city(await model.astructured_predict(City, PROMPT, city="Quito"))
    partials = [p async for p in await model.astream_structured_predict(City, PROMPT, city="Riga")]
    assert_city(partials[-1])
    plain, streamed = sent(vcr)
    assert plain["tool_choice"] == "required" and "stream" not in plain
    assert streamed["tool_choice"] == {"type": "function", "function": {"name": "City"}}
    assert streamed["stream"] is True
    assert all("response_format" not in body for body in (plain, streamed))
