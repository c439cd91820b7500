"""Approximate, offline token counting for LangChain: messages, tool calls and tools.

The text estimate is the core's (skillboss_core.catalog.tokens, within about 15% of o200k_base, the
default model's tokenizer, on prose, code and JSON in the major scripts); this module adds
what a chat request puts around the text. LangChain's default counter would download a GPT-2
tokenizer instead. Use it for budgeting and trimming, not for billing: the gateway's
`usage_metadata` is the exact count.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from langchain_skillboss.tools import format_tools
from skillboss_core.catalog.tokens import count_text, token_ids, token_pieces
from skillboss_core.wire.prompt_size import (
    MEDIA_TOKENS,
    MESSAGE_OVERHEAD,
    REPLY_PRIMER,
    content_tokens,
)

__all__ = [
    "MEDIA_TOKENS",
    "MESSAGE_OVERHEAD",
    "REPLY_PRIMER",
    "count_messages",
    "count_text",
    "token_ids",
    "token_pieces",
]


def count_messages(messages: Sequence[BaseMessage], tools: Sequence[Any] | None = None) -> int:
    """Approximate prompt tokens for `messages` (and tool definitions, if given)."""
    total = REPLY_PRIMER
    for message in messages:
        total += MESSAGE_OVERHEAD + content_tokens(message.content)
        if message.name:
            total += count_text(message.name)
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                arguments = json.dumps(call["args"], ensure_ascii=False)  # as on the wire
                total += count_text(call["name"]) + count_text(arguments)
        if isinstance(message, ToolMessage):
            total += count_text(message.tool_call_id)
    if tools:
        total += count_text(json.dumps(format_tools(tools), ensure_ascii=False))
    return total
