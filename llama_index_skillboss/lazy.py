"""Stream snapshots whose costly fields are built only when something reads them.

LlamaIndex's streaming contract gives every ChatResponse "the message so far". Building
that text eagerly copies everything received so far at every chunk: O(N^2) for a long
answer, although most consumers read only `delta` (query engines) or `delta` plus
`additional_kwargs` (chat engines) or only the last response. A snapshot here holds one
builder per costly field and builds each field on its first read, once.

Pydantic reads a model's fields through the instance's `__dict__`, in Python (repr,
equality, copy, pickle) and in pydantic-core (model_dump, nested serialisation), so that
one attribute is overridden: reading it builds every pending field first. A plain read of
a field not built yet reaches `__getattr__`, which builds that field alone. Rules that keep
a snapshot from ever showing wrong data:
- a builder only fills a field that is absent, so a value set on the snapshot always wins;
- a field is published (in `__dict__`) before its builder is dropped, and builds happen
  under a lock, so a concurrent reader sees either a pending field or its final value;
- once built, a snapshot is an ordinary model: equal to, and pickled as, its plain class.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from typing import Any, ClassVar, TypeVar

from llama_index.core.base.llms.types import ChatMessage, CompletionResponse
from pydantic import BaseModel

# The per-instance dict slot pydantic's BaseModel declares in __slots__.
_INSTANCE_DICT: Any = BaseModel.__dict__["__dict__"]
# Builds are rare (only when a consumer reads a snapshot) and short: one lock is enough.
_BUILD_LOCK = threading.RLock()

Builders = dict[str, Callable[[], Any]]
_Model = TypeVar("_Model", bound="Deferred")


class Deferred(BaseModel):
    """Base for pydantic models some of whose fields come from builders, on first read."""

    __slots__ = ("_sb_pending",)
    _plain: ClassVar[type[BaseModel]] = BaseModel  # the eager class this one stands for

    @classmethod
    def deferred(cls: type[_Model], ready: dict[str, Any], pending: Builders) -> _Model:
        """An instance holding `ready` now and each field of `pending` once it is read."""
        instance = cls.__new__(cls)
        _INSTANCE_DICT.__set__(instance, ready)
        object.__setattr__(instance, "__pydantic_fields_set__", set(ready) | set(pending))
        object.__setattr__(instance, "__pydantic_extra__", None)
        object.__setattr__(instance, "__pydantic_private__", None)
        object.__setattr__(instance, "_sb_pending", dict(pending))
        return instance

    def _settle(self, names: Collection[str] | None = None) -> dict[str, Any]:
        """The instance dict, with the pending fields among `names` (all if None) built."""
        if _pending(self):
            with _BUILD_LOCK:
                pending = _pending(self)
                wanted = [n for n in pending or () if names is None or n in names]
                if pending and wanted:
                    data = dict(_INSTANCE_DICT.__get__(self))
                    for name in wanted:
                        if name not in data:  # a value set on the snapshot wins
                            data[name] = pending[name]()
                    # Field order as declared, so dumps look exactly like an eager instance's.
                    fields = type(self).model_fields
                    ordered = {name: data[name] for name in fields if name in data}
                    ordered.update((k, v) for k, v in data.items() if k not in fields)
                    _INSTANCE_DICT.__set__(self, ordered)  # publish, then drop the builders
                    rest = {n: b for n, b in pending.items() if n not in wanted}
                    object.__setattr__(self, "_sb_pending", rest or None)
        result: dict[str, Any] = _INSTANCE_DICT.__get__(self)
        return result

    @property
    def __dict__(self) -> dict[str, Any]:
        return self._settle()

    @__dict__.setter
    def __dict__(self, value: dict[str, Any]) -> None:
        _INSTANCE_DICT.__set__(self, value)

    def __getattr__(self, name: str) -> Any:
        pending = _pending(self)
        if pending and name in pending:
            data = self._settle((name,))
            if name in data:
                return data[name]
        return super().__getattr__(name)  # type: ignore[misc]

    def __eq__(self, other: object) -> bool:
        """Equal to any model of the same plain class with the same fields."""
        if not isinstance(other, BaseModel):
            return NotImplemented
        other_plain = other._plain if isinstance(other, Deferred) else type(other)
        return (
            other_plain is self._plain
            and self.__dict__ == other.__dict__
            and (self.__pydantic_extra__ or {}) == (other.__pydantic_extra__ or {})
            and self.__pydantic_private__ == other.__pydantic_private__
        )

    __hash__ = None  # type: ignore[assignment]  # as for any mutable pydantic model

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        """Pickled as the plain class: unpickling needs nothing from this package."""
        # `object.__new__(plain)`, then pydantic's __setstate__ with the built state.
        return (object.__new__, (self._plain,), self.__getstate__())


def _pending(instance: Deferred) -> Builders | None:
    try:
        pending: Builders | None = object.__getattribute__(instance, "_sb_pending")
    except AttributeError:  # made by copy / pickle / __init__: nothing pending
        return None
    return pending


class PartialMessage(Deferred, ChatMessage):
    """The assistant message as it stood at one chunk of a stream."""

    _plain: ClassVar[type[BaseModel]] = ChatMessage


class PartialCompletion(Deferred, CompletionResponse):
    """A streamed CompletionResponse whose `text` (the text so far) is built on demand."""

    _plain: ClassVar[type[BaseModel]] = CompletionResponse
