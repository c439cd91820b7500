"""An async client tied to one event loop, closed inside that loop before the loop ends.

An async connection pool can only be closed in its own, running loop; `asyncio.run` closes
its loop as soon as the main task returns, so a pool left for later can never be closed
properly (its sockets surface as ResourceWarnings when collected). The hook that loop
runners call before closing is `loop.shutdown_asyncgens()`, which closes each async generator
the loop has seen: each client gets one such generator, parked at its `yield`, whose `finally`
closes the client while the loop still runs. `asyncio.run` and `asyncio.Runner` call it; a
loop closed by hand without it leaves the pool to the garbage collector (await `aclose()`
before closing such a loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Coroutine
from typing import Any


class _State:
    """Shared by the holder and its generator (no reference cycle: both must die by refcount)."""

    __slots__ = ("closing", "skip")

    def __init__(self) -> None:
        self.closing = False
        self.skip = False


def _running_in(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


async def _close_at_loop_end(
    client: Any, loop: asyncio.AbstractEventLoop, state: _State
) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        state.closing = True
        # Finalized outside its loop (a loop without asyncgen hooks): nothing can be awaited.
        if not state.skip and _running_in(loop):
            await client.aclose()


def _run_now(step: Coroutine[Any, Any, Any]) -> None:
    """Drive a step of the generator that never waits (to its `yield`, or out of it)."""
    try:
        step.send(None)
    except StopIteration:
        return
    step.close()
    raise RuntimeError("the loop-end closer waited where it must not")


class LoopClient:
    """`client` for `loop`; create it from a coroutine running in that loop."""

    def __init__(self, client: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.client = client
        self.loop = loop
        self._state = _State()
        self._closer = _close_at_loop_end(client, loop, self._state)
        # The first step registers the generator with the running loop (its firstiter hook).
        _run_now(self._closer.__anext__())

    @property
    def usable(self) -> bool:
        """False once the client is closing or closed, or its loop is gone."""
        return not self._state.closing and not self.loop.is_closed()

    async def aclose(self) -> None:
        """Close the client now; call from a coroutine running in `loop`."""
        await self._closer.aclose()

    def close_soon(self) -> None:
        """Close the client in its own loop from anywhere: scheduled there if the loop is
        open (it runs when the loop next runs), abandoned if the loop is closed."""
        if self.loop.is_closed():
            self.abandon()
            return
        closing = self.aclose()
        try:
            asyncio.run_coroutine_threadsafe(closing, self.loop)
        except RuntimeError:  # closed in the meantime
            closing.close()
            self.abandon()

    def abandon(self) -> None:
        """Finish the generator without touching the loop (closed, or another process's):
        the client is left as it is, for the loop's runner or the garbage collector."""
        if self._state.closing:  # finished, or finishing in its loop
            return
        self._state.skip = True
        _run_now(self._closer.aclose())
