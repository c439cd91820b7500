"""What one call may spend, and what its answer is charged.

The Gateway makes one `AttemptSpend` per model it sends a chat call to (the model, then each
fallback model): before sending, the call's worst case is reserved on every budget it was
given (or BudgetExceededError, nothing sent); when the answer's usage is known its cost is
computed once, here (`wire.cost.answer_cost`: the gateway's figure, else the estimate for
the model that answered) and charged; an attempt that failed before any answer is released,
one that ended without a known cost is charged its worst case. An embeddings call has one
`EmbeddingsSpend` for all its batches.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from skillboss_core.config.budget import Budgets, Holds
from skillboss_core.wire.cost import (
    Cost,
    answer_cost,
    embeddings_worst_case,
    total_cost,
    worst_case_cost,
)
from skillboss_core.wire.prompt_size import prompt_tokens_of
from skillboss_core.wire.results import Usage

NO_HOLDS = Holds()


class PromptSize:
    """A call's prompt, counted once however many models it is sent to (the messages of a
    fallback's body are the same), and only if a budget needs it."""

    __slots__ = ("_body", "_tokens")

    def __init__(self, body: Mapping[str, Any]) -> None:
        self._body = body
        self._tokens: int | None = None

    def tokens(self) -> int:
        if self._tokens is None:
            self._tokens = prompt_tokens_of(self._body)
        return self._tokens


class AttemptSpend:
    """The pricing and the budget holds of one model's attempt (its retries included)."""

    __slots__ = ("asked", "discount", "holds")

    def __init__(
        self,
        body: Mapping[str, Any],
        discount: float,
        budgets: Budgets = None,
        prompt: PromptSize | None = None,
    ) -> None:
        self.asked = str(body.get("model", ""))
        self.discount = discount
        self.holds = NO_HOLDS
        if budgets:  # raises BudgetExceededError: nothing is sent
            tokens = (prompt or PromptSize(body)).tokens()
            worst = worst_case_cost(body, discount=discount, prompt_tokens=tokens)
            self.holds = Holds.reserve(budgets, worst, model=self.asked)

    def price(
        self, answered: str | None, usage: Usage | None, headers: Mapping[str, str] | None
    ) -> Cost | None:
        """The answer's cost, charged to the budgets (its worst case when unknown)."""
        cost = answer_cost(self.asked, answered, usage, headers=headers, discount=self.discount)
        if self.holds:
            self.holds.settle(cost.usd if cost is not None else None)
        return cost

    def failed(self, *, answered: bool) -> None:
        """The attempt raised: nothing is charged if no answer had begun, else (a stream
        cut short, whose tokens are billed) its worst case."""
        if self.holds:
            if answered:
                self.holds.settle(None)
            else:
                self.holds.release()

    def ended(self) -> None:
        """The attempt ended without `price` (an answer without usage): its worst case."""
        if self.holds:
            self.holds.settle(None)


class EmbeddingsSpend:
    """The pricing and the budget holds of one embeddings call: the worst case of all its
    texts is reserved before the first batch is sent (no batch goes out on a budget that
    cannot hold them all), each batch is priced as it answers, and the call is charged their
    sum. A call that failed is charged what its answered batches cost, plus a share of the
    worst case for each batch sent without an answer (it may still be billed)."""

    __slots__ = ("_lock", "batches", "costs", "discount", "holds", "model", "sent", "worst")

    def __init__(
        self,
        model: str,
        texts: Sequence[str],
        batches: int,
        discount: float,
        budgets: Budgets = None,
    ) -> None:
        self.model = model
        self.discount = discount
        self.batches = max(1, batches)
        self.costs: list[Cost | None] = []
        self.sent = 0
        self._lock = threading.Lock()
        self.holds = NO_HOLDS
        self.worst: float | None = None
        if budgets and texts:
            self.worst = embeddings_worst_case(model, texts, discount=discount)
            self.holds = Holds.reserve(budgets, self.worst, model=model)

    def sending(self) -> None:
        """A batch is about to be sent (once, whatever its retries)."""
        with self._lock:
            self.sent += 1

    def price(
        self, answered: str | None, usage: Usage, headers: Mapping[str, str] | None
    ) -> Cost | None:
        """One batch's cost, kept for the call's total."""
        cost = answer_cost(self.model, answered, usage, headers=headers, discount=self.discount)
        with self._lock:
            self.costs.append(cost)
        return cost

    def ended(self) -> None:
        """Charge the call: every batch's cost when all answered, else what is known plus a
        worst-case share for each batch sent without an answer; nothing if none was sent."""
        if not self.holds:
            return
        with self._lock:
            sent, costs = self.sent, list(self.costs)
        if sent == 0:
            self.holds.release()
            return
        known = total_cost(costs) if costs else None
        if known is None and costs:  # a batch without a price: the worst case
            self.holds.settle(None)
            return
        unanswered = sent - len(costs)
        share = (self.worst or 0.0) * unanswered / self.batches
        self.holds.settle((known.usd if known else 0.0) + share)
