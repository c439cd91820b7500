"""Stream snapshots whose fields are built only when something reads them.

LlamaIndex's streaming contract gives every ChatResponse "the message so far". Building
that text eagerly copies everything received so far at every chunk: O(N^2) for a long
answer, although most consumers read only `delta` (query and chat engines) or only the
last response. A snapshot here holds a builder and builds its fields on first read.

Pydantic reads a model's fields through the instance's `__dict__`, in Python (repr,
equality, copy, pickle) and in pydantic-core (model_dump, nested serialisation), so
overriding that one attribute keeps the laziness invisible; `__getattr__` covers a plain
attribute read of a field that is not built yet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from llama_index.core.base.llms.types import ChatMessage, CompletionResponse
from pydantic import BaseModel, PrivateAttr

# The per-instance dict slot pydantic's BaseModel declares in __slots__.
_INSTANCE_DICT: Any = BaseModel.__dict__["__dict__"]

Builder = Callable[[], dict[str, Any]]
_Model = TypeVar("_Model", bound="Deferred")


class Deferred(BaseModel):
    """Base for pydantic models whose `_deferred` fields come from a builder, once."""

    _deferred: ClassVar[frozenset[str]] = frozenset()
    _builder: Builder | None = PrivateAttr(default=None)

    @classmethod
    def deferred(cls: type[_Model], ready: dict[str, Any], builder: Builder) -> _Model:
        """An instance holding `ready` now and the `_deferred` fields from `builder` later."""
        instance = cls.__new__(cls)
        _INSTANCE_DICT.__set__(instance, ready)
        object.__setattr__(instance, "__pydantic_fields_set__", set(ready) | cls._deferred)
        object.__setattr__(instance, "__pydantic_extra__", None)
        object.__setattr__(instance, "__pydantic_private__", {"_builder": builder})
        return instance

    def _built(self) -> dict[str, Any]:
        data: dict[str, Any] = _INSTANCE_DICT.__get__(self)
        private = object.__getattribute__(self, "__pydantic_private__")
        builder = private.get("_builder") if private else None
        if builder is None:
            return data
        fields = {**data, **builder()}
        private["_builder"] = None  # built once; also lets the stream's state go
        # Field order as declared, so dumps look exactly like an eager instance's.
        data = {name: fields[name] for name in type(self).model_fields if name in fields}
        _INSTANCE_DICT.__set__(self, data)
        return data

    @property
    def __dict__(self) -> dict[str, Any]:
        return self._built()

    @__dict__.setter
    def __dict__(self, value: dict[str, Any]) -> None:
        _INSTANCE_DICT.__set__(self, value)

    def __getattr__(self, name: str) -> Any:
        if name in type(self)._deferred:
            return self._built()[name]
        return super().__getattr__(name)  # type: ignore[misc]

    # Pydantic reads the private builder before `__dict__` in these two: build first.

    def __getstate__(self) -> dict[Any, Any]:
        self._built()
        return super().__getstate__()

    def __eq__(self, other: object) -> bool:
        self._built()
        if isinstance(other, Deferred):
            other._built()
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # as for any mutable pydantic model


class PartialMessage(Deferred, ChatMessage):
    """The assistant message as it stood at one chunk of a stream."""

    _deferred: ClassVar[frozenset[str]] = frozenset({"blocks", "additional_kwargs"})


class PartialCompletion(Deferred, CompletionResponse):
    """A streamed CompletionResponse whose `text` (the text so far) is built on demand."""

    _deferred: ClassVar[frozenset[str]] = frozenset({"text"})
