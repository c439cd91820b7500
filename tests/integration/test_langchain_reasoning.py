"""A reasoning model's thinking, over HTTP: kept on invoke and stream, whichever field the
provider uses, as the first content block (v0 and v1), and never sent back in history.

Each test scripts the thinking and the answer it expects to get back.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool

from langchain_skillboss import ChatSkillBoss
from tests.integration.langchain_streams import aggregate
from tests.support.scripted_gateway import Reply, ScriptedGateway, ToolCall

MODEL = "openai/gpt-5.4-mini"
REASONER = "deepseek/deepseek-reasoner"

# What the scripted model thinks and says.
THOUGHT = "The user asks about the sky. Sunlight scatters off air molecules; blue scatters most."
ANSWER = "Air scatters blue light more than red, so the sky looks blue."


def llm(server: ScriptedGateway, **kwargs: Any) -> ChatSkillBoss:
    options: dict[str, Any] = {"model": MODEL, "max_retries": 0, **kwargs}
    return ChatSkillBoss(base_url=server.base_url, **options)


@tool
def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"It is noon in {city}."


def test_reasoning_on_invoke_is_kept(gateway_server: ScriptedGateway) -> None:
    usage = {
        "prompt_tokens": 12,
        "completion_tokens": 40,
        "total_tokens": 52,
        "completion_tokens_details": {"reasoning_tokens": 27},
    }
    gateway_server.queue(Reply(ANSWER, reasoning=THOUGHT, usage=usage))
    message = llm(gateway_server, model=REASONER).invoke("Why is the sky blue?")
    assert message.additional_kwargs["reasoning_content"] == THOUGHT
    assert message.content_blocks[0] == {"type": "reasoning", "reasoning": THOUGHT}
    assert {"type": "text", "text": ANSWER} in [
        {"type": b["type"], "text": b.get("text")} for b in message.content_blocks
    ]
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_token_details"]["reasoning"] == 27


def test_reasoning_streamed_with_reasoning_effort(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(ANSWER, reasoning=THOUGHT))
    full = aggregate(list(llm(gateway_server, reasoning_effort="low").stream("Why is it blue?")))
    assert full.additional_kwargs["reasoning_content"] == THOUGHT
    assert full.content == ANSWER
    assert full.content_blocks[0] == {"type": "reasoning", "reasoning": THOUGHT}
    assert gateway_server.requests[0].json["reasoning_effort"] == "low"


@pytest.mark.parametrize("flavour", ["deepseek", "openrouter"])
def test_reasoning_from_either_field_on_invoke_and_stream(flavour: str) -> None:
    """DeepSeek sends `reasoning_content`, OpenRouter/Groq `reasoning`: both are kept."""
    with ScriptedGateway(flavour=flavour, lifetime=60.0) as server:
        server.queue(Reply(ANSWER, reasoning=THOUGHT), Reply(ANSWER, reasoning=THOUGHT))
        model = llm(server, model=REASONER)
        invoked = model.invoke("Why is the sky blue?")
        streamed = aggregate(list(model.stream("Why?")))
    for message in (invoked, streamed):
        assert message.additional_kwargs["reasoning_content"] == THOUGHT
        assert message.content_blocks[0] == {"type": "reasoning", "reasoning": THOUGHT}
        assert message.text == ANSWER


def test_model_answers_go_back_into_history_without_reasoning(
    gateway_server: ScriptedGateway,
) -> None:
    """An AIMessage the model produced (invoked, streamed, v1 content) round-trips: text and
    tool calls go back, reasoning (additional_kwargs or content blocks) does not."""
    tool_thought = "Paris is in Europe/Paris; I should call get_time."
    gateway_server.queue(
        Reply(reasoning=tool_thought, tool_calls=[ToolCall("get_time", {"city": "Paris"})]),
        Reply(ANSWER, reasoning=THOUGHT),
        Reply("It is noon in Paris."),
    )
    model = llm(gateway_server, reasoning_effort="low").bind_tools([get_time])
    v1_model = llm(gateway_server, reasoning_effort="low", output_version="v1")
    question = HumanMessage("What time is it in Paris?")
    streamed = aggregate(list(model.stream([question])))
    assert streamed.additional_kwargs["reasoning_content"] == tool_thought
    (call,) = streamed.tool_calls
    assert (call["name"], call["args"], call["id"]) == ("get_time", {"city": "Paris"}, "call_1_0")
    result = get_time.invoke(call)
    said = v1_model.invoke("Why is the sky blue?")
    assert isinstance(said.content, list) and said.content_blocks[0]["type"] == "reasoning"
    history = [HumanMessage("Why is the sky blue?"), said, question, streamed, result]
    final = model.invoke(history)
    assert final.text == "It is noon in Paris."
    messages = gateway_server.requests[-1].messages
    assistant = [m for m in messages if m["role"] == "assistant"]
    assert assistant[0] == {"role": "assistant", "content": ANSWER}
    assert assistant[1]["content"] is None
    assert assistant[1]["tool_calls"] == [
        {
            "id": "call_1_0",
            "type": "function",
            "function": {"name": "get_time", "arguments": json.dumps({"city": "Paris"})},
        }
    ]
    assert all(set(m) <= {"role", "content", "tool_calls"} for m in assistant)
    sent_text = json.dumps(messages, ensure_ascii=False)
    assert THOUGHT not in sent_text and tool_thought not in sent_text


def test_reasoning_blocks_in_v1_output(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(ANSWER, reasoning=THOUGHT))
    message = llm(gateway_server, model=REASONER, output_version="v1").invoke("Why blue?")
    assert isinstance(message.content, list)
    kinds = [block["type"] for block in message.content]  # type: ignore[index]
    assert kinds[0] == "reasoning" and "text" in kinds
    assert message.content[0]["reasoning"] == THOUGHT  # type: ignore[index]
