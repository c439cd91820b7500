"""Approximate, offline token counting.

The gateway serves many vendors' models, each with its own tokenizer, and LangChain's default
counter downloads a GPT-2 tokenizer. This estimate needs nothing: words and punctuation are
pieces, a word of up to seven characters is one token and longer words count one token per
five characters (close to BPE tokenizers on English text and code). Use it for budgeting and
trimming, not for billing: the gateway's `usage_metadata` is the exact count.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from langchain_skillboss.tools import format_tools

_PIECES = re.compile(r"\w+|[^\w\s]")
_WHOLE_WORD = 7
_CHARS_PER_PIECE = 5
# Chat Completions framing: per-message overhead and the reply primer (OpenAI's figures).
MESSAGE_OVERHEAD = 3
REPLY_PRIMER = 3
# A flat estimate per image/audio/file part: its real cost depends on the model and size.
MEDIA_TOKENS = 85


def token_pieces(text: str) -> list[str]:
    """The approximate tokens of `text`."""
    pieces: list[str] = []
    for piece in _PIECES.findall(text):
        if len(piece) <= _WHOLE_WORD:
            pieces.append(piece)
        else:
            pieces.extend(
                piece[start : start + _CHARS_PER_PIECE]
                for start in range(0, len(piece), _CHARS_PER_PIECE)
            )
    return pieces


def token_ids(text: str) -> list[int]:
    """Stable pseudo ids (a CRC of each piece): equal pieces get equal ids."""
    return [zlib.crc32(piece.encode("utf-8")) for piece in token_pieces(text)]


def count_text(text: str) -> int:
    return len(token_pieces(text))


def _count_content(content: str | list[Any]) -> int:
    if isinstance(content, str):
        return count_text(content)
    total = 0
    for block in content:
        if isinstance(block, str):
            total += count_text(block)
        elif isinstance(block, dict) and isinstance(block.get("text"), str):
            total += count_text(block["text"])
        else:
            total += MEDIA_TOKENS
    return total


def count_messages(messages: Sequence[BaseMessage], tools: Sequence[Any] | None = None) -> int:
    """Approximate prompt tokens for `messages` (and tool definitions, if given)."""
    total = REPLY_PRIMER
    for message in messages:
        total += MESSAGE_OVERHEAD + _count_content(message.content)
        if message.name:
            total += count_text(message.name)
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                total += count_text(call["name"]) + count_text(json.dumps(call["args"]))
        if isinstance(message, ToolMessage):
            total += count_text(message.tool_call_id)
    if tools:
        total += count_text(json.dumps(format_tools(tools)))
    return total
