"""Tool calling over HTTP: every tool_choice form reaches the gateway in its wire form,
parallel_tool_calls and strict are sent, streamed parallel calls are reassembled in the
shapes different providers stream them, and tool results go back under the calls' ids.

The binding itself (what bind_tools stores) is unit-tested in tests/unit/test_langchain_tools.py;
here each test scripts the tool calls the model makes and checks what was sent and returned.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.tools import tool

from langchain_skillboss import ChatSkillBoss
from tests.integration.langchain_streams import aggregate
from tests.support.scripted_gateway import Reply, ScriptedGateway, ToolCall

MODEL = "openai/gpt-5.4-mini"


def llm(server: ScriptedGateway) -> ChatSkillBoss:
    return ChatSkillBoss(model=MODEL, base_url=server.base_url, max_retries=0)


@tool
def get_weather(location: str) -> str:
    """Get the current weather for a location."""
    return f"It is sunny in {location}."


@tool
def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"It is noon in {city}."


TOOLS = [get_weather, get_time]
NAMED = {"type": "function", "function": {"name": "get_time"}}
PARALLEL = "What is the weather in Paris and the time in Tokyo?"
# The scripted model's answer to PARALLEL: both tools at once.
BOTH_CALLS = Reply(
    tool_calls=[
        ToolCall("get_weather", {"location": "Paris"}),
        ToolCall("get_time", {"city": "Tokyo"}),
    ]
)


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", "auto"),
        ("required", "required"),
        ("any", "required"),
        (True, "required"),
        ("get_time", NAMED),
        (NAMED, NAMED),
        ({"type": "tool", "name": "get_time"}, NAMED),
    ],
    ids=["auto", "required", "any", "true", "name", "openai-dict", "anthropic-dict"],
)
def test_tool_choice_forms_reach_the_gateway(
    gateway_server: ScriptedGateway, choice: Any, wire: Any
) -> None:
    gateway_server.queue(Reply(tool_calls=[ToolCall("get_time", {"city": "Paris"})]))
    model = llm(gateway_server).bind_tools(TOOLS, tool_choice=choice)
    message = model.invoke("What time is it in Paris?")
    assert gateway_server.requests[0].json["tool_choice"] == wire
    assert message.tool_calls == [
        {"name": "get_time", "args": {"city": "Paris"}, "id": "call_1_0", "type": "tool_call"}
    ]


def test_tool_choice_none_answers_in_text(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue("I cannot look it up, but Paris is on Central European Time.")
    message = llm(gateway_server).bind_tools(TOOLS, tool_choice="none").invoke("Time in Paris?")
    assert gateway_server.requests[0].json["tool_choice"] == "none"
    assert not message.tool_calls
    assert message.text == "I cannot look it up, but Paris is on Central European Time."


def test_parallel_tool_calls_false_and_strict_are_sent(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(tool_calls=[ToolCall("get_weather", {"location": "Paris"})]))
    model = llm(gateway_server).bind_tools(TOOLS, parallel_tool_calls=False, strict=True)
    message = model.invoke(PARALLEL)
    body = gateway_server.requests[0].json
    assert body["parallel_tool_calls"] is False
    assert [spec["function"]["strict"] for spec in body["tools"]] == [True, True]
    assert [call["name"] for call in message.tool_calls] == ["get_weather"]


@pytest.mark.parametrize("flavour", ["openai", "groq", "repeat-ids", "openrouter"])
def test_parallel_streamed_tool_calls(flavour: str) -> None:
    """Split arguments (OpenAI), whole calls in one delta (Groq), id/name repeated on every
    fragment, OpenRouter's comment lines: the same two calls come out."""
    with ScriptedGateway(flavour=flavour, lifetime=60.0) as server:
        server.queue(BOTH_CALLS)
        chunks = list(llm(server).bind_tools(TOOLS).stream(PARALLEL))
    pieces = [c for chunk in chunks for c in chunk.tool_call_chunks]  # type: ignore[attr-defined]
    assert {piece["index"] for piece in pieces} == {0, 1}
    full = aggregate(chunks)
    assert [(c["name"], c["args"], c["id"]) for c in full.tool_calls] == [
        ("get_weather", {"location": "Paris"}, "call_1_0"),
        ("get_time", {"city": "Tokyo"}, "call_1_1"),
    ]
    assert not full.invalid_tool_calls
    assert full.response_metadata["finish_reason"] == "tool_calls"


def test_tool_loop_with_results_fed_back(gateway_server: ScriptedGateway) -> None:
    final_answer = "It is sunny in Paris and noon in Tokyo."
    gateway_server.queue(BOTH_CALLS, final_answer)
    model = llm(gateway_server).bind_tools(TOOLS)
    history: list[BaseMessage] = [HumanMessage(PARALLEL)]
    first = model.invoke(history)
    assert len(first.tool_calls) == 2
    history.append(first)
    for call in first.tool_calls:
        history.append(
            {"get_weather": get_weather, "get_time": get_time}[call["name"]].invoke(call)
        )
    final = model.invoke(history)
    assert final.text == final_answer and not final.tool_calls
    tool_turns = [m for m in gateway_server.requests[1].messages if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_turns] == ["call_1_0", "call_1_1"]
    assert [m["content"] for m in tool_turns] == ["It is sunny in Paris.", "It is noon in Tokyo."]
