"""SkillBoss (LlamaIndex) takes the same per-call request options as ChatSkillBoss, from the
core: timeout, extra_headers, extra_query and max_retries, never sent in the body."""

from __future__ import annotations

import json
import time
from typing import Any

import openai
import pytest
from llama_index.core.base.llms.types import ChatMessage

from llama_index_skillboss import SkillBoss
from skillboss_core import InvalidParameterError
from tests.support.scripted_gateway import ScriptedGateway

ANSWER = {
    "id": "chatcmpl-li",
    "object": "chat.completion",
    "model": "openai/gpt-5.4-mini",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hi."}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
}
HELLO = [ChatMessage(role="user", content="hello")]


def answer(_body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json"}, json.dumps(ANSWER).encode()


def llm_for(server: ScriptedGateway, **kwargs: Any) -> SkillBoss:
    return SkillBoss(api_key="sk-test", api_base=server.base_url, max_retries=0, **kwargs)


def test_per_call_options_travel_as_http_options(gateway_server: ScriptedGateway) -> None:
    gateway_server.script(answer)
    response = llm_for(gateway_server).chat(
        HELLO, timeout=5, extra_headers={"X-Trace": "abc"}, extra_query={"tenant": "t1"}
    )
    assert response.message.content == "Hi."
    seen = gateway_server.last_request
    assert seen.headers.get("X-Trace") == "abc" or seen.headers.get("x-trace") == "abc"
    assert "tenant=t1" in seen.path
    assert not {"timeout", "extra_headers", "extra_query"} & seen.json.keys()


async def test_per_call_timeout_wins_over_the_instance_timeout(
    gateway_server: ScriptedGateway,
) -> None:
    def slow(body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        time.sleep(1.0)
        return answer(body)

    gateway_server.script(slow)
    llm = llm_for(gateway_server, timeout=60)
    with pytest.raises(openai.APITimeoutError):
        await llm.achat(HELLO, timeout=0.2)


def test_per_call_max_retries_retries(gateway_server: ScriptedGateway) -> None:
    calls: list[int] = []

    def flaky(body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        calls.append(1)
        if len(calls) == 1:
            error = {"error": {"message": "upstream hiccup"}}
            return (
                500,
                {"Content-Type": "application/json", "retry-after-ms": "1"},
                json.dumps(error).encode(),
            )
        return answer(body)

    gateway_server.script(flaky)
    response = llm_for(gateway_server).chat(HELLO, max_retries=1)
    assert response.message.content == "Hi." and len(calls) == 2


def test_bad_options_fail_before_any_request(gateway_server: ScriptedGateway) -> None:
    gateway_server.script(answer)
    llm = llm_for(gateway_server)
    with pytest.raises(InvalidParameterError, match="timeout"):
        llm.chat(HELLO, timeout=-1)
    with pytest.raises(InvalidParameterError, match="extra_headers"):
        llm.chat(HELLO, extra_headers={"X": 3})
    assert gateway_server.requests == []
