"""What SkillBoss calls cost, added up: a LlamaIndex callback handler, like TokenCountingHandler.

Query engines, chat engines and agents make their LLM calls out of sight; their callback
manager still sees each one end. `CostHandler` reads the cost, token counts and model that
SkillBoss puts in every response's `additional_kwargs` (streamed or not: LlamaIndex hands
handlers a stream's closing response, which carries them) into the core's thread-safe
`CostTotals`, so calls ending in any thread or task are counted exactly once.

Only SkillBoss's own LLM events count: their start says who made them, so a wrapper's
event around a SkillBoss call (a structured LLM's) is not counted a second time, and another
vendor's LLM sharing the callback manager adds nothing it could not price.

Give it a `budget` and every SkillBoss with this handler in its callback manager (directly,
or through `Settings.callback_manager`) and no budget of its own spends from it.

For LlamaIndex's newer instrumentation instead of callbacks, `CostHandler.event_handler`
counts the same calls from the dispatcher's LLM events (attach one or the other, not both:
each would count every call).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, cast

from llama_index.core.callbacks import CallbackManager
from llama_index.core.callbacks.base_handler import BaseCallbackHandler
from llama_index.core.callbacks.schema import CBEventType, EventPayload
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionStartEvent,
)

from skillboss_core.config.budget import Budget
from skillboss_core.wire.cost import Cost, CostSource
from skillboss_core.wire.results import Usage
from skillboss_core.wire.totals import CostTotals, ModelTotals

# SkillBoss.class_name(): what its callback events' serialized payload calls it.
LLM_CLASS_NAME = "skillboss_llm"
# LLM events begun and not yet ended that are remembered: a stream nobody finishes never
# ends, and must not grow the handler forever.
_MAX_OPEN_EVENTS = 10_000
_SOURCES: tuple[CostSource, ...] = ("gateway", "estimate")


class CostHandler(BaseCallbackHandler):
    """Adds up the cost and tokens of SkillBoss calls, overall and per model that answered.

    Examples:
        ```python
        from llama_index.core import Settings
        from llama_index.core.callbacks import CallbackManager
        from llama_index_skillboss import CostHandler
        from skillboss_core import Budget

        costs = CostHandler(budget=Budget(usd=5.0))  # the budget is optional
        Settings.callback_manager = CallbackManager([costs])

        index.as_query_engine().query("...")
        print(costs.total_cost, costs.total_tokens, costs.by_model)
        ```

    `total_cost` sums the calls whose cost is known; `unpriced_requests` counts those whose
    cost is not (a model the price data does not know), so a total is never silently short.
    A call that failed, or a stream not read to its end, is not counted (a budget still
    charges the latter its worst case).
    """

    def __init__(
        self,
        *,
        budget: Budget | None = None,
        event_starts_to_ignore: list[CBEventType] | None = None,
        event_ends_to_ignore: list[CBEventType] | None = None,
    ) -> None:
        super().__init__(event_starts_to_ignore or [], event_ends_to_ignore or [])
        self.budget = budget
        self._totals = CostTotals()
        self._open: OrderedDict[str, bool] = OrderedDict()
        self._lock = threading.Lock()
        self.event_handler = CostEventHandler(costs=self)

    # -- LlamaIndex's callback interface ---------------------------------------------------

    def on_event_start(
        self,
        event_type: CBEventType,
        payload: dict[str, Any] | None = None,
        event_id: str = "",
        parent_id: str = "",
        **kwargs: Any,
    ) -> str:
        if event_type == CBEventType.LLM and _made_by_skillboss(
            (payload or {}).get(EventPayload.SERIALIZED)
        ):
            self._begin(event_id)
        return event_id

    def on_event_end(
        self,
        event_type: CBEventType,
        payload: dict[str, Any] | None = None,
        event_id: str = "",
        **kwargs: Any,
    ) -> None:
        if event_type != CBEventType.LLM or not self._end(event_id):
            return  # not a SkillBoss call
        # A chat's answer is the RESPONSE, a completion's the COMPLETION; a failure has none.
        response = (payload or {}).get(EventPayload.RESPONSE) or (payload or {}).get(
            EventPayload.COMPLETION
        )
        if response is not None:
            self.count(response)

    def start_trace(self, trace_id: str | None = None) -> None:
        return

    def end_trace(
        self, trace_id: str | None = None, trace_map: dict[str, list[str]] | None = None
    ) -> None:
        return

    # -- counting ---------------------------------------------------------------------------

    def _begin(self, key: str) -> None:
        """A SkillBoss call began (its event id, or its instrumentation span)."""
        with self._lock:
            self._open[key] = True
            while len(self._open) > _MAX_OPEN_EVENTS:
                self._open.popitem(last=False)

    def _end(self, key: str) -> bool:
        """Whether the call that ended is a SkillBoss call begun here (forgotten now)."""
        with self._lock:
            return self._open.pop(key, False)

    def count(self, response: Any) -> None:
        """Add one SkillBoss response (a ChatResponse or CompletionResponse) by hand: what
        the callbacks do for every call that ends."""
        extra = getattr(response, "additional_kwargs", None)
        if not isinstance(extra, Mapping):
            extra = {}
        model = extra.get("model")
        self._totals.add(model if isinstance(model, str) else None, _usage(extra), _cost(extra))

    def reset_counts(self) -> None:
        """Start again from zero (calls in flight are counted when they end)."""
        self._totals.reset()

    # -- what was counted ------------------------------------------------------------------

    @property
    def totals(self) -> ModelTotals:
        """Every figure over all calls, as one consistent copy."""
        return self._totals.snapshot()[0]

    @property
    def by_model(self) -> dict[str, ModelTotals]:
        """The figures per model that answered (after a fallback, the fallback model)."""
        return self._totals.snapshot()[1]

    @property
    def total_cost(self) -> float:
        """USD over the calls whose cost is known (the gateway's figure, else an estimate)."""
        return self.totals.cost_usd

    @property
    def successful_requests(self) -> int:
        return self.totals.requests

    @property
    def unpriced_requests(self) -> int:
        """Calls counted whose cost is unknown, so not in `total_cost`."""
        return self.totals.unpriced_requests

    @property
    def reported_requests(self) -> int:
        """Calls whose cost the gateway reported (the others were estimated)."""
        return self.totals.reported_requests

    @property
    def prompt_tokens(self) -> int:
        return self.totals.prompt_tokens

    @property
    def completion_tokens(self) -> int:
        return self.totals.completion_tokens

    @property
    def total_tokens(self) -> int:
        return self.totals.total_tokens

    @property
    def cached_tokens(self) -> int:
        return self.totals.cached_tokens

    @property
    def reasoning_tokens(self) -> int:
        return self.totals.reasoning_tokens

    # TokenCountingHandler's names, so code written for it reads this one unchanged.

    @property
    def prompt_llm_token_count(self) -> int:
        return self.prompt_tokens

    @property
    def completion_llm_token_count(self) -> int:
        return self.completion_tokens

    @property
    def total_llm_token_count(self) -> int:
        return self.total_tokens

    def __repr__(self) -> str:
        total = self.totals
        return (
            f"CostHandler(total_cost={total.cost_usd!r}, requests={total.requests}, "
            f"unpriced_requests={total.unpriced_requests}, total_tokens={total.total_tokens})"
        )


class CostEventHandler(BaseEventHandler):
    """The instrumentation twin of the callbacks: `get_dispatcher().add_event_handler(
    costs.event_handler)` counts each SkillBoss call into `costs` when its LLM end event
    comes (a stream's at its end). A CostHandler's budget applies only from a callback
    manager."""

    costs: CostHandler

    @classmethod
    def class_name(cls) -> str:
        return "SkillBossCostEventHandler"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        # The start and end events of one call share its span (each LLM call has its own).
        key = f"span:{event.span_id}"
        if isinstance(event, LLMChatStartEvent | LLMCompletionStartEvent):
            if event.span_id is not None and _made_by_skillboss(event.model_dict):
                self.costs._begin(key)
        elif (
            isinstance(event, LLMChatEndEvent | LLMCompletionEndEvent)
            and self.costs._end(key)
            and event.response is not None
        ):
            self.costs.count(event.response)


def budget_for(own: Budget | None, callback_manager: CallbackManager | None) -> tuple[Budget, ...]:
    """A call's budgets: the object's own and those of every CostHandler in its callback
    manager, looked up at each call (handlers come and go); the call must fit each."""
    found = [
        handler.budget
        for handler in getattr(callback_manager, "handlers", None) or ()
        if isinstance(handler, CostHandler) and handler.budget is not None
    ]
    return ((own,) if own is not None else ()) + tuple(found)


def _made_by_skillboss(serialized: Any) -> bool:
    """Whether an LLM event's description of its model (`to_payload()`) is SkillBoss's."""
    return isinstance(serialized, Mapping) and serialized.get("class_name") == LLM_CLASS_NAME


def _count(extra: Mapping[str, Any], name: str) -> int | None:
    value = extra.get(name)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _usage(extra: Mapping[str, Any]) -> Usage | None:
    """The token counts SkillBoss put in `additional_kwargs` (outputs.usage_kwargs)."""
    prompt = _count(extra, "prompt_tokens")
    completion = _count(extra, "completion_tokens")
    total = _count(extra, "total_tokens")
    if prompt is None and completion is None and total is None:
        return None
    return Usage(
        prompt_tokens=prompt or 0,
        completion_tokens=completion or 0,
        total_tokens=total if total is not None else (prompt or 0) + (completion or 0),
        cached_tokens=_count(extra, "cached_tokens"),
        reasoning_tokens=_count(extra, "reasoning_tokens"),
    )


def _cost(extra: Mapping[str, Any]) -> Cost | None:
    """The cost SkillBoss put in `additional_kwargs` (outputs.call_kwargs); None when absent
    (unknown) or not a finite number >= 0."""
    usd = extra.get("cost")
    if isinstance(usd, bool) or not isinstance(usd, int | float):
        return None
    if not math.isfinite(usd) or usd < 0:
        return None
    source = extra.get("cost_source")
    known = cast("CostSource", source) if source in _SOURCES else "estimate"
    return Cost(float(usd), known, "the response's additional_kwargs")
