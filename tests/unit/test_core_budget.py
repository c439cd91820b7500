"""The spend guard and its pieces, without HTTP: what a call may cost before it is sent
(prompt estimate, output cap, the dearest rates), what a budget holds and charges, running
totals, and who answered."""

from __future__ import annotations

import math
import threading
from typing import Any

import httpx
import pytest

from skillboss_core import Budget, BudgetExceededError
from skillboss_core.catalog.models import lookup
from skillboss_core.catalog.prices import price_of
from skillboss_core.catalog.tokens import count_text
from skillboss_core.errors import InvalidParameterError
from skillboss_core.wire.cost import (
    PROMPT_MARGIN,
    Cost,
    answer_cost,
    output_cap,
    worst_case_cost,
)
from skillboss_core.wire.prompt_size import (
    MEDIA_TOKENS,
    MESSAGE_OVERHEAD,
    REPLY_PRIMER,
    prompt_tokens_of,
)
from skillboss_core.wire.provenance import request_id_of, vendor_of
from skillboss_core.wire.results import Usage
from skillboss_core.wire.totals import CostTotals

MODEL = "openai/gpt-5.4-mini"


def body(**fields: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": "Hello there"}], **fields}


# ---- the prompt's size ------------------------------------------------------------------


def test_the_prompt_counts_every_message_tool_call_and_tool() -> None:
    tool = {"type": "function", "function": {"name": "weather", "parameters": {}}}
    wire = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Look"}, {"type": "image_url"}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"function": {"name": "weather", "arguments": '{"c":"Paris"}'}}],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "Sunny"},
        ],
        "tools": [tool],
    }
    expected = (
        REPLY_PRIMER
        + 4 * MESSAGE_OVERHEAD
        + count_text("Be brief.")
        + count_text("Look")
        + MEDIA_TOKENS
        + count_text("weather")
        + count_text('{"c":"Paris"}')
        + count_text("call_1")
        + count_text("Sunny")
        + count_text('[{"type": "function", "function": {"name": "weather", "parameters": {}}}]')
    )
    assert prompt_tokens_of(wire) == expected


# ---- the worst case ---------------------------------------------------------------------


def test_the_output_cap_is_the_requests_else_the_models_limit_times_choices() -> None:
    assert output_cap(body(max_tokens=100)) == 100
    assert output_cap(body(max_completion_tokens=70, max_tokens=100)) == 70
    assert output_cap(body(max_tokens=100, n=3)) == 300
    assert output_cap(body()) == lookup(MODEL).max_output_tokens
    assert output_cap(body(max_tokens=True)) == lookup(MODEL).max_output_tokens


def test_the_worst_case_is_the_padded_prompt_and_the_whole_cap_at_list_price() -> None:
    price = price_of(MODEL)
    assert price is not None and price.output is not None
    prompt = math.ceil(prompt_tokens_of(body()) * PROMPT_MARGIN)
    rates = price.rates(prompt)
    assert rates.output is not None
    dearest_output = max(r for r in (rates.output, rates.reasoning, rates.audio_output) if r)
    dearest_input = max(rates.input, rates.audio_input, rates.cache_write)
    expected = prompt * dearest_input + 500 * dearest_output
    assert worst_case_cost(body(max_tokens=500)) == pytest.approx(expected)
    assert worst_case_cost(body(max_tokens=500), discount=0.5) == pytest.approx(expected / 2)
    # Never below what the same counts cost as a real answer.
    real = price.usd(prompt_tokens_of(body()), 500)
    assert real is not None and worst_case_cost(body(max_tokens=500)) >= real  # type: ignore[operator]


def test_an_unpriced_model_has_no_worst_case() -> None:
    assert worst_case_cost({**body(), "model": "acme/unknown-model"}) is None


# ---- the budget -------------------------------------------------------------------------


def test_a_call_that_fits_is_held_then_charged_its_real_cost() -> None:
    budget = Budget(usd=1.0)
    hold = budget.reserve(0.4, model=MODEL)
    assert budget.reserved_usd == 0.4 and budget.left_usd == pytest.approx(0.6)
    hold.settle(0.1)
    hold.settle(0.3)  # ended once
    assert budget.spent_usd == 0.1 and budget.reserved_usd == 0.0 and budget.calls == 1


def test_a_call_that_does_not_fit_is_refused_and_holds_nothing() -> None:
    budget = Budget(usd=1.0)
    budget.reserve(0.7, model=MODEL)
    with pytest.raises(BudgetExceededError) as refused:
        budget.reserve(0.4, model=MODEL)
    error = refused.value
    assert (error.model, error.needed_usd, error.limit_usd) == (MODEL, 0.4, 1.0)
    assert error.left_usd == pytest.approx(0.3)
    assert "0.400000" in str(error) and "max_tokens" in str(error)
    assert error.is_retryable is False
    assert budget.reserved_usd == 0.7


def test_a_failed_call_costs_nothing_and_an_unknown_cost_its_worst_case() -> None:
    budget = Budget(usd=1.0)
    budget.reserve(0.5, model=MODEL).release()
    assert (budget.spent_usd, budget.reserved_usd, budget.calls) == (0.0, 0.0, 0)
    budget.reserve(0.5, model=MODEL).settle(None)
    assert (budget.spent_usd, budget.calls) == (0.5, 1)


def test_an_unpriced_model_is_refused_unless_allowed() -> None:
    with pytest.raises(BudgetExceededError, match="no list price") as refused:
        Budget(usd=1.0).reserve(None, model="acme/unknown-model")
    assert refused.value.needed_usd is None
    allowed = Budget(usd=1.0, unpriced="allow")
    allowed.reserve(None, model="acme/unknown-model").settle(0.02)  # the gateway's figure
    allowed.reserve(None, model="acme/unknown-model").settle(None)
    assert allowed.spent_usd == 0.02 and allowed.calls == 2


