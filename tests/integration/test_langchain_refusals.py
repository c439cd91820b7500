"""A refusal as LangChain code looks for it: a standard `refusal` content block (v0 and v1
content, invoked and streamed), ChatOpenAI's `additional_kwargs["refusal"]`, and the
`parsing_error` of structured output with include_raw; a refused turn can be sent back.

`ModelRefusalMiddleware` on a refusal is in tests/integration/test_langchain_agents.py; a
refusal raising StructuredOutputRefusalError in every method and call style is in
tests/faults/test_answer_end.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from pydantic import BaseModel, Field

from langchain_skillboss import ChatSkillBoss, StructuredOutputRefusalError
from tests.support.scripted_gateway import Reply, ScriptedGateway

MODEL = "openai/gpt-5.4-mini"
# {"role": "assistant", "content": null, "refusal": REFUSAL}; streamed, the refusal comes in
# word-sized {"refusal": ...} deltas.
REFUSAL = "I can't help with picking locks."


class Plan(BaseModel):
    """A plan."""

    steps: list[str] = Field(description="the steps")


def llm(server: ScriptedGateway, **kwargs: Any) -> ChatSkillBoss:
    return ChatSkillBoss(model=MODEL, base_url=server.base_url, max_retries=0, **kwargs)


def streamed(model: ChatSkillBoss, style: str, prompt: str) -> AIMessageChunk:
    """The merged message of a stream (sync or async)."""

    async def collect() -> list[AIMessageChunk]:
        return [chunk async for chunk in model.astream(prompt)]

    chunks = list(model.stream(prompt)) if style == "stream" else asyncio.run(collect())
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


def refusal_blocks(blocks: Any) -> list[str]:
    """The words of each standard `refusal` block in a list of content blocks."""
    return [b["refusal"] for b in blocks if isinstance(b, dict) and b.get("type") == "refusal"]


def test_refusal_on_invoke_is_in_additional_kwargs(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(refusal=REFUSAL))
    message = llm(gateway_server).invoke("Describe how to pick a lock.")
    assert message.additional_kwargs["refusal"] == REFUSAL
    assert message.text == ""


def test_refusal_is_a_standard_content_block(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(refusal=REFUSAL))
    message = llm(gateway_server).invoke("Describe how to pick a lock.")
    assert refusal_blocks(message.content_blocks) == [REFUSAL], message.content_blocks


def test_refusal_block_in_v1_content(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(refusal=REFUSAL))
    message = llm(gateway_server, output_version="v1").invoke("Describe how to pick a lock.")
    assert isinstance(message.content, list)
    assert refusal_blocks(message.content) == [REFUSAL], message.content


@pytest.mark.parametrize("style", ["stream", "astream"])
def test_streamed_refusal_is_a_standard_content_block(
    gateway_server: ScriptedGateway, style: str
) -> None:
    gateway_server.queue(Reply(refusal=REFUSAL))
    message = streamed(llm(gateway_server), style, "Describe how to pick a lock.")
    assert refusal_blocks(message.content_blocks) == [REFUSAL], message.content_blocks


@pytest.mark.parametrize("style", ["stream", "astream"])
def test_streamed_refusal_in_v1_content(gateway_server: ScriptedGateway, style: str) -> None:
    """Every chunk names the provider, so each one's refusal piece becomes a v1 block and the
    merged message holds the whole refusal (before: the v1 merge had no refusal at all)."""
    gateway_server.queue(Reply(refusal=REFUSAL))
    message = streamed(llm(gateway_server, output_version="v1"), style, "Pick a lock.")
    assert isinstance(message.content, list)
    assert "".join(refusal_blocks(message.content)) == REFUSAL, message.content


def test_a_refused_v1_turn_can_be_sent_back(gateway_server: ScriptedGateway) -> None:
    """The conversation goes on after a refusal stored as a v1 block (before: the next call
    raised "Cannot send a 'refusal' block in an assistant message")."""
    gateway_server.queue(Reply(refusal=REFUSAL), Reply("Sure, here is a poem."))
    model = llm(gateway_server, output_version="v1")
    refused = model.invoke("Describe how to pick a lock.")
    answer = model.invoke(
        [HumanMessage("Describe how to pick a lock."), refused, HumanMessage("A poem?")]
    )
    assert answer.text == "Sure, here is a poem."
    sent = gateway_server.requests[-1].json["messages"][1]
    assert sent == {"role": "assistant", "content": REFUSAL}


def test_refusal_with_include_raw_is_the_parsing_error(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(refusal=REFUSAL))
    structured = llm(gateway_server).with_structured_output(Plan, include_raw=True)
    out = structured.invoke("Plan how to pick a lock.")
    assert isinstance(out, dict)
    assert out["parsed"] is None
    assert isinstance(out["parsing_error"], StructuredOutputRefusalError)
    assert out["parsing_error"].refusal == REFUSAL
    assert isinstance(out["raw"], AIMessage)
    assert out["raw"].additional_kwargs["refusal"] == REFUSAL
