"""The key never shows up in logs (DEBUG, all loggers), errors, or pickles of the core."""

from __future__ import annotations

import logging
import pickle

import pytest

from tests.faults.callers import CALLERS, KEY, Caller, Target, _gateway
from tests.support.scripted_gateway import Fault, ScriptedGateway

LOGGERS = ("openai", "httpx", "httpcore", "skillboss_core")


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
def test_no_key_in_debug_logs_of_a_full_call(
    caller: Caller, gateway_server: ScriptedGateway, caplog: pytest.LogCaptureFixture
) -> None:
    gateway_server.enqueue(Fault.status(500, headers={"retry-after-ms": "1"}))
    with caplog.at_level(logging.DEBUG):
        for name in LOGGERS:
            logging.getLogger(name).setLevel(logging.DEBUG)
        try:
            assert caller.call(Target(gateway_server.base_url, max_retries=1))
        finally:
            for name in LOGGERS:
                logging.getLogger(name).setLevel(logging.NOTSET)
    assert len(caplog.records) > 3, "DEBUG logging was not captured"
    for record in caplog.records:
        assert KEY not in record.getMessage()
        assert KEY not in str(record.__dict__)


def test_pickled_core_holds_no_live_client(gateway_server: ScriptedGateway) -> None:
    gateway = _gateway(Target(gateway_server.base_url))
    gateway.clients.sync_client()
    data = pickle.dumps(gateway)
    assert b"httpx" not in data and b"openai._client" not in data


def _dumps_of_langchain(target: Target) -> list[str]:
    from langchain_core.load import dumpd, dumps

    from tests.faults.callers import _langchain

    model = _langchain(target)
    return [repr(model), str(model), str(model.model_dump()), str(dumpd(model)), dumps(model)]


def _dumps_of_llamaindex(target: Target) -> list[str]:
    from tests.faults.callers import _llamaindex

    model = _llamaindex(target)
    return [
        repr(model),
        str(model),
        str(model.model_dump()),
        str(model.to_dict()),
        model.to_json(),
        model.model_dump_json(),
    ]


@pytest.mark.parametrize("dumps", [_dumps_of_langchain, _dumps_of_llamaindex])
def test_no_key_in_any_rendering_of_either_model(dumps: object) -> None:
    renderings = dumps(Target("http://127.0.0.1:9/v1"))  # type: ignore[operator]
    assert len(renderings) >= 5
    for text in renderings:
        assert KEY not in text
