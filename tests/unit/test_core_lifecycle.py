"""ClientPool lifecycle: async clients closed in their own loops, close(), and fork."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from skillboss_core import Gateway, GatewaySettings
from skillboss_core.transport.clients import ClientPool

KEY = "sk-unit-secret-0123456789abcdef"


def _pool() -> ClientPool:
    return Gateway(
        GatewaySettings(api_key=SecretStr(KEY), base_url="http://127.0.0.1:9/v1")
    ).clients


async def _grab(pool: ClientPool) -> Any:
    return pool.async_client()


@pytest.fixture
def unraisable() -> Iterator[list[Any]]:
    """Errors Python could only print (in __del__, finalizers), collected instead."""
    seen: list[Any] = []
    saved = sys.unraisablehook
    sys.unraisablehook = seen.append
    try:
        yield seen
    finally:
        sys.unraisablehook = saved


def test_asyncio_run_closes_its_loops_client_before_the_loop_ends() -> None:
    pool = _pool()
    client = asyncio.run(_grab(pool))
    assert client.is_closed
    assert asyncio.run(_grab(pool)) is not client


def test_a_loop_closed_by_hand_is_dropped_quietly(unraisable: list[Any]) -> None:
    pool = _pool()
    loop = asyncio.new_event_loop()
    loop.run_until_complete(_grab(pool))
    loop.close()  # no shutdown_asyncgens: the client could not be closed in its loop
    asyncio.run(_grab(pool))
    del pool
    gc.collect()
    assert unraisable == []


def test_close_closes_async_clients_in_their_own_running_loops() -> None:
    pool = _pool()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        client = asyncio.run_coroutine_threadsafe(_grab(pool), loop).result(5)
        pool.close()
        asyncio.run_coroutine_threadsafe(asyncio.sleep(0.05), loop).result(5)
        assert client.is_closed
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_aclose_closes_the_running_loops_client_and_the_sync_one() -> None:
    pool = _pool()
    sync = pool.sync_client()

    async def main() -> Any:
        client = pool.async_client()
        await pool.aclose()
        assert client.is_closed
        return client

    asyncio.run(main())
    assert sync.is_closed and pool.sync_client() is not sync


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_builds_its_own_clients_and_leaves_the_parents_open() -> None:
    pool = _pool()
    parent = pool.sync_client()
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        try:
            fresh = pool.sync_client() is not parent and not parent.is_closed
            os.write(write_end, b"ok" if fresh else b"shared")
        finally:
            os._exit(0)
    os.close(write_end)
    answer = os.read(read_end, 16)
    os.close(read_end)
    os.waitpid(pid, 0)
    assert answer == b"ok"
    assert pool.sync_client() is parent and not parent.is_closed
