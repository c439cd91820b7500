"""The drop-in swap: LCEL chains written for ChatOpenAI, run unchanged on ChatSkillBoss.

`build_reply_chain` and `build_support_chain` are code a ChatOpenAI user already has
(prompt | model | parser, and a tool round trip): they take any LangChain chat model and
know nothing about which one. Moving to SkillBoss changes two lines, the import and the
constructor, which this script prints as a diff before running the chains.

langchain-openai is not a dependency of this project, so only the ChatSkillBoss side runs
here; with langchain-openai installed, `build_support_chain(ChatOpenAI(...))` is the same call.

Plain user code: copy it into a project and run it with a wholesale key.
    pip install ".[langchain]"   # in a clone of skillboss-integrations (not on PyPI yet)
    export SKILLBOSS_WHOLESALE_KEY=...
    python drop_in_swap.py
It calls SKILLBOSS_BASE_URL if set, else https://api.skillboss.co/v1. Without a key,
`make demo` in the clone replays answers recorded earlier for this script.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough
from langchain_core.tools import tool

from langchain_skillboss import ChatSkillBoss

# The constructor arguments both versions share; only the class and the model id differ.
SETTINGS: dict[str, Any] = {"temperature": 0, "max_tokens": 300, "timeout": 30}
OPENAI_MODEL = "gpt-5.4-mini"
SKILLBOSS_MODEL = "openai/gpt-5.4-mini"  # the gateway names models vendor/model

ORDERS = {"A1042": "shipped on Monday, arriving Thursday", "B7781": "waiting for stock"}


# ---- code written for ChatOpenAI: unchanged by the swap -------------------------------------

PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "You are a concise support agent for an online shop. Use the tools."),
        ("human", "{question}"),
        MessagesPlaceholder("history", optional=True),  # tool calls and their results
    ]
)


@tool
def order_status(order_id: str) -> str:
    """Look up the shipping status of an order by its order id."""
    return ORDERS.get(order_id.strip().upper(), f"no order {order_id}")


def build_reply_chain(llm: BaseChatModel) -> Runnable[dict[str, Any], str]:
    """prompt | model | parser."""
    return PROMPT | llm | StrOutputParser()


def build_support_chain(llm: BaseChatModel) -> Runnable[dict[str, Any], dict[str, Any]]:
    """question -> tool call -> tool result -> answer; the state keeps every step."""
    llm_with_tools = llm.bind_tools([order_status])

    def run_tools(state: dict[str, Any]) -> list[ToolMessage]:
        call: AIMessage = state["call"]
        return [order_status.invoke(tool_call) for tool_call in call.tool_calls]

    def with_results(state: dict[str, Any]) -> dict[str, Any]:
        return {"question": state["question"], "history": [state["call"], *state["results"]]}

    return (
        RunnablePassthrough.assign(call=PROMPT | llm_with_tools)
        .assign(results=run_tools)
        .assign(answer=RunnableLambda(with_results) | build_reply_chain(llm))
    )


# ---- the swap -------------------------------------------------------------------------------


def constructor_lines(cls: str, package: str, model: str) -> list[str]:
    arguments = ", ".join(f"{name}={value!r}" for name, value in SETTINGS.items())
    return [f"from {package} import {cls}", f'llm = {cls}(model="{model}", {arguments})']


def swap_diff() -> list[str]:
    """The lines that change in a ChatOpenAI code base, each as a -/+ pair."""
    before = constructor_lines("ChatOpenAI", "langchain_openai", OPENAI_MODEL)
    after = constructor_lines("ChatSkillBoss", "langchain_skillboss", SKILLBOSS_MODEL)
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    return [line for old, new in changed for line in (f"- {old}", f"+ {new}")]


def main() -> None:
    print("\nThe swap (build_reply_chain and build_support_chain do not change):")
    for line in swap_diff():
        print(f"  {line}")
    llm = ChatSkillBoss(model=SKILLBOSS_MODEL, **SETTINGS)

    # 1. prompt | model | parser, streamed: text appears as it arrives.
    print("\nreply chain (streamed): ", end="")
    for piece in build_reply_chain(llm).stream({"question": "Greet a new customer briefly."}):
        print(piece, end="", flush=True)
    print()

    # 2. The same prompt with a tool: the model calls it, the result goes back, it answers.
    question = "What is the status of order id A1042?"
    print(f"\nsupport chain: {question}")
    state = build_support_chain(llm).invoke({"question": question})
    for call, result in zip(state["call"].tool_calls, state["results"], strict=True):
        print(f"[tool] {call['name']}({call['args']}) -> {result.content}")
    print("answer:", state["answer"])


if __name__ == "__main__":
    main()
