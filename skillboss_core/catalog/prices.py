"""Each model's list prices, and what a call's token counts cost at them.

The price data is LiteLLM's model table, the one `make catalog` already reads for windows
and capabilities: pinned (`LITELLM_VERSION` in the Makefile), generated into
`catalog_data.json` (each entry's `prices`, USD per token) and shipped in the wheel, so an
estimate needs no network and names the exact data it came from. Pydantic's genai-prices
was the other candidate (its prices carry validity dates), but it needs Python >= 3.11 and
this project supports 3.10; it would also be a second source of model names next to the
catalog's.

What is priced: input, output, cached input read, cache writes, reasoning output where the
vendor prices it apart, audio input and output, and long-prompt tiers (`tiers`: prices that
replace the base ones once a prompt has more than `above` tokens; Gemini's and Claude's
long-context prices, GPT-5.4's above 272k, Alibaba's ranged tiers). At the standard service
tier only: batch, flex and priority prices, cache writes by cache lifetime, DeepSeek's
off-peak hours, per-image, per-second and per-query charges are not in the file, so an
estimate is the standard on-demand list price of the tokens reported.

The arithmetic follows LiteLLM's own cost calculator on OpenAI-style usage, where every
detail count is part of its total: cached, cache-write and audio tokens are part of
`prompt_tokens`, reasoning and audio output tokens part of `completion_tokens`. Each part is
priced once, at its own rate when the data has one and at the plain input (or output) rate
otherwise. Counts that cannot be such parts (more cached tokens than prompt tokens) give no
price, never a guess.

Sans-IO and framework-free; `skillboss_core.wire.cost` turns a gateway's usage into these
counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from skillboss_core.catalog.models import catalog_data, find_entry

# The catalog's price names: every rate a tier may replace, in the file's order.
RATE_NAMES = (
    "input",
    "output",
    "cache_read",
    "cache_write",
    "reasoning",
    "audio_input",
    "audio_output",
    "cache_read_audio",
)


@dataclass(frozen=True, slots=True)
class Rates:
    """USD per token for one prompt size, every fallback applied. `output` (and with it
    `reasoning` and `audio_output`) is None when the data has no output price (Mistral's
    embedding models): a call that produced output then has no price."""

    input: float
    output: float | None
    cache_read: float
    cache_write: float
    reasoning: float | None
    audio_input: float
    audio_output: float | None
    cache_read_audio: float


@dataclass(frozen=True, slots=True)
class PriceTier:
    """Prices that replace the base ones once a prompt has more than `above` tokens; None
    where this tier does not change that rate."""

    above: int
    input: float | None = None
    output: float | None = None
    cache_read: float | None = None
    cache_write: float | None = None
    reasoning: float | None = None
    audio_input: float | None = None
    audio_output: float | None = None
    cache_read_audio: float | None = None


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """One model's list prices, USD per token; None where the data has no such price."""

    id: str
    input: float
    output: float | None
    cache_read: float | None = None
    cache_write: float | None = None
    reasoning: float | None = None
    audio_input: float | None = None
    audio_output: float | None = None
    cache_read_audio: float | None = None
    tiers: tuple[PriceTier, ...] = ()
    price_data: str = ""
    """The data and its version: "LiteLLM's model table (litellm==1.110.2)"."""
    source: str = ""
    """The entry the prices come from and how `id` found it."""

    def rates(self, prompt_tokens: int) -> Rates:
        """The rates a call with this many prompt tokens is billed at: the base prices, each
        replaced by the highest tier below the prompt's size that gives it, then the
        fallbacks (a cache or audio rate the data lacks is the input rate, and so on)."""
        found: dict[str, float | None] = {name: getattr(self, name) for name in RATE_NAMES}
        for tier in self.tiers:  # ascending by `above`
            if prompt_tokens > tier.above:
                for name in RATE_NAMES:
                    rate = getattr(tier, name)
                    if rate is not None:
                        found[name] = rate
        # A rate the data does not give is billed as the one it is a kind of.
        input_rate = _or(found["input"], self.input)
        cache_read = _or(found["cache_read"], input_rate)
        output = found["output"]
        return Rates(
            input=input_rate,
            output=output,
            cache_read=cache_read,
            cache_write=_or(found["cache_write"], input_rate),
            reasoning=output if found["reasoning"] is None else found["reasoning"],
            audio_input=_or(found["audio_input"], input_rate),
            audio_output=output if found["audio_output"] is None else found["audio_output"],
            cache_read_audio=_or(found["cache_read_audio"], cache_read),
        )

    def usd(
        self,
        prompt_tokens: int,
        completion_tokens: int,
        *,
        cached_tokens: int = 0,
        cache_write_tokens: int = 0,
        reasoning_tokens: int = 0,
        audio_prompt_tokens: int = 0,
        cached_audio_tokens: int = 0,
        audio_completion_tokens: int = 0,
    ) -> float | None:
        """The list price of a call in USD, from OpenAI-style counts: `cached_tokens`,
        `cache_write_tokens` and `audio_prompt_tokens` are parts of `prompt_tokens`
        (`cached_audio_tokens` a part of both `cached_tokens` and `audio_prompt_tokens`),
        `reasoning_tokens` and `audio_completion_tokens` parts of `completion_tokens`.

        None when the counts cannot be such parts (a negative count, more cached than prompt
        tokens, more reasoning than completion tokens...) or when output was produced and
        the data has no output price: no figure rather than a wrong one."""
        counts = (
            prompt_tokens,
            completion_tokens,
            cached_tokens,
            cache_write_tokens,
            reasoning_tokens,
            audio_prompt_tokens,
            cached_audio_tokens,
            audio_completion_tokens,
        )
        if any(count < 0 for count in counts):
            return None
        cached_text = cached_tokens - cached_audio_tokens
        uncached_audio = audio_prompt_tokens - cached_audio_tokens
        plain_input = prompt_tokens - cached_tokens - cache_write_tokens - uncached_audio
        plain_output = completion_tokens - reasoning_tokens - audio_completion_tokens
        if min(cached_text, uncached_audio, plain_input, plain_output) < 0:
            return None
        rates = self.rates(prompt_tokens)
        usd = (
            plain_input * rates.input
            + cached_text * rates.cache_read
            + cached_audio_tokens * rates.cache_read_audio
            + cache_write_tokens * rates.cache_write
            + uncached_audio * rates.audio_input
        )
        if completion_tokens == 0:
            return usd
        if rates.output is None or rates.reasoning is None or rates.audio_output is None:
            return None
        return (
            usd
            + plain_output * rates.output
            + reasoning_tokens * rates.reasoning
            + audio_completion_tokens * rates.audio_output
        )


