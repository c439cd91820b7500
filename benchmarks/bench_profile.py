"""Where a client's time goes: cProfile over one workload, grouped by package.

    .venv-bench/bin/python benchmarks/bench_profile.py --client core --workload stream
    .venv-bench/bin/python benchmarks/bench_profile.py --client chat_skillboss --workload invoke
    .venv-bench/bin/python benchmarks/bench_profile.py --client core --workload aembed

Prints the share of own time (tottime) per package (skillboss_core, langchain_core, httpx,
h11, openai, json, ...) and the top functions. cProfile inflates cheap calls, so read the
shares as "where", and the harness's numbers as "how much".
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import re
import sys
from collections import defaultdict
from collections.abc import Callable

from bench_clients import NAMES, build_clients
from bench_embeddings import EMBED_NAMES, build_embed_clients, texts_for
from bench_gateway import GatewayProcess
from run import Config, burst

EMBED_WORKLOADS = ("embed", "aembed")

_SITE = re.compile(r"site-packages/([^/]+)/")
_REPO = re.compile(r"/(skillboss_core|langchain_skillboss|llama_index_skillboss|benchmarks)/")


def package_of(filename: str) -> str:
    """A short owner name for a profiled file: its package, or stdlib / builtin."""
    if filename == "~":
        return "builtins (C)"
    match = _REPO.search(filename) or _SITE.search(filename)
    if match:
        return match.group(1).removesuffix(".py")
    if "/lib/python3" in filename:
        return "stdlib:" + filename.rsplit("/", 1)[-1].removesuffix(".py")
    return filename


def by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    totals: dict[str, float] = defaultdict(float)
    for (filename, _, _), row in stats.stats.items():  # type: ignore[attr-defined]
        totals[package_of(filename)] += row[2]
    return sorted(totals.items(), key=lambda item: -item[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--client", choices=list(dict.fromkeys(NAMES + EMBED_NAMES)))
    parser.add_argument(
        "--workload", choices=("invoke", "stream", "burst", *EMBED_WORKLOADS), default="stream"
    )
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--texts", type=int, default=Config.embed_texts)
    parser.add_argument(
        "--repeat", type=int, default=0, help="default: 20 streams, 500 calls, 3 embeddings"
    )
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    args.client = args.client or "core"
    repeat = args.repeat or {"stream": 20, "invoke": 500, "burst": 2}.get(args.workload, 3)
    with GatewayProcess() as gateway:
        loop = asyncio.new_event_loop()
        texts = texts_for(args.texts)
        actions: dict[str, Callable[[], object]]
        if args.workload in EMBED_WORKLOADS:
            config = Config()
            embedders, notes = build_embed_clients(
                gateway.base_url, config.embed_batch, config.embed_concurrency, {args.client}
            )
            if not embedders:
                sys.exit("; ".join(notes) or f"{args.client} has no embeddings client")
            embedder = embedders[0]
            label = embedder.label
            actions = {
                "embed": lambda: embedder.embed(texts),
                "aembed": lambda: loop.run_until_complete(embedder.aembed(texts)),
            }
        else:
            clients, notes = build_clients(gateway.base_url, {args.client})
            if not clients:
                sys.exit("; ".join(notes))
            client = clients[0]
            label = client.label
            actions = {
                "stream": lambda: client.stream(args.chunks),
                "invoke": client.invoke,
                "burst": lambda: loop.run_until_complete(burst(client, 500, 50)),
            }
        action = actions[args.workload]
        for _ in range(5 if args.workload not in EMBED_WORKLOADS else 1):
            action()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(repeat):
            action()
        profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    units = {"stream": args.chunks * repeat, "invoke": repeat, "burst": 500 * repeat}
    unit = units.get(args.workload, args.texts * repeat)
    what = {"stream": "chunk", "embed": "text", "aembed": "text"}.get(args.workload, "call")
    print(f"{label}, {args.workload}: {total / unit * 1e6:.1f} us per {what} under cProfile")
    print(f"\n{'package':<34}{'share':>7}{'us/' + what:>10}")
    for package, seconds in by_package(stats)[:15]:
        print(f"{package:<34}{seconds / total:>7.1%}{seconds / unit * 1e6:>10.2f}")
    print()
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
