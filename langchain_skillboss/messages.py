"""LangChain messages -> Chat Completions wire messages.

Conversion runs before anything is sent, so a message the gateway could not take fails
here with a clear error instead of as a 400 after a network round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_skillboss.content import assistant_text, to_parts
from skillboss_core import InvalidParameterError
from skillboss_core.wire.builders import assistant_message, default_call_id, tool_call, wire_role


def _with_name(wire: dict[str, Any], message: BaseMessage) -> dict[str, Any]:
    if message.name:
        wire["name"] = message.name
    return wire


def _assistant(message: AIMessage) -> dict[str, Any]:
    calls = [
        tool_call(call.get("id") or default_call_id(position), call["name"], call["args"])
        for position, call in enumerate(message.tool_calls)
    ]
    calls.extend(
        tool_call(
            call.get("id") or default_call_id(len(calls) + position),
            call.get("name") or "",
            call.get("args") or "",
        )
        for position, call in enumerate(message.invalid_tool_calls)
    )
    return _with_name(assistant_message(assistant_text(message.content), calls), message)


def _tool(message: ToolMessage) -> dict[str, Any]:
    # Chat Completions has no error flag for tool results: `status="error"` messages are sent
    # with their content as-is (LangChain's tool error text already says what went wrong).
    return {
        "role": "tool",
        "tool_call_id": message.tool_call_id,
        "content": to_parts(message.content),
    }


def to_wire(message: BaseMessage) -> dict[str, Any]:
    """One LangChain message as a Chat Completions message dict."""
    if isinstance(message, HumanMessage):
        return _with_name({"role": "user", "content": to_parts(message.content)}, message)
    if isinstance(message, AIMessage):
        return _assistant(message)
    if isinstance(message, SystemMessage):
        return _with_name({"role": "system", "content": to_parts(message.content)}, message)
    if isinstance(message, ToolMessage):
        return _tool(message)
    if isinstance(message, ChatMessage):
        role = wire_role(message.role)
        if role == "tool":
            raise InvalidParameterError(
                f"ChatMessage role {message.role!r} carries no tool_call_id: send tool results "
                "as ToolMessage(content, tool_call_id=...)"
            )
        return _with_name({"role": role, "content": to_parts(message.content)}, message)
    if isinstance(message, FunctionMessage):
        # The gateway documents user, assistant, system and tool; a legacy function result
        # has no tool_call_id, so it cannot be sent as a tool result either.
        raise InvalidParameterError(
            f"FunctionMessage ({message.name}) is the legacy function-calling format the "
            "gateway does not take: send tool results as ToolMessage(content, tool_call_id=...)"
        )
    raise InvalidParameterError(
        f"Cannot send a {type(message).__name__}: use SystemMessage, HumanMessage, AIMessage, "
        "ToolMessage or ChatMessage."
    )


def to_wire_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    return [to_wire(message) for message in messages]
