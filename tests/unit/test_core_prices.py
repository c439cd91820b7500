"""Prices and the cost of a call: LiteLLM's list prices carried into the catalog by
`make catalog`, found under every id form the catalog accepts.

Expected figures are written as the arithmetic a reader checks against the price file
(`skillboss_core/catalog/catalog_data.json`, itself generated from litellm==1.110.2's table).
"""

from __future__ import annotations

import importlib.util
import math
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from skillboss_core import GatewaySettings
from skillboss_core.catalog.models import catalog_data
from skillboss_core.catalog.prices import price_of
from skillboss_core.errors import InvalidParameterError
from skillboss_core.security.env_names import DISCOUNT_ENV
from skillboss_core.wire.cost import Cost, cost_of, estimate_cost, reported_cost
from skillboss_core.wire.results import Usage

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
    assert estimate_cost(model_id, Usage(prompt_tokens=10, completion_tokens=5)) is None


def test_an_embedding_model_is_priced_by_its_input() -> None:
    cost = estimate_cost("openai/text-embedding-3-small", Usage(prompt_tokens=1000))
    assert cost is not None and cost.usd == pytest.approx(1000 * 2e-08)
    # Mistral's embedding models have no output price: input alone is priced, output is not.
    assert estimate_cost("mistral-embed", Usage(prompt_tokens=1000)) == Cost(
        pytest.approx(1000 * 1e-07), "estimate", PRICE_DATA
    )
    assert estimate_cost("mistral-embed", Usage(prompt_tokens=10, completion_tokens=1)) is None


def test_list_prices_of_a_call_from_plain_counts() -> None:
    price = price_of("openai/gpt-5.4")
    assert price is not None
    assert price.usd(1000, 200, cached_tokens=400) == pytest.approx(
        600 * 2.5e-06 + 400 * 2.5e-07 + 200 * 1.5e-05
    )
    assert price.usd(272_001, 0) == pytest.approx(272_001 * 5e-06)
    assert price.usd(10, 0, cached_tokens=11) is None


# ---- estimates: what the tokens cost at list price ------------------------------------------


def _usd(model_id: str, usage: dict[str, Any], discount: float = 1.0) -> float:
    cost = estimate_cost(model_id, Usage.from_json(usage), discount=discount)
    assert cost is not None and cost.source == "estimate" and cost.price_data == PRICE_DATA
    return cost.usd


def test_input_and_output_at_list_price() -> None:
    usage = {"prompt_tokens": 1000, "completion_tokens": 200}
    assert _usd("openai/gpt-5.4", usage) == pytest.approx(1000 * 2.5e-06 + 200 * 1.5e-05)
    assert _usd("gpt-5.4-mini", usage) == pytest.approx(1000 * 7.5e-07 + 200 * 4.5e-06)


def test_cached_input_is_priced_once_at_the_cached_rate() -> None:
    usage = {
        "prompt_tokens": 1000,
        "completion_tokens": 200,
        "prompt_tokens_details": {"cached_tokens": 400},
    }
    assert _usd("openai/gpt-5.4", usage) == pytest.approx(
        600 * 2.5e-06 + 400 * 2.5e-07 + 200 * 1.5e-05
    )


def test_deepseeks_cache_hits_are_cached_input() -> None:
    usage = {
        "prompt_tokens": 1000,
        "completion_tokens": 100,
        "prompt_cache_hit_tokens": 600,
        "prompt_cache_miss_tokens": 400,
    }
    assert _usd("deepseek/deepseek-chat", usage) == pytest.approx(
        400 * 2.8e-07 + 600 * 2.8e-08 + 100 * 4.2e-07
    )


def test_cache_writes_are_priced_at_the_cache_write_rate() -> None:
    """OpenRouter's `cache_write_tokens` (LiteLLM's `cache_creation_tokens`), part of the
    prompt like cache reads."""
    for name in ("cache_write_tokens", "cache_creation_tokens"):
        usage = {
            "prompt_tokens": 5000,
            "completion_tokens": 100,
            "prompt_tokens_details": {"cached_tokens": 2000, name: 1000},
        }
        assert _usd("anthropic/claude-sonnet-4-5", usage) == pytest.approx(
            2000 * 3e-06 + 2000 * 3e-07 + 1000 * 3.75e-06 + 100 * 1.5e-05
        )
    # No cache-write price in the data (OpenAI's): cache writes are plain input.
    usage = {
        "prompt_tokens": 1000,
        "completion_tokens": 0,
        "prompt_tokens_details": {"cache_write_tokens": 300},
    }
    assert _usd("gpt-5.4", usage) == pytest.approx(1000 * 2.5e-06)


