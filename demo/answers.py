"""The stand-in's scripted answers to the examples' questions, for recording their cassettes.

`make record-local` records the examples against a local server that answers from this
table, so that the offline demo shows on-topic answers: a tool call where an example asks a
question its tools answer, then a sentence built from the tool results the example sent back.
A question not in the table gets a 400 naming it, so a changed example cannot be recorded
with a made-up answer. `make record` (a key) records the live gateway's answers instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.support.scripted_gateway import (
    CREATED,
    Meta,
    Reply,
    ScriptResult,
    ToolCall,
    completion_json,
    error_body,
    message_text,
    stream_events,
)

# Tool results the example sent back, by tool name.
Results = Mapping[str, str]


@dataclass(frozen=True)
class Answer:
    """What the stand-in says when the last user message contains `question`: first the
    tool calls (if any), then, once their results are back, `text` (or `text(results)`)."""

    question: str
    text: str | Callable[[Results], str]
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)


ANSWERS = (
    # langchain_quickstart.py
    Answer(
        "what is the SkillBoss gateway good for?",
        "One OpenAI-compatible endpoint and one wholesale key for many vendors' models, "
        "so switching models is a one-line change.",
    ),
    Answer("Say hello to a new LangChain user", "Hello, and welcome to LangChain!"),
    Answer(
        "Extract the city.",
        json.dumps({"name": "Paris", "country": "France", "population": 2100000}),
    ),
    # langchain_agent.py
    Answer(
        "What is the weather in Paris, and what are 250 euros in currency JPY?",
        lambda r: f"Paris is {r['get_weather']} today, and 250 euros are {r['convert_currency']}.",
        calls={
            "get_weather": {"city": "Paris"},
            "convert_currency": {"amount": 250, "currency": "JPY"},
        },
    ),
    # llamaindex_rag.py: the answers restate the retrieved document they come from.
    Answer(
        "What does an HTTP 503 from the gateway mean?",
        "It means the lite-tier discount pool is out of capacity: retry later, or fall back "
        "to a standard-tier model.",
    ),
    Answer(
        "How is wholesale usage billed?",
        "Per million tokens, at a contract discount on the vendor's list price, with no "
        "platform markup.",
    ),
    # llamaindex_agent.py
    Answer(
        "What is the weather in Paris, and what is 21 Celsius in Fahrenheit?",
        lambda r: (
            f"Paris is {r['get_weather']} today, and 21 °C is {r['celsius_to_fahrenheit']} °F."
        ),
        calls={"get_weather": {"city": "Paris"}, "celsius_to_fahrenheit": {"celsius": 21}},
    ),
    # drop_in_swap.py
    Answer("Greet a new customer briefly.", "Hello and welcome! How can I help you today?"),
    Answer(
        "What is the status of order id A1042?",
        lambda r: f"Order A1042 was {r['order_status']}.",
        calls={"order_status": {"order_id": "A1042"}},
    ),
)


def _tool_results(messages: list[dict[str, Any]]) -> dict[str, str]:
    """The results sent back after the last assistant turn, by the name of the tool called."""
    names = {
        call["id"]: call["function"]["name"]
        for message in messages
        for call in message.get("tool_calls") or []
    }
    return {
        names.get(message.get("tool_call_id"), "?"): message_text(message.get("content"))
        for message in messages
        if message.get("role") == "tool"
    }


def reply_for(body: dict[str, Any]) -> Reply | None:
    """The scripted reply to a request body, or None when no answer is scripted for it."""
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    users = [message_text(m.get("content")) for m in messages if m.get("role") == "user"]
    asked = users[-1] if users else ""
    for answer in ANSWERS:
        if answer.question not in asked:
            continue
        results = _tool_results(messages)
        if answer.calls and not results:
            calls = [
                ToolCall(f"call_{name}", name, json.dumps(arguments))
                for name, arguments in answer.calls.items()
            ]
            return Reply(content=None, finish_reason="tool_calls", tool_calls=calls)
        text = answer.text if isinstance(answer.text, str) else answer.text(results)
        return Reply(content=text)
    return None


def answer(body: dict[str, Any]) -> ScriptResult:
    """A ScriptedGateway script: the scripted reply, streamed or not as the request asks."""
    reply = reply_for(body)
    if reply is None:
        asked = json.dumps(body.get("messages", [])[-1:], ensure_ascii=False)[:300]
        problem = f"the demo's stand-in has no scripted answer for {asked} (demo/answers.py)"
        return (
            400,
            {"Content-Type": "application/json"},
            json.dumps(error_body(400, problem)).encode(),
        )
    meta = Meta.for_body(body, 1, "openai", CREATED)
    if body.get("stream") is True:
        events = b"".join(event.data for event in stream_events(body, reply, meta))
        return 200, {"Content-Type": "text/event-stream"}, events
    return (
        200,
        {"Content-Type": "application/json"},
        json.dumps(completion_json(body, reply, meta)).encode(),
    )
