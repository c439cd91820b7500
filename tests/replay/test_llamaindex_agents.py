"""LlamaIndex agents on SkillBoss, unchanged: FunctionAgent, ReActAgent, AgentWorkflow.

Replayed from cassettes. Each agent must call the tool with the numbers from the prompt,
send the result back under the id of the call it answers, and answer with the result.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
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
from tests.support.cassettes import recording_mode
from tests.support.scripted_gateway import CREATED, Meta, Reply, completion_json, stream_events

pytestmark = pytest.mark.vcr

MODEL = "openai/gpt-5.4-mini"


def add(a: int, b: int) -> int:
    """Add two integers and return the sum."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers and return the product."""
    return a * b


def llm(**kwargs: Any) -> SkillBoss:
    return SkillBoss(**{"model": MODEL, "max_retries": 0, **kwargs})


def sent(vcr: Any) -> list[dict[str, Any]]:
    return [json.loads(request.body) for request in vcr.requests]


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


def assert_tool_round_trip(vcr: Any, result: ToolCallResult) -> None:
    """The tool result went back under the id of the call the model made."""
    bodies = sent(vcr)
    assistant = next(
        m
        for body in bodies
        for m in body["messages"]
        if m["role"] == "assistant" and m.get("tool_calls")
    )
    tool = next(m for body in bodies for m in body["messages"] if m["role"] == "tool")
    assert assistant["tool_calls"][0]["id"] == tool["tool_call_id"] == result.tool_id
    assert tool["content"] == str(result.tool_output.content)


async def test_function_agent_runs_a_tool_and_answers(vcr: Any) -> None:
    agent = FunctionAgent(tools=[add, multiply], llm=llm(), streaming=False)
    answer, results, _ = await run(agent, "What is 2 + 3? Use the add tool.")
    [result] = results
    assert (result.tool_name, result.tool_kwargs) == ("add", {"a": 2, "b": 3})
    assert result.tool_output.content == "5" and "5" in answer
    assert_tool_round_trip(vcr, result)
    assert all("stream" not in body for body in sent(vcr))
    assert [t["function"]["name"] for t in sent(vcr)[0]["tools"]] == ["add", "multiply"]


async def test_streaming_function_agent(vcr: Any) -> None:
    agent = FunctionAgent(tools=[add, multiply], llm=llm())
    answer, results, streamed = await run(agent, "What is 4 times 5? Use the multiply tool.")
    [result] = results
    assert (result.tool_name, result.tool_kwargs) == ("multiply", {"a": 4, "b": 5})
    assert "20" in answer
    assert "".join(e.delta for e in streamed).strip() == answer.strip()
    assert any(e.tool_calls for e in streamed)  # tool calls were visible mid-stream
    assert_tool_round_trip(vcr, result)
    assert all(body["stream"] is True for body in sent(vcr))


async def test_agent_workflow_from_functions(vcr: Any) -> None:
    workflow = AgentWorkflow.from_tools_or_functions([add, multiply], llm=llm())
    answer, results, _ = await run(workflow, "What is 6 times 7? Use the multiply tool.")
    [result] = results
    assert (result.tool_name, result.tool_kwargs) == ("multiply", {"a": 6, "b": 7})
    assert "42" in answer
    assert_tool_round_trip(vcr, result)


# -- ReAct: a text protocol, so the scripted server is told how to speak it -----------------------


def react_reply(body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    """What a capable model answers in ReAct format: an action, then the final answer."""
    seen = [m.get("content") or "" for m in body["messages"]]
    observed = [text for text in seen if isinstance(text, str) and text.startswith("Observation:")]
    if observed:
        result = observed[-1].removeprefix("Observation:").strip()
        text = f"Thought: I can answer without using any more tools.\nAnswer: The sum is {result}."
    else:
        text = 'Thought: I need to use a tool.\nAction: add\nAction Input: {"a": 20, "b": 22}'
    meta = Meta.for_body(body, 1, "openai", CREATED)
    reply = Reply(content=text)
    if body.get("stream"):
        events = stream_events(body, reply, meta)
        return 200, {"Content-Type": "text/event-stream"}, [e.data for e in events]
    payload = json.dumps(completion_json(body, reply, meta)).encode()
    return 200, {"Content-Type": "application/json"}, payload


@pytest.fixture
def react_llm() -> Iterator[SkillBoss]:
    """Local recording: a scripted server speaking ReAct. Replay and live: the usual gateway."""
    if recording_mode() != "local":
        yield llm()
        return
    from tests.support.scripted_gateway import ScriptedGateway

    with ScriptedGateway() as server:
        server.script(react_reply)
        yield llm(api_base=server.base_url)


async def test_react_agent(vcr: Any, react_llm: SkillBoss) -> None:
    agent = ReActAgent(tools=[add, multiply], llm=react_llm)
    answer, results, _ = await run(agent, "What is 20 + 22? Use the add tool.")
    [result] = results
    assert (result.tool_name, result.tool_kwargs) == ("add", {"a": 20, "b": 22})
    assert "42" in answer
    bodies = sent(vcr)
    assert len(bodies) == 2 and all("tools" not in body for body in bodies)
    assert "Observation: 42" in json.dumps(bodies[-1])
