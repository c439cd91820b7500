"""What a call cost, in USD: the gateway's own figure when its answer reports one, else an
estimate from the model's list prices times the account's discount.

SkillBoss bills a per-account discount times each vendor's list price. Where the answer
says what was charged (OpenRouter-style gateways put it in `usage.cost`, LiteLLM's proxy in
the `x-litellm-response-cost` header) that figure is used as is (`source="gateway"`);
otherwise the token counts of the usage are priced with `catalog.prices` (LiteLLM's model
table) and multiplied by the discount (`source="estimate"`, naming the price data and its
version). A model the price data does not know, or counts it cannot price, cost None:
never another model's price, never a guess.

Why here and not in `catalog/`: the prices and their arithmetic on plain counts are facts
about models (`catalog.prices`, the bottom layer), but reading a gateway's usage (its
`Usage`, its detail objects, its reported cost) is reading the wire, and `Usage` lives in
`wire.results`; the catalog may not import the wire.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from skillboss_core.catalog.models import lookup
from skillboss_core.catalog.prices import price_of
from skillboss_core.catalog.tokens import count_text
from skillboss_core.errors import InvalidParameterError
from skillboss_core.wire.decode import header_value
from skillboss_core.wire.prompt_size import prompt_tokens_of
from skillboss_core.wire.results import Usage, token_count

CostSource = Literal["gateway", "estimate"]

# LiteLLM's proxy prices each call itself and says so in this header (USD).
COST_HEADER = "x-litellm-response-cost"


@dataclass(frozen=True, slots=True)
class Cost:
    """What one call cost: `usd`, where the figure came from (`source`: the gateway's answer
    or an estimate) and `price_data`: for an estimate the price data and its version
    ("LiteLLM's model table (litellm==1.110.2)"), for a gateway's figure the field or header
    that carried it."""

    usd: float
    source: CostSource
    price_data: str


def check_discount(value: Any, name: str = "discount") -> float:
    """A discount multiplier: the fraction of list price the account pays, in (0, 1]
    (1.0: list price; 0.8: 20% off). Anything else is an InvalidParameterError (a
    ValueError) naming `name`: 0 or less would price every call at nothing and silence a
    budget, and above 1 is a markup, most often a percentage typed for a fraction (20)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 < value <= 1
    ):
        raise InvalidParameterError(discount_problem(name, value))
    return float(value)


def discount_problem(name: str, value: Any) -> str:
    """What is wrong with a discount, in words: the one message for the keyword and the
    environment variable."""
    return (
        f"{name} must be a number greater than 0 and at most 1, the fraction of list price "
        f"the account pays (1.0: list price, 0.8: 20% off), got {value!r}"
    )


def estimate_cost(model_id: str, usage: Usage, *, discount: float = 1.0) -> Cost | None:
    """The list price of `usage`'s tokens on `model_id` (any id form the catalog accepts:
    price the model that answered, not the one asked for, after a fallback) times
    `discount`; None when the price data has no price for the model or cannot price these
    counts.

    The counts are OpenAI-style: `cached_tokens` (and cache writes, and audio tokens, read
    from `usage.raw`'s details) are part of `prompt_tokens` and priced once, at their own
    rate; `reasoning_tokens` are part of `completion_tokens`, priced at a reasoning rate only
    where the vendor has one. The prompt's size picks a long-prompt tier where the model has
    tiers."""
    discount = check_discount(discount)
    price = price_of(model_id)
    if price is None:
        return None
    prompt_details = _details(usage.raw, "prompt_tokens_details")
    completion_details = _details(usage.raw, "completion_tokens_details")
    list_usd = price.usd(
        usage.prompt_tokens,
        usage.completion_tokens,
        cached_tokens=usage.cached_tokens or 0,
        # OpenRouter's name, then LiteLLM's.
        cache_write_tokens=_first_count(
            prompt_details, "cache_write_tokens", "cache_creation_tokens"
        ),
        reasoning_tokens=usage.reasoning_tokens or 0,
        audio_prompt_tokens=_first_count(prompt_details, "audio_tokens"),
        cached_audio_tokens=_first_count(
            _details(prompt_details, "cached_tokens_details"), "audio_tokens"
        ),
        audio_completion_tokens=_first_count(completion_details, "audio_tokens"),
    )
    if list_usd is None:
        return None
    return Cost(list_usd * discount, "estimate", price.price_data)


def reported_cost(
    data: Usage | Mapping[str, Any] | None, headers: Mapping[str, str] | None = None
) -> Cost | None:
    """The cost the gateway's answer reports, or None: `usage.cost` of a body or stream
    event (or of the usage object itself, or of a `Usage`'s raw dict), else the
    `x-litellm-response-cost` header.

    OpenRouter's `usage.cost` is what the account was charged, in credits (1 credit = 1
    USD), already net of any discount, so no discount applies to it. For a request routed
    through the user's own vendor key (`is_byok`), the vendor's charge
    (`cost_details.upstream_inference_cost`) is billed to that key, not to this balance,
    and is not added. A figure that is not a finite number >= 0 is no report."""
    usage: Any = data.raw if isinstance(data, Usage) else data
    if isinstance(usage, Mapping) and "usage" in usage:  # a body or a stream event
        usage = usage["usage"]
    if isinstance(usage, Mapping):
        usd = _usd(usage.get("cost"))
        if usd is not None:
            return Cost(usd, "gateway", "the gateway's usage.cost")
    value = header_value(headers, COST_HEADER)
    if value is not None:
        usd = _usd(_number(value))
        if usd is not None:
            return Cost(usd, "gateway", f"the gateway's {COST_HEADER} header")
    return None


