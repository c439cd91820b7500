"""Collecting samples, printing the tables, and checking the issue's targets."""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench_clients import BenchClient
from bench_imports import ImportResult

RAW = "raw"
ADAPTERS = ("chat_skillboss", "skillboss")
LIMITS = {"invoke": 1.10, "burst": 1.10, "stream": 1.00}
# Embeddings (issue 22): ours at least as fast as the raw SDK with the same batch size (and,
# in the async workload, the same concurrency), and faster than both peers.
EMBED_KEYS = ("embed", "aembed")
EMBED_OURS = ("core", "lc_embeddings", "li_embedding")
EMBED_PEERS = ("lc_openai_embeddings", "li_openai_embedding")
EMBED_LIMIT = 1.00
MEMORY_KEYS = ("huge", *EMBED_KEYS)  # workloads that record peak RSS growth per sample
IMPORT_LIMIT = 1.10
LINEAR_LIMIT = 1.5  # per-chunk time on the huge stream over that on the 2000-chunk one
BYTES_PER_CHUNK_LIMIT = 250  # keeping each chunk object would cost well over 1 KB a chunk
IMPORT_PAIRS = {
    "langchain_skillboss": ("lc_baseline", ("llama_index", "tiktoken")),
    "llama_index_skillboss": ("li_baseline", ("langchain_core", "tiktoken")),
}


class Workload:
    """Samples (seconds) per client for one workload, in the order they were taken."""

    def __init__(
        self, key: str, title: str, unit: str, rounds: int, clients: list[BenchClient], short: str
    ) -> None:
        self.key, self.title, self.unit, self.rounds = key, title, unit, rounds
        self.short = short  # a column header for the summary
        self.started = time.perf_counter()
        self.clients = {client.name: client for client in clients}
        self.samples: dict[str, list[float]] = {client.name: [] for client in clients}
        self.memory: dict[str, list[int | None]] = {}
        self.failed: dict[str, str] = {}
        self.notes: list[str] = []

    def add(self, client: BenchClient, seconds: float) -> None:
        self.samples[client.name].append(seconds)

    def fail(self, client: BenchClient, exc: Exception) -> None:
        self.failed[client.name] = f"{type(exc).__name__}: {exc}"
        note = f"{self.title}: {client.label} failed ({self.failed[client.name][:200]})"
        self.notes.append(note)
        print(f"note: {note}")

    def median(self, name: str) -> float | None:
        samples = self.samples.get(name)
        if not samples or name in self.failed:
            return None
        return statistics.median(samples)

    def ratio(self, name: str, other: str | None) -> float | None:
        mine = self.median(name)
        theirs = self.median(other) if other else None
        return mine / theirs if mine is not None and theirs else None

    def peak_memory(self, name: str) -> int | None:
        values = [value for value in self.memory.get(name, []) if value is not None]
        return max(values) if values else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.title, "unit": self.unit, "clients": {}}
        for name, client in self.clients.items():
            out["clients"][name] = {
                "label": client.label,
                "median_s": self.median(name),
                "min_s": min(self.samples[name]) if self.samples[name] else None,
                "x_raw_sdk": self.ratio(name, RAW),
                "x_peer": self.ratio(name, client.peer),
                "samples_s": self.samples[name],
                "failed": self.failed.get(name),
            }
            if self.key in MEMORY_KEYS:
                out["clients"][name]["peak_rss_growth_bytes"] = self.peak_memory(name)
        return out


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 1e-3:
        return f"{value * 1e6:.0f} us"
    if value < 1:
        return f"{value * 1e3:.1f} ms"
    return f"{value:.2f} s"


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def megabytes(value: int | None) -> str:
    return "-" if value is None else f"{value / 2**20:.1f} MB"


def print_workload(workload: Workload) -> None:
    took = time.perf_counter() - workload.started
    print(
        f"\n== {workload.title} ({workload.unit}; median of {workload.rounds} rounds; "
        f"this workload took {took:.0f} s) =="
    )
    header = f"{'client':<28}{'median':>11}{'min':>11}{'x raw SDK':>11}{'x peer':>9}"
    if workload.key in MEMORY_KEYS:
        header += f"{'peak RSS +':>12}"
    print(header)
    for name, client in workload.clients.items():
        if name in workload.failed:
            print(f"{client.label:<28}  failed: {workload.failed[name][:60]}")
            continue
        samples = workload.samples[name]
        line = (
            f"{client.label:<28}{seconds(workload.median(name)):>11}"
            f"{seconds(min(samples) if samples else None):>11}"
            f"{ratio(workload.ratio(name, RAW)):>11}{ratio(workload.ratio(name, client.peer)):>9}"
        )
        if workload.key in MEMORY_KEYS:
            line += f"{megabytes(workload.peak_memory(name)):>12}"
        print(line, flush=True)