@pytest.mark.parametrize("usd", [-1, float("nan"), float("inf"), True, "5"])
def test_a_budget_must_be_a_number_of_dollars(usd: Any) -> None:
    with pytest.raises(InvalidParameterError, match="usd"):
        Budget(usd=usd)
    with pytest.raises(InvalidParameterError, match="unpriced"):
        Budget(usd=1, unpriced="warn")  # type: ignore[arg-type]


def test_threads_never_reserve_more_than_the_limit() -> None:
    """Forty threads reserve at once and hold their reservations together: exactly ten fit,
    and what is held never passes the limit (a check of what was spent alone admits all)."""
    budget = Budget(usd=10.0)
    admitted: list[Any] = []
    refused: list[BudgetExceededError] = []
    start, holding = threading.Barrier(40), threading.Barrier(40)
    held_at_peak: list[float] = []

    def call() -> None:
        start.wait()
        try:
            hold = budget.reserve(1.0, model=MODEL)
        except BudgetExceededError as error:
            refused.append(error)
            hold = None
        else:
            admitted.append(hold)
        holding.wait()  # every reservation is still open here
        held_at_peak.append(budget.reserved_usd)
        if hold is not None:
            hold.settle(1.0)

    threads = [threading.Thread(target=call) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) == 10 and len(refused) == 30
    assert max(held_at_peak) <= 10.0
    assert budget.spent_usd == 10.0 and budget.reserved_usd == 0.0


def test_a_call_must_fit_every_budget_it_is_given() -> None:
    from skillboss_core.config.budget import Holds

    roomy, tight = Budget(usd=1.0), Budget(usd=0.1)
    with pytest.raises(BudgetExceededError):
        Holds.reserve([roomy, tight], 0.5, model=MODEL)
    assert roomy.reserved_usd == 0.0 and tight.reserved_usd == 0.0  # nothing left held
    holds = Holds.reserve([roomy, tight, roomy], 0.05, model=MODEL)
    assert roomy.reserved_usd == 0.05  # the same budget twice holds once
    holds.settle(0.02)
    assert roomy.spent_usd == tight.spent_usd == 0.02
    assert not Holds.reserve(None, 0.5, model=MODEL)


def test_an_allowed_unpriced_call_is_refused_once_the_budget_is_spent() -> None:
    budget = Budget(usd=0.01, unpriced="allow")
    budget.reserve(None, model="acme/unknown-model").settle(0.02)  # the gateway's figure
    with pytest.raises(BudgetExceededError, match="is spent"):
        budget.reserve(None, model="acme/unknown-model")


# ---- which model is priced --------------------------------------------------------------


def test_the_answer_is_priced_as_the_model_that_answered() -> None:
    usage = Usage(prompt_tokens=1000, completion_tokens=100, total_tokens=1100)
    mini, big = price_of("gpt-5.4-mini"), price_of("gpt-5.4")
    assert mini is not None and big is not None
    cost = answer_cost("openai/gpt-5.4-mini", "gpt-5.4", usage)
    assert cost is not None and cost.usd == pytest.approx(big.usd(1000, 100))
    # No model in the answer: the one the answering request named.
    named = answer_cost("openai/gpt-5.4-mini", None, usage)
    assert named is not None and named.usd == pytest.approx(mini.usd(1000, 100))
    # A model the price data does not know is never priced as the one asked for.
    assert answer_cost("openai/gpt-5.4-mini", "acme-private-build", usage) is None
    assert answer_cost(MODEL, MODEL, None) is None
    reported = answer_cost(MODEL, MODEL, None, headers={"x-litellm-response-cost": "0.5"})
    assert reported == Cost(0.5, "gateway", "the gateway's x-litellm-response-cost header")


# ---- totals and provenance --------------------------------------------------------------


def test_totals_add_per_model_and_count_what_was_not_priced() -> None:
    totals = CostTotals()
    usage = Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15, cached_tokens=4)
    threads = [
        threading.Thread(
            target=lambda: [
                totals.add(MODEL, usage, Cost(0.25, "estimate", "x")) for _ in range(100)
            ]
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    totals.add("acme/unknown-model", usage, None)
    totals.add(MODEL, None, Cost(1.0, "gateway", "usage.cost"))
    total, by_model = totals.snapshot()
    assert (total.requests, total.cost_usd, total.unpriced_requests) == (402, 101.0, 1)
    assert (total.prompt_tokens, total.cached_tokens, total.reported_requests) == (4010, 1604, 1)
    assert by_model[MODEL].requests == 401 and by_model["acme/unknown-model"].cost_usd == 0.0
    totals.reset()
    assert totals.snapshot()[0].requests == 0


def test_the_request_id_and_the_vendor() -> None:
    assert request_id_of(httpx.Headers({"X-Request-ID": "req_1"})) == "req_1"
    assert request_id_of({"Request-Id": "req_2"}) == "req_2"
    assert request_id_of({"content-type": "application/json"}) is None
    assert request_id_of(None) is None
    assert vendor_of("openai/gpt-5.4-mini") == "openai"
    assert vendor_of("claude-sonnet-4-5") == "anthropic"
    assert vendor_of("acme-unknown") is None and vendor_of(None) is None


def test_a_copy_is_the_same_budget_and_a_pickle_is_refused_clearly() -> None:
    import copy
    import pickle

    budget = Budget(usd=1.0)
    assert copy.copy(budget) is budget and copy.deepcopy({"b": budget})["b"] is budget
    with pytest.raises(TypeError, match="each worker its own Budget"):
        pickle.dumps(budget)
