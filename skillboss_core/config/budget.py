"""A spend limit shared by every call that is given it: models, threads and tasks alike.

Before a call is sent its worst case (`wire.cost.worst_case_cost`: the estimated prompt and
the whole output cap) is reserved; a call whose worst case does not fit what is left (the
limit, less what was spent, less what calls in flight have reserved) raises
`BudgetExceededError` and is never sent. When the call ends its reservation becomes its
real cost (the gateway's figure, else the estimate from its usage); a call that failed
before any answer costs nothing; a call whose cost cannot be known (a stream cut short, an
answer without usage) is charged its worst case, so the limit holds.

One lock guards the figures and is never held across I/O or an `await`, so a budget is
safe to share between threads and between tasks of any event loop.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from skillboss_core.errors import BudgetExceededError, InvalidParameterError

Unpriced = Literal["refuse", "allow"]


class Budget:
    """At most `usd` US dollars over every call given this budget (`budget=` of a Gateway
    call, ChatSkillBoss, SkillBoss, their embeddings classes, or a cost callback).

    `unpriced`: what to do with a call whose model has no list price, so whose worst case
    is unknown: "refuse" (the default: the limit is a promise) or "allow" (sent, and
    charged whatever the gateway reports for it, if anything)."""

    def __init__(self, usd: float, *, unpriced: Unpriced = "refuse") -> None:
        if (
            isinstance(usd, bool)
            or not isinstance(usd, int | float)
            or not math.isfinite(usd)
            or usd < 0
        ):
            raise InvalidParameterError(f"Budget(usd=...) must be a number >= 0, got {usd!r}")
        if unpriced not in ("refuse", "allow"):
            raise InvalidParameterError(
                f"Budget(unpriced=...) must be 'refuse' or 'allow', got {unpriced!r}"
            )
        self.limit_usd = float(usd)
        self.unpriced: Unpriced = unpriced
        self._spent = 0.0
        self._reserved = 0.0
        self._open = 0  # reservations not yet ended: none open means nothing reserved
        self._calls = 0
        self._lock = threading.Lock()

    @property
    def spent_usd(self) -> float:
        """What the calls that ended cost (reported or estimated)."""
        return self._spent

    @property
    def reserved_usd(self) -> float:
        """The worst cases of the calls in flight."""
        return self._reserved

    @property
    def left_usd(self) -> float:
        """What a new call may still cost: the limit less spent and reserved."""
        with self._lock:
            return max(0.0, self.limit_usd - self._spent - self._reserved)

    @property
    def calls(self) -> int:
        """How many calls were charged."""
        return self._calls

    def reserve(self, worst_usd: float | None, *, model: str) -> Reservation:
        """Hold `worst_usd` for a call about to be sent to `model`, or raise
        BudgetExceededError when it does not fit (nothing is held then)."""
        with self._lock:
            left = self.limit_usd - self._spent - self._reserved
            if worst_usd is None:
                if self.unpriced == "refuse" or left <= 0:
                    raise BudgetExceededError(
                        f"{model!r} has no list price in the price data, so a budget cannot "
                        "bound what the call may cost; it was not sent. Pass "
                        "Budget(..., unpriced='allow') to send such calls and charge what "
                        "the gateway reports for them."
                        if self.unpriced == "refuse"
                        else f"The budget of ${self.limit_usd:.6f} is spent; a call to "
                        f"{model!r} was not sent.",
                        model=model,
                        left_usd=max(0.0, left),
                        limit_usd=self.limit_usd,
                    )
                held = 0.0
            elif worst_usd > left:
                raise BudgetExceededError(
                    f"A call to {model!r} could cost up to ${worst_usd:.6f} and the budget "
                    f"has ${max(0.0, left):.6f} left of ${self.limit_usd:.6f}; it was not "
                    "sent. Lower max_tokens (the worst case counts the whole output cap), "
                    "pick a cheaper model, or raise the budget.",
                    model=model,
                    needed_usd=worst_usd,
                    left_usd=max(0.0, left),
                    limit_usd=self.limit_usd,
                )
            else:
                held = worst_usd
            self._reserved += held
            self._open += 1
            return Reservation(self, held, worst_usd)

    def _end(self, reservation: Reservation, usd: float | None) -> None:
        with self._lock:
            self._open -= 1
            # Exactly zero once none is open: sums of floats do not cancel exactly.
            self._reserved = max(0.0, self._reserved - reservation.held) if self._open else 0.0
            if usd is not None:
                self._spent += usd
                self._calls += 1

    def __copy__(self) -> Budget:
        """Itself: a budget is one limit shared by everything given it (a copied model, a
        deep-copied chain), never a second allowance."""
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Budget:
        return self

    def __reduce__(self) -> Any:
        raise TypeError(
            "A Budget cannot be pickled: it is a limit for the calls of one process, and a "
            "copy in each worker (Ray, Dask, multiprocessing) would multiply it. Give each "
            "worker its own Budget (its share of the total) when it builds its model."
        )

    def __repr__(self) -> str:
        return (
            f"Budget(usd={self.limit_usd!r}, spent_usd={self._spent!r}, "
            f"reserved_usd={self._reserved!r})"
        )


@dataclass(slots=True)
class Reservation:
    """One call's hold on a budget; ended exactly once (later ends do nothing)."""

    budget: Budget
    held: float
    worst_usd: float | None
    ended: bool = False

    def settle(self, usd: float | None) -> None:
        """The call ended with this cost; None: unknown, so its worst case is charged
        (nothing, for an unpriced model the budget allowed)."""
        if not self.ended:
            self.ended = True
            self.budget._end(self, (self.worst_usd or 0.0) if usd is None else usd)

    def release(self) -> None:
        """The call failed before any answer: nothing is charged."""
        if not self.ended:
            self.ended = True
            self.budget._end(self, None)


Budgets = Budget | Sequence[Budget] | None
"""What a call may be given: one budget, several (each must hold the call: a model's own
limit inside an application-wide one), or none."""


def as_tuple(budgets: Budgets) -> tuple[Budget, ...]:
    if budgets is None:
        return ()
    if isinstance(budgets, Budget):
        return (budgets,)
    return tuple(dict.fromkeys(budgets))  # the same budget given twice holds once


@dataclass(slots=True)
class Holds:
    """A call's reservations on every budget it was given; ended together."""

    reservations: tuple[Reservation, ...] = ()

    @classmethod
    def reserve(cls, budgets: Budgets, worst_usd: float | None, *, model: str) -> Holds:
        """Hold `worst_usd` on each budget, or raise the first refusal (holding nothing)."""
        held: list[Reservation] = []
        try:
            for budget in as_tuple(budgets):
                held.append(budget.reserve(worst_usd, model=model))
        except BaseException:
            for reservation in held:
                reservation.release()
            raise
        return cls(tuple(held))

    def __bool__(self) -> bool:
        return bool(self.reservations)

    def settle(self, usd: float | None) -> None:
        for reservation in self.reservations:
            reservation.settle(usd)

    def release(self) -> None:
        for reservation in self.reservations:
            reservation.release()
