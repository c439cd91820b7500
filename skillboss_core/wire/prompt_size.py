"""How many tokens a chat request's prompt is, estimated offline from its wire body.

A budget must know what a call may cost before it is sent, when no usage exists yet. The
text of every message, tool call, tool definition and response schema is counted with the
catalog's o200k_base estimate (`catalog.tokens`, within about 15% on prose, code and JSON);
each message adds the Chat Completions framing, each image, audio or file part a flat
figure (its real cost depends on the model and the size). The exact count is always the
gateway's reported usage.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from skillboss_core.catalog.tokens import count_text

# Chat Completions framing: per-message overhead and the reply primer (OpenAI's figures).
MESSAGE_OVERHEAD = 3
REPLY_PRIMER = 3
# A flat estimate per image/audio/file part.
MEDIA_TOKENS = 85


def content_tokens(content: Any) -> int:
    """A message's content: text, or a list of parts (text counted, media flat)."""
    if isinstance(content, str):
        return count_text(content)
    if not isinstance(content, Sequence):
        return 0
    total = 0
    for part in content:
        if isinstance(part, str):
            total += count_text(part)
        elif isinstance(part, Mapping) and isinstance(part.get("text"), str):
            total += count_text(part["text"])
        else:
            total += MEDIA_TOKENS
    return total


def _json_tokens(value: Any) -> int:
    return count_text(json.dumps(value, ensure_ascii=False, default=str))


def message_tokens(message: Mapping[str, Any]) -> int:
    """One wire message: its framing, content, name, tool calls and tool call id."""
    total = MESSAGE_OVERHEAD + content_tokens(message.get("content"))
    for name in ("name", "tool_call_id", "refusal"):
        value = message.get(name)
        if isinstance(value, str):
            total += count_text(value)
    for call in message.get("tool_calls") or ():
        function = call.get("function") if isinstance(call, Mapping) else None
        if isinstance(function, Mapping):
            total += count_text(str(function.get("name", "")))
            total += count_text(str(function.get("arguments", "")))
    return total


def prompt_tokens_of(body: Mapping[str, Any]) -> int:
    """The estimated prompt tokens of a /chat/completions body: messages, tools and the
    response format's schema."""
    total = REPLY_PRIMER
    for message in body.get("messages") or ():
        if isinstance(message, Mapping):
            total += message_tokens(message)
    for name in ("tools", "functions", "response_format"):
        value = body.get(name)
        if value:
            total += _json_tokens(value)
    return total
