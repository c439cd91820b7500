"""Every chunk of one streamed ChatSkillBoss message carries the same id, however LangChain
streams it: `stream`, LangGraph's `stream_mode="messages"` and `astream_events`.

Many chunks to one message id is what lets LangGraph and LangSmith merge the pieces into one
message; the scripted answer streams in word-sized deltas, so there are several chunks.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage

from langchain_skillboss import ChatSkillBoss
from tests.support.scripted_gateway import ScriptedGateway

MODEL = "openai/gpt-5.4-mini"
ANSWER = "A streamed answer in several pieces."


def chat(server: ScriptedGateway) -> ChatSkillBoss:
    return ChatSkillBoss(model=MODEL, api_key="sk-test", base_url=server.base_url, max_retries=0)


def assert_one_id(chunks: list[Any]) -> None:
    ids = {chunk.id for chunk in chunks}
    assert len(chunks) > 1
    assert len(ids) == 1 and None not in ids, [chunk.id for chunk in chunks]


def test_stream_chunks_share_one_id(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(ANSWER)
    chunks = list(chat(gateway_server).stream("hi"))
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert total.text == ANSWER
    assert_one_id(chunks)


def test_langgraph_messages_stream_chunks_share_one_id(gateway_server: ScriptedGateway) -> None:
    # The `agents` dependency group (langchain needs langchain-core >= 1.7.7) is absent on
    # the lowest-versions leg, where only this test is skipped.
    agents = pytest.importorskip("langchain.agents", reason="needs the agents dependency group")
    gateway_server.queue(ANSWER)
    agent = agents.create_agent(chat(gateway_server), tools=[])
    chunks = [
        message
        for message, _metadata in agent.stream(
            {"messages": [HumanMessage("hi")]}, stream_mode="messages"
        )
        if isinstance(message, AIMessageChunk)
    ]
    assert "".join(chunk.text for chunk in chunks) == ANSWER
    assert_one_id(chunks)


async def test_astream_events_chunks_share_one_id(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(ANSWER)
    chunks = [
        event["data"]["chunk"]
        async for event in chat(gateway_server).astream_events("hi", version="v2")
        if event["event"] == "on_chat_model_stream"
    ]
    assert "".join(chunk.text for chunk in chunks) == ANSWER
    assert_one_id(chunks)
