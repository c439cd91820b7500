"""Old import paths kept working after the core's modules moved into layer folders.

`skillboss_core.stream`, `skillboss_core.gateway`, ... (one flat folder before the layers) are found
at their new homes (`skillboss_core.wire.stream`, `skillboss_core.transport.gateway`, ...):
the same module object, so patches and isinstance checks agree. CHANGELOG lists every move.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

_PREFIX = "skillboss_core."
# Old module -> new module (the old `catalog`, `wire` and `transport` are packages now: their
# names are forwarded by the package's `__getattr__`, see `forward_to`).
MOVED_MODULES = {
    "_envnames": "security.env_names",
    "help_texts": "security.help_texts",
    "secrets": "security.keys",
    "redact": "security.redact",
    "cleartext": "security.cleartext",
    "model_ids": "catalog.model_ids",
    "listing": "catalog.listing",
    "tokens": "catalog.tokens",
    "params": "wire.params",
    "options": "wire.options",
    "request": "wire.request",
    "response": "wire.decode",
    "stream": "wire.stream",
    "results": "wire.results",
    "answer": "wire.answer",
    "embeddings": "wire.embeddings",
    "settings": "config.settings",
    "endpoints": "config.endpoints",
    "field_names": "config.field_names",
    "extras": "config.extras",
    "_http": "transport.http_library",
    "clients": "transport.clients",
    "loop_clients": "transport.loop_clients",
    "closing": "transport.closing",
    "deadline": "transport.deadline",
    "retries": "transport.retries",
    "gateway": "transport.gateway",
    "reuse": "transport.reuse",
    "check": "cli.check",
}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old module name and hands back the module at its new path."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(_PREFIX) or fullname[len(_PREFIX) :] not in MOVED_MODULES:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(_PREFIX + MOVED_MODULES[spec.name[len(_PREFIX) :]])

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module was imported at its new path."""


def install() -> None:
    """Put the alias finder last on the import path, once (after every real module)."""
    if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
        sys.meta_path.append(_Alias())


def forward_to(module: str) -> Callable[[str], Any]:
    """A package `__getattr__` that finds the names of the module the package replaced."""

    def __getattr__(name: str) -> Any:
        target = importlib.import_module(module)
        try:
            return getattr(target, name)
        except AttributeError:
            raise AttributeError(
                f"module {module.rsplit('.', 1)[0]!r} has no attribute {name!r}"
            ) from None

    return __getattr__
