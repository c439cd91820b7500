"""Per-request transport options: validated before sending, never in the body (no I/O)."""

from __future__ import annotations

from typing import Any

import pytest

from skillboss_core.config.settings import GatewaySettings
from skillboss_core.transport.http_calls import CallPlan
from skillboss_core.wire.options import OPTION_NAMES, UNSET, RequestOptions
from skillboss_core.wire.params import InvalidParameterError
from skillboss_core.wire.request import ChatRequest

HELLO = [{"role": "user", "content": "hi"}]


def test_options_leave_the_body() -> None:
    request = ChatRequest.build(
        {
            "model": "m",
            "temperature": 0.1,
            "timeout": 5,
            "total_timeout": 30,
            "max_retries": 1,
            "extra_headers": {"X-Trace": "abc"},
            "extra_query": {"tenant": "t1"},
        },
        HELLO,
    )
    body = request.body(stream=False)
    assert not OPTION_NAMES & body.keys()
    assert body["temperature"] == 0.1
    assert request.options == RequestOptions(
        timeout=5.0,
        total_timeout=30.0,
        max_retries=1,
        extra_headers=(("X-Trace", "abc"),),
        extra_query=(("tenant", "t1"),),
    )


def test_unset_options_take_the_settings_values() -> None:
    request = ChatRequest.build({"model": "m"}, HELLO)
    assert request.options.timeout is UNSET and request.options.total_timeout is UNSET
    plan = CallPlan.make(
        GatewaySettings(timeout=7, total_timeout=70, max_retries=3), request.options
    )
    assert (plan.timeout, plan.bound.total, plan.max_retries) == (7.0, 70.0, 3)


def test_timeout_none_per_call_means_wait_for_ever() -> None:
    options = RequestOptions.take({"timeout": None, "total_timeout": None})
    plan = CallPlan.make(GatewaySettings(timeout=7, total_timeout=70), options)
    assert (plan.timeout, plan.bound.total) == (None, None)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"timeout": 0}, "timeout must be a positive, finite number"),
        ({"timeout": "5"}, "timeout must be a positive, finite number"),
        ({"timeout": True}, "timeout must be a positive, finite number"),
        ({"total_timeout": -1}, "total_timeout must be a positive, finite number"),
        ({"max_retries": -1}, "max_retries must be an integer >= 0"),
        ({"max_retries": 1.5}, "max_retries must be an integer >= 0"),
        ({"extra_headers": {"X": 1}}, "extra_headers must be a mapping"),
        ({"extra_headers": ["X"]}, "extra_headers must be a mapping"),
        ({"extra_headers": {"X": "a\r\nEvil: 1"}}, "line break or a character"),
        ({"extra_headers": {"Bad Name": "x"}}, "not a valid header name"),
        ({"extra_headers": {"authorization": "Bearer x"}}, "may not set authorization"),
        ({"extra_headers": {"X": "caf\u00e9\u2603"}}, "cannot carry"),
        ({"timeout": float("nan")}, "finite"),
        ({"timeout": float("inf")}, "finite"),
        ({"extra_query": {"q": object()}}, "extra_query must be a mapping"),
    ],
)
def test_bad_options_fail_before_sending(values: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        ChatRequest.build({"model": "m", **values}, HELLO)


def test_a_secret_header_value_is_never_echoed() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        RequestOptions.take({"extra_headers": {"Authorization": "Bearer sk-secret\n"}})
    assert "sk-secret" not in str(caught.value)
