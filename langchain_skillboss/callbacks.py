"""What the ChatSkillBoss calls of a block of code cost, and a budget for them.

`get_skillboss_callback()` is `get_openai_callback()` for the SkillBoss gateway: a ContextVar
registered with langchain-core's configure hook attaches the handler to every run started
inside the `with` block (threads and tasks that copy the context included: `batch`,
`abatch`, `asyncio.gather`, LangGraph nodes). The handler adds each call's
`response_metadata["cost"]` (the gateway's figure, else the estimate from list prices, set
by ChatSkillBoss) and `usage_metadata` into the core's `CostTotals`, so the arithmetic and
its lock are the ones the LlamaIndex adapter uses too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.tracers.context import register_configure_hook

from langchain_skillboss.blocks import PROVIDER
from skillboss_core.config.budget import Budget
from skillboss_core.wire.cost import Cost, CostSource
from skillboss_core.wire.results import Usage
from skillboss_core.wire.totals import CostTotals, ModelTotals

# How many recent run ids a handler remembers, so a run it hears about twice (attached to
# the run itself and told by a nested block's handler) is counted once. Both reports come
# in the same callback dispatch, so a short memory is enough.
_REMEMBERED_RUNS = 4096


class SkillBossCallbackHandler(BaseCallbackHandler):
    """Token and cost totals of the ChatSkillBoss calls it sees end, per model and overall.

    Each call is counted once, when it ends (`on_llm_end`: a stream once, with its chunks
    added up), under the model that answered. `total_cost` sums the calls whose cost is known;
    `unpriced_requests` counts the others (a model without a list price, whose gateway
    reported no cost), so a total is never silently short. Answers served from a LangChain
    cache cost nothing and are not counted. Safe to share between threads and tasks.
    """

    # Counting is a few additions under a lock: done at once, not in an executor.
    run_inline = True

    def __init__(self, budget: Budget | None = None) -> None:
        super().__init__()
        self.budget = budget
        """The budget calls inside `get_skillboss_callback(budget=...)` count against."""
        self._totals = CostTotals()
        self._lock = threading.Lock()
        self._runs: OrderedDict[tuple[UUID, int], None] = OrderedDict()
        # The handler of the enclosing block, which counts this block's calls too.
        self._parent: SkillBossCallbackHandler | None = None

    def __copy__(self) -> SkillBossCallbackHandler:
        """One handler however LangChain copies configs: copies would count apart."""
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> SkillBossCallbackHandler:
        return self

    # -- the totals ------------------------------------------------------------------------

    @property
    def total(self) -> ModelTotals:
        """Every call's totals, as one consistent copy."""
        return self._totals.snapshot()[0]

    @property
    def by_model(self) -> dict[str, ModelTotals]:
        """Totals per model that answered (copies)."""
        return self._totals.snapshot()[1]

    @property
    def total_tokens(self) -> int:
        return self.total.total_tokens

    @property
    def prompt_tokens(self) -> int:
        return self.total.prompt_tokens

    @property
    def completion_tokens(self) -> int:
        return self.total.completion_tokens

    @property
    def cached_tokens(self) -> int:
        """Prompt tokens read from the provider's cache (part of `prompt_tokens`)."""
        return self.total.cached_tokens

    @property
    def prompt_tokens_cached(self) -> int:
        """`cached_tokens` under get_openai_callback's name, so code written for it reads on."""
        return self.cached_tokens

    @property
    def reasoning_tokens(self) -> int:
        """Thinking tokens (part of `completion_tokens`)."""
        return self.total.reasoning_tokens

    @property
    def successful_requests(self) -> int:
        return self.total.requests

    @property
    def total_cost(self) -> float:
        """USD of the calls whose cost is known (see `unpriced_requests`)."""
        return self.total.cost_usd

    @property
    def unpriced_requests(self) -> int:
        """Calls whose cost is unknown, so not in `total_cost`."""
        return self.total.unpriced_requests

    def __repr__(self) -> str:
        total = self.total
        text = (
            f"Tokens Used: {total.total_tokens}\n"
            f"\tPrompt Tokens: {total.prompt_tokens}\n"
            f"\t\tPrompt Tokens Cached: {total.cached_tokens}\n"
            f"\tCompletion Tokens: {total.completion_tokens}\n"
            f"\t\tReasoning Tokens: {total.reasoning_tokens}\n"
            f"Successful Requests: {total.requests}\n"
            f"Total Cost (USD): ${total.cost_usd}"
        )
        if total.unpriced_requests:
            text += f"\nUnpriced Requests (not in the cost): {total.unpriced_requests}"
        return text

    # -- counting --------------------------------------------------------------------------

    def on_llm_end(
        self,
        response: LLMResult,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """One run ended: each of its prompts' answers is one call."""
        for index, generations in enumerate(response.generations):
            call = _call_of(generations, response.llm_output)
            if call is not None:
                self._count((run_id, index), *call)

    def _count(
        self, key: tuple[UUID, int], model: str | None, usage: Usage | None, cost: Cost | None
    ) -> None:
        with self._lock:
            if key in self._runs:
                return
            self._runs[key] = None
            while len(self._runs) > _REMEMBERED_RUNS:
                self._runs.popitem(last=False)
        self._totals.add(model, usage, cost)
        if self._parent is not None:
            self._parent._count(key, model, usage, cost)


def _call_of(
    generations: list[Any], llm_output: Mapping[str, Any] | None
) -> tuple[str | None, Usage | None, Cost | None] | None:
    """(model, usage, cost) of one prompt's answer, or None when it is not a ChatSkillBoss
    answer, or was served from a cache (langchain-core zeroes `total_cost` on cache hits)."""
    generation = generations[0] if generations else None
    if not isinstance(generation, ChatGeneration) or not isinstance(generation.message, AIMessage):
        return None
    message = generation.message
    metadata = message.response_metadata
    if metadata.get("model_provider") != PROVIDER:
        return None
    usage_metadata: Mapping[str, Any] = message.usage_metadata or {}
    if usage_metadata.get("total_cost") == 0:
        return None
    model = metadata.get("model_name") or (llm_output or {}).get("model_name")
    return model, _usage(usage_metadata), _cost(metadata)


def _usage(usage_metadata: Mapping[str, Any]) -> Usage | None:
    if "input_tokens" not in usage_metadata:
        return None  # streamed with stream_usage=False: the cost is still known
    cached = (usage_metadata.get("input_token_details") or {}).get("cache_read")
    reasoning = (usage_metadata.get("output_token_details") or {}).get("reasoning")
    return Usage(
        prompt_tokens=usage_metadata["input_tokens"],
        completion_tokens=usage_metadata.get("output_tokens", 0),
        total_tokens=usage_metadata.get("total_tokens", 0),
        cached_tokens=cached,
        reasoning_tokens=reasoning,
    )


def _cost(metadata: Mapping[str, Any]) -> Cost | None:
    usd = metadata.get("cost")
    if isinstance(usd, bool) or not isinstance(usd, int | float):
        return None
    source: CostSource = "gateway" if metadata.get("cost_source") == "gateway" else "estimate"
    return Cost(float(usd), source, "ChatSkillBoss response_metadata")


_active: ContextVar[SkillBossCallbackHandler | None] = ContextVar(
    "skillboss_callback", default=None
)
# Attached (inheritably) to every run configured while the variable is set.
register_configure_hook(_active, True)


def active_budgets() -> tuple[Budget, ...]:
    """The budgets of every enclosing `get_skillboss_callback` block, innermost first: a
    call must fit each (an application-wide limit holds around a library's own block)."""
    found: list[Budget] = []
    handler = _active.get()
    while handler is not None:
        if handler.budget is not None:
            found.append(handler.budget)
        handler = handler._parent
    return tuple(found)


@contextmanager
def get_skillboss_callback(budget: Budget | None = None) -> Iterator[SkillBossCallbackHandler]:
    """Totals of tokens and cost of every ChatSkillBoss call that ends inside the block.

    `budget`: a `skillboss_core.Budget` the block's calls count against, as well as a
    model's own `budget=`; a call whose worst case does not fit either raises
    SkillBossBudgetExceededError and is not sent. Blocks nest: an outer block counts the
    inner block's calls too, and a call counts against every enclosing block's budget.

        with get_skillboss_callback(budget=Budget(usd=1.0)) as cb:
            llm.invoke("Hello")
        print(cb.total_cost, cb.by_model)
    """
    handler = SkillBossCallbackHandler(budget=budget)
    handler._parent = _active.get()
    token = _active.set(handler)
    try:
        yield handler
    finally:
        _active.reset(token)
