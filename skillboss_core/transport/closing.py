"""`close()`, `aclose()`, `with` and `async with` for anything that calls through a ClientPool.

Closing releases the pooled connections (see ClientPool.close); it does not retire the
object: the next call reconnects. Pools are shared by everything with equal settings (see
skillboss_core.transport.reuse), so close at the end of a program, test or worker, not mid-traffic.
"""

from __future__ import annotations

from typing_extensions import Self

from skillboss_core.transport.clients import ClientPool


class ClosesConnections:
    """Mixin: subclasses say which pool they call through."""

    def _client_pool(self) -> ClientPool:
        raise NotImplementedError

    def close(self) -> None:
        """Close the connections now (async ones in their own event loops)."""
        self._client_pool().close()

    async def aclose(self) -> None:
        """Close the running loop's connections, awaited, and every other one."""
        await self._client_pool().aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
