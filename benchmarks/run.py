"""Side-by-side benchmark: the raw openai SDK, our core and adapters, and their peers.

All clients run in this one process against a loopback gateway in another process, and
each workload interleaves them round by round (the order rotates every round), so a noisy
moment hurts every client alike. Medians are compared with the raw openai SDK.

    .venv-bench/bin/python benchmarks/run.py [--quick] [--only raw,core,...] [--no-imports]

Every round count is also settable by an environment variable (see `--help`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import datetime
import gc
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

from bench_clients import NAMES, BenchClient, build_clients
from bench_gateway import PIECE, SHORT_TEXT, TOOL_ARGS, TOOL_NAME, GatewayProcess
from bench_imports import measure_imports
from bench_report import Workload, print_imports, print_summary, print_workload, targets

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
PACKAGES = (
    "skillboss-integrations",
    "openai",
    "httpx",
    "pydantic",
    "langchain-core",
    "langchain-openai",
    "llama-index-core",
    "llama-index-llms-openai",
    "llama-index-llms-openai-like",
)


@dataclass
class Config:
    invoke_rounds: int = 20
    invoke_calls: int = 25
    stream_rounds: int = 12
    stream_chunks: int = 2000
    burst_rounds: int = 4
    burst_calls: int = 500
    burst_concurrency: int = 50
    huge_rounds: int = 1
    huge_chunks: int = 100_000
    import_runs: int = 3


QUICK = Config(
    invoke_rounds=5,
    invoke_calls=10,
    stream_rounds=5,
    burst_rounds=2,
    huge_chunks=20_000,
    import_runs=2,
)


# -- measuring ----------------------------------------------------------------------------


def _status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) * 1024
    return out


class PeakMemory:
    """Peak resident memory growth over a block: the kernel's high-water mark, reset first.

    Free heap is handed back to the OS before (gc + malloc_trim) so that earlier work's
    leftovers do not hide growth. No tracing, so the timing of the same run stays true.
    """

    def __init__(self) -> None:
        self.growth: int | None = None
        self._start = 0
        self._ok = False

    def __enter__(self) -> PeakMemory:
        gc.collect()
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        try:
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")
            self._ok = True
        except OSError:
            self._ok = False
        self._start = _status()["VmRSS"]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._ok:
            self.growth = max(0, _status()["VmHWM"] - self._start)


def _timed(action: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run_rounds(
    clients: list[BenchClient],
    rounds: int,
    measure: Callable[[BenchClient], float],
    workload: Workload,
) -> None:
    """`rounds` rounds; in each every client runs once, starting one later than last round.

    What exists before the first round (every framework, every client's pools) is frozen
    out of the garbage collector: this process holds both frameworks and both peers, more
    than any real application, and a full collection over all of it (0.2 s here) would
    otherwise land on whichever client happens to trigger it.
    """
    gc.collect()
    gc.freeze()
    alive = list(clients)
    for number in range(rounds):
        shift = number % len(alive) if alive else 0
        for client in alive[shift:] + alive[:shift]:
            try:
                workload.add(client, measure(client))
            except Exception as exc:
                workload.fail(client, exc)
        alive = [client for client in alive if client.name not in workload.failed]


async def burst(client: BenchClient, calls: int, concurrency: int) -> None:
    """`calls` ainvoke calls, `concurrency` in flight at every moment."""
    remaining = calls

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await client.ainvoke()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def warm_burst(
    loop: asyncio.AbstractEventLoop, client: BenchClient, calls: int, concurrency: int
) -> float:
    """One burst sample: an untimed burst identical to the timed one, then the timed one.

    Every client, the raw SDK and the peers included, gets the same warm-up right before
    each sample, so each sample measures a warm pool whatever the round order:

    - httpx expires an idle keep-alive connection after 5 s, and the other clients' turns
      take longer than that, so a warm-up done once before the rounds is gone by the next
      round: every sample then opened its pool again (3.5-5 s cold against 1.7-2.5 s warm
      for 500 calls at 50 on 2 cores).
    - Pools are shared: ChatSkillBoss and SkillBoss use one gateway per settings, so
      whichever ran second started warm when the client in between took under 5 s (the
      0.34x-0.51x SkillBoss ratios were that).
    - A burst only as wide as the pool (`concurrency` calls) is not enough: it leaves a
      connection per worker, while a long burst settles on fewer; the next long burst is
      then still slow. Only the same burst leaves the pool as the timed one finds it.
    """
    loop.run_until_complete(burst(client, calls, concurrency))
    return _timed(lambda: loop.run_until_complete(burst(client, calls, concurrency)))


# -- checking -----------------------------------------------------------------------------


def _run_once(loop: asyncio.AbstractEventLoop, client: BenchClient) -> str:
    return loop.run_until_complete(client.ainvoke())


def sanity(clients: list[BenchClient], loop: asyncio.AbstractEventLoop) -> list[str]:
    """Each client must read the canned answers right (this also warms every path up)."""
    notes = []
    expected_tool = (TOOL_NAME, json.loads(TOOL_ARGS))
    for client in list(clients):
        checks: list[tuple[str, Callable[[], object], object]] = [
            ("invoke", client.invoke, SHORT_TEXT),
            ("stream", partial(client.stream, 50), 50 * len(PIECE)),
            ("ainvoke", partial(_run_once, loop, client), SHORT_TEXT),
            ("tool call", client.tool, expected_tool),
        ]
        for what, action, expected in checks:
            try:
                got = action()
            except Exception as exc:
                got = f"{type(exc).__name__}: {exc}"
            if got != expected:
                notes.append(f"{client.label}: {what} gave {str(got)[:160]!r}")
                if what != "tool call":
                    clients.remove(client)
                    notes.append(f"{client.label}: left out of the timed workloads")
                    break
    return notes


# -- running ------------------------------------------------------------------------------


def run(config: Config, only: set[str] | None, with_imports: bool) -> dict[str, Any]:
    started = time.time()
    load_before = os.getloadavg()
    with GatewayProcess() as gateway:
        clients, notes = build_clients(gateway.base_url, only)
        for note in notes:
            print(f"note: {note}")
        loop = asyncio.new_event_loop()
        try:
            notes += _print_notes(sanity(clients, loop))
            workloads = _run_workloads(clients, config, loop)
        finally:
            loop.close()
    calls_done = time.time()
    imports = measure_imports(config.import_runs) if with_imports else {}
    if imports:
        print_imports(imports)
    machine = _machine()
    machine["loadavg_before"] = [round(value, 2) for value in load_before]
    machine["loadavg_after"] = [round(value, 2) for value in os.getloadavg()]
    results: dict[str, Any] = {
        "machine": machine,
        "versions": _versions(),
        "config": asdict(config),
        "clients": {client.name: client.label for client in clients},
        "notes": notes + [note for w in workloads for note in w.notes],
        "workloads": {w.key: w.to_json() for w in workloads},
        "imports": {name: result.summary() for name, result in imports.items()},
        "seconds": round(time.time() - started, 1),
        "seconds_calls": round(calls_done - started, 1),
        "seconds_imports": round(time.time() - calls_done, 1),
    }
    results["targets"] = targets(workloads, imports, config.stream_chunks, config.huge_chunks)
    print_summary(workloads, results["targets"])
    return results


def _print_notes(notes: list[str]) -> list[str]:
    for note in notes:
        print(f"note: {note}")
    return notes


def _run_workloads(
    clients: list[BenchClient], config: Config, loop: asyncio.AbstractEventLoop
) -> list[Workload]:
    """The four call workloads in order, each printed as soon as it is done."""
    invoke = Workload(
        "invoke", "invoke, short completion", "per call", config.invoke_rounds, clients, "invoke"
    )
    calls = config.invoke_calls

    def invoke_many(client: BenchClient) -> float:
        return _timed(lambda: [client.invoke() for _ in range(calls)]) / calls

    run_rounds(clients, config.invoke_rounds, invoke_many, invoke)
    print_workload(invoke)

    chunks = config.stream_chunks
    stream = Workload(
        "stream",
        f"stream, {chunks} chunks",
        "per stream",
        config.stream_rounds,
        clients,
        f"stream {chunks}",
    )
    for client in clients:
        client.stream(chunks)  # warm-up: builds the streaming instance, fills the gateway cache
    run_rounds(clients, config.stream_rounds, lambda c: _timed(lambda: c.stream(chunks)), stream)
    print_workload(stream)

    calls, width = config.burst_calls, config.burst_concurrency
    burst_workload = Workload(
        "burst",
        f"async burst, {calls} calls at {width}",
        "per burst",
        config.burst_rounds,
        clients,
        f"burst {calls}@{width}",
    )
    run_rounds(
        clients,
        config.burst_rounds,
        lambda c: warm_burst(loop, c, calls, width),  # each sample warms its own pool first
        burst_workload,
    )
    print_workload(burst_workload)

    huge = config.huge_chunks
    huge_workload = Workload(
        "huge",
        f"stream, {huge} chunks",
        "per stream",
        config.huge_rounds,
        clients,
        f"stream {huge}",
    )

    def huge_once(client: BenchClient) -> float:
        with PeakMemory() as memory:
            seconds = _timed(lambda: _check_len(client.stream(huge), huge))
        huge_workload.memory.setdefault(client.name, []).append(memory.growth)
        return seconds

    run_rounds(clients, config.huge_rounds, huge_once, huge_workload)
    print_workload(huge_workload)
    return [invoke, stream, burst_workload, huge_workload]


def _check_len(seen: int, chunks: int) -> None:
    if seen != chunks * len(PIECE):
        raise RuntimeError(f"read {seen} characters, expected {chunks * len(PIECE)}")


def _machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def _versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


# -- command line -------------------------------------------------------------------------


def parse_config(argv: list[str] | None = None) -> tuple[Config, set[str] | None, bool, Path]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (env BENCH_QUICK=1)")
    parser.add_argument("--only", help=f"comma-separated clients from {','.join(NAMES)}")
    parser.add_argument("--no-imports", action="store_true", help="skip the import workload")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write JSON")
    for spec in fields(Config):
        env = f"BENCH_{spec.name.upper()}"
        parser.add_argument(f"--{spec.name.replace('_', '-')}", type=int, help=f"env {env}")
    args = parser.parse_args(argv)
    quick = args.quick or os.environ.get("BENCH_QUICK", "") not in ("", "0")
    config = QUICK if quick else Config()
    for spec in fields(Config):
        value = getattr(args, spec.name)
        if value is None and os.environ.get(f"BENCH_{spec.name.upper()}"):
            value = int(os.environ[f"BENCH_{spec.name.upper()}"])
        if value is not None:
            setattr(config, spec.name, value)
    only = set(args.only.split(",")) if args.only else None
    if only and not only <= set(NAMES):
        parser.error(f"unknown client(s): {sorted(only - set(NAMES))}; known: {NAMES}")
    if only is not None:
        only.add("raw")  # every ratio is against it
    return config, only, not args.no_imports, args.output


def main() -> None:
    config, only, with_imports, output = parse_config()
    print(f"benchmark config: {asdict(config)}", flush=True)
    results = run(config, only, with_imports)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    machine = results["machine"]
    print(
        f"\nresults written to {output} ({results['seconds']} s: calls "
        f"{results['seconds_calls']} s, imports {results['seconds_imports']} s; "
        f"{machine['nproc']} CPUs, load {machine['loadavg_before'][0]} before, "
        f"{machine['loadavg_after'][0]} after)"
    )


if __name__ == "__main__":
    main()
