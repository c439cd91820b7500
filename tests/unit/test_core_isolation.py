"""`import skillboss_core` must not pull in any framework (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys


def test_core_imports_no_framework() -> None:
    code = (
        "import sys, skillboss_core\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('langchain_core', 'llama_index', 'langchain', 'tiktoken'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