def test_reasoning_tokens_are_part_of_the_completion_not_added_again() -> None:
    usage = {
        "prompt_tokens": 100,
        "completion_tokens": 500,
        "completion_tokens_details": {"reasoning_tokens": 300},
    }
    assert _usd("openai/o3", usage) == pytest.approx(100 * 2e-06 + 500 * 8e-06)


def test_a_distinct_reasoning_rate_prices_the_reasoning_tokens() -> None:
    usage = {
        "prompt_tokens": 1000,
        "completion_tokens": 500,
        "completion_tokens_details": {"reasoning_tokens": 300},
    }
    assert _usd("qwen/qwen-plus-latest", usage) == pytest.approx(
        1000 * 4e-07 + 200 * 1.2e-06 + 300 * 4e-06
    )


def test_audio_tokens_are_priced_at_the_audio_rates() -> None:
    usage = {
        "prompt_tokens": 300,
        "completion_tokens": 150,
        "prompt_tokens_details": {"audio_tokens": 100},
        "completion_tokens_details": {"audio_tokens": 120},
    }
    assert _usd("openai/gpt-4o-audio-preview", usage) == pytest.approx(
        200 * 2.5e-06 + 100 * 4e-05 + 30 * 1e-05 + 120 * 8e-05
    )


def test_cached_audio_tokens_are_priced_at_the_cached_audio_rate() -> None:
    usage = {
        "prompt_tokens": 1000,
        "completion_tokens": 0,
        "prompt_tokens_details": {
            "cached_tokens": 500,
            "audio_tokens": 300,
            "cached_tokens_details": {"audio_tokens": 100},
        },
    }
    assert _usd("google/gemini-2.5-flash", usage) == pytest.approx(
        300 * 3e-07 + 400 * 3e-08 + 100 * 1e-07 + 200 * 1e-06
    )


@pytest.mark.parametrize(
    ("model_id", "last_base", "base", "tier"),
    [
        # (input, output, cached input) USD per token, below and above the threshold
        ("openai/gpt-5.4", 272_000, (2.5e-06, 1.5e-05, 2.5e-07), (5e-06, 2.25e-05, 5e-07)),
        ("gemini-2.5-pro", 200_000, (1.25e-06, 1e-05, 1.25e-07), (2.5e-06, 1.5e-05, 2.5e-07)),
        # xAI bills the long-prompt price from 200,000 tokens on, not above them
        ("xai/grok-4.20", 199_999, (1.25e-06, 2.5e-06, 2e-07), (2.5e-06, 5e-06, 4e-07)),
        # Alibaba's ranged tiers: 0 < prompt <= 32k, then 32k < prompt <= 128k
        ("qwen3-coder-flash", 32_000, (3e-07, 1.5e-06, 8e-08), (5e-07, 2.5e-06, 1.2e-07)),
    ],
)
def test_the_prompt_size_picks_the_tier_for_every_token(
    model_id: str,
    last_base: int,
    base: tuple[float, float, float],
    tier: tuple[float, float, float],
) -> None:
    for prompt, (input_rate, output_rate, cached_rate) in (
        (last_base, base),
        (last_base + 1, tier),
    ):
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": 1000,
            "prompt_tokens_details": {"cached_tokens": 10_000},
        }
        expected = (prompt - 10_000) * input_rate + 10_000 * cached_rate + 1000 * output_rate
        assert _usd(model_id, usage) == pytest.approx(expected), prompt


def test_counts_that_cannot_be_parts_of_their_totals_have_no_price() -> None:
    for usage in (
        {"prompt_tokens": 10, "prompt_tokens_details": {"cached_tokens": 11}},
        {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "completion_tokens_details": {"reasoning_tokens": 6},
        },
        {
            "prompt_tokens": 10,
            "prompt_tokens_details": {"cached_tokens": 6, "cache_write_tokens": 5},
        },
        {"prompt_tokens": 10, "prompt_tokens_details": {"audio_tokens": 11}},
    ):
        assert estimate_cost("gpt-5.4", Usage.from_json(usage)) is None, usage
    price = price_of("gpt-5.4")
    assert price is not None and price.usd(-1, 0) is None


def test_the_discount_multiplies_the_estimate() -> None:
    usage = {"prompt_tokens": 1000, "completion_tokens": 200}
    assert _usd("gpt-5.4", usage, discount=0.8) == pytest.approx(
        0.8 * (1000 * 2.5e-06 + 200 * 1.5e-05)
    )
    assert _usd("gpt-5.4", usage, discount=1) == pytest.approx(1000 * 2.5e-06 + 200 * 1.5e-05)