def print_summary(workloads: list[Workload], checks: list[dict[str, Any]]) -> None:
    """One line per client: every chat workload's median and its ratio to the raw SDK; then
    the targets."""
    chat = [w for w in workloads if w.key not in EMBED_KEYS]
    huge = next((w for w in chat if w.key == "huge"), None)
    if chat:
        print("\n== summary: median (x raw openai SDK) ==")
        memory_header = f"{'peak RSS +':>12}" if huge else ""
        print(f"{'client':<28}" + "".join(f"{w.short:>22}" for w in chat) + memory_header)
        for name, client in chat[0].clients.items():
            cells = "".join(
                f"{seconds(w.median(name)) + ' (' + ratio(w.ratio(name, RAW)) + ')':>22}"
                for w in chat
            )
            memory = f"{megabytes(huge.peak_memory(name)):>12}" if huge else ""
            print(f"{client.label:<28}{cells}{memory}")
    print("\n== targets (issues 6 and 22) ==")
    for check in checks:
        print(f"{check['status'].upper():<5} {check['target']}: {check['detail']}")


def print_embed_summary(workloads: list[Workload]) -> None:
    """The embeddings workloads side by side: median (x raw SDK; x each peer), peak RSS."""
    embed = [w for w in workloads if w.key in EMBED_KEYS]
    if not embed:
        return
    print(
        "\n== summary, embeddings: median (x raw openai SDK; x OpenAIEmbeddings / x "
        "OpenAIEmbedding), peak RSS growth =="
    )
    header = "".join(f"{w.short:>36}{'RSS +':>10}" for w in embed)
    print(f"{'client':<28}{header}")
    for name, client in embed[0].clients.items():
        cells = ""
        for workload in embed:
            peers = "/".join(ratio(workload.ratio(name, peer)) for peer in EMBED_PEERS)
            cell = f"{seconds(workload.median(name))} ({ratio(workload.ratio(name, RAW))}; {peers})"
            cells += f"{cell:>36}{megabytes(workload.peak_memory(name)):>10}"
        print(f"{client.label:<28}{cells}")


IMPORT_ON_TOP = {"lc_on_top": "lc_baseline", "li_on_top": "li_baseline"}


def print_imports(results: dict[str, ImportResult]) -> None:
    """Median and min time, peak RSS growth, each against its baseline."""
    print("\n== imports, fresh interpreter (median and min of the runs) ==")
    columns = f"{'median':>10}{'min':>10}{'x base':>8}{'RSS +':>10}{'x base':>8}{'modules':>9}"
    print(f"{'import':<40}{columns}  loaded")
    for name, result in results.items():
        if result.error:
            print(f"{result.label:<40}  not importable: {result.error[:70]}")
            continue
        base = results.get(result.compare_to or IMPORT_ON_TOP.get(name, ""))
        time_x = mem_x = None
        if base is not None and not base.error and base.seconds:
            time_x = min(result.seconds) / min(base.seconds)
            mem_x = statistics.median(result.rss) / max(1, statistics.median(base.rss))
        print(
            f"{result.label:<40}{seconds(statistics.median(result.seconds)):>10}"
            f"{seconds(min(result.seconds)):>10}{ratio(time_x):>8}"
            f"{megabytes(int(statistics.median(result.rss))):>10}{ratio(mem_x):>8}"
            f"{result.modules:>9}  {','.join(result.loaded)}"
        )


def _check(target: str, status: str, detail: str) -> dict[str, Any]:
    return {"target": target, "status": status, "detail": detail}


def targets(
    workloads: list[Workload],
    imports: dict[str, ImportResult],
    stream_chunks: int,
    huge_chunks: int,
) -> list[dict[str, Any]]:
    """The issue's targets, each pass / fail / skip with the numbers behind it."""
    checks: list[dict[str, Any]] = []
    by_key = {w.key: w for w in workloads}
    chat_measured = any(key in by_key for key in ("invoke", "stream", "burst", "huge"))
    for name in ADAPTERS if chat_measured else ():
        present = any(name in w.clients for w in workloads)
        for key, limit in LIMITS.items():
            workload = by_key.get(key)
            value = workload.ratio(name, RAW) if workload and present else None
            label = f"{name} {key} <= {limit:.2f}x raw SDK"
            if value is None:
                checks.append(_check(label, "skip", "not measured"))
            else:
                status = "pass" if value <= limit else "fail"
                checks.append(_check(label, status, f"{value:.2f}x"))
        for workload in workloads:
            client = workload.clients.get(name)
            if client is None:
                continue  # the embeddings workloads have their own clients and checks
            value = workload.ratio(name, client.peer)
            label = f"{name} ahead of its peer on {workload.title}"
            if value is None:
                checks.append(_check(label, "skip", "not measured"))
            else:
                status = "pass" if value < 1 else "fail"
                checks.append(_check(label, status, f"{value:.2f}x the peer"))
        checks.extend(_huge_checks(name, by_key, stream_chunks, huge_chunks))
    checks.extend(_embed_checks(by_key))
    for module, (baseline, banned) in IMPORT_PAIRS.items() if imports else ():
        checks.extend(_import_checks(module, baseline, banned, imports))
    return checks


