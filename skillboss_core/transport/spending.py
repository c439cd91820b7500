"""What one attempt of a chat call may spend, and what its answer is charged.

The Gateway makes one `AttemptSpend` per model it sends to (the model, then each fallback
model): before sending, the call's worst case is reserved on the budget (or
BudgetExceededError, nothing sent); when the answer's usage is known its cost is computed
once, here (`wire.cost.answer_cost`: the gateway's figure, else the estimate for the model
that answered) and charged; an attempt that failed before any answer is released, one that
ended without a known cost is charged its worst case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from skillboss_core.config.budget import Budget, Reservation
from skillboss_core.wire.cost import (
    Cost,
    answer_cost,
    embeddings_worst_case,
    total_cost,
    worst_case_cost,
)
from skillboss_core.wire.results import Usage


class AttemptSpend:
    """The pricing and the budget hold of one model's attempt (its retries included)."""

    __slots__ = ("asked", "discount", "hold")

    def __init__(
        self, body: Mapping[str, Any], discount: float, budget: Budget | None = None
    ) -> None:
        self.asked = str(body.get("model", ""))
        self.discount = discount
        self.hold: Reservation | None = None
        if budget is not None:  # raises BudgetExceededError: nothing is sent
            worst = worst_case_cost(body, discount=discount)
            self.hold = budget.reserve(worst, model=self.asked)

    def price(
        self, answered: str | None, usage: Usage | None, headers: Mapping[str, str] | None
    ) -> Cost | None:
        """The answer's cost, charged to the budget (its worst case when unknown)."""
        cost = answer_cost(self.asked, answered, usage, headers=headers, discount=self.discount)
        if self.hold is not None:
            self.hold.settle(cost.usd if cost is not None else None)
        return cost

    def failed(self, *, answered: bool) -> None:
        """The attempt raised: nothing is charged if no answer had begun, else (a stream
        cut short, whose tokens are billed) its worst case."""
        if self.hold is not None:
            if answered:
                self.hold.settle(None)
            else:
                self.hold.release()

    def ended(self) -> None:
        """The attempt ended without `price` (an answer without usage): its worst case."""
        if self.hold is not None:
            self.hold.settle(None)


class EmbeddingsSpend:
    """The pricing and the budget hold of one embeddings call: the worst case of all its
    texts is reserved before the first batch is sent (no batch goes out on a budget that
    cannot hold them all), each batch is priced as it answers, and the call is charged their
    sum; on a failure, what the batches that answered cost (their worst case if one of
    them had no price)."""

    __slots__ = ("costs", "discount", "hold", "model")

    def __init__(
        self, model: str, texts: Sequence[str], discount: float, budget: Budget | None = None
    ) -> None:
        self.model = model
        self.discount = discount
        self.costs: list[Cost | None] = []  # appended from worker threads (atomic)
        self.hold: Reservation | None = None
        if budget is not None and texts:
            worst = embeddings_worst_case(model, texts, discount=discount)
            self.hold = budget.reserve(worst, model=model)

    def price(
        self, answered: str | None, usage: Usage, headers: Mapping[str, str] | None
    ) -> Cost | None:
        """One batch's cost, kept for the call's total."""
        cost = answer_cost(self.model, answered, usage, headers=headers, discount=self.discount)
        self.costs.append(cost)
        return cost

    def ended(self) -> None:
        """Charge the batches that answered (all of them when the call succeeded)."""
        if self.hold is None:
            return
        if not self.costs:
            self.hold.release()
            return
        cost = total_cost(self.costs)
        self.hold.settle(cost.usd if cost is not None else None)
