"""Running totals of tokens and cost, per model and overall: what the LangChain callback
(`get_skillboss_callback`) and the LlamaIndex `CostHandler` both add answers into.

One lock guards the figures and is held only while adding or copying, so calls ending in
any thread or task add exactly once each and a reader always sees a consistent snapshot.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace

from skillboss_core.wire.cost import Cost
from skillboss_core.wire.results import Usage


@dataclass(slots=True)
class ModelTotals:
    """What the calls to one model (or to all) added up to. `cost_usd` sums the calls whose
    cost is known; `unpriced_requests` counts those whose cost is not (an unknown model),
    so a total is never silently short; `reported_requests` counts the calls whose cost the
    gateway reported (the rest were estimated)."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_requests: int = 0
    reported_requests: int = 0

    def add(self, usage: Usage | None, cost: Cost | None) -> None:
        self.requests += 1
        if usage is not None:
            self.prompt_tokens += usage.prompt_tokens
            self.completion_tokens += usage.completion_tokens
            self.total_tokens += usage.total_tokens
            self.cached_tokens += usage.cached_tokens or 0
            self.reasoning_tokens += usage.reasoning_tokens or 0
        if cost is None:
            self.unpriced_requests += 1
        else:
            self.cost_usd += cost.usd
            if cost.source == "gateway":
                self.reported_requests += 1


@dataclass(slots=True)
class CostTotals:
    """Totals over every call added, and per model (the model that answered)."""

    total: ModelTotals = field(default_factory=ModelTotals)
    by_model: dict[str, ModelTotals] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, model: str | None, usage: Usage | None, cost: Cost | None) -> None:
        """One call's usage and cost (None: unknown), under `model`."""
        with self._lock:
            self.total.add(usage, cost)
            self.by_model.setdefault(model or "unknown", ModelTotals()).add(usage, cost)

    def snapshot(self) -> tuple[ModelTotals, dict[str, ModelTotals]]:
        """Copies of the totals, consistent with each other."""
        with self._lock:
            return replace(self.total), {m: replace(t) for m, t in self.by_model.items()}

    def reset(self) -> None:
        with self._lock:
            self.total = ModelTotals()
            self.by_model = {}
