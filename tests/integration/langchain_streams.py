"""The one message a LangChain stream adds up to, for the tests that stream ChatSkillBoss."""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

from langchain_core.messages import AIMessageChunk, BaseMessage


def aggregate(chunks: Sequence[BaseMessage]) -> AIMessageChunk:
    """The chunks summed as LangChain sums them; every chunk must be an AIMessageChunk."""
    assert chunks and all(isinstance(chunk, AIMessageChunk) for chunk in chunks)
    return reduce(lambda a, b: a + b, chunks)  # type: ignore[arg-type, return-value]
