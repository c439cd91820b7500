"""Fixtures of the distributed group (`make test-distributed`): the scripted gateway the
workers call, the workers' environment, and what every test checks at its end.

The gateway answers each prompt with `answer_for(prompt)`, so an answer that reached the
wrong prompt shows; it accepts only `KEY`, so a worker that sent no key or another one gets
401. Nothing here imports Ray or Dask: in the main venv the test modules skip themselves
before any fixture runs.
"""

from __future__ import annotations

import importlib
import ipaddress
import json
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support.scripted_gateway import (
    Reply,
    ScriptedGateway,
    ScriptResult,
    error_body,
    message_text,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
KEY = "sk-wholesale-distributed-test-key-7f3a9c"
# What a worker may not be given: a 402 body echoes it, as a misbehaving proxy might.
ECHOED = f"you sent Authorization: Bearer {KEY}"
SKIP_REASON = "the distributed group runs in .venv-distributed: make test-distributed"


def answer_for(prompt: str) -> str:
    return f"Answer to <{prompt}>"


def import_recipe(name: str) -> ModuleType:
    """examples/<name>.py as the module `name`, the way the workers import it too
    (PYTHONPATH in `worker_environment`; Dask's spawned workers also get sys.path)."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    return importlib.import_module(name)


class Answers:
    """The gateway's script: every prompt answered with `answer_for(prompt)`, except those
    out of credit (402, always) and those rate-limited once (429 with Retry-After: 0, then
    the answer). Counts what it saw per prompt; called from the server's threads."""

    def __init__(
        self, *, out_of_credit: Iterable[str] = (), rate_limited_once: Iterable[str] = ()
    ) -> None:
        self.out_of_credit = frozenset(out_of_credit)
        self.rate_limited_once = frozenset(rate_limited_once)
        self.seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> ScriptResult | Reply:
        users = [m for m in body.get("messages", []) if m.get("role") == "user"]
        prompt = message_text(users[-1].get("content")) if users else ""
        with self._lock:
            self.seen[prompt] += 1
            times = self.seen[prompt]
        headers = {"Content-Type": "application/json"}
        if prompt in self.out_of_credit:
            words = f"Insufficient wholesale balance ({ECHOED})"
            return 402, headers, json.dumps(error_body(402, words)).encode()
        if prompt in self.rate_limited_once and times == 1:
            limited = error_body(429, "Rate limit reached, slow down")
            return 429, {**headers, "Retry-After": "0"}, json.dumps(limited).encode()
        return Reply(answer_for(prompt))


@pytest.fixture(scope="module")
def gateway() -> Iterator[ScriptedGateway]:
    """The scripted gateway on 127.0.0.1, accepting only KEY; worker processes reach it."""
    with ScriptedGateway(api_key=KEY, lifetime=600.0) as server:
        yield server


@pytest.fixture(autouse=True)
def _clean_gateway(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with nothing scripted or recorded and ends with no handler crash."""
    if "gateway" not in request.fixturenames:
        yield
        return
    server: ScriptedGateway = request.getfixturevalue("gateway")
    server.clear()
    server.errors.clear()
    yield
    assert server.errors == [], "the scripted gateway crashed:\n" + "\n".join(server.errors)


@pytest.fixture(scope="module")
def worker_environment(
    gateway: ScriptedGateway, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """What the workers inherit: the key and the gateway's URL (the recommended way to give
    workers the key), the recipes on PYTHONPATH, HOME and temp dirs inside the test's temp
    dir, Ray's usage reporting off and every Ray process on 127.0.0.1."""
    home = tmp_path_factory.mktemp("home")
    python_path = os.pathsep.join(filter(None, [str(EXAMPLES), os.environ.get("PYTHONPATH")]))
    values = {
        "SKILLBOSS_WHOLESALE_KEY": KEY,
        "SKILLBOSS_BASE_URL": gateway.base_url,
        "PYTHONPATH": python_path,
        "HOME": str(home),
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "DASK_TEMPORARY_DIRECTORY": str(tmp_path_factory.mktemp("dask-temp")),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in values.items():
            patch.setenv(name, value)
        patch.delenv("OPENAI_API_KEY", raising=False)
        patch.delenv("OPENAI_BASE_URL", raising=False)
        yield values


def files_holding(root: Path, needle: str) -> list[Path]:
    """Every file under `root` whose bytes contain `needle`."""
    wanted = needle.encode()
    return [
        path
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink() and wanted in path.read_bytes()
    ]


def descendants(pid: int | None = None) -> dict[int, str]:
    """The processes below `pid` (this one by default), with their command lines: what a
    cluster started from here runs. multiprocessing's resource tracker is left out: it
    belongs to the interpreter, not to a cluster, and stays until the interpreter exits."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        commands[int(entry.name)] = command
    found: dict[int, str] = {}
    below = [os.getpid() if pid is None else pid]
    while below:
        parent = below.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found:
                found[child] = commands[child]
                below.append(child)
    return {
        child: command
        for child, command in found.items()
        if "multiprocessing.resource_tracker" not in command
    }


def _address(hex_address: str) -> str:
    """An address of /proc/net/tcp{,6} (hex, in the kernel's word order) as text."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(words))


def listening_addresses(pids: Iterable[int]) -> set[str]:
    """The local addresses the TCP sockets of `pids` listen on."""
    inodes = set()
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        inodes.update(link[8:-1] for link in links if link.startswith("socket:["))
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # 0A: LISTEN
                found.add(_address(local.split(":")[0]))
    return found


def is_loopback(address: str) -> bool:
    parsed = ipaddress.ip_address(address)
    mapped = getattr(parsed, "ipv4_mapped", None)
    return parsed.is_loopback or (mapped is not None and mapped.is_loopback)


def wait_until_gone(pids: Iterable[int], seconds: float = 30.0) -> list[int]:
    """The pids still running after up to `seconds` (bounded poll): [] once all ended."""
    deadline = time.monotonic() + seconds
    left = list(pids)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = [pid for pid in left if Path(f"/proc/{pid}").exists() and not _zombie(pid)]
    return left


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def processes_using(directory: Path) -> list[int]:
    """Pids of this machine's processes working in `directory` or naming it on their command
    line (Ray's own servers name their session directory; its workers retitle themselves)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or _zombie(int(entry.name)):
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            cwd = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue
        if str(directory).encode() in command or cwd.is_relative_to(directory):
            found.append(int(entry.name))
    return found
