"""One spelling for every way a model id is written, so the catalog finds gateway ids.

The gateway and its docs write ids with route and vendor prefixes (`openai/gpt-5.4-mini`,
`bedrock/claude-4-5-sonnet`, `vertex/gemini-2.5-pro`), with dots or dashes, with Anthropic's
family and version in either order (`claude-4-5-sonnet`, `claude-sonnet-4-5`) and with
dated snapshots (`-20250929`, `@20251001`, `-2026-03-17`). The catalog generator stores each
model under `canonical(name)` and `lookup` asks for `canonical(id)`: the same rules, once.
"""

from __future__ import annotations

import re

# Bedrock writes `us.anthropic.claude-...-v1:0`: a region, then the vendor, before the name.
_BEDROCK_REGION = re.compile(r"^(?:us|eu|apac|ap|global|jp|au|ca|us-gov)\.")
_BEDROCK_VENDOR = re.compile(
    r"^(?:anthropic|meta|mistral|amazon|deepseek|qwen|openai|google|cohere|ai21|moonshot)\."
)
# `-v1:0` always; a bare `-v1` only after a Bedrock vendor prefix (`deepseek-v3` is a name).
_BEDROCK_VERSION = re.compile(r"-v\d+:\d+$")
_BEDROCK_BARE_VERSION = re.compile(r"-v\d+$")
_SEPARATORS = re.compile(r"[._\s]+")
_DASHES = re.compile(r"-{2,}")
# Anthropic's older order (`claude-3-5-sonnet`, and the gateway's `claude-4-5-sonnet`) puts
# the version first; its newer one (`claude-sonnet-4-5`) the family. Family first, always.
_CLAUDE_VERSION_FIRST = re.compile(
    r"^claude-(\d+(?:-\d+)?)-(opus|sonnet|haiku|instant|fable|mythos)"
)
# Dated snapshots: 2025-09-29 and 20250929. A 4-digit suffix is not one of them: `-2503`,
# `-0613` name releases whose window differs from the bare name's (mistral-small-2503 is
# 128k with vision, mistral-small 32k without), so no fallback may drop it.
SNAPSHOT_SUFFIXES = (
    re.compile(r"-\d{4}-\d{2}-\d{2}$"),
    re.compile(r"-(?:19|20)\d{6}$"),
)
# OpenRouter's routing variants (`:free`, `:beta`, `:thinking`) name the same model.
_ROUTE_VARIANT = re.compile(r":[a-z][a-z-]*$")
# Model-as-a-service marks of cloud catalogs (Vertex's `-maas`).
_SERVICE_SUFFIX = re.compile(r"-maas$")
# `llama3-3-70b` (Bedrock, Vertex) is `llama-3-3-70b`.
_LLAMA_VERSION = re.compile(r"^llama(\d)")

# Which vendor makes a model, from its name: the catalog keeps a vendor's own figures for
# its models (a reseller's page for `deepseek-v4-flash` is not DeepSeek's).
# Embedding models too: OpenAI's are `text-embedding-<generation>-*` (`-3-small`) and
# `-ada-*`, Google's the other `text-embedding-*` (`-004`, `-005`, `-large-exp-03-07`),
# `text-multilingual-embedding-*` and `multimodalembedding`; Mistral's `mistral-embed` and
# `codestral-embed` match below.
_MAKERS = (
    ("openai", re.compile(r"^(?:gpt-|o\d|chatgpt|codex|text-embedding-(?:\d-|ada-))")),
    ("anthropic", re.compile(r"^claude")),
    (
        "google",
        re.compile(
            r"^(?:gemini|gemma|learnlm|text-embedding-(?!\d-|ada-)"
            r"|text-multilingual-embedding-|multimodalembedding)"
        ),
    ),
    ("deepseek", re.compile(r"^deepseek")),
    ("xai", re.compile(r"^grok")),
    ("mistral", re.compile(r"^(?:mistral|ministral|magistral|codestral|devstral|pixtral|voxtral)")),
    ("qwen", re.compile(r"^(?:qwen|qwq)")),
    ("meta", re.compile(r"^llama")),
    ("moonshot", re.compile(r"^(?:kimi|moonshot)")),
    ("zai", re.compile(r"^glm")),
)


def canonical(model_id: str) -> str:
    """The catalog's spelling of `model_id`: its last path segment, lower case, dashes for
    dots and underscores, OpenRouter's `:variant`, Bedrock's region, vendor and version marks
    and Vertex's `-maas` dropped, a Vertex `@snapshot` as a dashed suffix, `llama3` as
    `llama-3`, and Claude's family before its version."""
    name = _ROUTE_VARIANT.sub("", model_id.strip().lower()).rsplit("/", 1)[-1]
    name, bedrock = _BEDROCK_VENDOR.subn("", _BEDROCK_REGION.sub("", name))
    name = (_BEDROCK_BARE_VERSION if bedrock else _BEDROCK_VERSION).sub("", name)
    name = _BEDROCK_VERSION.sub("", name)
    name, _, snapshot = name.partition("@")
    if snapshot and snapshot != "default":
        name = f"{name}-{snapshot}"
    name = _DASHES.sub("-", _SEPARATORS.sub("-", name)).strip("-")
    name = _LLAMA_VERSION.sub(r"llama-\1", _SERVICE_SUFFIX.sub("", name))
    return _CLAUDE_VERSION_FIRST.sub(r"claude-\2-\1", name)


def without_snapshot(name: str) -> str | None:
    """A canonical name without its dated-snapshot suffix, or None if it has none."""
    for suffix in SNAPSHOT_SUFFIXES:
        if suffix.search(name):
            return suffix.sub("", name)
    return None


def maker(name: str) -> str | None:
    """The vendor that makes the model a canonical name names, if the name says."""
    return next((vendor for vendor, pattern in _MAKERS if pattern.match(name)), None)
