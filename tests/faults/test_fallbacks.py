"""Model fallbacks, for every client and call style: after the retry budget on capacity,
server or rate errors the next model is asked, never after a caller error (400, 401, 402)
or once a stream has reached the caller; the answer names the model that gave it; LangChain's
per-call `fallback_models` and its own `with_fallbacks` work too.

This is the one place for fallbacks. That a 402 is never retried (for every caller) is in
tests/faults/test_fault_matrix.py ("402-never-retried"); here, that it never falls back.
"""

from __future__ import annotations

import asyncio
import json
import operator
from functools import reduce
from typing import Any

import openai
import pytest
from llama_index.core.llms import ChatMessage
from pydantic import SecretStr

from langchain_skillboss import ChatSkillBoss
from llama_index_skillboss import SkillBoss
from skillboss_core import errors
from tests.faults.callers import CALLERS, KEY, MODEL, PROMPT, Caller, Target
from tests.support.scripted_gateway import Fault, Reply, ScriptedGateway, error_body

FAST = {"retry-after-ms": "5"}
BACKUP = "reel-31-api"
# What the backup model says whenever it is asked.
BACKUP_ANSWER = "Answered by the backup model."


def models_asked(server: ScriptedGateway) -> list[str]:
    return [r.json["model"] for r in server.requests if r.json]


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
@pytest.mark.parametrize("status", [503, 500, 429])
def test_falls_back_after_the_retry_budget(
    caller: Caller, status: int, gateway_server: ScriptedGateway
) -> None:
    gateway_server.enqueue(*[Fault.status(status, headers=FAST) for _ in range(2)])
    gateway_server.queue(BACKUP_ANSWER)
    target = Target(gateway_server.base_url, max_retries=1, fallback_models=[BACKUP])
    assert caller.call(target) == BACKUP_ANSWER
    assert models_asked(gateway_server) == [MODEL] * 2 + [BACKUP]


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, errors.GatewayBadRequestError),
        (401, errors.GatewayAuthenticationError),
        (402, errors.InsufficientCreditsError),
    ],
)
def test_caller_errors_never_fall_back(
    caller: Caller, status: int, error: type[Exception], gateway_server: ScriptedGateway
) -> None:
    gateway_server.enqueue(Fault.status(status))
    target = Target(gateway_server.base_url, max_retries=1, fallback_models=[BACKUP])
    with pytest.raises(error):
        caller.call(target)
    assert models_asked(gateway_server) == [MODEL]


@pytest.mark.parametrize("caller", [c for c in CALLERS if c.streaming], ids=lambda c: c.name)
def test_stream_does_not_fall_back_once_a_chunk_reached_the_caller(
    caller: Caller, gateway_server: ScriptedGateway
) -> None:
    gateway_server.enqueue(Fault.stream_reset(after_chunks=3))
    gateway_server.queue("The first words arrive, then the connection drops.")
    target = Target(gateway_server.base_url, max_retries=1, fallback_models=[BACKUP])
    with pytest.raises(errors.StreamInterruptedError):
        caller.call(target)
    assert models_asked(gateway_server) == [MODEL]


def test_last_model_error_is_raised_when_every_model_fails(gateway_server: ScriptedGateway) -> None:
    gateway_server.enqueue(*[Fault.status(503, headers=FAST) for _ in range(2)])
    target = Target(gateway_server.base_url, max_retries=0, fallback_models=[BACKUP])
    with pytest.raises(errors.GatewayCapacityError):
        CALLERS[0].call(target)
    assert models_asked(gateway_server) == [MODEL, BACKUP]


# -- the answer says which model gave it -------------------------------------------------------


def _chat(url: str, **kwargs: Any) -> ChatSkillBoss:
    options: dict[str, Any] = {"model": MODEL, "api_key": SecretStr(KEY), "max_retries": 0}
    return ChatSkillBoss(base_url=url, **{**options, **kwargs})


def _skillboss(url: str) -> SkillBoss:
    return SkillBoss(
        model=MODEL, api_key=KEY, api_base=url, max_retries=0, fallback_models=[BACKUP]
    )


def _merged(chunks: list[Any]) -> Any:
    return reduce(operator.add, chunks)


async def _alist(chunks: Any) -> list[Any]:
    return [chunk async for chunk in chunks]


