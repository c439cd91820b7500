"""`import skillboss_core` must not pull in any framework (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_core_imports_no_framework() -> None:
    code = (
        "import sys, skillboss_core\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('langchain_core', 'llama_index', 'langchain', 'tiktoken'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _imported_after(module: str, prefixes: tuple[str, ...]) -> list[str]:
    """Top-level packages among `prefixes` that importing `module` loads, in a fresh interpreter."""
    code = (
        f"import sys, {module}\n"
        f"print(','.join(sorted({{m.split('.')[0] for m in sys.modules}} & {set(prefixes)!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [name for name in out.stdout.strip().split(",") if name]


def test_neither_adapter_imports_the_other() -> None:
    """A LangChain user does not load LlamaIndex, and the other way round."""
    pytest.importorskip("langchain_core")  # the core-only leg installs neither framework
    pytest.importorskip("llama_index.core")
    assert _imported_after("langchain_skillboss", ("llama_index", "llama_index_skillboss")) == []
    assert _imported_after("llama_index_skillboss", ("langchain_core", "langchain_skillboss")) == []
