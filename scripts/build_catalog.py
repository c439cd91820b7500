"""Builds skillboss_core/catalog/catalog_data.json from LiteLLM's model table (`make catalog`).

LiteLLM ships `model_prices_and_context_window_backup.json` inside its wheel: context
windows, output caps and capabilities for thousands of models, kept up to date by its
maintainers. `make catalog` downloads the pinned wheel (no dependencies, never installed)
and runs this script on the table; only facts are kept, for chat models (`models`) and
embedding models (`embedding_models`), from each vendor's own API or cloud catalog entry (a
reseller's figures for another vendor's model are left out). Each entry with list prices also
carries them (`prices`: USD per token at the standard service tier, see `prices_of`). Same
input, same output: the
file records the source version and the sha256 of the table's content, and keeps its date
unless the content changed.

    python scripts/build_catalog.py TABLE.json --version 1.110.2 [--output PATH]
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from skillboss_core.catalog.model_ids import canonical, maker, without_snapshot  # noqa: E402

OUTPUT = ROOT / "skillboss_core" / "catalog" / "catalog_data.json"
TABLE_PATH_IN_WHEEL = "litellm/model_prices_and_context_window_backup.json"

# LiteLLM provider -> the vendor whose own API it is, in order of preference when two
# entries spell the same model (the vendor's direct API first, then its cloud routes).
PROVIDERS = (
    ("openai", "openai"),
    ("anthropic", "anthropic"),
    ("gemini", "google"),
    ("vertex_ai-language-models", "google"),
    ("deepseek", "deepseek"),
    ("xai", "xai"),
    ("mistral", "mistral"),
    ("dashscope", "qwen"),
    ("meta_llama", "meta"),
    ("moonshot", "moonshot"),
    ("zai", "zai"),
    ("vertex_ai-anthropic_models", "anthropic"),
    ("vertex_ai-mistral_models", "mistral"),
    ("vertex_ai-llama_models", "meta"),
    ("vertex_ai-deepseek_models", "deepseek"),
    ("vertex_ai-qwen_models", "qwen"),
    ("vertex_ai-moonshot_models", "moonshot"),
    ("vertex_ai-zai_models", "zai"),
    ("bedrock_converse", "anthropic"),
    ("bedrock_converse", "meta"),
    ("bedrock_converse", "mistral"),
    ("bedrock_converse", "deepseek"),
    ("bedrock_converse", "qwen"),
)
# The same vendors' embedding models (`mode: "embedding"`). LiteLLM files Vertex's embedding
# models under a provider of their own; Amazon and Cohere make no chat model the catalog
# keeps, so their embedding models (Titan, embed-v4) are left out with them.
EMBEDDING_PROVIDERS = (
    ("openai", "openai"),
    ("gemini", "google"),
    ("vertex_ai-embedding-models", "google"),
    ("mistral", "mistral"),
)
# Whether a model takes the `dimensions` parameter and returns vectors that short: LiteLLM's
# table has no field for it. OpenAI documents `dimensions` for text-embedding-3 and later
# models only (ada-002's 1536 are fixed). Google's and Mistral's models shorten through
# parameters of their own (`output_dimensionality`, `output_dimension`) that an OpenAI-shaped
# /v1/embeddings may or may not map, so the catalog does not claim it for them.
SHORTENABLE_DIMENSIONS = {"openai": re.compile(r"^text-embedding-(?!ada-)")}
# LiteLLM flag -> the catalog's capability name.
CAPABILITIES = {
    "supports_function_calling": "tools",
    "supports_parallel_function_calling": "parallel_tool_calls",
    "supports_response_schema": "json_schema",
    "supports_vision": "vision",
    "supports_audio_input": "audio_input",
    "supports_pdf_input": "pdf",
    "supports_reasoning": "reasoning",
}


# LiteLLM price field (USD per token) -> the catalog's price name. Only the standard service
# tier: the `_batches`, `_flex`, `_priority`, `_ultrafast` variants, the cache-write prices by
# cache lifetime (`_above_1hr`), per-character, per-image, per-second and per-query prices and
# DeepSeek's time-of-day `off_peak_pricing` are left out (skillboss_core/catalog/prices.py).
PRICE_FIELDS = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cache_read",
    "cache_creation_input_token_cost": "cache_write",
    "output_cost_per_reasoning_token": "reasoning",
    "input_cost_per_audio_token": "audio_input",
    "output_cost_per_audio_token": "audio_output",
    "cache_read_input_audio_token_cost": "cache_read_audio",
}
# Long-prompt prices: `input_cost_per_token_above_200k_tokens` applies when the prompt has
# more than 200,000 tokens (LiteLLM's rule; for xAI, from 200,000 on).
TIER_FIELD = re.compile(rf"^({'|'.join(PRICE_FIELDS)})_above_(\d+)(k?)_tokens$")
INCLUSIVE_THRESHOLD_PROVIDERS = {"xai"}
# Alibaba's ranged tiers (`tiered_pricing`: each tier's `range` of prompt sizes) bill every
# token of a request at its tier's rates; a rate a tier leaves out is its input rate (cache
# reads and writes) or its output rate (reasoning), as LiteLLM computes them.
RANGED_FALLBACK = {"cache_read": "input", "cache_write": "input", "reasoning": "output"}
TIERED_RATES = {"input", "output", *RANGED_FALLBACK}


def _price(value: Any) -> float | None:
    """A per-token price: a finite number >= 0 (ints as floats); None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def prices_of(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The list prices of one LiteLLM entry in the catalog's names, USD per token: `input`,
    whichever of `output`, `cache_read`, `cache_write`, `reasoning`, `audio_input`,
    `audio_output` and `cache_read_audio` the table has, and `tiers` (by ascending `above`):
    the prices that replace those once a prompt has more than `above` tokens. None without
    an input price."""
    prices = _rates(entry)
    ranged = _ranged_tiers(entry.get("tiered_pricing"), prices.get("output"))
    if ranged:
        # The tiers' rates replace the model's own (its output price stands in for a tier
        # without one, already written into each tier).
        prices = {name: rate for name, rate in prices.items() if name not in TIERED_RATES}
        prices.update(ranged[0])
        tiers = ranged[1:]
    else:
        tiers = _threshold_tiers(entry)
    if "input" not in prices:
        return None
    prices = {name: prices[name] for name in PRICE_FIELDS.values() if name in prices}
    return {**prices, "tiers": tiers} if tiers else prices


def _rates(entry: dict[str, Any]) -> dict[str, float]:
    found = {name: _price(entry.get(field)) for field, name in PRICE_FIELDS.items()}
    return {name: rate for name, rate in found.items() if rate is not None}


def _threshold_tiers(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The `*_above_<N>k_tokens` prices, one tier per threshold."""
    inclusive = entry.get("litellm_provider") in INCLUSIVE_THRESHOLD_PROVIDERS
    by_threshold: dict[int, dict[str, float]] = {}
    for field, value in entry.items():
        match = TIER_FIELD.match(field)
        rate = _price(value)
        if match is None or rate is None:
            continue
        threshold = int(match[2]) * (1000 if match[3] else 1)
        # "More than `above` tokens" always: an inclusive threshold is one token lower.
        above = threshold - 1 if inclusive else threshold
        by_threshold.setdefault(above, {})[PRICE_FIELDS[match[1]]] = rate
    return [
        {"above": above, **{name: rates[name] for name in PRICE_FIELDS.values() if name in rates}}
        for above, rates in sorted(by_threshold.items())
    ]


def _ranged_tiers(tiers: Any, output: float | None) -> list[dict[str, Any]]:
    """Alibaba's ranged tiers, lowest first, each with every rate it bills at so that none
    falls back to a lower tier's; the first without `above`. Empty unless every tier has a
    range and an input price (LiteLLM ignores them otherwise)."""
    if not isinstance(tiers, list) or not tiers:
        return []
    ranged: list[tuple[int, dict[str, float]]] = []
    for tier in tiers:
        bounds = tier.get("range") if isinstance(tier, dict) else None
        if not isinstance(bounds, list) or len(bounds) != 2 or _price(bounds[0]) is None:
            return []
        rates = _rates(tier)
        if "input" not in rates:
            return []
        if "output" not in rates and output is not None:
            rates["output"] = output
        for name, fallback in RANGED_FALLBACK.items():
            if name not in rates and fallback in rates:
                rates[name] = rates[fallback]
        ranged.append((int(bounds[0]), rates))
    ranged.sort(key=lambda item: item[0])
    # A rate equal to its fallback in every tier says nothing the rule does not: left out.
    for name, fallback in RANGED_FALLBACK.items():
        if all(rates.get(name) == rates.get(fallback) for _, rates in ranged):
            for _, rates in ranged:
                rates.pop(name, None)
    first, *above = (
        (start, {name: rates[name] for name in PRICE_FIELDS.values() if name in rates})
        for start, rates in ranged
    )
    return [first[1]] + [{"above": start, **rates} for start, rates in above]


def facts(raw_key: str, vendor: str, entry: dict[str, Any]) -> dict[str, Any] | None:
    """The catalog's facts for one LiteLLM entry; None without a known window."""
    window = entry.get("max_input_tokens") or entry.get("max_tokens")
    if not isinstance(window, int) or window <= 0:
        return None
    output = entry.get("max_output_tokens") or entry.get("max_tokens")
    found = {
        "from": raw_key,
        "vendor": vendor,
        "context_window": window,
        "max_output_tokens": output if isinstance(output, int) and output > 0 else None,
        "supports": sorted(name for flag, name in CAPABILITIES.items() if entry.get(flag) is True),
    }
    return _with_prices(found, entry)


def _with_prices(found: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    prices = prices_of(entry)
    return {**found, "prices": prices} if prices is not None else found


def embedding_facts(raw_key: str, vendor: str, entry: dict[str, Any]) -> dict[str, Any] | None:
    """The catalog's facts for one LiteLLM embedding entry; None without a known input window."""
    window = entry.get("max_input_tokens") or entry.get("max_tokens")
    if not isinstance(window, int) or window <= 0:
        return None
    size = entry.get("output_vector_size")
    name = canonical(raw_key)
    shortenable = SHORTENABLE_DIMENSIONS.get(vendor)
    found = {
        "from": raw_key,
        "vendor": vendor,
        "kind": "embedding",
        "max_input_tokens": window,
        "dimensions": size if isinstance(size, int) and size > 0 else None,
        "shortenable_dimensions": shortenable is not None and bool(shortenable.match(name)),
    }
    return _with_prices(found, entry)


Facts = Callable[[str, str, dict[str, Any]], dict[str, Any] | None]


def build(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Chat models: canonical name -> facts, each vendor's own entries only, first provider
    wins."""
    return _collect(table, PROVIDERS, ("chat", "responses"), facts)


def build_embeddings(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Embedding models, by the same rules as `build`."""
    return _collect(table, EMBEDDING_PROVIDERS, ("embedding",), embedding_facts)


def _collect(
    table: dict[str, Any],
    providers: tuple[tuple[str, str], ...],
    modes: tuple[str, ...],
    facts_of: Facts,
) -> dict[str, dict[str, Any]]:
    models: dict[str, dict[str, Any]] = {}
    for provider, vendor in providers:
        # Within one provider, keys already in the catalog's spelling first, then the rest,
        # each alphabetically: the same table always gives the same choice.
        keys = sorted(
            (key for key, entry in table.items() if _is_kept(entry, provider, modes)),
            key=lambda key: (canonical(key) != key.lower().rsplit("/", 1)[-1], key),
        )
        for key in keys:
            name = canonical(key)
            if maker(name) != vendor or name in models:
                continue
            found = facts_of(key, vendor, table[key])
            if found is not None:
                models[name] = found
    # A model the table lists only as dated snapshots (`claude-sonnet-4-20250514`) is also
    # found by its undated name, as its newest snapshot.
    for name in sorted(models, reverse=True):
        undated = without_snapshot(name)
        if undated is not None and undated not in models:
            models[undated] = models[name]
    return dict(sorted(models.items()))


def _is_kept(entry: Any, provider: str, modes: tuple[str, ...]) -> bool:
    return (
        isinstance(entry, dict)
        and entry.get("litellm_provider") == provider
        and entry.get("mode") in modes
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("table", type=Path)
    parser.add_argument("--version", required=True, help="the LiteLLM version the table is from")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    table = json.loads(args.table.read_bytes())
    # Of the content, not the bytes: the wheels for other platforms carry the same table
    # with other line endings.
    content = json.dumps(table, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
    date = datetime.date.today().isoformat()
    if args.output.exists():
        previous = json.loads(args.output.read_text(encoding="utf-8"))["source"]
        if previous.get("sha256") == digest:
            date = previous["retrieved"]  # the same table: the same file
    models = build(table)
    embedding_models = build_embeddings(table)
    document = {
        "source": {
            "name": "LiteLLM's model table",
            "package": f"litellm=={args.version}",
            "file": TABLE_PATH_IN_WHEEL,
            "sha256": digest,
            "sha256_of": "the table's JSON content, keys sorted, compact",
            "retrieved": date,
            "license": "MIT",
            "regenerate": "make catalog",
        },
        "models": models,
        "embedding_models": embedding_models,
    }
    text = json.dumps(document, indent=1, ensure_ascii=False, sort_keys=False) + "\n"
    args.output.write_text(text, encoding="utf-8")
    vendors: dict[str, int] = {}
    for entry in models.values():
        vendors[entry["vendor"]] = vendors.get(entry["vendor"], 0) + 1
    embedders: dict[str, int] = {}
    for entry in embedding_models.values():
        embedders[entry["vendor"]] = embedders.get(entry["vendor"], 0) + 1
    print(f"{len(models)} models from litellm {args.version} -> {args.output}: {vendors}")
    print(f"{len(embedding_models)} embedding models: {embedders}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
