"""Structured output on SkillBoss over real HTTP: json_schema where the catalog says so, a
forced tool call otherwise.

The scripted model answers with CITY_JSON (json_schema) or a `City` tool call carrying
CITY_ARGS (function calling); the asserts check the object built from it and what was asked.
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
from tests.support.scripted_gateway import Reply, ScriptedGateway, ToolCall

JSON_MODEL = "openai/gpt-5.4-mini"
TOOLS_MODEL = "qwen/qwen3-max"  # the catalog: tools yes, json_schema no
PROMPT = PromptTemplate("Describe the city of {city}, population 2100000, as structured data.")


class City(BaseModel):
    """Facts about a city."""

    name: str = Field(description="The city's name")
    population: int = Field(description="Approximate population")


PARIS = City(name="Paris", population=2_100_000)
CITY_ARGS = {"name": "Paris", "population": 2_100_000}
CITY_JSON = json.dumps(CITY_ARGS)  # what the scripted model writes for json_schema
CITY_CALL = Reply(tool_calls=[ToolCall("City", CITY_ARGS)])  # ... and for function calling


def llm(server: ScriptedGateway, model: str = JSON_MODEL, **kwargs: Any) -> SkillBoss:
    return SkillBoss(
        model=model, api_key="sk-test", api_base=server.base_url, max_retries=0, **kwargs
    )


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


# -- json_schema ------------------------------------------------------------------------------


def test_structured_predict_uses_json_schema(
    gateway_server: ScriptedGateway, spans: SimpleSpanHandler
) -> None:
    gateway_server.queue(CITY_JSON)
    assert llm(gateway_server).structured_predict(City, PROMPT, city="Paris") == PARIS
    [request] = gateway_server.requests
    assert_json_schema_request(request.json)
    assert "Paris" in request.last_user_text
    # Span handlers (tracing integrations) see the call as for any LLM, the chat inside it.
    assert "SkillBoss.structured_predict" in span_names(spans)
    assert "SkillBoss.chat" in span_names(spans)


def test_structured_predict_strict_schema(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(CITY_JSON)
    assert llm(gateway_server, strict=True).structured_predict(City, PROMPT, city="Oslo") == PARIS
    spec = gateway_server.requests[0].json["response_format"]["json_schema"]
    assert spec["strict"] is True and spec["schema"]["additionalProperties"] is False


async def test_astructured_predict(
    gateway_server: ScriptedGateway, spans: SimpleSpanHandler
) -> None:
    gateway_server.queue(CITY_JSON)
    assert await llm(gateway_server).astructured_predict(City, PROMPT, city="Rome") == PARIS
    assert_json_schema_request(gateway_server.requests[0].json)
    assert "SkillBoss.astructured_predict" in span_names(spans)


def test_stream_structured_predict(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(CITY_JSON)
    partials = list(llm(gateway_server).stream_structured_predict(City, PROMPT, city="Lima"))
    assert len(partials) > 1 and partials[-1] == PARIS
    [request] = gateway_server.requests
    assert request.json["stream"] is True
    assert_json_schema_request(request.json)


async def test_astream_structured_predict(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(CITY_JSON)
    model = llm(gateway_server)
    partials = [p async for p in await model.astream_structured_predict(City, PROMPT, city="Kyiv")]
    assert partials[-1] == PARIS
    assert gateway_server.requests[0].json["stream"] is True
    assert_json_schema_request(gateway_server.requests[0].json)


def test_as_structured_llm(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(CITY_JSON, CITY_JSON)
    structured = llm(gateway_server).as_structured_llm(City)
    response = structured.chat([ChatMessage(role="user", content="Paris, population 2100000.")])
    assert response.raw == PARIS
    assert City.model_validate_json(response.message.content or "") == PARIS
    streamed = list(structured.stream_chat([ChatMessage(role="user", content="Oslo, 700000.")]))
    assert streamed[-1].raw == PARIS
    for request in gateway_server.requests:
        assert_json_schema_request(request.json)


# -- function calling where the catalog says json_schema is unsupported ---------------------------


def test_function_calling_where_json_schema_is_unsupported(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(CITY_CALL)
    model = llm(gateway_server, TOOLS_MODEL)
    assert model.structured_predict(City, PROMPT, city="Paris") == PARIS
    [request] = gateway_server.requests
    assert "response_format" not in request.json
    assert [t["function"]["name"] for t in request.json["tools"]] == ["City"]
    assert request.json["tool_choice"] == "required"


def test_streamed_function_calling_forces_the_tool(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(CITY_CALL)
    partials = list(
        llm(gateway_server, TOOLS_MODEL).stream_structured_predict(City, PROMPT, city="Bern")
    )
    assert partials[-1] == PARIS
    [request] = gateway_server.requests
    assert request.json["tool_choice"] == {"type": "function", "function": {"name": "City"}}


async def test_async_function_calling_programs(gateway_server: ScriptedGateway) -> None:
    """astructured_predict and astream_structured_predict where json_schema is unsupported."""
    gateway_server.queue(CITY_CALL, CITY_CALL)
    model = llm(gateway_server, TOOLS_MODEL)
    assert await model.astructured_predict(City, PROMPT, city="Quito") == PARIS
    partials = [p async for p in await model.astream_structured_predict(City, PROMPT, city="Riga")]
    assert partials[-1] == PARIS
    plain, streamed = (r.json for r in gateway_server.requests)
    assert plain["tool_choice"] == "required" and "stream" not in plain
    assert streamed["tool_choice"] == {"type": "function", "function": {"name": "City"}}
    assert streamed["stream"] is True
    assert all("response_format" not in body for body in (plain, streamed))
