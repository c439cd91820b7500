"""Scripted answers keyed by the question asked, for the suites that record cassettes.

The examples, the README snippets and the LangChain standard suite are recorded with
`make record-local` against the scripted server on 127.0.0.1. Each states, in a table next
to it, what the stand-in answers each question it asks: the tool calls first (when the
question needs tools), then, once their results are back, a text built from them. A question
not in the table gets a 400 naming it and the table, so a changed test cannot be recorded
with a made-up answer. `make record` records the live gateway's answers instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.support.scripted_gateway import ScriptResult
from tests.support.wire import Reply, ToolCall, error_body, message_text

# Tool results sent back after the last user question, by tool name.
Results = Mapping[str, str]


@dataclass(frozen=True)
class Answer:
    """What the stand-in says when the last user message contains `question`: first the
    tool calls (if any), then, once their results are back, `text` (or `text(results)`),
    with `reasoning` when the model thinks aloud."""

    question: str
    text: str | Callable[[Results], str]
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    reasoning: str | None = None


def tool_results(messages: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The tool results sent after the last user message, by the name of the tool called."""
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    names = {
        call.get("id"): call.get("function", {}).get("name")
        for message in messages
        for call in message.get("tool_calls") or []
    }
    return {
        str(names.get(message.get("tool_call_id"), "?")): message_text(message.get("content"))
        for message in messages[last_user + 1 :]
        if message.get("role") == "tool"
    }


# A question shorter than this must be the whole message ("hi" is in many questions).
_WHOLE_MESSAGE_BELOW = 20


def _asks(message: str, question: str) -> bool:
    """Whether a user message asks `question`: the whole message, or, for a question long
    enough not to be found by accident, a part of it (LlamaIndex wraps a query in its
    prompt templates)."""
    message, question = " ".join(message.split()), " ".join(question.split())
    if len(question) < _WHOLE_MESSAGE_BELOW:
        return message == question
    return question in message


def reply_for(table: Sequence[Answer], body: Mapping[str, Any]) -> Reply | None:
    """The scripted reply to a request body, or None when the table has no answer for it.
    The first entry whose question the last user message asks answers."""
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    users = [message_text(m.get("content")) for m in messages if m.get("role") == "user"]
    asked = users[-1] if users else ""
    for answer in table:
        if not _asks(asked, answer.question):
            continue
        results = tool_results(messages)
        if answer.calls and not results:
            calls = [
                ToolCall(name, arguments, id=f"call_{name}")
                for name, arguments in answer.calls.items()
            ]
            return Reply(tool_calls=calls, reasoning=answer.reasoning)
        text = answer.text if isinstance(answer.text, str) else answer.text(results)
        return Reply(text, reasoning=answer.reasoning)
    return None


def answering(
    table: Sequence[Answer], where: str
) -> Callable[[dict[str, Any]], ScriptResult | Reply]:
    """A ScriptedGateway script answering from `table` (the server streams the reply or not
    as the request asks), or a 400 naming the question and `where` the table lives."""

    def script(body: dict[str, Any]) -> ScriptResult | Reply:
        reply = reply_for(table, body)
        if reply is not None:
            return reply
        asked = json.dumps((body.get("messages") or [])[-1:], ensure_ascii=False)[:300]
        problem = f"the stand-in has no scripted answer for {asked} ({where})"
        return (
            400,
            {"Content-Type": "application/json"},
            json.dumps(error_body(400, problem)).encode(),
        )

    return script
