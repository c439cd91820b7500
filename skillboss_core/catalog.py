"""What the integration knows about each model id, with conservative defaults for the rest.

The gateway serves many vendors' models under one key and documents the same Chat
Completions parameters for all of them, so tools and response_format are assumed to
work; window sizes and modalities are only claimed where known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

DEFAULT_CONTEXT_WINDOW = 32_768
DEFAULT_MAX_OUTPUT_TOKENS = 4_096


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """Facts about one model id. Unknown ids get the class defaults (documented above)."""

    id: str
    context_window: int = DEFAULT_CONTEXT_WINDOW
    max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS
    supports_tools: bool = True
    supports_json_schema: bool = True
    supports_vision: bool = False
    supports_audio: bool = False
    supports_pdf: bool = False
    supports_reasoning: bool = False
    known: bool = False


_KNOWN: dict[str, dict[str, Any]] = {
    "openai/gpt-5.4-mini": {
        "context_window": 400_000,
        "max_output_tokens": 128_000,
        "supports_vision": True,
        "supports_pdf": True,
        "supports_reasoning": True,
    },
    "openai/gpt-5.4": {
        "context_window": 400_000,
        "max_output_tokens": 128_000,
        "supports_vision": True,
        "supports_pdf": True,
        "supports_reasoning": True,
    },
    "openai/gpt-4o-mini": {
        "context_window": 128_000,
        "max_output_tokens": 16_384,
        "supports_vision": True,
        "supports_audio": True,
        "supports_pdf": True,
    },
    "deepseek/deepseek-reasoner": {
        "context_window": 128_000,
        "max_output_tokens": 64_000,
        "supports_tools": False,
        "supports_json_schema": False,
        "supports_reasoning": True,
    },
    "deepseek/deepseek-chat": {
        "context_window": 128_000,
        "max_output_tokens": 8_192,
        "supports_json_schema": False,
    },
    "anthropic/claude-sonnet-4.5": {
        "context_window": 200_000,
        "max_output_tokens": 64_000,
        "supports_vision": True,
        "supports_pdf": True,
        "supports_reasoning": True,
    },
    # The gateway's docs list reel-31-api as a chat model taking the standard parameters.
    "reel-31-api": {},
}


def lookup(model_id: str, overrides: Mapping[str, Any] | None = None) -> ModelInfo:
    """The catalog entry for `model_id`, with per-instance `overrides` applied on top."""
    facts = _KNOWN.get(model_id)
    info = ModelInfo(id=model_id, known=True, **facts) if facts is not None else ModelInfo(model_id)
    return replace(info, **overrides) if overrides else info


def known_models() -> list[str]:
    """Model ids the catalog has facts for (not the gateway's live list: see list_models)."""
    return sorted(_KNOWN)
