"""LangChain's cache and rate limiter sit in front of the gateway: a cached answer makes no
request (a call with other parameters does), and the rate limiter is asked before each call.
"""

from __future__ import annotations

from langchain_core.caches import InMemoryCache
from langchain_core.rate_limiters import InMemoryRateLimiter

from langchain_skillboss import ChatSkillBoss
from tests.support.scripted_gateway import ScriptedGateway

MODEL = "openai/gpt-5.4-mini"


def test_cached_answers_make_no_second_request(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue("Hello from the gateway.", "Hello again, warmer.")
    model = ChatSkillBoss(
        model=MODEL, base_url=gateway_server.base_url, max_retries=0, cache=InMemoryCache()
    )
    first = model.invoke("hello")
    second = model.invoke("hello")
    assert first.text == second.text == "Hello from the gateway."
    assert len(gateway_server.requests) == 1
    # different parameters: a different cache entry
    assert model.invoke("hello", temperature=0.5).text == "Hello again, warmer."
    assert len(gateway_server.requests) == 2


def test_rate_limiter_is_consulted(gateway_server: ScriptedGateway) -> None:
    class Counting(InMemoryRateLimiter):
        calls: int = 0

        def acquire(self, *, blocking: bool = True) -> bool:
            self.calls += 1
            return True

    gateway_server.queue("Hello.", "Hello, streamed.")
    limiter = Counting()
    model = ChatSkillBoss(
        model=MODEL, base_url=gateway_server.base_url, max_retries=0, rate_limiter=limiter
    )
    assert model.invoke("hello").text == "Hello."
    assert "".join(chunk.text for chunk in model.stream("hello")) == "Hello, streamed."
    assert limiter.calls == 2 and len(gateway_server.requests) == 2
