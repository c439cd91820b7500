"""LlamaIndex workflow agents on SkillBoss, unchanged: FunctionAgent, ReActAgent, AgentWorkflow.

The scripted model calls the tool with the numbers from the prompt, then answers; the
agent must run the tool, send the result back under the id of the call it answers (or, for
ReAct's text protocol, as an Observation) and finish with the scripted answer.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from llama_index.core.agent.workflow import (
    AgentStream,
    AgentWorkflow,
    FunctionAgent,
    ReActAgent,
    ToolCallResult,
)
from llama_index.core.workflow import Context

from llama_index_skillboss import SkillBoss
from tests.support.scripted_gateway import Reply, ScriptedGateway, ToolCall

MODEL = "openai/gpt-5.4-mini"


def add(a: int, b: int) -> int:
    """Add two integers and return the sum."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers and return the product."""
    return a * b


def llm(server: ScriptedGateway) -> SkillBoss:
    return SkillBoss(model=MODEL, api_key="sk-test", api_base=server.base_url, max_retries=0)


async def run(agent: Any, prompt: str) -> tuple[str, list[ToolCallResult], list[AgentStream]]:
    handler = agent.run(prompt, ctx=Context(agent))
    results: list[ToolCallResult] = []
    streamed: list[AgentStream] = []
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            results.append(event)
        elif isinstance(event, AgentStream):
            streamed.append(event)
    return str(await handler), results, streamed


def assert_tool_round_trip(server: ScriptedGateway, result: ToolCallResult, call_id: str) -> None:
    """The tool result went back, in the second request, under the id of the scripted call."""
    first, second = server.requests
    assert not any(m["role"] == "tool" for m in first.messages)
    assistant = next(m for m in second.messages if m["role"] == "assistant")
    tool = next(m for m in second.messages if m["role"] == "tool")
    assert assistant["tool_calls"][0]["id"] == tool["tool_call_id"] == result.tool_id == call_id
    assert tool["content"] == str(result.tool_output.content)


async def test_function_agent_runs_a_tool_and_answers(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(
        Reply(tool_calls=[ToolCall("add", {"a": 2, "b": 3}, id="call_add")]),
        Reply("2 + 3 = 5."),
    )
    agent = FunctionAgent(tools=[add, multiply], llm=llm(gateway_server), streaming=False)
    answer, results, _ = await run(agent, "What is 2 + 3? Use the add tool.")
    [result] = results
    assert (result.tool_name, result.tool_kwargs) == ("add", {"a": 2, "b": 3})
    assert result.tool_output.content == "5" and answer == "2 + 3 = 5."
    assert_tool_round_trip(gateway_server, result, "call_add")
    bodies = [r.json for r in gateway_server.requests]
    assert all("stream" not in body for body in bodies)
    assert [t["function"]["name"] for t in bodies[0]["tools"]] == ["add", "multiply"]


async def test_streaming_function_agent(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(
        Reply(tool_calls=[ToolCall("multiply", {"a": 4, "b": 5}, id="call_mul")]),
        Reply("4 times 5 is 20."),
    )
    agent = FunctionAgent(tools=[add, multiply], llm=llm(gateway_server))
    answer, results, streamed = await run(agent, "What is 4 times 5? Use the multiply tool.")
    [result] = results
    assert (result.tool_name, result.tool_kwargs) == ("multiply", {"a": 4, "b": 5})
    assert result.tool_output.content == "20" and answer == "4 times 5 is 20."
    assert "".join(e.delta for e in streamed) == answer
    assert any(e.tool_calls for e in streamed)  # tool calls were visible mid-stream
    assert_tool_round_trip(gateway_server, result, "call_mul")
    assert all(r.json["stream"] is True for r in gateway_server.requests)


async def test_agent_workflow_from_functions(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(
        Reply(tool_calls=[ToolCall("multiply", {"a": 6, "b": 7}, id="call_six")]),
        Reply("6 times 7 is 42."),
    )
    workflow = AgentWorkflow.from_tools_or_functions([add, multiply], llm=llm(gateway_server))
    answer, results, _ = await run(workflow, "What is 6 times 7? Use the multiply tool.")
    [result] = results
    assert (result.tool_name, result.tool_kwargs) == ("multiply", {"a": 6, "b": 7})
    assert result.tool_output.content == "42" and answer == "6 times 7 is 42."
    assert_tool_round_trip(gateway_server, result, "call_six")


# ReAct is a text protocol: the scripted model writes an action, then the final answer.
REACT_ACTION = 'Thought: I need to use a tool.\nAction: add\nAction Input: {"a": 20, "b": 22}'
REACT_ANSWER = "Thought: I can answer without using any more tools.\nAnswer: The sum is 42."


@pytest.mark.parametrize("streaming", [True, False])
async def test_react_agent(gateway_server: ScriptedGateway, streaming: bool) -> None:
    gateway_server.queue(REACT_ACTION, REACT_ANSWER)
    agent = ReActAgent(tools=[add, multiply], llm=llm(gateway_server), streaming=streaming)
    answer, results, _ = await run(agent, "What is 20 + 22? Use the add tool.")
    [result] = results
    assert (result.tool_name, result.tool_kwargs) == ("add", {"a": 20, "b": 22})
    assert answer == "The sum is 42."
    bodies = [r.json for r in gateway_server.requests]
    assert len(bodies) == 2 and all("tools" not in body for body in bodies)
    assert [bool(body.get("stream")) for body in bodies] == [streaming, streaming]
    assert "Observation: 42" in json.dumps(bodies[-1])
