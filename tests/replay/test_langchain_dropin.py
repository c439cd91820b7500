"""An LCEL chain written for ChatOpenAI runs unchanged on ChatSkillBoss.

`build_chain` below is ordinary ChatOpenAI code (prompt templates, bind_tools with a tool
choice, a tool-executing step, a parser, structured output, retries, config): nothing in
it knows which chat model it gets. The only line that changes in a user's code base is the
constructor, called here with ChatOpenAI's keyword arguments.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import (
    ConfigurableField,
    Runnable,
    RunnableLambda,
    RunnablePassthrough,
)
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from langchain_skillboss import ChatSkillBoss

pytestmark = pytest.mark.vcr


@tool
def get_order_status(order_id: str) -> str:
    """Look up the shipping status of an order by its id."""
    return f"Order {order_id} shipped yesterday and arrives tomorrow."


class Ticket(BaseModel):
    """A support ticket summary."""

    order_id: str = Field(description="The order id the customer asked about")
    summary: str = Field(description="One sentence summary of the answer")


# ---- code written for ChatOpenAI (unchanged) ------------------------------------------------

PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "You are a support agent. Use tools to look orders up."),
        MessagesPlaceholder("history"),
        ("human", "{question}"),
    ]
)


def build_chain(llm: BaseChatModel) -> Runnable[dict[str, Any], str]:
    """Question -> tool call -> tool result -> final answer, as in the LangChain docs."""
    llm_with_tools = llm.bind_tools([get_order_status], tool_choice="auto")

    def run_tools(state: dict[str, Any]) -> dict[str, Any]:
        call: AIMessage = state["call"]
        results: list[BaseMessage] = [get_order_status.invoke(c) for c in call.tool_calls]
        return {**state, "history": [*state["history"], call, *results]}

    return (
        RunnablePassthrough.assign(call=PROMPT | llm_with_tools)
        | RunnableLambda(run_tools)
        | PROMPT
        | llm.with_retry(stop_after_attempt=2)
        | StrOutputParser()
    )


def build_extractor(llm: BaseChatModel) -> Runnable[dict[str, Any], Any]:
    return PROMPT | llm.with_structured_output(Ticket)


# ---- the one changed line ------------------------------------------------------------------


def make_llm() -> ChatSkillBoss:
    # Was: ChatOpenAI(model="gpt-5.4-mini", temperature=0, max_tokens=300, timeout=30, ...)
    return ChatSkillBoss(
        model="openai/gpt-5.4-mini", temperature=0, max_tokens=300, timeout=30, max_retries=0
    )


QUESTION = {"question": "Where is my order order_id A-1001?", "history": []}


def test_tool_chain_runs_unchanged(vcr: Any) -> None:
    answer = build_chain(make_llm()).invoke(QUESTION)
    assert isinstance(answer, str) and answer
    # The model asked for the tool, and the tool's result went back to it.
    first, second = vcr.requests
    assert b'"tool_choice":"auto"' in first.body.replace(b" ", b"")
    assert b'"role":"tool"' in second.body.replace(b" ", b"")


def test_tool_chain_streams_unchanged(vcr: Any) -> None:
    pieces = list(build_chain(make_llm()).stream(QUESTION))
    assert len(pieces) > 1 and all(isinstance(piece, str) for piece in pieces)


async def test_tool_chain_async_and_batch_unchanged(vcr: Any) -> None:
    chain = build_chain(make_llm())
    answers = await chain.abatch([QUESTION, QUESTION])
    assert len(answers) == 2 and all(isinstance(a, str) and a for a in answers)


def test_structured_extraction_unchanged(vcr: Any) -> None:
    ticket = build_extractor(make_llm()).invoke(QUESTION)
    assert isinstance(ticket, Ticket)
    assert ticket.order_id


def test_tool_messages_in_history_unchanged(vcr: Any) -> None:
    history: list[BaseMessage] = [
        AIMessage(
            "",
            tool_calls=[{"name": "get_order_status", "args": {"order_id": "B-7"}, "id": "c1"}],
        ),
        ToolMessage("Order B-7 is delayed.", tool_call_id="c1", name="get_order_status"),
    ]
    chain = PROMPT | make_llm() | StrOutputParser()
    assert chain.invoke({"question": "And what about it?", "history": history})


def test_configurable_fields_and_alternatives_unchanged(vcr: Any) -> None:
    """init_chat_model-style runtime configuration: the model is rebuilt from its fields
    (key included, never re-read from text) with the configured values."""
    llm = make_llm().configurable_fields(
        temperature=ConfigurableField(id="temperature"),
        max_tokens=ConfigurableField(id="max_tokens"),
    )
    chain = (
        llm.configurable_alternatives(
            ConfigurableField(id="llm"),
            default_key="mini",
            big=make_llm().bind(model="openai/gpt-5.4"),
        )
        | StrOutputParser()
    )
    assert chain.invoke("Say hi.", config={"configurable": {"temperature": 0.7, "max_tokens": 20}})
    assert chain.invoke("Say hi.", config={"configurable": {"llm": "big"}})
    first, second = (json.loads(request.body) for request in vcr.requests)
    assert (first["model"], first["temperature"], first["max_tokens"]) == (
        "openai/gpt-5.4-mini",
        0.7,
        20,
    )
    assert (second["model"], second["temperature"]) == ("openai/gpt-5.4", 0)
