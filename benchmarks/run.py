"""Side-by-side benchmark: the raw openai SDK, our core and adapters, and their peers.

All clients run in this one process against a loopback gateway in another process, and
each workload interleaves them round by round (the order rotates every round), so a noisy
moment hurts every client alike. Medians are compared with the raw openai SDK.

    .venv-bench/bin/python benchmarks/run.py [--quick] [--only raw,core,...] [--no-imports]
        [--workloads invoke,stream,burst,huge,embed,aembed,imports]

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
from bench_embeddings import EMBED_NAMES, EmbedClient, build_embed_clients, texts_for
from bench_gateway import (
    EMBED_DIMS,
    PIECE,
    SHORT_TEXT,
    TOOL_ARGS,
    TOOL_NAME,
    GatewayProcess,
    expected_vector,
)
from bench_imports import measure_imports
from bench_report import (
    Workload,
    print_embed_summary,
    print_imports,
    print_summary,
    print_workload,
    targets,
)

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
    "llama-index-embeddings-openai",
)
CHAT_WORKLOADS = ("invoke", "stream", "burst", "huge")
EMBED_WORKLOADS = ("embed", "aembed")
WORKLOADS = (*CHAT_WORKLOADS, *EMBED_WORKLOADS, "imports")
GROUPS = {"chat": CHAT_WORKLOADS, "embeddings": EMBED_WORKLOADS}


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
    embed_rounds: int = 4
    embed_texts: int = 10_000
    embed_batch: int = 512
    embed_concurrency: int = 4
    import_runs: int = 3


QUICK = Config(
    invoke_rounds=5,
    invoke_calls=10,
    stream_rounds=5,
    burst_rounds=2,
    huge_chunks=20_000,
    embed_rounds=2,
    embed_texts=3_000,
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


def warm_embed(run: Callable[[], list[list[float]]], count: int, memory: list[int | None]) -> float:
    """One embeddings sample: an untimed call identical to the timed one, then the timed one
    under `PeakMemory` (its growth appended to `memory`), as `warm_burst` does for bursts:
    every client's pool, threads and allocator start each sample in the same state."""
    _check_vectors(run(), count)
    kept: list[list[list[float]]] = []
    with PeakMemory() as peak:
        seconds = _timed(lambda: kept.append(run()))
    memory.append(peak.growth)
    _check_vectors(kept.pop(), count)
    return seconds


def _check_vectors(vectors: list[list[float]], count: int) -> None:
    if len(vectors) != count or len(vectors[-1]) != EMBED_DIMS:
        raise RuntimeError(f"got {len(vectors)} vectors, expected {count} of {EMBED_DIMS}")


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


def _aembed_once(
    loop: asyncio.AbstractEventLoop, client: EmbedClient, texts: list[str]
) -> list[list[float]]:
    return loop.run_until_complete(client.aembed(texts))


def embed_sanity(
    clients: list[EmbedClient], loop: asyncio.AbstractEventLoop, batch: int
) -> list[str]:
    """Each embeddings client must return the gateway's vectors, in order, over two batches,
    sync and async (this also warms every path up); one that does not is left out."""
    notes = []
    texts = texts_for(batch + 5)
    expected = [expected_vector(position % batch) for position in range(len(texts))]
    for client in list(clients):
        checks: list[tuple[str, Callable[[], object]]] = [
            ("embed", partial(client.embed, texts)),
            ("aembed", partial(_aembed_once, loop, client, texts)),
        ]
        for what, action in checks:
            try:
                got = action()
                wrong = "" if got == expected else "vectors that differ from the gateway's"
            except Exception as exc:
                wrong = f"{type(exc).__name__}: {exc}"
            if wrong:
                notes.append(f"{client.label}: {what} gave {wrong[:160]}")
                notes.append(f"{client.label}: left out of the embeddings workloads")
                clients.remove(client)
                break
    return notes


# -- running ------------------------------------------------------------------------------


def run(config: Config, only: set[str] | None, selected: set[str]) -> dict[str, Any]:
    started = time.time()
    load_before = os.getloadavg()
    clients: list[BenchClient] = []
    embed_clients: list[EmbedClient] = []
    notes: list[str] = []
    workloads: list[Workload] = []
    with GatewayProcess() as gateway:
        loop = asyncio.new_event_loop()
        try:
            if selected & set(CHAT_WORKLOADS):
                clients, built = build_clients(gateway.base_url, only)
                notes += _print_notes(built)
                notes += _print_notes(sanity(clients, loop))
                workloads += _run_workloads(clients, config, loop, selected)
            if selected & set(EMBED_WORKLOADS):
                embed_clients, built = build_embed_clients(
                    gateway.base_url, config.embed_batch, config.embed_concurrency, only
                )
                notes += _print_notes(built)
                notes += _print_notes(embed_sanity(embed_clients, loop, config.embed_batch))
                workloads += _run_embed_workloads(embed_clients, config, loop, selected)
        finally:
            loop.close()
    calls_done = time.time()
    imports = measure_imports(config.import_runs) if "imports" in selected else {}
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
        "embedding_clients": {client.name: client.label for client in embed_clients},
        "workloads_selected": [name for name in WORKLOADS if name in selected],
        "notes": notes + [note for w in workloads for note in w.notes],
        "workloads": {w.key: w.to_json() for w in workloads},
        "imports": {name: result.summary() for name, result in imports.items()},
        "seconds": round(time.time() - started, 1),
        "seconds_calls": round(calls_done - started, 1),
        "seconds_imports": round(time.time() - calls_done, 1),
    }
    results["targets"] = targets(workloads, imports, config.stream_chunks, config.huge_chunks)
    print_summary(workloads, results["targets"])
    print_embed_summary(workloads)
    return results


