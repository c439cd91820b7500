"""Prices and the cost of a call: LiteLLM's list prices carried into the catalog by
`make catalog`, found under every id form the catalog accepts.

Expected figures are written as the arithmetic a reader checks against the price file
(`skillboss_core/catalog/catalog_data.json`, itself generated from litellm==1.110.2's table).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from skillboss_core.catalog.models import catalog_data
from skillboss_core.catalog.prices import price_of

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_catalog", ROOT / "scripts/build_catalog.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_catalog = _generator()


# ---- the generator: which of the table's price fields reach the catalog ---------------------


def test_the_generator_keeps_standard_tier_prices_and_long_prompt_tiers() -> None:
    entry: dict[str, Any] = {
        "litellm_provider": "gemini",
        "input_cost_per_token": 1.25e-06,
        "output_cost_per_token": 1e-05,
        "cache_read_input_token_cost": 1.25e-07,
        "output_cost_per_reasoning_token": 1.2e-05,
        "input_cost_per_audio_token": 2e-06,
        "input_cost_per_token_above_200k_tokens": 2.5e-06,
        "output_cost_per_token_above_200k_tokens": 1.5e-05,
        "cache_read_input_token_cost_above_200k_tokens": 2.5e-07,
        "input_cost_per_token_above_128_tokens": 9e-06,  # a threshold without a `k`
        # Not the standard service tier, a cache lifetime, per-request units: left out.
        "input_cost_per_token_batches": 6.25e-07,
        "input_cost_per_token_above_200k_tokens_priority": 4.5e-06,
        "cache_creation_input_token_cost_above_1hr": 6e-06,
        "input_cost_per_character": 3e-07,
        "search_context_cost_per_query": {"search_context_size_low": 0.035},
        # Not prices: left out, never guessed from.
        "output_cost_per_audio_token": "8e-05",
        "cache_creation_input_token_cost": -1.0,
    }
    assert build_catalog.prices_of(entry) == {
        "input": 1.25e-06,
        "output": 1e-05,
        "cache_read": 1.25e-07,
        "reasoning": 1.2e-05,
        "audio_input": 2e-06,
        "tiers": [
            {"above": 128, "input": 9e-06},
            {"above": 200_000, "input": 2.5e-06, "output": 1.5e-05, "cache_read": 2.5e-07},
        ],
    }


def test_an_inclusive_threshold_is_written_one_token_lower() -> None:
    """xAI bills the higher tier from 200,000 prompt tokens on; the catalog's `above` always
    means "more than"."""
    entry = {
        "litellm_provider": "xai",
        "input_cost_per_token": 1e-06,
        "input_cost_per_token_above_200k_tokens": 2e-06,
    }
    assert build_catalog.prices_of(entry)["tiers"] == [{"above": 199_999, "input": 2e-06}]


def test_ranged_tiers_bill_every_token_at_their_own_rates() -> None:
    """Alibaba's `tiered_pricing`: the first range is the base, a rate a tier leaves out is
    its own input (cache) or output (reasoning) rate, never a lower tier's."""
    entry = {
        "litellm_provider": "dashscope",
        "output_cost_per_token": 7e-06,  # stands in for a tier without an output rate
        "cache_read_input_token_cost": 1e-09,  # the tiers' rates replace the model's own
        "tiered_pricing": [
            {"input_cost_per_token": 2e-06, "output_cost_per_token": 4e-06, "range": [32e3, 1e6]},
            {
                "input_cost_per_token": 1e-06,
                "output_cost_per_token": 2e-06,
                "cache_read_input_token_cost": 1e-07,
                "range": [0, 32e3],
            },
        ],
    }
    assert build_catalog.prices_of(entry) == {
        "input": 1e-06,
        "output": 2e-06,
        "cache_read": 1e-07,
        "tiers": [{"above": 32_000, "input": 2e-06, "output": 4e-06, "cache_read": 2e-06}],
    }
    entry["tiered_pricing"][1].pop("output_cost_per_token")
    assert build_catalog.prices_of(entry)["output"] == 7e-06


def test_no_input_price_means_no_prices() -> None:
    assert build_catalog.prices_of({"output_cost_per_token": 1e-06}) is None
    ranged_without_input = {"tiered_pricing": [{"output_cost_per_token": 1e-06, "range": [0, 9]}]}
    assert build_catalog.prices_of(ranged_without_input) is None
    assert build_catalog.facts("m", "openai", {"max_input_tokens": 9}) is not None
    assert "prices" not in build_catalog.facts("m", "openai", {"max_input_tokens": 9})


@pytest.mark.parametrize(
    ("section", "name", "source", "prices"),
    [
        (
            "models",
            "gpt-5-4",
            "gpt-5.4",
            {
                "input": 2.5e-06,
                "output": 1.5e-05,
                "cache_read": 2.5e-07,
                "tiers": [
                    {"above": 272000, "input": 5e-06, "output": 2.25e-05, "cache_read": 5e-07}
                ],
            },
        ),
        (
            "models",
            "claude-sonnet-4-5",
            "claude-sonnet-4-5",
            {"input": 3e-06, "output": 1.5e-05, "cache_read": 3e-07, "cache_write": 3.75e-06},
        ),
        (
            "embedding_models",
            "text-embedding-3-small",
            "text-embedding-3-small",
            {"input": 2e-08, "output": 0.0},
        ),
    ],
)
def test_the_generated_file_carries_the_tables_prices(
    section: str, name: str, source: str, prices: dict[str, Any]
) -> None:
    entry = catalog_data()[section][name]
    assert (entry["from"], entry["prices"]) == (source, prices)


# ---- list prices by model id ----------------------------------------------------------------

PRICE_DATA = "LiteLLM's model table ({})".format(catalog_data()["source"]["package"])


@pytest.mark.parametrize(
    "model_id", ["openai/gpt-5.4-mini", "gpt-5.4-mini", "GPT-5.4-mini", "openai/gpt_5_4_mini"]
)
def test_prices_are_found_under_every_id_form_of_the_catalog(model_id: str) -> None:
    price = price_of(model_id)
    assert price is not None
    assert (price.id, price.input, price.output, price.cache_read) == (
        model_id,
        7.5e-07,
        4.5e-06,
        7.5e-08,
    )
    assert price.tiers == () and price.price_data == PRICE_DATA
    assert price.source.startswith("'gpt-5.4-mini'")


def test_a_dated_snapshot_of_a_listed_model_has_the_models_prices() -> None:
    price = price_of("anthropic/claude-sonnet-4-5-20250929")
    assert price is not None and (price.input, price.cache_write) == (3e-06, 3.75e-06)


@pytest.mark.parametrize(
    "model_id",
    [
        "no-such-model-9",
        "openai/gpt-9-ultra",
        "llama-3-3-70b-instruct",  # in the catalog, but the table gives it no price
        "reel-31-api",  # an override: facts, no prices
        "",
    ],
)
def test_an_unknown_or_unpriced_model_has_no_price(model_id: str) -> None:
    assert price_of(model_id) is None


def test_list_prices_of_a_call_from_plain_counts() -> None:
    price = price_of("openai/gpt-5.4")
    assert price is not None
    assert price.usd(1000, 200, cached_tokens=400) == pytest.approx(
        600 * 2.5e-06 + 400 * 2.5e-07 + 200 * 1.5e-05
    )
    assert price.usd(272_001, 0) == pytest.approx(272_001 * 5e-06)
    assert price.usd(10, 0, cached_tokens=11) is None
