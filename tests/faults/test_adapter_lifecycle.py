"""Both adapters: shared by threads and tasks, pickled into workers, early exits cleaned up."""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.llms import ChatMessage

from tests.faults.callers import Target, _langchain, _llamaindex
from tests.faults.cancel import cancel_mid_stream
from tests.support.scripted_gateway import ScriptedGateway

ADAPTERS = ["langchain", "llamaindex"]


def build(kind: str, server: ScriptedGateway) -> Any:
    target = Target(server.base_url, max_retries=0, timeout=60.0)
    return _langchain(target) if kind == "langchain" else _llamaindex(target)


def ask(kind: str, model: Any, text: str) -> str:
    if kind == "langchain":
        return str(model.invoke([HumanMessage(text)]).content)
    return str(model.chat([ChatMessage(role="user", content=text)]).message.content)


async def aask(kind: str, model: Any, text: str, stream: bool) -> str:
    if kind == "langchain":
        if stream:
            return "".join([str(c.content) async for c in model.astream(text)])
        return str((await model.ainvoke(text)).content)
    messages = [ChatMessage(role="user", content=text)]
    if stream:
        return "".join([r.delta or "" async for r in await model.astream_chat(messages)])
    return str((await model.achat(messages)).message.content)


@pytest.mark.parametrize("kind", ADAPTERS)
def test_eight_threads_share_one_model(kind: str, gateway_server: ScriptedGateway) -> None:
    model = build(kind, gateway_server)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: ask(kind, model, f"thread {i}"), range(40)))
    assert all(answers) and len(gateway_server.requests) == 40
    assert gateway_server.connections_opened <= 16


@pytest.mark.parametrize("kind", ADAPTERS)
def test_500_tasks_across_two_event_loops(kind: str, gateway_server: ScriptedGateway) -> None:
    model = build(kind, gateway_server)

    async def burst() -> int:
        answers = await asyncio.gather(*(aask(kind, model, "hi", i % 2 == 1) for i in range(500)))
        return sum(1 for answer in answers if answer)

    assert asyncio.run(burst()) == 500
    assert asyncio.run(burst()) == 500
    assert gateway_server.peak_open_connections <= 2 * 200
    assert gateway_server.connections_opened < 1000


@pytest.mark.parametrize("kind", ADAPTERS)
def test_breaking_out_of_a_stream_closes_the_response(
    kind: str, gateway_server: ScriptedGateway, opened_responses: list[httpx.Response]
) -> None:
    model = build(kind, gateway_server)
    text = "count " * 50
    stream = (
        model.stream(text)
        if kind == "langchain"
        else model.stream_chat([ChatMessage(role="user", content=text)])
    )
    next(iter(stream))
    stream.close()
    assert opened_responses and all(r.is_closed for r in opened_responses)


@pytest.mark.parametrize("kind", ADAPTERS)
def test_cancelling_an_async_stream_closes_the_response(
    kind: str, gateway_server: ScriptedGateway, opened_responses: list[httpx.Response]
) -> None:
    model = build(kind, gateway_server)

    async def open_stream() -> Any:
        if kind == "langchain":
            return model.astream("count " * 50)
        return await model.astream_chat([ChatMessage(role="user", content="count " * 50)])

    cancel_mid_stream(open_stream)
    assert opened_responses and all(r.is_closed for r in opened_responses)


@pytest.mark.parametrize("kind", ADAPTERS)
def test_pickled_model_works_without_live_clients(
    kind: str, gateway_server: ScriptedGateway
) -> None:
    model = build(kind, gateway_server)
    assert ask(kind, model, "before pickling")
    data = pickle.dumps(model)
    assert b"httpx" not in data
    clone = pickle.loads(data)
    assert ask(kind, clone, "after pickling")


def _worker(payload: bytes) -> str:
    kind, model = pickle.loads(payload)
    return ask(kind, model, "in a worker process")


@pytest.mark.parametrize("kind", ADAPTERS)
def test_model_runs_in_a_process_pool(kind: str, gateway_server: ScriptedGateway) -> None:
    payload = pickle.dumps((kind, build(kind, gateway_server)))
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        answers = pool.map(_worker, [payload, payload])
    assert all(answers)
