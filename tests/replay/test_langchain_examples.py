"""The LangChain examples replay their own cassettes with no key and no network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("script", ["langchain_quickstart.py", "langchain_agent.py"])
def test_example_replays_offline(script: str) -> None:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("SKILLBOSS_WHOLESALE_KEY", "SKILLBOSS_BASE_URL", "SKILLBOSS_RECORD")
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Mode: replay")
    assert len(lines) > 3
