"""Import cost of the adapters, measured in fresh interpreters against what they stand on.

Each measurement is a new `python -c` that times `import <modules>` and reads the
process's resident memory before and after (VmRSS / VmHWM), and lists which heavy
packages ended up in `sys.modules`.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

LC_BASE = ("langchain_core.language_models.chat_models", "openai")
LI_BASE = ("llama_index.core.llms.llm", "openai")


@dataclass(frozen=True)
class Target:
    """Import `modules` (timed) after `pre` (not timed) in a fresh interpreter."""

    modules: tuple[str, ...]
    label: str
    compare_to: str | None = None
    pre: tuple[str, ...] = ()


TARGETS: dict[str, Target] = {
    "skillboss_core": Target(("skillboss_core",), "skillboss_core"),
    "langchain_skillboss": Target(("langchain_skillboss",), "langchain_skillboss", "lc_baseline"),
    "lc_baseline": Target(LC_BASE, "langchain_core chat_models + openai"),
    "langchain_openai": Target(("langchain_openai",), "langchain_openai (peer)", "lc_baseline"),
    "lc_on_top": Target(
        ("langchain_skillboss",), "  langchain_skillboss after the base", pre=LC_BASE
    ),
    "llama_index_skillboss": Target(
        ("llama_index_skillboss",), "llama_index_skillboss", "li_baseline"
    ),
    "li_baseline": Target(LI_BASE, "llama_index.core llms.llm + openai"),
    "openai_like": Target(("llama_index.llms.openai_like",), "OpenAILike (peer)", "li_baseline"),
    "li_on_top": Target(
        ("llama_index_skillboss",), "  llama_index_skillboss after the base", pre=LI_BASE
    ),
}
HEAVY = ("langchain_core", "llama_index", "tiktoken", "openai", "langchain_openai", "numpy")

_PROBE = r"""
import json, sys, time, importlib
for name in PRE:
    importlib.import_module(name)
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets the peak (VmHWM) to now
except OSError:
    pass
def mem():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) * 1024
    return out
before = mem()
count = len(sys.modules)
start = time.perf_counter()
for name in MODULES:
    importlib.import_module(name)
seconds = time.perf_counter() - start
after = mem()
roots = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))
print(json.dumps({"seconds": seconds, "rss": after["VmHWM"] - before["VmRSS"],
                  "modules": len(sys.modules) - count, "loaded": roots}))
"""


@dataclass
class ImportResult:
    name: str
    label: str
    compare_to: str | None
    seconds: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    modules: int = 0
    loaded: list[str] = field(default_factory=list)
    error: str | None = None

    def summary(self) -> dict[str, Any]:
        if self.error:
            return {"label": self.label, "error": self.error}
        return {
            "label": self.label,
            "compare_to": self.compare_to,
            "median_s": statistics.median(self.seconds),
            "min_s": min(self.seconds),
            "rss_bytes": int(statistics.median(self.rss)),
            "modules": self.modules,
            "loaded": self.loaded,
            "samples_s": self.seconds,
        }


def _probe(target: Target) -> dict[str, Any]:
    code = (
        f"MODULES = {list(target.modules)!r}\nPRE = {list(target.pre)!r}\n"
        f"HEAVY = {list(HEAVY)!r}\n{_PROBE}"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(last)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def measure_imports(runs: int) -> dict[str, ImportResult]:
    """`runs` interleaved fresh-interpreter imports per target, after one warm-up run."""
    results = {
        name: ImportResult(name, target.label, target.compare_to)
        for name, target in TARGETS.items()
    }
    everything = tuple(dict.fromkeys(m for t in TARGETS.values() for m in t.pre + t.modules))
    subprocess.run(  # one interpreter writes every .pyc file and warms the page cache
        [
            sys.executable,
            "-c",
            f"import importlib\nfor m in {list(everything)!r}:\n"
            "    try: importlib.import_module(m)\n    except Exception: pass",
        ],
        capture_output=True,
        timeout=300,
        check=False,
    )
    for _ in range(runs):
        for name, target in TARGETS.items():
            result = results[name]
            if result.error:
                continue
            try:
                probe = _probe(target)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                result.error = str(exc)
                continue
            result.seconds.append(probe["seconds"])
            result.rss.append(probe["rss"])
            result.modules = probe["modules"]
            result.loaded = probe["loaded"]
    return results
