"""`make demo`: run every example, live with SKILLBOSS_WHOLESALE_KEY, else from cassettes.

Exits non-zero if any example fails, so a broken example never passes silently.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = [
    "langchain_quickstart.py",
    "langchain_agent.py",
    "llamaindex_rag.py",
    "llamaindex_agent.py",
    "drop_in_swap.py",
]


def main() -> int:
    scripts = [HERE / name for name in ORDER if (HERE / name).exists()]
    mode = (
        "live (SKILLBOSS_WHOLESALE_KEY is set)"
        if os.environ.get("SKILLBOSS_WHOLESALE_KEY")
        else ("offline: replaying recorded cassettes (set SKILLBOSS_WHOLESALE_KEY to run live)")
    )
    print(f"Running {len(scripts)} examples, {mode}\n")
    failed = []
    for script in scripts:
        print(f"=== {script.name} ===", flush=True)
        env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
        if subprocess.run([sys.executable, str(script)], env=env, check=False).returncode != 0:
            failed.append(script.name)
        print(flush=True)
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    print(f"All {len(scripts)} examples ran.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
