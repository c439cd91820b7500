"""The two cost settings ChatSkillBoss and SkillBossEmbeddings share, declared once.

`discount` prices estimates (a wrong one would misprice every call and loosen every budget,
so it is refused when the object is built); `budget` is shared state, not a setting: never
serialized, and a copied model spends from the same one.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from langchain_skillboss.callbacks import active_budgets
from skillboss_core import Budget
from skillboss_core.wire.cost import check_discount


def _discount(value: Any) -> float | None:
    return None if value is None else check_discount(value, "discount")


Discount = Annotated[float | None, BeforeValidator(_discount)]
SharedBudget = Annotated[Budget | None, Field(default=None, exclude=True)]


def budget_for(own: Budget | None) -> tuple[Budget, ...]:
    """A call's budgets: the object's own and every enclosing `get_skillboss_callback(budget=)`
    block's, looked up in the caller's context at each call; the call must fit each."""
    return ((own,) if own is not None else ()) + active_budgets()
