"""Standard content blocks for SkillBoss messages: langchain-core's own, plus refusals.

Messages carry `model_provider="skillboss"`, so `content_blocks` (and `output_version="v1"`
content, which is built from it) asks the translator registered here. Without a refusal,
it defers to langchain-core's best-effort parsing (text, tool calls, reasoning from
`reasoning_content`); with one, it adds the standard `refusal` block that
`ModelRefusalMiddleware` and refusal-aware parsers look for, after the other blocks.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages import content as types
from langchain_core.messages.block_translators import register_translator

PROVIDER = "skillboss"


def _with_refusal(message: AIMessage) -> list[types.ContentBlock]:
    refusal = message.additional_kwargs.get("refusal")
    if not refusal:
        raise NotImplementedError  # langchain-core's best-effort parsing is right here
    metadata: dict[str, Any] = dict(message.response_metadata)
    del metadata["model_provider"]
    plain = message.model_copy(update={"response_metadata": metadata})
    blocks = list(plain.content_blocks)
    blocks.append({"type": "refusal", "refusal": str(refusal)})
    return blocks


def translate_message(message: AIMessage) -> list[types.ContentBlock]:
    return _with_refusal(message)


def translate_chunk(chunk: AIMessageChunk) -> list[types.ContentBlock]:
    return _with_refusal(chunk)


# On import: every message ChatSkillBoss builds imports this module first (see outputs).
register_translator(PROVIDER, translate_message, translate_chunk)