def _print_notes(notes: list[str]) -> list[str]:
    for note in notes:
        print(f"note: {note}")
    return notes


def _run_workloads(
    clients: list[BenchClient],
    config: Config,
    loop: asyncio.AbstractEventLoop,
    selected: set[str],
) -> list[Workload]:
    """The selected chat workloads in order, each printed as soon as it is done."""
    done: list[Workload] = []
    if "invoke" in selected:
        done.append(_invoke(clients, config))
    if "stream" in selected:
        done.append(_stream(clients, config))
    if "burst" in selected:
        done.append(_burst(clients, config, loop))
    if "huge" in selected:
        done.append(_huge(clients, config))
    return done


def _invoke(clients: list[BenchClient], config: Config) -> Workload:
    invoke = Workload(
        "invoke", "invoke, short completion", "per call", config.invoke_rounds, clients, "invoke"
    )
    calls = config.invoke_calls

    def invoke_many(client: BenchClient) -> float:
        return _timed(lambda: [client.invoke() for _ in range(calls)]) / calls

    run_rounds(clients, config.invoke_rounds, invoke_many, invoke)
    print_workload(invoke)
    return invoke


def _stream(clients: list[BenchClient], config: Config) -> Workload:
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
    return stream


def _burst(clients: list[BenchClient], config: Config, loop: asyncio.AbstractEventLoop) -> Workload:
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
    return burst_workload


def _huge(clients: list[BenchClient], config: Config) -> Workload:
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
    return huge_workload


def _run_embed_workloads(
    clients: list[EmbedClient],
    config: Config,
    loop: asyncio.AbstractEventLoop,
    selected: set[str],
) -> list[Workload]:
    """Embedding `embed_texts` short texts, sync then async, each sample right after an
    identical untimed call (`warm_embed`), rounds rotated like every workload."""
    count, batch, width = config.embed_texts, config.embed_batch, config.embed_concurrency
    texts = texts_for(count)
    done: list[Workload] = []
    for key in EMBED_WORKLOADS:
        if key not in selected:
            continue
        if key == "embed":
            title = f"embeddings, sync, {count} texts in batches of {batch}"
        else:
            title = f"embeddings, async, {count} texts in batches of {batch}, {width} at once"
        workload = Workload(
            key, title, "per call", config.embed_rounds, list(clients), f"{key} {count}"
        )

        def sample(client: BenchClient, key: str = key, workload: Workload = workload) -> float:
            assert isinstance(client, EmbedClient)
            if key == "embed":
                run: Callable[[], list[list[float]]] = partial(client.embed, texts)
            else:
                run = lambda: loop.run_until_complete(client.aembed(texts))  # noqa: E731
            return warm_embed(run, count, workload.memory.setdefault(client.name, []))

        run_rounds(list(clients), config.embed_rounds, sample, workload)
        print_workload(workload)
        done.append(workload)
    return done


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


def parse_config(
    argv: list[str] | None = None,
) -> tuple[Config, set[str] | None, set[str], Path]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (env BENCH_QUICK=1)")
    known = list(dict.fromkeys(NAMES + EMBED_NAMES))
    parser.add_argument("--only", help=f"comma-separated clients from {','.join(known)}")
    parser.add_argument(
        "--workloads",
        help=f"comma-separated workloads from {','.join(WORKLOADS)}, or the groups "
        f"{','.join(GROUPS)} (default: all; env BENCH_WORKLOADS)",
    )
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
    if only and not only <= set(known):
        parser.error(f"unknown client(s): {sorted(only - set(known))}; known: {known}")
    if only is not None:
        only.add("raw")  # every ratio is against it
    asked = args.workloads or os.environ.get("BENCH_WORKLOADS", "")
    selected: set[str] = set()
    for name in filter(None, (part.strip() for part in asked.split(","))):
        if name not in WORKLOADS and name not in GROUPS:
            parser.error(f"unknown workload {name!r}; known: {WORKLOADS} and {tuple(GROUPS)}")
        selected.update(GROUPS.get(name, (name,)))
    selected = selected or set(WORKLOADS)
    if args.no_imports:
        selected.discard("imports")
    return config, only, selected, args.output


def main() -> None:
    config, only, selected, output = parse_config()
    chosen = [name for name in WORKLOADS if name in selected]
    print(f"benchmark config: {asdict(config)}; workloads: {','.join(chosen)}", flush=True)
    results = run(config, only, selected)
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