def _embed_checks(by_key: dict[str, Workload]) -> list[dict[str, Any]]:
    """Per workload (sync, async) and each of ours: <= 1.00x the raw SDK, < 1x both peers."""
    checks: list[dict[str, Any]] = []
    for key in EMBED_KEYS:
        workload = by_key.get(key)
        if workload is None:
            continue
        for name in EMBED_OURS:
            if name not in workload.clients:
                continue
            value = workload.ratio(name, RAW)
            label = f"{name} {key} <= {EMBED_LIMIT:.2f}x raw SDK"
            if value is None:
                checks.append(_check(label, "skip", "not measured"))
            else:
                status = "pass" if value <= EMBED_LIMIT else "fail"
                checks.append(_check(label, status, f"{value:.2f}x"))
            against = {peer: workload.ratio(name, peer) for peer in EMBED_PEERS}
            measured = {peer: value for peer, value in against.items() if value is not None}
            label = f"{name} {key} ahead of both peers"
            if not measured:
                checks.append(_check(label, "skip", "not measured"))
                continue
            status = "pass" if all(value < 1 for value in measured.values()) else "fail"
            if len(measured) < len(EMBED_PEERS):
                status = "fail" if status == "fail" else "skip"
            detail = ", ".join(
                f"{value:.2f}x {workload.clients[peer].label}" for peer, value in measured.items()
            )
            checks.append(_check(label, status, detail))
    return checks


def _huge_checks(
    name: str, by_key: dict[str, Workload], stream_chunks: int, huge_chunks: int
) -> list[dict[str, Any]]:
    stream, huge = by_key.get("stream"), by_key.get("huge")
    small = stream.median(name) if stream else None
    big = huge.median(name) if huge else None
    linear = f"{name} {huge_chunks}-chunk stream linear in time"
    bounded = f"{name} {huge_chunks}-chunk stream bounded in memory"
    if small is None or big is None or huge is None:
        return [_check(linear, "skip", "not measured"), _check(bounded, "skip", "not measured")]
    growth = (big / huge_chunks) / (small / stream_chunks)
    out = [
        _check(
            linear,
            "pass" if growth <= LINEAR_LIMIT else "fail",
            f"{big / huge_chunks * 1e6:.1f} us/chunk vs {small / stream_chunks * 1e6:.1f} "
            f"us/chunk at {stream_chunks} ({growth:.2f}x; limit {LINEAR_LIMIT}x)",
        )
    ]
    memory = huge.peak_memory(name)
    if memory is None:
        out.append(_check(bounded, "skip", "peak RSS not measurable here"))
    else:
        per_chunk = memory / huge_chunks
        out.append(
            _check(
                bounded,
                "pass" if per_chunk <= BYTES_PER_CHUNK_LIMIT else "fail",
                f"peak RSS +{memory / 2**20:.1f} MB = {per_chunk:.0f} B/chunk "
                f"(limit {BYTES_PER_CHUNK_LIMIT})",
            )
        )
    return out


def _import_checks(
    module: str, baseline: str, banned: tuple[str, ...], imports: dict[str, ImportResult]
) -> list[dict[str, Any]]:
    """The standalone import against its baseline (min times: import work is fixed, load
    from other processes only adds), with what our own modules add on top of the baseline
    beside it (measured after the baseline is loaded, so it isolates our code).
    """
    mine, base = imports.get(module), imports.get(baseline)
    on_top = next((imports.get(k) for k, v in IMPORT_ON_TOP.items() if v == baseline), None)
    cost = f"import {module} <= {IMPORT_LIMIT:.2f}x {base.label if base else baseline}"
    clean = f"import {module} loads none of {', '.join(banned)}"
    parts = (mine, base, on_top)
    if any(part is None or part.error or not part.seconds for part in parts):
        reason = next((p.error for p in parts if p is not None and p.error), "not measured")
        return [_check(cost, "skip", reason[:100]), _check(clean, "skip", reason[:100])]
    assert mine is not None and base is not None and on_top is not None
    base_s = min(base.seconds)
    time_x = min(mine.seconds) / base_s
    mem_x = statistics.median(mine.rss) / max(1, statistics.median(base.rss))
    detail = (
        f"time {time_x:.2f}x ({seconds(min(mine.seconds))} vs {seconds(base_s)}), "
        f"RSS {mem_x:.2f}x; our modules alone add {seconds(min(on_top.seconds))} "
        f"({min(on_top.seconds) / base_s:.0%}) and {megabytes(int(statistics.median(on_top.rss)))}"
    )
    loaded = sorted(set(mine.loaded) & set(banned))
    return [
        _check(cost, "pass" if max(time_x, mem_x) <= IMPORT_LIMIT else "fail", detail),
        _check(clean, "fail" if loaded else "pass", f"loaded: {loaded or 'none of them'}"),
    ]
