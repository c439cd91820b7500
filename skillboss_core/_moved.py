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
from types import CodeType, ModuleType
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
        module = importlib.import_module(_new_name(spec.name))
        spec.loader_state = module.__spec__  # the import system sets the alias spec on it
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run (the module was imported at its new path): only its own spec is
        put back, so `importlib.reload` and tools that read `__spec__` see the real module."""
        alias = module.__spec__
        if alias is not None and alias.loader_state is not None:
            module.__spec__ = alias.loader_state

    def get_code(self, fullname: str) -> CodeType | None:
        """The new module's code, for `python -m skillboss_core.check` and the like."""
        spec = importlib.util.find_spec(_new_name(fullname))
        loader = spec.loader if spec is not None else None
        get_code = getattr(loader, "get_code", None)
        return get_code(spec.name) if get_code is not None and spec is not None else None


def _new_name(old: str) -> str:
    return _PREFIX + MOVED_MODULES[old[len(_PREFIX) :]]


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


def old_module(name: str) -> ModuleType:
    """`skillboss_core.<old name>` as an attribute of the package (`skillboss_core.settings`),
    as it was before the move; AttributeError for any other name."""
    if name not in MOVED_MODULES:
        raise AttributeError(f"module 'skillboss_core' has no attribute {name!r}")
    return importlib.import_module(_PREFIX + name)


# Functions that left a module which stayed: old module -> (new module, names).
MOVED_NAMES = {
    "skillboss_core.errors": (
        "skillboss_core.transport.failures",
        frozenset(
            {
                "is_context_overflow",
                "map_status_error",
                "says_context_overflow",
                "status_error",
                "unreachable",
            }
        ),
    ),
}


def moved_names(module: str) -> Callable[[str], Any]:
    """A module `__getattr__` that finds the names which moved out of `module` at their new
    home, imported only when asked for (a lower layer never imports a higher one itself)."""
    new_module, names = MOVED_NAMES[module]

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        return getattr(importlib.import_module(new_module), name)

    return __getattr__
