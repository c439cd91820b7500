"""Everything that talks to the gateway: the HTTP library of the installed openai SDK, pooled
clients (fork-safe, one per event loop), the waits (`timeout` per wait, `total_timeout` for a
call), the one retry policy, HTTP outcomes turned into typed errors, attempts and their
fallbacks, the `Gateway` object with its sync and async calls, each attempt's cost and
budget hold, and one gateway shared per distinct settings.

May import every layer below it (`errors`, `security`, `catalog`, `wire`, `config`); never
`cli`.
"""

from __future__ import annotations

from skillboss_core._moved import forward_to

__getattr__ = forward_to(
    "skillboss_core.transport.http_calls"
)  # the old `skillboss_core.transport`
