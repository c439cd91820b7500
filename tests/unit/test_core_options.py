"""Per-request transport options: validated before sending, never in the body (no I/O)."""

from __future__ import annotations

from typing import Any

import pytest

from skillboss_core.options import UNSET, RequestOptions
from skillboss_core.params import InvalidParameterError
from skillboss_core.request import ChatRequest

HELLO = [{"role": "user", "content": "hi"}]


def test_options_leave_the_body_and_reach_the_sdk() -> None:
    request = ChatRequest.build(
        {
            "model": "m",
            "temperature": 0.1,
            "timeout": 5,
            "max_retries": 1,
            "extra_headers": {"X-Trace": "abc"},
            "extra_query": {"tenant": "t1"},
        },
        HELLO,
    )
    body = request.body(stream=False)
    assert not {"timeout", "max_retries", "extra_headers", "extra_query"} & body.keys()
    assert body["temperature"] == 0.1
    sent = request.options.sdk_options({"Content-Type": "application/json"})
    assert sent == {
        "headers": {"Content-Type": "application/json", "X-Trace": "abc"},
        "timeout": 5.0,
        "max_retries": 1,
        "params": {"tenant": "t1"},
    }


def test_unset_options_take_the_settings_values() -> None:
    request = ChatRequest.build({"model": "m"}, HELLO)
    assert request.options.timeout is UNSET
    assert request.options.sdk_options({"A": "b"}) == {"headers": {"A": "b"}}


def test_timeout_none_per_call_means_wait_for_ever() -> None:
    options = RequestOptions.take({"timeout": None})
    assert options.sdk_options({})["timeout"] is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"timeout": 0}, "timeout must be a positive, finite number"),
        ({"timeout": "5"}, "timeout must be a positive, finite number"),
        ({"timeout": True}, "timeout must be a positive, finite number"),
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
