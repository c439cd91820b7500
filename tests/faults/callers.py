"""Every way a user can make a call, as one uniform function per style, for the fault matrix.

A caller takes a `Target` (where to send, retry and timeout budgets, fallbacks) and returns
the answer's text, raising whatever the integration raises. Adapter callers are added here
as the adapters land; each style (sync, async, streaming) is covered for each client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from skillboss_core import ChatParams, Gateway, GatewaySettings
from tests.support.wire import Reply

MODEL = "openai/gpt-5.4-mini"
PROMPT = "Say hello to the fault suite"
KEY = "sk-fault-suite-secret-key-000000"
# What the gateway answers every request a fault test does not script otherwise: several
# words, so a stream has chunks to cut, reset or cancel between.
ANSWER = Reply("The gateway answered this request in a few short words.")


@dataclass(frozen=True)
class Target:
    base_url: str
    max_retries: int = 2
    timeout: float = 5.0
    fallback_models: list[str] = field(default_factory=list)
    # The bound on the whole call; None leaves it out, so a caller never passes the keyword
    # to code that does not know it.
    total_timeout: float | None = None

    def budgets(self) -> dict[str, float]:
        """The keyword arguments for the whole-call bound, when one is set."""
        return {} if self.total_timeout is None else {"total_timeout": self.total_timeout}


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
        **target.budgets(),
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


def _langchain(target: Target) -> Any:
    from langchain_skillboss import ChatSkillBoss

    return ChatSkillBoss(
        model=MODEL,
        api_key=SecretStr(KEY),
        base_url=target.base_url,
        max_retries=target.max_retries,
        timeout=target.timeout,
        fallback_models=target.fallback_models,
        **target.budgets(),
    )


def langchain_invoke(target: Target) -> str:
    return str(_langchain(target).invoke(PROMPT).content)


def langchain_ainvoke(target: Target) -> str:
    async def run() -> str:
        return str((await _langchain(target).ainvoke(PROMPT)).content)

    return asyncio.run(run())


def langchain_stream(target: Target) -> str:
    return "".join(str(chunk.content) for chunk in _langchain(target).stream(PROMPT))


def langchain_astream(target: Target) -> str:
    async def run() -> str:
        return "".join([str(chunk.content) async for chunk in _langchain(target).astream(PROMPT)])

    return asyncio.run(run())


def _llamaindex(target: Target) -> Any:
    from llama_index_skillboss import SkillBoss

    return SkillBoss(
        model=MODEL,
        api_key=KEY,
        api_base=target.base_url,
        max_retries=target.max_retries,
        timeout=target.timeout,
        fallback_models=target.fallback_models,
        **target.budgets(),
    )


def _user() -> list[Any]:
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role="user", content=PROMPT)]


def llamaindex_chat(target: Target) -> str:
    return str(_llamaindex(target).chat(_user()).message.content)


def llamaindex_achat(target: Target) -> str:
    async def run() -> str:
        return str((await _llamaindex(target).achat(_user())).message.content)

    return asyncio.run(run())


def llamaindex_stream_chat(target: Target) -> str:
    return "".join(r.delta or "" for r in _llamaindex(target).stream_chat(_user()))


def llamaindex_astream_chat(target: Target) -> str:
    async def run() -> str:
        responses = await _llamaindex(target).astream_chat(_user())
        return "".join([r.delta or "" async for r in responses])

    return asyncio.run(run())


CALLERS: list[Caller] = [
    Caller("core-sync", False, core_sync),
    Caller("core-async", False, core_async),
    Caller("core-stream", True, core_stream),
    Caller("core-astream", True, core_astream),
    Caller("langchain-invoke", False, langchain_invoke),
    Caller("langchain-ainvoke", False, langchain_ainvoke),
    Caller("langchain-stream", True, langchain_stream),
    Caller("langchain-astream", True, langchain_astream),
    Caller("llamaindex-chat", False, llamaindex_chat),
    Caller("llamaindex-achat", False, llamaindex_achat),
    Caller("llamaindex-stream_chat", True, llamaindex_stream_chat),
    Caller("llamaindex-astream_chat", True, llamaindex_astream_chat),
]
