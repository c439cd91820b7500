"""The model catalog: known facts, conservative defaults, per-instance overrides."""

from __future__ import annotations

from skillboss_core import known_models, lookup
from skillboss_core.catalog import DEFAULT_CONTEXT_WINDOW, DEFAULT_MAX_OUTPUT_TOKENS


def test_known_model_has_its_facts() -> None:
    info = lookup("openai/gpt-5.4-mini")
    assert info.known and info.context_window == 400_000 and info.supports_reasoning
    assert "reel-31-api" in known_models()


def test_unknown_model_gets_documented_conservative_defaults() -> None:
    info = lookup("vendor/brand-new-model")
    assert not info.known
    assert info.context_window == DEFAULT_CONTEXT_WINDOW
    assert info.max_output_tokens == DEFAULT_MAX_OUTPUT_TOKENS
    assert info.supports_tools and not info.supports_vision and not info.supports_reasoning


def test_overrides_apply_on_top() -> None:
    info = lookup("openai/gpt-5.4-mini", {"context_window": 1000, "supports_tools": False})
    assert info.context_window == 1000 and not info.supports_tools and info.supports_vision
