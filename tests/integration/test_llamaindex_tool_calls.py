"""Tool calls on SkillBoss over real HTTP: each provider's streamed shape, one call unless
parallel calls are allowed, predict_and_call, and a tool turn sent back under its call's id.

Every tool call is scripted in the test that reads it.
"""

from __future__ import annotations

import json

import pytest
from llama_index.core.base.llms.types import ChatMessage, ToolCallBlock
from llama_index.core.tools import FunctionTool

from llama_index_skillboss import SkillBoss
from tests.support.scripted_gateway import Reply, ScriptedGateway, ToolCall

MODEL = "openai/gpt-5.4-mini"


def llm(server: ScriptedGateway) -> SkillBoss:
    return SkillBoss(model=MODEL, api_key="sk-test", api_base=server.base_url, max_retries=0)


def weather(city: str) -> str:
    """Get the weather in a city."""
    return f"Sunny in {city}"


def local_time(city: str) -> str:
    """Get the local time in a city."""
    return f"Noon in {city}"


TOOLS = [FunctionTool.from_defaults(weather), FunctionTool.from_defaults(local_time)]
BOTH = "What is the weather in Paris and the local time in Tokyo?"
# The scripted model answers BOTH with two calls at once.
TWO_CALLS = Reply(
    tool_calls=[ToolCall("weather", {"city": "Paris"}), ToolCall("local_time", {"city": "Tokyo"})]
)


@pytest.mark.parametrize("flavour", ["openai", "groq", "repeat-ids", "openrouter"])
def test_streamed_parallel_tool_calls_in_each_providers_shape(flavour: str) -> None:
    """Arguments in fragments (OpenAI), whole in one delta (Groq), id and name repeated on
    every fragment, comment lines and a usage chunk with a choice (OpenRouter)."""
    with ScriptedGateway(flavour=flavour, lifetime=60.0) as server:
        server.queue(TWO_CALLS)
        model = llm(server)
        responses = list(
            model.stream_chat_with_tools(TOOLS, user_msg=BOTH, allow_parallel_tool_calls=True)
        )
        body = server.requests[0].json
    assert "parallel_tool_calls" not in body
    assert [t["function"]["name"] for t in body["tools"]] == ["weather", "local_time"]
    final = responses[-1]
    calls = model.get_tool_calls_from_response(final)
    assert [(c.tool_id, c.tool_name, c.tool_kwargs) for c in calls] == [
        ("call_1_0", "weather", {"city": "Paris"}),
        ("call_1_1", "local_time", {"city": "Tokyo"}),
    ]
    wire = final.message.additional_kwargs["tool_calls"]
    assert [w["id"] for w in wire] == ["call_1_0", "call_1_1"]
    assert final.additional_kwargs["total_tokens"] > 0
    for response in responses:  # mid-stream reads never raise
        model.get_tool_calls_from_response(response, error_on_no_tool_call=False)


def test_parallel_calls_off_is_enforced(gateway_server: ScriptedGateway) -> None:
    """The gateway is asked for one call; a provider that sends two anyway yields the first."""
    gateway_server.queue(TWO_CALLS, TWO_CALLS)
    model = llm(gateway_server)
    response = model.chat_with_tools(TOOLS, user_msg=BOTH)
    [call] = model.get_tool_calls_from_response(response)
    assert (call.tool_name, call.tool_kwargs) == ("weather", {"city": "Paris"})
    assert len(response.message.additional_kwargs["tool_calls"]) == 1
    streamed = list(model.stream_chat_with_tools(TOOLS, user_msg=BOTH))
    [call] = model.get_tool_calls_from_response(streamed[-1])
    assert (call.tool_name, call.tool_kwargs) == ("weather", {"city": "Paris"})
    for request in gateway_server.requests:
        assert request.json["parallel_tool_calls"] is False
        assert request.json["tool_choice"] == "auto"


def test_predict_and_call(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(tool_calls=[ToolCall("weather", {"city": "Lima"})]))
    output = llm(gateway_server).predict_and_call(TOOLS, user_msg="What is the weather in Lima?")
    assert output.response == "Sunny in Lima"
    assert output.sources[0].tool_name == "weather"
    assert len(gateway_server.requests) == 1


def lookup_key_name(product: str) -> str:
    """Return the environment variable that holds a product's key."""
    return "SKILLBOSS_WHOLESALE_KEY" if "skillboss" in product.lower() else "unknown"


async def test_apredict_and_call(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(tool_calls=[ToolCall("lookup_key_name", {"product": "SkillBoss"})]))
    tool = FunctionTool.from_defaults(lookup_key_name)
    output = await llm(gateway_server).apredict_and_call(
        [tool], user_msg="Which variable holds the SkillBoss key? Use lookup_key_name."
    )
    assert output.sources[0].tool_name == "lookup_key_name"
    assert output.response == str(output.sources[0].content) == "SKILLBOSS_WHOLESALE_KEY"
    [request] = gateway_server.requests
    assert request.json["tool_choice"] == "auto" and request.json["parallel_tool_calls"] is False


def test_history_round_trip_with_tool_blocks(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(
        Reply(tool_calls=[ToolCall("weather", {"city": "Oslo"}, id="call_oslo")]),
        Reply("It is sunny in Oslo."),
    )
    model = llm(gateway_server)
    first = model.chat_with_tools(TOOLS, user_msg="What is the weather in Oslo?")
    [call] = model.get_tool_calls_from_response(first)
    assert (call.tool_id, call.tool_name, call.tool_kwargs) == (
        "call_oslo",
        "weather",
        {"city": "Oslo"},
    )
    history = [
        ChatMessage(role="user", content="What is the weather in Oslo?"),
        first.message,
        ChatMessage(
            role="tool",
            content=weather(**call.tool_kwargs),
            additional_kwargs={"tool_call_id": call.tool_id},
        ),
    ]
    answer = model.chat_with_tools(TOOLS, chat_history=history)
    assert answer.message.content == "It is sunny in Oslo."
    sent = gateway_server.last_request.json["messages"]
    assert sent[1]["tool_calls"][0]["id"] == sent[2]["tool_call_id"] == "call_oslo"
    function = sent[1]["tool_calls"][0]["function"]
    assert function["name"] == "weather" and json.loads(function["arguments"]) == {"city": "Oslo"}
    assert sent[2]["content"] == "Sunny in Oslo"
    assert len(history) == 3 and isinstance(first.message.blocks[-1], ToolCallBlock)
