"""Cancel an asyncio task while it is in the middle of reading a stream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any


def cancel_mid_stream(open_stream: Callable[[], Awaitable[AsyncIterator[Any]]]) -> None:
    """Read one item in a task, cancel the task, and give the generators' cleanup a turn."""

    async def consume(started: asyncio.Event) -> None:
        async for _ in await open_stream():
            started.set()
            await asyncio.sleep(10)

    async def main() -> None:
        started = asyncio.Event()
        task = asyncio.create_task(consume(started))
        await started.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.05)

    asyncio.run(main())
