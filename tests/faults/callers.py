"""Every way a user can make a call, as one uniform function per style, for the fault matrix.

A caller takes a `Target` (where to send, retry and timeout budget, fallbacks) and returns
the answer's text, raising whatever the integration raises. Adapter callers are added here
as the adapters land; each style (sync, async, streaming) is covered for each client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import SecretStr

from skillboss_core import ChatParams, Gateway, GatewaySettings

MODEL = "openai/gpt-5.4-mini"
PROMPT = "Say hello to the fault suite"
KEY = "sk-fault-suite-secret-key-000000"


@dataclass(frozen=True)
class Target:
    base_url: str
    max_retries: int = 2
    timeout: float = 5.0
    fallback_models: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Caller:
    name: str
    streaming: bool
    call: Callable[[Target], str]


def _gateway(target: Target) -> Gateway:
    settings = GatewaySettings(
        api_key=SecretStr(KEY),
        base_url=target.base_url,
        max_retries=target.max_retries,
        timeout=target.timeout,
    )
    return Gateway(settings)


def _body(stream: bool) -> dict[str, object]:
    return ChatParams.parse({"model": MODEL}).to_body(
        [{"role": "user", "content": PROMPT}], stream=stream
    )


def core_sync(target: Target) -> str:
    result = _gateway(target).complete(_body(False), fallback_models=target.fallback_models)
    return result.content or ""


def core_async(target: Target) -> str:
    async def run() -> str:
        gateway = _gateway(target)
        result = await gateway.acomplete(_body(False), fallback_models=target.fallback_models)
        return result.content or ""

    return asyncio.run(run())


def core_stream(target: Target) -> str:
    chunks = _gateway(target).stream(_body(True), fallback_models=target.fallback_models)
    return "".join(chunk.text for chunk in chunks)


def core_astream(target: Target) -> str:
    async def run() -> str:
        gateway = _gateway(target)
        chunks = gateway.astream(_body(True), fallback_models=target.fallback_models)
        return "".join([chunk.text async for chunk in chunks])

    return asyncio.run(run())


CALLERS: list[Caller] = [
    Caller("core-sync", False, core_sync),
    Caller("core-async", False, core_async),
    Caller("core-stream", True, core_stream),
    Caller("core-astream", True, core_astream),
]