@pytest.mark.parametrize("discount", [0, -0.2, 1.01, 20, math.nan, math.inf, True, "0.8", None])
def test_a_discount_outside_zero_to_one_is_refused(discount: Any) -> None:
    with pytest.raises(InvalidParameterError, match=r"discount must be a number greater than 0"):
        estimate_cost("gpt-5.4", Usage(prompt_tokens=1), discount=discount)
    with pytest.raises(ValueError, match="discount"):
        GatewaySettings(discount=discount)


# ---- what the gateway reports ---------------------------------------------------------------

OPENROUTER_USAGE = {
    "prompt_tokens": 194,
    "completion_tokens": 2,
    "total_tokens": 196,
    "cost": 0.00095,
    "is_byok": False,
    "prompt_tokens_details": {"cached_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0},
}


@pytest.mark.parametrize(
    "data",
    [
        OPENROUTER_USAGE,  # the usage object
        {"id": "gen-1", "choices": [], "usage": OPENROUTER_USAGE},  # a body or a last event
        Usage.from_json(OPENROUTER_USAGE),  # the decoded usage keeps what was received
    ],
)
def test_a_cost_in_the_usage_is_the_gateways(data: Any) -> None:
    assert reported_cost(data) == Cost(0.00095, "gateway", "the gateway's usage.cost")


def test_a_cost_header_is_the_gateways_when_the_body_has_none() -> None:
    headers = {"X-LiteLLM-Response-Cost": "0.0042", "content-type": "application/json"}
    expected = Cost(0.0042, "gateway", "the gateway's x-litellm-response-cost header")
    assert reported_cost({"prompt_tokens": 1}, headers) == expected
    assert reported_cost(None, headers) == expected
    # Both: the body's figure.
    assert reported_cost(OPENROUTER_USAGE, headers) == Cost(
        0.00095, "gateway", "the gateway's usage.cost"
    )


@pytest.mark.parametrize("figure", [None, "0.1", True, -0.5, math.nan, math.inf, {"usd": 1}])
def test_a_figure_that_is_not_a_cost_is_no_report(figure: Any) -> None:
    assert reported_cost({**OPENROUTER_USAGE, "cost": figure}) is None
    assert reported_cost({"usage": None, "cost": 1.0}) is None  # a body's own keys are not usage
    assert reported_cost({}, {"x-litellm-response-cost": "free"}) is None


def test_a_byok_requests_upstream_charge_is_not_added() -> None:
    usage = {**OPENROUTER_USAGE, "cost": 0, "is_byok": True}
    usage["cost_details"] = {"upstream_inference_cost": 0.0360795}
    assert reported_cost(usage) == Cost(0.0, "gateway", "the gateway's usage.cost")


def test_the_gateways_figure_is_preferred_and_not_discounted() -> None:
    reported = Usage.from_json(OPENROUTER_USAGE)
    assert cost_of("openai/gpt-5.4", reported, discount=0.5) == Cost(
        0.00095, "gateway", "the gateway's usage.cost"
    )
    assert cost_of("no-such-model", reported) is not None  # the gateway knows what it charged
    unreported = Usage.from_json({**OPENROUTER_USAGE, "cost": None})
    assert cost_of("openai/gpt-5.4", unreported, discount=0.5) == Cost(
        pytest.approx(0.5 * (194 * 2.5e-06 + 2 * 1.5e-05)), "estimate", PRICE_DATA
    )
    assert cost_of("no-such-model", unreported) is None


# ---- the discount setting -------------------------------------------------------------------


def test_the_discount_setting_defaults_to_list_price(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DISCOUNT_ENV, raising=False)
    assert GatewaySettings().discount == 1.0
    monkeypatch.setenv(DISCOUNT_ENV, "")
    assert GatewaySettings().discount == 1.0
    assert GatewaySettings(discount=0.85).discount == 0.85


def test_the_discount_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert DISCOUNT_ENV == "SKILLBOSS_DISCOUNT"
    monkeypatch.setenv(DISCOUNT_ENV, " 0.7 ")
    assert GatewaySettings().discount == 0.7
    assert GatewaySettings(discount=0.9).discount == 0.9  # the keyword wins


@pytest.mark.parametrize("text", ["20", "0", "-1", "80%", "nan", "inf", "one"])
def test_a_bad_discount_variable_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setenv(DISCOUNT_ENV, text)
    with pytest.raises(
        InvalidParameterError, match=rf"^SKILLBOSS_DISCOUNT must be .* got '{re.escape(text)}'$"
    ):
        GatewaySettings()
