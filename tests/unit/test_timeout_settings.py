"""The timeout settings of issue 23, without I/O: `timeout` defaults to the openai SDK's
600 s (it bounds each wait for progress now, not the whole call), and `total_timeout`, the
bound on the whole call, is None unless set: a field of GatewaySettings, ChatSkillBoss and
SkillBoss, and a per-call option that never enters the request body. Both are validated
like every timeout. What the bounds do on the wire: tests/faults/test_deadlines.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from skillboss_core import GatewaySettings
from skillboss_core.wire.params import InvalidParameterError
from skillboss_core.wire.request import ChatRequest

MODEL = "openai/gpt-5.4-mini"
MESSAGES = [{"role": "user", "content": "hi"}]


def langchain(**values: Any) -> Any:
    langchain_skillboss = pytest.importorskip("langchain_skillboss")
    return langchain_skillboss.ChatSkillBoss(api_key="sk-test", **values)


def llamaindex(**values: Any) -> Any:
    llama_index_skillboss = pytest.importorskip("llama_index_skillboss")
    return llama_index_skillboss.SkillBoss(api_key="sk-test", **values)


CLIENTS = [
    pytest.param(GatewaySettings, id="core"),
    pytest.param(langchain, id="langchain"),
    pytest.param(llamaindex, id="llamaindex"),
]


@pytest.mark.parametrize("make", CLIENTS)
def test_timeout_defaults_to_the_openai_sdks_600_seconds(make: Any) -> None:
    assert make().timeout == 600.0


@pytest.mark.parametrize("make", CLIENTS)
def test_total_timeout_is_none_unless_set(make: Any) -> None:
    assert make().total_timeout is None
    assert make(total_timeout=2.5).total_timeout == 2.5


@pytest.mark.parametrize("make", CLIENTS)
@pytest.mark.parametrize("value", [0, -1, float("inf"), float("nan")])
def test_total_timeout_must_be_positive_and_finite(make: Any, value: float) -> None:
    make(total_timeout=1.0)  # the name is known: the error below is about the value
    with pytest.raises(ValueError, match="total_timeout"):
        make(total_timeout=value)


def test_total_timeout_is_a_per_call_option_not_a_body_field() -> None:
    request = ChatRequest.build({"model": MODEL, "total_timeout": 2}, MESSAGES)
    assert request.options.total_timeout == 2.0  # type: ignore[attr-defined]
    assert "total_timeout" not in request.body(stream=False)
    assert "total_timeout" not in request.body(stream=True)


@pytest.mark.parametrize("value", [0, "2", True, float("inf")])
def test_a_bad_per_call_total_timeout_is_refused_before_sending(value: Any) -> None:
    ChatRequest.build({"model": MODEL, "total_timeout": 1.0}, MESSAGES)  # a known option
    with pytest.raises(InvalidParameterError, match="total_timeout"):
        ChatRequest.build({"model": MODEL, "total_timeout": value}, MESSAGES)
