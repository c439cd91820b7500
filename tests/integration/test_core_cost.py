"""What a call cost and the spend guard, through the core Gateway over real HTTP: every
chat path prices its answer (the gateway's figure first), a fallback is priced as the model
that answered, and a budget refuses the call that would pass it before anything is sent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from skillboss_core import (
    Budget,
    BudgetExceededError,
    EmbeddingsRequest,
    Gateway,
    GatewaySettings,
)
from skillboss_core.catalog.prices import price_of
from skillboss_core.errors import (
    GatewayCapacityError,
    GatewayServerError,
    IncompleteStreamError,
    InsufficientCreditsError,
)
from skillboss_core.wire.cost import embeddings_worst_case, worst_case_cost
from skillboss_core.wire.results import ChatResult, StreamChunk
from tests.support.scripted_gateway import Fault, Reply, ScriptedGateway

MODEL = "openai/gpt-5.4-mini"
USAGE = {
    "prompt_tokens": 1200,
    "completion_tokens": 300,
    "total_tokens": 1500,
    "prompt_tokens_details": {"cached_tokens": 1000},
    "completion_tokens_details": {"reasoning_tokens": 200},
}
MODES = ("complete", "acomplete", "stream", "astream")


def list_price(model: str = MODEL) -> float:
    """USAGE at the price data's rates, computed by the price data, not written down."""
    price = price_of(model)
    assert price is not None
    usd = price.usd(1200, 300, cached_tokens=1000, reasoning_tokens=200)
    assert usd is not None
    return usd


@pytest.fixture
def server() -> Iterator[ScriptedGateway]:
    with ScriptedGateway(reply=Reply("Paris.", usage=USAGE), lifetime=60.0) as gateway:
        yield gateway


def gateway_for(server: ScriptedGateway, **settings: Any) -> Gateway:
    return Gateway(
        GatewaySettings(api_key="sk-test", base_url=server.base_url, max_retries=0, **settings)
    )


def body(model: str = MODEL, **fields: Any) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "user", "content": "The capital of France?"}],
        "max_tokens": 400,
        **fields,
    }


def call(gateway: Gateway, mode: str, wire: dict[str, Any], **kwargs: Any) -> ChatResult:
    """The answer of one call style; a stream's answer carries its usage chunk's cost and
    its first chunk's headers."""
    if mode == "complete":
        return gateway.complete(wire, **kwargs)
    if mode == "acomplete":
        return asyncio.run(gateway.acomplete(wire, **kwargs))
    streamed = {**wire, "stream": True, "stream_options": {"include_usage": True}}
    if mode == "stream":
        chunks = list(gateway.stream(streamed, **kwargs))
    else:

        async def collect() -> list[StreamChunk]:
            return [chunk async for chunk in gateway.astream(streamed, **kwargs)]

        chunks = asyncio.run(collect())
    costs = [chunk.cost for chunk in chunks if chunk.cost is not None]
    assert len(costs) <= 1 and all(chunk.cost is None for chunk in chunks if not chunk.usage)
    result = ChatResult(id=None, model=None, content=None, cost=costs[0] if costs else None)
    result.headers = chunks[0].headers
    return result


@pytest.mark.parametrize("mode", MODES)
def test_the_estimate_prices_cached_and_reasoning_tokens_at_the_discount(
    server: ScriptedGateway, mode: str
) -> None:
    result = call(gateway_for(server, discount=0.8), mode, body())
    assert result.cost is not None and result.cost.source == "estimate"
    assert result.cost.usd == pytest.approx(list_price() * 0.8)
    assert "LiteLLM" in result.cost.price_data
    expected_type = "text/event-stream" if "stream" in mode else "application/json"
    assert result.headers is not None and expected_type in result.headers["content-type"]


@pytest.mark.parametrize("mode", MODES)
def test_the_gateways_own_figure_is_preferred(server: ScriptedGateway, mode: str) -> None:
    server.reply = Reply("Paris.", usage={**USAGE, "cost": 0.0123})
    result = call(gateway_for(server, discount=0.5), mode, body())
    assert result.cost is not None
    assert (result.cost.usd, result.cost.source) == (0.0123, "gateway")


