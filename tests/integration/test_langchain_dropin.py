"""An LCEL chain written for ChatOpenAI runs unchanged on ChatSkillBoss.

`build_chain` below is ordinary ChatOpenAI code (prompt templates, bind_tools with a tool
choice, a tool-executing step, a parser, structured output, retries, config): nothing in
it knows which chat model it gets. The only line that changes in a user's code base is the
constructor, called here with ChatOpenAI's keyword arguments (plus the scripted gateway's
URL). The support desk's answers are scripted below (`support_desk`).
"""

from __future__ import annotations

from typing import Any

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
from tests.support.scripted_gateway import Reply, ScriptedGateway, ToolCall


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


def make_llm(server: ScriptedGateway) -> ChatSkillBoss:
    # Was: ChatOpenAI(model="gpt-5.4-mini", temperature=0, max_tokens=300, timeout=30, ...)
    return ChatSkillBoss(
        model="openai/gpt-5.4-mini",
        temperature=0,
        max_tokens=300,
        timeout=30,
        max_retries=0,
        base_url=server.base_url,
    )


# ---- the scripted support desk ---------------------------------------------------------------

QUESTION = {"question": "Where is my order order_id A-1001?", "history": []}
ANSWER = "Your order A-1001 shipped yesterday; it arrives tomorrow."


def support_desk(body: dict[str, Any]) -> Reply:
    """Look the order up first; once the tool's result is in the conversation, answer.
    (By content rather than in turn, so concurrent chains each get the right step.)"""
    if any(message.get("role") == "tool" for message in body["messages"]):
        return Reply(ANSWER)
    return Reply(tool_calls=[ToolCall("get_order_status", {"order_id": "A-1001"})])


def test_tool_chain_runs_unchanged(gateway_server: ScriptedGateway) -> None:
    gateway_server.script(support_desk)
    answer = build_chain(make_llm(gateway_server)).invoke(QUESTION)
    assert answer == ANSWER
    # The model asked for the tool, and the tool's result went back to it.
    first, second = (request.json for request in gateway_server.requests)
    assert first["tool_choice"] == "auto"
    assert first["tools"][0]["function"]["name"] == "get_order_status"
    (result,) = [m for m in second["messages"] if m["role"] == "tool"]
    assert result["content"] == "Order A-1001 shipped yesterday and arrives tomorrow."
    assert "tools" not in second  # the answering step is the plain model


def test_tool_chain_streams_unchanged(gateway_server: ScriptedGateway) -> None:
    gateway_server.script(support_desk)
    pieces = list(build_chain(make_llm(gateway_server)).stream(QUESTION))
    assert len(pieces) > 1 and all(isinstance(piece, str) for piece in pieces)
    assert "".join(pieces) == ANSWER


async def test_tool_chain_async_and_batch_unchanged(gateway_server: ScriptedGateway) -> None:
    gateway_server.script(support_desk)
    chain = build_chain(make_llm(gateway_server))
    answers = await chain.abatch([QUESTION, QUESTION])
    assert answers == [ANSWER, ANSWER]
    assert len(gateway_server.requests) == 4


def test_structured_extraction_unchanged(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue('{"order_id": "A-1001", "summary": "It arrives tomorrow."}')
    ticket = build_extractor(make_llm(gateway_server)).invoke(QUESTION)
    assert ticket == Ticket(order_id="A-1001", summary="It arrives tomorrow.")
    assert gateway_server.requests[0].json["response_format"]["json_schema"]["name"] == "Ticket"


def test_tool_messages_in_history_unchanged(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue("Order B-7 is delayed; it should arrive next week.")
    history: list[BaseMessage] = [
        AIMessage(
            "",
            tool_calls=[{"name": "get_order_status", "args": {"order_id": "B-7"}, "id": "c1"}],
        ),
        ToolMessage("Order B-7 is delayed.", tool_call_id="c1", name="get_order_status"),
    ]
    chain = PROMPT | make_llm(gateway_server) | StrOutputParser()
    answer = chain.invoke({"question": "And what about it?", "history": history})
    assert answer == "Order B-7 is delayed; it should arrive next week."
    roles = [m["role"] for m in gateway_server.requests[0].messages]
    assert roles == ["system", "assistant", "tool", "user"]


def test_configurable_fields_and_alternatives_unchanged(gateway_server: ScriptedGateway) -> None:
    """init_chat_model-style runtime configuration: the model is rebuilt from its fields
    (key included, never re-read from text) with the configured values."""
    gateway_server.queue("Hi!", "Hello!")
    llm = make_llm(gateway_server).configurable_fields(
        temperature=ConfigurableField(id="temperature"),
        max_tokens=ConfigurableField(id="max_tokens"),
    )
    chain = (
        llm.configurable_alternatives(
            ConfigurableField(id="llm"),
            default_key="mini",
            big=make_llm(gateway_server).bind(model="openai/gpt-5.4"),
        )
        | StrOutputParser()
    )
    configured = {"temperature": 0.7, "max_tokens": 20}
    assert chain.invoke("Say hi.", config={"configurable": configured}) == "Hi!"
    assert chain.invoke("Say hi.", config={"configurable": {"llm": "big"}}) == "Hello!"
    first, second = (request.json for request in gateway_server.requests)
    assert (first["model"], first["temperature"], first["max_tokens"]) == (
        "openai/gpt-5.4-mini",
        0.7,
        20,
    )
    assert (second["model"], second["temperature"]) == ("openai/gpt-5.4", 0)
