"""Every name a pydantic model accepts for its fields: both adapters refuse or move keywords
that are none of these, so they must agree on what "known" means."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import AliasChoices
from pydantic.fields import FieldInfo


def accepted_names(fields: Mapping[str, FieldInfo]) -> set[str]:
    """Field names, their aliases and every string choice of their validation aliases."""
    names = set(fields)
    for info in fields.values():
        for alias in (info.alias, info.validation_alias):
            if isinstance(alias, str):
                names.add(alias)
            elif isinstance(alias, AliasChoices):
                names.update(choice for choice in alias.choices if isinstance(choice, str))
    return names
