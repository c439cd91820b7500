"""skillboss_core uses only the openai SDK's public surface (issue 23).

The transport is the core's own: it borrows the SDK's error classes and nothing else, so an
SDK release that renames a private module or method cannot break it. Proved by reading the
package's sources: no import of a private `openai._...` module, no `X-Stainless` header, no
subclass of `openai.OpenAI` / `openai.AsyncOpenAI`, no override of the SDK's private hooks,
and no `contextvars` (which the deadline used to smuggle into the SDK's retry loop).

Before: clients.py subclassed the SDK clients and overrode `_should_retry`,
`_make_status_error`, `_calculate_retry_timeout` and `_prepare_options`; gateway.py asked
for raw bytes with `X-Stainless-Raw-Response`; deadline.py held a ContextVar.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import openai
import pytest

import skillboss_core

PACKAGE = Path(skillboss_core.__file__).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))
# A private name: one leading underscore (a dunder such as __version__ is public).
PRIVATE = re.compile(r"_(?!_)")
SDK_HOOKS = frozenset(
    {"_should_retry", "_make_status_error", "_calculate_retry_timeout", "_prepare_options"}
)


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', '?')}"


def test_the_sources_are_found() -> None:
    assert {"gateway.py", "errors.py", "settings.py"} <= {path.name for path in SOURCES}


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_no_private_openai_module_is_imported(path: Path) -> None:
    found = []
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.startswith("openai._")]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("openai._"):
                found.append(node.module)
            elif node.module == "openai":
                found += [f"openai.{a.name}" for a in node.names if PRIVATE.match(a.name)]
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "openai"
            and PRIVATE.match(node.attr)
        ):
            found.append(f"openai.{node.attr} at {where(path, node)}")
    assert found == []
    # Also spelt out in a string (importlib, getattr); `openai.__version__` is public.
    assert not re.search(r"\bopenai\._[A-Za-z]", path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_no_stainless_header_is_mentioned(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"x-stainless", text, re.IGNORECASE)


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_no_sdk_hook_is_defined(path: Path) -> None:
    defined = [
        f"{node.name} at {where(path, node)}"
        for node in ast.walk(tree(path))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in SDK_HOOKS
    ]
    assert defined == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_no_contextvars(path: Path) -> None:
    used = [
        where(path, node)
        for node in ast.walk(tree(path))
        if (
            isinstance(node, ast.Import)
            and any(alias.name.split(".")[0] == "contextvars" for alias in node.names)
        )
        or (isinstance(node, ast.ImportFrom) and node.module == "contextvars")
    ]
    assert used == []
    assert "ContextVar" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_no_class_derives_from_an_sdk_client_in_the_source(path: Path) -> None:
    clients = {"OpenAI", "AsyncOpenAI", "openai.OpenAI", "openai.AsyncOpenAI"}
    derived = [
        f"{node.name} at {where(path, node)}"
        for node in ast.walk(tree(path))
        if isinstance(node, ast.ClassDef) and {ast.unparse(b) for b in node.bases} & clients
    ]
    assert derived == []


def test_no_class_derives_from_an_sdk_client_at_run_time() -> None:
    """Also through an intermediate class or an alias, which reading the source misses."""
    derived = []
    for info in pkgutil.walk_packages([str(PACKAGE)], prefix="skillboss_core."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, value in inspect.getmembers(module, inspect.isclass):
            if value.__module__ == module.__name__ and issubclass(
                value, (openai.OpenAI, openai.AsyncOpenAI)
            ):
                derived.append(f"{module.__name__}.{name}")
    assert derived == []
