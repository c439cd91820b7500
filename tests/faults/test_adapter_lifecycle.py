"""Both adapters: shared by threads and tasks, pickled into workers, early exits cleaned up."""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing
import os
import pickle
import select
import signal
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.llms import ChatMessage

from tests.faults.callers import Target, _langchain, _llamaindex
from tests.faults.cancel import cancel_mid_stream
from tests.support.scripted_gateway import ScriptedGateway, message_text

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


# -- fork: the child must not share the parent's pooled sockets ------------------------------


def _echo(body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """Answer with the asker's own words, a little later (so two askers would overlap)."""
    text = message_text(body["messages"][-1]["content"])
    time.sleep(0.005)
    completion = {
        "id": "chatcmpl-echo",
        "object": "chat.completion",
        "created": 1,
        "model": body["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    return 200, {"Content-Type": "application/json"}, json.dumps(completion).encode()


def _cross_talk(kind: str, model: Any, who: str) -> list[str]:
    """Questions one after another, then from four threads; every answer that is not the
    asker's own words (or the error it raised)."""

    def one(number: int) -> str:
        text = f"{who}-{number}"
        try:
            answer = ask(kind, model, text)
        except Exception as exc:
            return f"{text} raised {exc!r}"
        return "" if answer == text else f"{text} got {answer!r}"

    found = [one(number) for number in range(8)]
    with ThreadPoolExecutor(4) as pool:
        found += pool.map(one, range(8, 40))
    return [problem for problem in found if problem]


def _read_report(fd: int, pid: int, seconds: float) -> list[str]:
    chunks = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                os.waitpid(pid, 0)
                return list(json.loads(b"".join(chunks) or b'["the child reported nothing"]'))
            chunks.append(chunk)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return ["the child did not finish"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
@pytest.mark.parametrize("kind", ADAPTERS)
def test_parent_and_forked_child_never_read_each_others_answers(
    kind: str, gateway_server: ScriptedGateway
) -> None:
    gateway_server.script(_echo)
    model = build(kind, gateway_server)
    assert ask(kind, model, "before the fork") == "before the fork"  # a kept-alive socket
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "multi-threaded process"
        pid = os.fork()
    if pid == 0:  # the child: report through the pipe, never return into pytest
        try:
            os.close(read_end)
            report = _cross_talk(kind, model, "child")
            os.write(write_end, json.dumps(report).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        parent = _cross_talk(kind, model, "parent")
    finally:
        child = _read_report(read_end, pid, seconds=60)
        os.close(read_end)
    assert parent == [] and child == []


# -- close, aclose, with, async with ---------------------------------------------------------


@pytest.mark.parametrize("kind", ADAPTERS)
def test_close_releases_connections_and_the_next_call_reconnects(
    kind: str, gateway_server: ScriptedGateway
) -> None:
    model = build(kind, gateway_server)
    ask(kind, model, "one")
    ask(kind, model, "two")
    assert gateway_server.connections_opened == 1
    model.close()
    ask(kind, model, "after close")
    assert gateway_server.connections_opened == 2
    with model as same:
        assert same is model
    ask(kind, model, "after with")
    assert gateway_server.connections_opened == 3


@pytest.mark.parametrize("kind", ADAPTERS)
def test_aclose_closes_the_running_loops_pool(kind: str, gateway_server: ScriptedGateway) -> None:
    model = build(kind, gateway_server)

    async def main() -> None:
        async with model as same:
            assert same is model
            await aask(kind, model, "one", False)
            await aask(kind, model, "two", True)
        assert gateway_server.connections_opened == 1
        await aask(kind, model, "after aclose", False)
        assert gateway_server.connections_opened == 2
        await model.aclose()

    asyncio.run(main())


@pytest.mark.parametrize("kind", ADAPTERS)
def test_many_asyncio_runs_on_one_model_leave_nothing_unclosed(
    kind: str, gateway_server: ScriptedGateway
) -> None:
    model = build(kind, gateway_server)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for number in range(200):
            assert asyncio.run(aask(kind, model, "hi", number % 2 == 1))
        gc.collect()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert unclosed == []
