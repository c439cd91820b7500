"""What the integration knows about each model: window, output cap and capabilities.

The frameworks act on these facts (LlamaIndex packs RAG context and sizes agent memory from
the window, LangChain's `create_agent` picks native structured output from the profile, both
decide whether to send images), so they come from maintained data, not from hand:

1. facts the gateway itself gives in `GET /models` (once fetched: `skillboss_core.catalog.listing`);
2. `OVERRIDES`, for gateway ids no rule maps (`reel-31-api`);
3. LiteLLM's model table, generated into `catalog_data.json` by `make catalog`, found
   through `model_ids.canonical` (prefixes, dots, Claude's word order) and, failing that,
   without a dated-snapshot suffix;
4. conservative defaults: a 32,768-token window, tools and json_schema assumed (the gateway
   documents both for every model), no vision, audio or PDF.
`ModelInfo.source` says which one answered, and why.

Embedding models have facts of their own (input window, vector size, whether `dimensions`
shortens it), from the same table's embedding entries: `lookup_embedding` finds them under
the same id forms, and says None, not a default, for a model the table does not know (an
embeddings call then skips its pre-send length check). A chat model is never an embedding
model: `lookup_embedding("gpt-5.4")` is None, `lookup("text-embedding-3-small")` the defaults.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from skillboss_core.catalog.model_ids import canonical, without_snapshot

DEFAULT_CONTEXT_WINDOW = 32_768
DEFAULT_MAX_OUTPUT_TOKENS = 4_096

# The data file's capability names -> ModelInfo fields.
_CAPABILITY_FIELDS = {
    "tools": "supports_tools",
    "parallel_tool_calls": "supports_parallel_tool_calls",
    "json_schema": "supports_json_schema",
    "vision": "supports_vision",
    "audio_input": "supports_audio",
    "pdf": "supports_pdf",
    "reasoning": "supports_reasoning",
}


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """Facts about one model id; `source` says where they came from."""

    id: str
    context_window: int = DEFAULT_CONTEXT_WINDOW
    """The most tokens a prompt may hold (LiteLLM's max_input_tokens: for OpenAI's GPT-5
    family the 400k window less the 128k kept for output)."""
    max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS
    supports_tools: bool = True
    supports_parallel_tool_calls: bool = True
    supports_json_schema: bool = True
    supports_vision: bool = False
    supports_audio: bool = False
    supports_pdf: bool = False
    supports_reasoning: bool = False
    known: bool = False
    vendor: str | None = None
    source: str = "default: no catalog entry matches this id"


# Gateway ids that no rule maps to the table, with what the gateway's docs say of them.
OVERRIDES: dict[str, dict[str, Any]] = {
    # Its page documents the standard Chat Completions parameters, tools and tool_choice,
    # and multimodal content blocks; it gives no window, so the default window stays.
    "reel-31-api": {"supports_tools": True, "supports_json_schema": True},
}


@dataclass(frozen=True, slots=True)
class EmbeddingModelInfo:
    """Facts about one embedding model id, from LiteLLM's table; `source` says which entry."""

    id: str
    vendor: str
    max_input_tokens: int
    """The most tokens one input text may hold (LiteLLM's max_input_tokens)."""
    dimensions: int | None
    """The length of the vectors it returns by default (LiteLLM's output_vector_size); None
    when the table does not say."""
    shortenable_dimensions: bool
    """Whether the `dimensions` parameter asks it for shorter vectors (OpenAI's
    text-embedding-3 models; not ada-002, whose length is fixed). False also where the vendor
    shortens through a parameter of its own that the gateway may not map (Google's)."""
    source: str


@cache
def catalog_data() -> dict[str, Any]:
    """The generated file: `source` (where and when from), `models` (chat) and
    `embedding_models`, each by canonical name."""
    text = (
        resources.files("skillboss_core.catalog").joinpath("catalog_data.json").read_text("utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


def _from_table(entry: Mapping[str, Any], how: str) -> dict[str, Any]:
    source = catalog_data()["source"]
    supports = set(entry["supports"])
    facts: dict[str, Any] = {
        field: capability in supports for capability, field in _CAPABILITY_FIELDS.items()
    }
    facts["context_window"] = entry["context_window"]
    facts["max_output_tokens"] = entry["max_output_tokens"] or DEFAULT_MAX_OUTPUT_TOKENS
    facts["vendor"] = entry["vendor"]
    facts["source"] = f"{source['package']}: {entry['from']!r}{how}"
    return facts


def find_entry(model_id: str, section: str) -> tuple[Mapping[str, Any], str] | None:
    """The entry of `section` ("models" or "embedding_models") that `model_id` names, by
    canonical name then without a dated-snapshot suffix, and how it was found."""
    models = catalog_data()[section]
    name = canonical(model_id)
    if name in models:
        return models[name], "" if name == model_id else f" (as {name!r})"
    undated = without_snapshot(name)
    if undated is not None and undated in models:
        return models[undated], f" (as {undated!r}, snapshot suffix dropped)"
    return None


def table_facts(model_id: str) -> dict[str, Any] | None:
    """The LiteLLM-derived facts for `model_id`, or None when no rule finds it."""
    found = find_entry(model_id, "models")
    return _from_table(*found) if found is not None else None


def lookup(
    model_id: str,
    overrides: Mapping[str, Any] | None = None,
    *,
    listed: Mapping[str, Any] | None = None,
) -> ModelInfo:
    """The facts for `model_id`: `listed` (from the gateway's /models) first, then OVERRIDES,
    then LiteLLM's table, then the defaults; per-instance `overrides` on top of all."""
    facts = table_facts(model_id) or {}
    if model_id in OVERRIDES:
        facts = {
            **facts,
            **OVERRIDES[model_id],
            "source": "override: skillboss_core.catalog.models",
        }
    if listed:
        under = f", over {facts['source']}" if facts else ""
        facts = {**facts, **listed, "source": f"gateway: GET /models{under}"}
    info = ModelInfo(id=model_id, known=bool(facts), **facts) if facts else ModelInfo(model_id)
    return replace(info, **overrides) if overrides else info


def lookup_embedding(model_id: str) -> EmbeddingModelInfo | None:
    """The embedding facts for `model_id` under any id form `lookup` accepts
    (`openai/text-embedding-3-small`, `text-embedding-3-small`, ...), or None when LiteLLM's
    table has no embedding model by that name (a chat model's id included)."""
    found = find_entry(model_id, "embedding_models")
    if found is None:
        return None
    entry, how = found
    return EmbeddingModelInfo(
        id=model_id,
        vendor=entry["vendor"],
        max_input_tokens=entry["max_input_tokens"],
        dimensions=entry["dimensions"],
        shortenable_dimensions=entry["shortenable_dimensions"],
        source=f"{catalog_data()['source']['package']}: {entry['from']!r}{how}",
    )


def known_embedding_models() -> list[str]:
    """Canonical names of the embedding models the catalog has facts for."""
    return sorted(catalog_data()["embedding_models"])


def known_models() -> list[str]:
    """Canonical names the catalog has facts for (not the gateway's live list: see
    list_models), plus the override table's ids."""
    return sorted({*catalog_data()["models"], *OVERRIDES})


def catalog_source() -> dict[str, str]:
    """Where the table came from: package, file, sha256, date retrieved, how to regenerate."""
    return dict(catalog_data()["source"])
