"""One shared instance under threads and asyncio tasks; early exits close their responses."""

from __future__ import annotations

import asyncio
import gc
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from pydantic import SecretStr

from skillboss_core import ChatParams, Gateway, GatewaySettings
from tests.faults.callers import KEY, MODEL
from tests.faults.cancel import cancel_mid_stream
from tests.support.scripted_gateway import Fault, ScriptedGateway


def shared_gateway(server: ScriptedGateway) -> Gateway:
    # A generous timeout: these tests prove sharing and pooling, not speed, on a busy machine.
    settings = GatewaySettings(
        api_key=SecretStr(KEY), base_url=server.base_url, max_retries=0, timeout=60.0
    )
    return Gateway(settings)


def body(stream: bool, text: str = "hello") -> dict[str, object]:
    return ChatParams.parse({"model": MODEL}).to_body(
        [{"role": "user", "content": text}], stream=stream
    )


def test_eight_threads_share_one_instance(gateway_server: ScriptedGateway) -> None:
    gateway = shared_gateway(gateway_server)

    def work(n: int) -> int:
        done = 0
        for i in range(10):
            if i % 2:
                assert "".join(c.text for c in gateway.stream(body(True, f"t{n}")))
            else:
                assert gateway.complete(body(False, f"t{n}")).content
            done += 1
        return done

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(work, range(8))) == 80
    assert len(gateway_server.requests) == 80
    assert gateway_server.connections_opened <= 16  # pooled, not one per call


def test_500_tasks_across_two_event_loops(gateway_server: ScriptedGateway) -> None:
    gateway = shared_gateway(gateway_server)

    async def burst() -> int:
        async def one(i: int) -> bool:
            if i % 2:
                return bool("".join([c.text async for c in gateway.astream(body(True))]))
            return bool((await gateway.acomplete(body(False))).content)

        results = await asyncio.gather(*(one(i) for i in range(500)))
        return sum(results)

    assert asyncio.run(burst()) == 500
    assert asyncio.run(burst()) == 500  # a second loop: no "Event loop is closed"
    assert len(gateway_server.requests) == 1000
    # pooled: at most the pool's 200 sockets per loop, and far fewer sockets than calls
    assert gateway_server.peak_open_connections <= 2 * 200
    assert gateway_server.connections_opened < 1000
    assert len(gateway.clients._async) == 1  # the dead first loop's client was dropped


def test_breaking_out_of_a_stream_closes_the_response(
    gateway_server: ScriptedGateway, opened_responses: list[httpx.Response]
) -> None:
    gateway = shared_gateway(gateway_server)
    chunks = gateway.stream(body(True, "count " * 50))
    for chunk in chunks:
        if chunk.text:
            break
    chunks.close()  # what `for` + garbage collection or contextlib.closing do
    assert opened_responses and all(r.is_closed for r in opened_responses)


def test_dropping_a_stream_closes_the_response_without_the_garbage_collector(
    gateway_server: ScriptedGateway, opened_responses: list[httpx.Response]
) -> None:
    """A ChatStream and the generator feeding it share a StreamSource, not each other:
    no reference cycle, so `for chunk in gateway.stream(...): break` releases the socket."""
    gateway = shared_gateway(gateway_server)
    gc.disable()
    try:
        for chunk in gateway.stream(body(True, "count " * 50)):
            if chunk.text:
                break
        del chunk
        assert opened_responses and all(r.is_closed for r in opened_responses)
    finally:
        gc.enable()


def test_a_stream_shows_its_answer_so_far(gateway_server: ScriptedGateway) -> None:
    stream = shared_gateway(gateway_server).stream(body(True, "count " * 5))
    texts = []
    for chunk in stream:
        texts.append(chunk.text)
        assert stream.answer.text.startswith("".join(texts))
    assert stream.answer.text == "".join(texts) and stream.answer.finish_reason
    assert stream.answer.result().content == "".join(texts)


def test_cancelling_an_async_stream_closes_the_response(
    gateway_server: ScriptedGateway, opened_responses: list[httpx.Response]
) -> None:
    gateway = shared_gateway(gateway_server)
    gateway_server.enqueue(Fault.keepalive_comments())

    async def open_stream() -> Any:
        return gateway.astream(body(True, "count " * 50))

    cancel_mid_stream(open_stream)
    assert opened_responses and all(r.is_closed for r in opened_responses)
