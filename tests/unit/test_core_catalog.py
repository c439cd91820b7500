"""The model catalog: LiteLLM's facts under every id form the gateway uses, the override
table, conservative defaults, embedding models' facts, and where each answer came from."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from skillboss_core import known_models, lookup
from skillboss_core.catalog.model_ids import canonical, maker, without_snapshot
from skillboss_core.catalog.models import (
    DEFAULT_CONTEXT_WINDOW,
    DEFAULT_MAX_OUTPUT_TOKENS,
    OVERRIDES,
    EmbeddingModelInfo,
    catalog_data,
    catalog_source,
    known_embedding_models,
    lookup_embedding,
    table_facts,
)

ROOT = Path(__file__).resolve().parents[2]
MODELS = catalog_data()["models"]
EMBEDDING_MODELS = catalog_data()["embedding_models"]

# Flagship and small models of each vendor, pinned against the generated data (LiteLLM
# 1.110.2): (an id as the gateway may write it, vendor, window, output cap, tools,
# json_schema, vision, reasoning).
PINNED = [
    ("openai/gpt-5.4", "openai", 1_050_000, 128_000, True, True, True, True),
    ("openai/gpt-5.4-mini", "openai", 272_000, 128_000, True, True, True, True),
    ("anthropic/claude-opus-4-5", "anthropic", 200_000, 64_000, True, True, True, True),
    ("claude-4-5-haiku", "anthropic", 200_000, 64_000, True, True, True, True),
    ("vertex/gemini-2.5-pro", "google", 1_048_576, 65_536, True, True, True, True),
    ("google/gemini-2.5-flash", "google", 1_048_576, 65_536, True, True, True, True),
    ("deepseek/deepseek-chat", "deepseek", 131_072, 8_192, True, True, False, False),
    ("deepseek/deepseek-reasoner", "deepseek", 131_072, 65_536, False, True, False, True),
    ("qwen/qwen3-max", "qwen", 258_048, 65_536, True, False, False, True),
    ("qwen/qwen-flash", "qwen", 997_952, 32_768, True, False, False, True),
    ("meta-llama/Llama-3.3-70B-Instruct", "meta", 128_000, 4_028, True, False, False, False),
    (
        "meta-llama/llama-4-scout-17b-16e-instruct-fp8",
        "meta",
        10_000_000,
        4_028,
        True,
        False,
        False,
        False,
    ),
    ("mistralai/mistral-large-latest", "mistral", 262_144, 262_144, True, True, True, False),
    ("mistral/ministral-8b-latest", "mistral", 262_144, 262_144, True, True, True, False),
    ("x-ai/grok-4.3", "xai", 1_000_000, 1_000_000, True, True, True, True),
    ("xai/grok-code-fast-1", "xai", 256_000, 256_000, True, True, True, True),
]


@pytest.mark.parametrize(
    ("model_id", "vendor", "window", "output", "tools", "json_schema", "vision", "reasoning"),
    PINNED,
    ids=[row[0] for row in PINNED],
)
def test_flagship_and_small_models_of_each_vendor(
    model_id: str,
    vendor: str,
    window: int,
    output: int,
    tools: bool,
    json_schema: bool,
    vision: bool,
    reasoning: bool,
) -> None:
    info = lookup(model_id)
    assert info.known and info.vendor == vendor, info.source
    assert (info.context_window, info.max_output_tokens) == (window, output)
    assert (info.supports_tools, info.supports_json_schema) == (tools, json_schema)
    assert (info.supports_vision, info.supports_reasoning) == (vision, reasoning)
    assert "litellm==" in info.source


def test_the_pinned_sample_covers_every_vendor_the_gateway_lists() -> None:
    vendors = {row[1] for row in PINNED}
    assert {
        "openai",
        "anthropic",
        "google",
        "deepseek",
        "qwen",
        "meta",
        "mistral",
        "xai",
    } <= vendors


@pytest.mark.parametrize(
    "model_id",
    [
        "claude-4-5-sonnet",  # SkillBoss's docs: version before family
        "claude-sonnet-4-5",
        "anthropic/claude-sonnet-4.5",
        "bedrock/claude-4-5-sonnet",
        "vertex/claude-4-5-sonnet",
        "claude-sonnet-4-5-20250929",
        "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "vertex_ai/claude-sonnet-4-5@20250929",
        "Claude-Sonnet-4.5",
    ],
)
def test_every_way_of_writing_claude_sonnet_4_5_finds_it(model_id: str) -> None:
    info = lookup(model_id)
    assert info.vendor == "anthropic" and info.known
    assert (info.context_window, info.max_output_tokens) == (200_000, 64_000)
    assert "claude-sonnet-4-5" in info.source


def test_a_dated_snapshot_the_table_lacks_falls_back_to_its_model() -> None:
    info = lookup("openai/gpt-5.4-mini-2099-01-01")
    assert info.known and info.context_window == lookup("gpt-5.4-mini").context_window
    assert "snapshot suffix dropped" in info.source


def test_an_override_answers_for_ids_no_rule_maps() -> None:
    info = lookup("reel-31-api")
    assert info.known and info.supports_tools and info.source.startswith("override")
    assert info.context_window == DEFAULT_CONTEXT_WINDOW  # its docs give no window
    assert "reel-31-api" in known_models()


def test_unknown_model_gets_documented_conservative_defaults() -> None:
    info = lookup("vendor/brand-new-model")
    assert not info.known and info.source.startswith("default")
    assert info.context_window == DEFAULT_CONTEXT_WINDOW
    assert info.max_output_tokens == DEFAULT_MAX_OUTPUT_TOKENS
    assert info.supports_tools and not info.supports_vision and not info.supports_reasoning


def test_instance_overrides_apply_on_top_of_everything() -> None:
    info = lookup("openai/gpt-5.4-mini", {"context_window": 1000, "supports_tools": False})
    assert info.context_window == 1000 and not info.supports_tools and info.supports_vision
    listed = lookup("openai/gpt-5.4-mini", listed={"context_window": 5000})
    assert listed.context_window == 5000
    assert listed.source.startswith("gateway: GET /models, over litellm==")
    both = lookup("openai/gpt-5.4-mini", {"context_window": 7}, listed={"context_window": 5000})
    assert both.context_window == 7


# ---- embedding models -----------------------------------------------------------------------

# Pinned against LiteLLM 1.110.2's table: (an id as the gateway may write it, vendor,
# max_input_tokens, output_vector_size, whether `dimensions` shortens it).
PINNED_EMBEDDINGS = [
    ("openai/text-embedding-3-small", "openai", 8_191, 1_536, True),
    ("openai/text-embedding-3-large", "openai", 8_191, 3_072, True),
    ("openai/text-embedding-ada-002", "openai", 8_191, 1_536, False),
    ("google/gemini-embedding-001", "google", 2_048, 3_072, False),
    ("vertex/text-embedding-005", "google", 2_048, 768, False),
    ("mistral/mistral-embed", "mistral", 8_192, None, False),  # the table gives no size
]


@pytest.mark.parametrize(
    ("model_id", "vendor", "max_input_tokens", "dimensions", "shortenable"),
    PINNED_EMBEDDINGS,
    ids=[row[0] for row in PINNED_EMBEDDINGS],
)
def test_embedding_models_of_each_vendor(
    model_id: str, vendor: str, max_input_tokens: int, dimensions: int | None, shortenable: bool
) -> None:
    info = lookup_embedding(model_id)
    assert info is not None
    assert (info.id, info.vendor) == (model_id, vendor)
    assert (info.max_input_tokens, info.dimensions) == (max_input_tokens, dimensions)
    assert info.shortenable_dimensions is shortenable
    assert info.source.startswith("litellm==1.110.2: ")


@pytest.mark.parametrize(
    "model_id",
    [
        "openai/text-embedding-3-small",  # the gateway's documented id
        "text-embedding-3-small",
        "Text-Embedding-3-Small",
        "text_embedding_3_small",
        "azure/text-embedding-3-small",
        "text-embedding-3-small-2099-01-01",  # a dated snapshot the table lacks
    ],
)
def test_text_embedding_3_small_under_every_id_form(model_id: str) -> None:
    info = lookup_embedding(model_id)
    assert isinstance(info, EmbeddingModelInfo)
    assert (info.id, info.vendor, info.max_input_tokens, info.dimensions) == (
        model_id,
        "openai",
        8_191,
        1_536,
    )
    assert info.shortenable_dimensions
    assert info.source.startswith("litellm==1.110.2: 'text-embedding-3-small'")


@pytest.mark.parametrize("model_id", ["openai/gpt-5.4-mini", "claude-4-5-sonnet", "gemini-2.5-pro"])
def test_a_chat_model_is_not_an_embedding_model(model_id: str) -> None:
    assert lookup(model_id).known
    assert lookup_embedding(model_id) is None


@pytest.mark.parametrize(
    "model_id", ["openai/text-embedding-3-small", "gemini-embedding-001", "mistral-embed"]
)
def test_an_embedding_model_is_not_a_chat_model(model_id: str) -> None:
    assert lookup_embedding(model_id) is not None
    assert table_facts(model_id) is None
    info = lookup(model_id)
    assert not info.known and info.source.startswith("default")


@pytest.mark.parametrize(
    "model_id",
    [
        "vendor/brand-new-embedder",
        "text-embedding-9-huge",
        "cohere/embed-v4.0",  # Cohere is not among the catalog's vendors
        "amazon.titan-embed-text-v2:0",  # nor is Amazon
        "",
        "   ",
    ],
)
def test_an_unknown_embedding_model_is_none_never_an_error(model_id: str) -> None:
    assert lookup_embedding(model_id) is None


def test_embedding_entries_are_found_under_their_own_key_and_vendor() -> None:
    assert set(known_embedding_models()) == set(EMBEDDING_MODELS)
    assert not set(EMBEDDING_MODELS) & set(MODELS), "a name is a chat or an embedding model"
    assert {entry["vendor"] for entry in EMBEDDING_MODELS.values()} >= {
        "openai",
        "google",
        "mistral",
    }
    for name, entry in EMBEDDING_MODELS.items():
        assert canonical(name) == name, name
        assert entry["kind"] == "embedding"
        assert maker(name) == entry["vendor"], name
        info = lookup_embedding(entry["from"])
        assert info is not None and info.vendor == entry["vendor"]
        assert info.max_input_tokens > 0
        assert info.dimensions is None or info.dimensions > 0
        # Only OpenAI's text-embedding-3 models are known to honour `dimensions`.
        assert info.shortenable_dimensions == name.startswith("text-embedding-3-")


# ---- no two rules map one id to different models --------------------------------------------


def test_each_entry_is_found_under_its_own_table_key_and_vendor() -> None:
    """The generator and lookup spell names with the same rules: every entry's LiteLLM key
    finds that entry, and every entry belongs to the vendor its name says."""
    for name, entry in MODELS.items():
        assert canonical(name) == name, name
        spelled = canonical(entry["from"])
        # its own key, or (for a model listed only as snapshots) its key without the date
        assert name in (spelled, without_snapshot(spelled)), (name, entry["from"])
        assert maker(name) == entry["vendor"], name
        facts = table_facts(entry["from"])
        assert facts is not None and facts["vendor"] == entry["vendor"]


@pytest.mark.parametrize(
    ("model_id", "not_as"),
    [
        ("mistral-small-2503", "mistral-small"),  # 128k with vision; mistral-small is 32k
        ("mistral-medium-2505", "mistral-medium"),
        ("gpt-3.5-turbo-0613", "gpt-3-5-turbo"),  # 4k; gpt-3.5-turbo is 16k
    ],
)
def test_a_release_number_is_never_dropped_as_if_it_were_a_date(model_id: str, not_as: str) -> None:
    """Only real dates are snapshot suffixes: a 4-digit release number names another model."""
    assert without_snapshot(canonical(model_id)) is None
    info = lookup(model_id)
    assert f"(as {not_as!r}" not in info.source and "snapshot suffix dropped" not in info.source


@pytest.mark.parametrize(
    ("model_id", "same_as"),
    [
        ("anthropic/claude-sonnet-4.5:beta", "claude-sonnet-4-5"),  # OpenRouter variants
        ("deepseek/deepseek-r1:free", "deepseek/deepseek-r1"),
        ("vertex_ai/meta/llama-3.1-8b-instruct-maas", "meta-llama/llama-3.1-8b-instruct"),
        ("bedrock/us.meta.llama3-3-70b-instruct-v1:0", "meta-llama/Llama-3.3-70B-Instruct"),
    ],
)
def test_route_variants_and_cloud_spellings_name_the_same_model(
    model_id: str, same_as: str
) -> None:
    assert canonical(model_id) == canonical(same_as)
    assert lookup(model_id).context_window == lookup(same_as).context_window


def test_a_model_listed_only_as_snapshots_is_found_by_its_undated_name() -> None:
    info = lookup("anthropic/claude-sonnet-4")
    assert info.known and info.vendor == "anthropic" and "20250514" in info.source


def test_overrides_do_not_shadow_a_table_model() -> None:
    for model_id in OVERRIDES:
        assert table_facts(model_id) is None, f"{model_id} is in the table: drop the override"


# ---- where the facts come from --------------------------------------------------------------


def test_the_data_file_says_where_and_when_it_came_from() -> None:
    source = catalog_source()
    assert source["package"].startswith("litellm==") and len(source["sha256"]) == 64
    assert source["retrieved"][:4].isdigit() and source["regenerate"] == "make catalog"
    assert len(MODELS) > 200


def test_the_generator_keeps_vendors_own_entries_and_is_reproducible(tmp_path: Path) -> None:
    table = {
        "gpt-9": {"litellm_provider": "openai", "mode": "chat", "max_input_tokens": 10},
        "gpt-9-2030-01-01": {"litellm_provider": "openai", "mode": "chat", "max_input_tokens": 9},
        "dashscope/deepseek-v9": {
            "litellm_provider": "dashscope",
            "mode": "chat",
            "max_input_tokens": 5,
        },
        "deepseek/deepseek-v9": {
            "litellm_provider": "deepseek",
            "mode": "chat",
            "max_input_tokens": 7,
            "max_output_tokens": 3,
            "supports_function_calling": True,
        },
        "text-embedding-9": {
            "litellm_provider": "openai",
            "mode": "embedding",
            "max_input_tokens": 1,
        },
        "text-embedding-3-tiny": {
            "litellm_provider": "openai",
            "mode": "embedding",
            "max_input_tokens": 100,
            "output_vector_size": 64,
        },
        "azure/text-embedding-3-tiny": {  # a reseller's entry for OpenAI's model
            "litellm_provider": "azure",
            "mode": "embedding",
            "max_input_tokens": 99,
            "output_vector_size": 32,
        },
        "text-embedding-ada-009": {
            "litellm_provider": "openai",
            "mode": "embedding",
            "max_tokens": 50,
        },
        "mistral/mistral-embed-9": {
            "litellm_provider": "mistral",
            "mode": "embedding",
            "max_input_tokens": 30,
            "output_vector_size": 16,
        },
        "mistral/mistral-embed-nowindow": {"litellm_provider": "mistral", "mode": "embedding"},
        "cohere/embed-v9": {
            "litellm_provider": "cohere",
            "mode": "embedding",
            "max_input_tokens": 10,
        },
    }
    source = tmp_path / "table.json"
    source.write_text(json.dumps(table), encoding="utf-8")
    out = tmp_path / "catalog.json"
    command = [sys.executable, str(ROOT / "scripts" / "build_catalog.py"), str(source)]
    subprocess.run([*command, "--version", "9.9.9", "--output", str(out)], check=True)
    first = out.read_text(encoding="utf-8")
    dated = json.loads(first)
    dated["source"]["retrieved"] = "2000-01-01"  # as if generated long ago
    out.write_text(json.dumps(dated), encoding="utf-8")
    source.write_text(json.dumps(table, indent=4), encoding="utf-8")  # other bytes, same table
    subprocess.run([*command, "--version", "9.9.9", "--output", str(out)], check=True)
    again = json.loads(out.read_text(encoding="utf-8"))
    assert again["source"]["retrieved"] == "2000-01-01", "same content: the date is kept"
    assert again["models"] == json.loads(first)["models"]
    models = json.loads(first)["models"]
    assert set(models) == {"gpt-9", "gpt-9-2030-01-01", "deepseek-v9"}
    assert models["deepseek-v9"] == {
        "from": "deepseek/deepseek-v9",  # DeepSeek's own figures, not a reseller's
        "vendor": "deepseek",
        "context_window": 7,
        "max_output_tokens": 3,
        "supports": ["tools"],
    }
    embedders = json.loads(first)["embedding_models"]
    # `text-embedding-9` is named like Google's models, not OpenAI's (`-3-small`, `-ada-002`);
    # Cohere is not a kept vendor; an entry without an input window says nothing needed.
    assert set(embedders) == {"text-embedding-3-tiny", "text-embedding-ada-009", "mistral-embed-9"}
    assert embedders["text-embedding-3-tiny"] == {
        "from": "text-embedding-3-tiny",  # OpenAI's own figures, not Azure's
        "vendor": "openai",
        "kind": "embedding",
        "max_input_tokens": 100,
        "dimensions": 64,
        "shortenable_dimensions": True,
    }
    assert embedders["text-embedding-ada-009"]["max_input_tokens"] == 50  # max_tokens, else
    assert embedders["text-embedding-ada-009"]["dimensions"] is None
    assert not embedders["text-embedding-ada-009"]["shortenable_dimensions"]
    assert embedders["mistral-embed-9"]["dimensions"] == 16
    assert not embedders["mistral-embed-9"]["shortenable_dimensions"]