@pytest.mark.parametrize("mode", MODES)
def test_an_unknown_model_has_no_cost(server: ScriptedGateway, mode: str) -> None:
    assert call(gateway_for(server), mode, body("acme/unknown-model")).cost is None


@pytest.mark.parametrize("mode", MODES)
def test_a_fallback_is_priced_as_the_model_that_answered(
    server: ScriptedGateway, mode: str
) -> None:
    server.enqueue(Fault.status(503))
    result = call(gateway_for(server), mode, body(), fallback_models=["openai/gpt-5.4"])
    assert [r.json["model"] for r in server.requests] == [MODEL, "openai/gpt-5.4"]
    assert result.cost is not None
    assert result.cost.usd == pytest.approx(list_price("openai/gpt-5.4"))


@pytest.mark.parametrize("mode", MODES)
def test_a_budget_refuses_the_call_that_would_pass_it_and_sends_nothing(
    server: ScriptedGateway, mode: str
) -> None:
    worst = worst_case_cost(body())
    assert worst is not None
    budget = Budget(usd=worst * 0.99)
    with pytest.raises(BudgetExceededError) as refused:
        call(gateway_for(server), mode, body(), budget=budget)
    assert server.requests == []
    assert refused.value.needed_usd == pytest.approx(worst)
    assert (budget.spent_usd, budget.reserved_usd) == (0.0, 0.0)


@pytest.mark.parametrize("mode", MODES)
def test_calls_that_fit_are_charged_what_they_cost(server: ScriptedGateway, mode: str) -> None:
    worst = worst_case_cost(body())
    assert worst is not None
    budget = Budget(usd=worst * 1.01 + list_price())
    first = call(gateway_for(server), mode, body(), budget=budget)
    second = call(gateway_for(server), mode, body(), budget=budget)
    assert first.cost is not None and second.cost is not None
    assert budget.spent_usd == pytest.approx(first.cost.usd + second.cost.usd)
    assert budget.calls == 2 and budget.reserved_usd == 0.0
    with pytest.raises(BudgetExceededError):  # what is left no longer holds a worst case
        call(gateway_for(server), mode, body(), budget=budget)
    assert len(server.requests) == 2


def test_a_failed_call_costs_nothing_and_a_cut_stream_its_worst_case(
    server: ScriptedGateway,
) -> None:
    gateway = gateway_for(server)
    budget = Budget(usd=1.0)
    server.enqueue(Fault.status(402))
    with pytest.raises(InsufficientCreditsError):
        gateway.complete(body(), budget=budget)
    assert (budget.spent_usd, budget.reserved_usd) == (0.0, 0.0)
    server.enqueue(Fault.stream_truncated(after_chunks=1))
    with pytest.raises(IncompleteStreamError):
        streamed = body(stream=True, stream_options={"include_usage": True})
        list(gateway.stream(streamed, budget=budget))
    assert budget.spent_usd == pytest.approx(worst_case_cost(body()))
    assert budget.reserved_usd == 0.0


def test_a_fallback_checks_the_budget_for_the_next_model(server: ScriptedGateway) -> None:
    """The dearer fallback model's worst case is reserved before it is sent."""
    cheap, dear = worst_case_cost(body()), worst_case_cost(body("openai/gpt-5.4"))
    assert cheap is not None and dear is not None and dear > cheap
    server.enqueue(Fault.status(503))
    with pytest.raises(BudgetExceededError) as refused:
        gateway_for(server).complete(
            body(), fallback_models=["openai/gpt-5.4"], budget=Budget(usd=(cheap + dear) / 2)
        )
    assert [r.json["model"] for r in server.requests] == [MODEL]
    assert refused.value.model == "openai/gpt-5.4"
    assert isinstance(refused.value.__cause__, GatewayCapacityError)  # why it fell back