USER = [ChatMessage(role="user", content=PROMPT)]


def _langchain_names(url: str, style: str) -> list[str]:
    model = _chat(url, fallback_models=[BACKUP])
    if style == "invoke":
        message = model.invoke(PROMPT)
    elif style == "ainvoke":
        message = asyncio.run(model.ainvoke(PROMPT))
    elif style == "stream":
        message = _merged(list(model.stream(PROMPT)))
    else:
        message = _merged(asyncio.run(_alist(model.astream(PROMPT))))
    return [message.response_metadata["model_name"]]


def _llamaindex_names(url: str, style: str) -> list[str]:
    model = _skillboss(url)
    if style == "chat":
        return [model.chat(USER).raw["model"]]
    if style == "achat":
        return [asyncio.run(model.achat(USER)).raw["model"]]
    if style == "stream_chat":
        last = list(model.stream_chat(USER))[-1]
    else:

        async def run() -> Any:
            return (await _alist(await model.astream_chat(USER)))[-1]

        last = asyncio.run(run())
    return [last.raw["model"], last.raw["requested_model"]]


STYLES = [
    *[("langchain", style) for style in ("invoke", "ainvoke", "stream", "astream")],
    *[("llamaindex", style) for style in ("chat", "achat", "stream_chat", "astream_chat")],
]


@pytest.mark.parametrize(("adapter", "style"), STYLES, ids=[f"{a}-{s}" for a, s in STYLES])
def test_the_answer_names_the_fallback_model_that_gave_it(
    adapter: str, style: str, gateway_server: ScriptedGateway
) -> None:
    gateway_server.enqueue(Fault.status(503))
    gateway_server.queue(BACKUP_ANSWER)
    names = (_langchain_names if adapter == "langchain" else _llamaindex_names)(
        gateway_server.base_url, style
    )
    assert names and set(names) == {BACKUP}
    assert models_asked(gateway_server) == [MODEL, BACKUP]


# -- LangChain: per-call fallbacks, and its own with_fallbacks ----------------------------------


def test_langchain_per_call_fallback_models_override(gateway_server: ScriptedGateway) -> None:
    gateway_server.enqueue(Fault.status(503))
    gateway_server.queue(BACKUP_ANSWER)
    model = _chat(gateway_server.base_url, fallback_models=["openai/gpt-5.4"])
    assert model.invoke("hello", fallback_models=[BACKUP]).text == BACKUP_ANSWER
    assert models_asked(gateway_server) == [MODEL, BACKUP]


def overloaded_primary(body: dict[str, Any]) -> Any:
    """The primary model is over capacity (503); any other model answers."""
    if body.get("model") == MODEL:
        return 503, {"Content-Type": "application/json"}, json.dumps(error_body(503)).encode()
    return Reply(BACKUP_ANSWER)


def _run(runnable: Any, style: str) -> list[Any]:
    """The messages one call in `style` returns (streams merged into one)."""
    if style == "invoke":
        return [runnable.invoke("hello")]
    if style == "ainvoke":
        return [asyncio.run(runnable.ainvoke("hello"))]
    if style == "batch":
        return list(runnable.batch(["hello", "hello"]))
    if style == "stream":
        return [_merged(list(runnable.stream("hello")))]
    return [_merged(asyncio.run(_alist(runnable.astream("hello"))))]


@pytest.mark.parametrize("style", ["invoke", "stream", "ainvoke", "astream", "batch"])
def test_langchain_with_fallbacks_moves_on_after_a_typed_error(
    gateway_server: ScriptedGateway, style: str
) -> None:
    """LangChain's own `with_fallbacks` sees the typed error and runs the next runnable."""
    gateway_server.script(overloaded_primary)
    url = gateway_server.base_url
    chain = _chat(url).with_fallbacks(
        [_chat(url, model=BACKUP)], exceptions_to_handle=(openai.APIStatusError,)
    )
    messages = _run(chain, style)
    assert [m.text for m in messages] == [BACKUP_ANSWER] * len(messages)
    assert [m.response_metadata["model_name"] for m in messages] == [BACKUP] * len(messages)
    calls = len(messages)
    assert sorted(models_asked(gateway_server)) == sorted([MODEL] * calls + [BACKUP] * calls)