def price_data_name() -> str:
    """The price data and its version, as a cost names it: "LiteLLM's model table
    (litellm==1.110.2)"."""
    source = catalog_data()["source"]
    return f"{source['name']} ({source['package']})"


@lru_cache(maxsize=1024)  # every answer is priced; a ModelPrice is immutable
def price_of(model_id: str) -> ModelPrice | None:
    """The list prices of `model_id` under any id form `catalog.models.lookup` accepts
    (`openai/gpt-5.4-mini`, `gpt-5.4-mini`, a dated snapshot of a listed model, ...): a chat
    model's, else an embedding model's. None when the data has no entry for it or no input
    price in it: an unknown model is never priced as another."""
    for section in ("models", "embedding_models"):
        found = find_entry(model_id, section)
        if found is None:
            continue
        entry, how = found
        prices = entry.get("prices")
        if not isinstance(prices, Mapping):
            return None
        return _model_price(model_id, prices, f"{entry['from']!r}{how}")
    return None


def _model_price(model_id: str, prices: Mapping[str, Any], source: str) -> ModelPrice | None:
    base = {name: _rate(prices.get(name)) for name in RATE_NAMES}
    input_rate = base.pop("input")
    if input_rate is None:
        return None
    tiers = []
    for tier in prices.get("tiers") or ():
        above = tier.get("above")
        if not isinstance(above, int) or isinstance(above, bool) or above < 0:
            return None  # a file this module does not understand prices nothing
        tiers.append(PriceTier(above, **{name: _rate(tier.get(name)) for name in RATE_NAMES}))
    return ModelPrice(
        id=model_id,
        input=input_rate,
        tiers=tuple(sorted(tiers, key=lambda tier: tier.above)),
        price_data=price_data_name(),
        source=source,
        **base,
    )


def _or(rate: float | None, fallback: float) -> float:
    return fallback if rate is None else rate


def _rate(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None