def test_concurrent_calls_share_one_budget_exactly(server: ScriptedGateway) -> None:
    worst = worst_case_cost(body())
    assert worst is not None
    budget = Budget(usd=worst * 5.5)  # room for five worst cases at once

    async def many() -> list[Any]:
        gateway = gateway_for(server)
        return await asyncio.gather(
            *(gateway.acomplete(body(), budget=budget) for _ in range(8)), return_exceptions=True
        )

    results = asyncio.run(many())
    answered = [r for r in results if isinstance(r, ChatResult)]
    refused = [r for r in results if isinstance(r, BudgetExceededError)]
    # Every task reserves before its first await: exactly five worst cases fit at once.
    assert (len(answered), len(refused), len(server.requests)) == (5, 3, 5)
    assert budget.spent_usd == pytest.approx(sum(r.cost.usd for r in answered))
    assert budget.reserved_usd == 0.0


def test_the_reported_cost_header_is_used(server: ScriptedGateway) -> None:
    answer = {
        "id": "c1",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }
    server.script(
        lambda request: (
            200,
            {"Content-Type": "application/json", "x-litellm-response-cost": "0.00042"},
            json.dumps(answer).encode(),
        )
    )
    result = gateway_for(server).complete(body())
    assert result.cost is not None and (result.cost.usd, result.cost.source) == (0.00042, "gateway")


# ---- embeddings -------------------------------------------------------------------------

EMBEDDING_MODEL = "openai/text-embedding-3-small"
TEXTS = [f"Document number {n} about wholesale billing." for n in range(10)]


def embed(gateway: Gateway, mode: str, budget: Budget | None = None) -> Any:
    request = EmbeddingsRequest.build({"model": EMBEDDING_MODEL}, batch_size=3, concurrency=2)
    if mode == "sync":
        return gateway.embed(request, TEXTS, budget=budget)
    return asyncio.run(gateway.aembed(request, TEXTS, budget=budget))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_embeddings_call_costs_what_its_batches_cost(server: ScriptedGateway, mode: str) -> None:
    price = price_of(EMBEDDING_MODEL)
    assert price is not None
    result = embed(gateway_for(server, discount=0.5), mode)
    batches = [r for r in server.requests if r.path.endswith("/embeddings")]
    assert len(batches) == 4
    tokens = result.usage.prompt_tokens
    assert result.cost is not None and result.cost.source == "estimate"
    assert result.cost.usd == pytest.approx(price.usd(tokens, 0) * 0.5)  # type: ignore[operator]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_embeddings_budget_is_checked_before_the_first_batch(
    server: ScriptedGateway, mode: str
) -> None:
    worst = embeddings_worst_case(EMBEDDING_MODEL, TEXTS)
    assert worst is not None
    with pytest.raises(BudgetExceededError):
        embed(gateway_for(server), mode, Budget(usd=worst * 0.9))
    assert server.requests == []
    budget = Budget(usd=worst * 1.1)
    result = embed(gateway_for(server), mode, budget)
    assert budget.spent_usd == pytest.approx(result.cost.usd) and budget.reserved_usd == 0.0


def test_an_embeddings_call_that_fails_is_charged_what_was_sent(server: ScriptedGateway) -> None:
    """Batches that answered cost what they cost; a batch sent without an answer may still
    be billed: its share of the worst case is charged; batches never sent cost nothing."""
    worst = embeddings_worst_case(EMBEDDING_MODEL, TEXTS)
    assert worst is not None
    budget = Budget(usd=1.0)
    seen: list[Any] = []

    def second_batch_fails(body: Any) -> Any:
        seen.append(body)
        if len(seen) == 2:
            return 500, {"Content-Type": "application/json"}, b'{"error": {"message": "x"}}'
        return None  # the honest vectors

    server.script_embeddings(second_batch_fails)
    request = EmbeddingsRequest.build({"model": EMBEDDING_MODEL}, batch_size=3, concurrency=1)
    with pytest.raises(GatewayServerError):
        gateway_for(server).embed(request, TEXTS, budget=budget)
    assert len(server.requests) == 2 and budget.reserved_usd == 0.0
    assert worst / 4 < budget.spent_usd < worst / 4 + 1e-6  # one of four batches unanswered