def cost_of(
    model_id: str,
    usage: Usage,
    *,
    headers: Mapping[str, str] | None = None,
    discount: float = 1.0,
) -> Cost | None:
    """The gateway's reported cost when the answer has one (`reported_cost`), else the
    estimate (`estimate_cost`); None when neither can be had."""
    return reported_cost(usage, headers) or estimate_cost(model_id, usage, discount=discount)


def answer_cost(
    asked: str,
    answered: str | None,
    usage: Usage | None,
    *,
    headers: Mapping[str, str] | None = None,
    discount: float = 1.0,
) -> Cost | None:
    """What an answer cost: the gateway's figure if it reports one, else the estimate for
    the model that answered: the answer's own `model` (`answered`: a dated snapshot is
    priced as itself), or `asked` (the id the answering request named, after any fallback)
    when the answer names none. An answer naming a model the price data does not know has
    no cost: it may not be the model asked for, and is never priced as another."""
    reported = reported_cost(usage, headers)
    if reported is not None or usage is None:
        return reported
    return estimate_cost(answered or asked, usage, discount=discount)


# A prompt estimate is within about 15% of the tokenizer's count; a worst case adds 20%.
PROMPT_MARGIN = 1.2


def output_cap(body: Mapping[str, Any]) -> int:
    """The most output tokens a request can be billed for: its `max_completion_tokens` or
    `max_tokens`, else the catalog's output limit for the model, times `n` choices."""
    cap = body.get("max_completion_tokens") or body.get("max_tokens")
    if not isinstance(cap, int) or isinstance(cap, bool) or cap <= 0:
        cap = lookup(str(body.get("model", ""))).max_output_tokens
    choices = body.get("n")
    return cap * (choices if isinstance(choices, int) and choices > 1 else 1)


def worst_case_cost(
    body: Mapping[str, Any], *, discount: float = 1.0, prompt_tokens: int | None = None
) -> float | None:
    """The most a /chat/completions request can cost, in USD, before it is sent: its
    estimated prompt (plus `PROMPT_MARGIN`) at the input rate, and `output_cap` tokens at
    the dearest output rate (reasoning and audio output included), times `discount`. None
    when the model has no price (a budget cannot bound it). `prompt_tokens`: the prompt's
    estimate, if already counted (`wire.prompt_size.prompt_tokens_of`)."""
    price = price_of(str(body.get("model", "")))
    if price is None:
        return None
    counted = prompt_tokens_of(body) if prompt_tokens is None else prompt_tokens
    prompt = math.ceil(counted * PROMPT_MARGIN)
    rates = price.rates(prompt)
    outputs = [rate for rate in (rates.output, rates.reasoning, rates.audio_output) if rate]
    if rates.output is None:
        return None
    input_rate = max(rates.input, rates.audio_input, rates.cache_write)
    return (prompt * input_rate + output_cap(body) * max(outputs, default=0.0)) * discount


def embeddings_worst_case(
    model_id: str, texts: Sequence[str], *, discount: float = 1.0
) -> float | None:
    """The most embedding `texts` can cost, in USD, before they are sent: their estimated
    tokens (plus `PROMPT_MARGIN`) at the model's input rate, times `discount`; None when the
    model has no price."""
    price = price_of(model_id)
    if price is None:
        return None
    tokens = math.ceil(sum(count_text(text) for text in texts) * PROMPT_MARGIN)
    return tokens * price.rates(tokens).input * discount


def total_cost(costs: Sequence[Cost | None]) -> Cost | None:
    """The cost of a call made of several requests (an embeddings call's batches): their
    sum when each is known, else None (a partial sum would read as the whole). The gateway's
    when every part is, else an estimate."""
    if not costs or any(cost is None for cost in costs):
        return None
    known = [cost for cost in costs if cost is not None]
    if all(cost.source == "gateway" for cost in known):
        return Cost(sum(cost.usd for cost in known), "gateway", known[0].price_data)
    estimated = next(cost for cost in known if cost.source == "estimate")
    return Cost(sum(cost.usd for cost in known), "estimate", estimated.price_data)


def _details(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name)
    return value if isinstance(value, Mapping) else {}


def _first_count(details: Mapping[str, Any], *names: str) -> int:
    """The first of `names` that is a token count (results.token_count's rule), else 0."""
    for name in names:
        count = token_count(details, name)
        if count is not None:
            return count
    return 0


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _usd(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None
