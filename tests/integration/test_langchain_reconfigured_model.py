"""A copied or reconfigured ChatSkillBoss sends its next request with its new settings, over
real HTTP: `model_copy(update={"base_url": ...})` talks to the new gateway while the original
keeps its own, and a timeout assigned after the first call applies to the next one.

That the settings are re-derived at all (no HTTP) is in tests/unit/test_langchain_chat_model.py.
"""

from __future__ import annotations

import time
from typing import Any

import openai
import pytest

from langchain_skillboss import ChatSkillBoss
from tests.support.scripted_gateway import Fault, Reply, ScriptedGateway

MODEL = "openai/gpt-5.4-mini"


def chat(server: ScriptedGateway, **kwargs: Any) -> ChatSkillBoss:
    options: dict[str, Any] = {"model": MODEL, "api_key": "sk-test", "max_retries": 0}
    options.update(kwargs)
    return ChatSkillBoss(base_url=server.base_url, **options)


def test_model_copy_sends_to_the_new_base_url(
    gateway_server: ScriptedGateway, other_server: ScriptedGateway
) -> None:
    # Each gateway names itself in every answer.
    gateway_server.reply = Reply("From the first gateway.")
    other_server.reply = Reply("From the other gateway.")
    llm = chat(gateway_server)
    assert llm.invoke("hi").text == "From the first gateway."
    copy = llm.model_copy(update={"base_url": other_server.base_url})
    assert copy.invoke("hi").text == "From the other gateway."
    assert len(gateway_server.requests) == 1
    assert len(other_server.requests) == 1
    assert llm.invoke("hi").text == "From the first gateway."  # the original is unchanged


def test_assigned_timeout_applies_to_the_next_call(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue("Quick.")
    llm = chat(gateway_server, timeout=60)
    assert llm.invoke("hi").text == "Quick."  # the client now exists, with a 60 s timeout
    gateway_server.enqueue(Fault.slow(2.0))  # the next answer comes after 2 s
    gateway_server.queue("too late")
    llm.timeout = 0.3
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        llm.invoke("hi")
    assert time.monotonic() - started < 1.5
