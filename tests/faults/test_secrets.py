"""The key never shows up in logs (DEBUG, all loggers), errors, or pickles of the core."""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import traceback
import warnings

import pytest
from pydantic import SecretStr, ValidationError

from skillboss_core import GatewaySettings
from tests.faults.callers import CALLERS, KEY, PROMPT, Caller, Target, _gateway
from tests.support.scripted_gateway import Fault, ScriptedGateway

LOGGERS = ("openai", "httpx", "httpcore", "skillboss_core")
ADAPTERS = ["langchain", "llamaindex"]


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


# -- the key given under a wrong name, or as a wrong type -----------------------------------


def _construct(kind: str, **kwargs: object) -> object:
    if kind == "langchain":
        from langchain_skillboss import ChatSkillBoss

        return ChatSkillBoss(**kwargs)
    from llama_index_skillboss import SkillBoss

    return SkillBoss(**kwargs)


def _rendered(error: BaseException) -> str:
    return " ".join([str(error), repr(error), *traceback.format_exception(error)])


@pytest.mark.parametrize("kind", ADAPTERS)
@pytest.mark.parametrize("name", ["openai_api_key", "apikey", "key", "client_secret"])
def test_a_key_under_a_wrong_name_is_refused_without_echoing_it(kind: str, name: str) -> None:
    if kind == "langchain" and name == "openai_api_key":
        pytest.skip("ChatOpenAI's name is an accepted alias in LangChain")
    with pytest.raises(ValidationError) as caught:
        _construct(kind, **{name: KEY})
    assert KEY not in _rendered(caught.value)
    assert repr(name) in str(caught.value) and "api_key=" in str(caught.value)


@pytest.mark.parametrize("kind", ADAPTERS)
def test_a_key_of_the_wrong_type_is_not_echoed(kind: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _construct(kind, api_key=[KEY])
    assert KEY not in _rendered(caught.value)


# -- a key pasted with a newline or spaces --------------------------------------------------

PASTED = {
    f"{KEY}\n": "trailing newline",
    f"{KEY}\r\n": "trailing newline",
    f" {KEY}": "whitespace",
    f"{KEY} ": "whitespace",
    f"{KEY[:10]}\n{KEY[10:]}": "inside",
    f"{KEY[:10]} {KEY[10:]}": "inside",
    f"{KEY[:10]}\x00{KEY[10:]}": "inside",
}


@pytest.mark.parametrize(("key", "words"), list(PASTED.items()))
def test_a_pasted_key_is_refused_by_the_settings(key: str, words: str) -> None:
    with pytest.raises(ValueError, match=words) as caught:
        GatewaySettings(api_key=SecretStr(key))
    assert KEY[10:] not in _rendered(caught.value)
    with pytest.raises(ValueError, match=words) as caught:
        GatewaySettings(api_key=key)  # type: ignore[arg-type]
    assert KEY[10:] not in _rendered(caught.value)


@pytest.mark.parametrize("kind", ADAPTERS)
@pytest.mark.parametrize("key", [f"{KEY}\n", f"{KEY[:10]}\r{KEY[10:]}"])
def test_both_adapters_refuse_a_pasted_key_when_built(kind: str, key: str) -> None:
    with pytest.raises(ValueError, match=r"newline|inside") as caught:
        _construct(kind, api_key=key)
    assert KEY[10:] not in _rendered(caught.value)


@pytest.mark.parametrize("kind", ADAPTERS)
def test_a_pasted_key_in_the_environment_is_refused_too(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKILLBOSS_WHOLESALE_KEY", f"{KEY}\n")
    with pytest.raises(ValueError, match="trailing newline") as caught:
        _construct(kind)
    assert KEY not in _rendered(caught.value)


# -- a server or proxy that echoes the key ---------------------------------------------------

OTHER_TOKEN = "tok-from-someone-else-0123456789"


def _echo_the_key(status: int) -> object:
    def answer(_body: dict[str, object]) -> tuple[int, dict[str, str], bytes]:
        message = f"Bad header Authorization: Bearer {KEY} (key {KEY}); also Bearer {OTHER_TOKEN}"
        body = {"error": {"message": message, "type": "x", "echo": [KEY, {"h": f"Bearer {KEY}"}]}}
        return status, {"Content-Type": "application/json"}, json.dumps(body).encode()

    return answer


@pytest.mark.parametrize("status", [401, 500])
@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
def test_a_key_echoed_by_the_server_is_redacted_from_errors(
    caller: Caller, status: int, gateway_server: ScriptedGateway
) -> None:
    gateway_server.script(_echo_the_key(status))  # type: ignore[arg-type]
    with pytest.raises(Exception) as caught:
        caller.call(Target(gateway_server.base_url, max_retries=0))
    error = caught.value
    texts = [_rendered(error), str(getattr(error, "body", "")), str(getattr(error, "message", ""))]
    for text in texts:
        assert KEY not in text and OTHER_TOKEN not in text
    assert "[redacted]" in str(error)


def test_core_log_records_never_carry_a_known_key(
    gateway_server: ScriptedGateway, caplog: pytest.LogCaptureFixture
) -> None:
    _gateway(Target(gateway_server.base_url)).clients.sync_client()
    with caplog.at_level(logging.DEBUG, logger="skillboss_core"):
        logging.getLogger("skillboss_core").warning("sent %s with Bearer %s", KEY, OTHER_TOKEN)
    assert caplog.records
    for record in caplog.records:
        assert KEY not in record.getMessage() and OTHER_TOKEN not in record.getMessage()


# -- secrets in default headers --------------------------------------------------------------

HEADER_SECRET = "hdr-secret-value-0123456789"
PROXY_SECRET = "proxy-secret-value-0123456789"
SECRET_HEADERS = {
    # Authorization itself is the key's header and may not be overridden (see options).
    "Proxy-Authorization": f"Bearer {HEADER_SECRET}",
    "X-Api-Key": PROXY_SECRET,
    "X-Trace": "visible-trace-id",
}


def test_secret_headers_never_show_in_renderings_of_the_settings() -> None:
    settings = GatewaySettings(api_key=SecretStr(KEY), default_headers=SECRET_HEADERS)
    for text in (repr(settings), str(settings)):
        assert HEADER_SECRET not in text and PROXY_SECRET not in text
    assert "visible-trace-id" in repr(settings)


def test_secret_headers_never_show_in_renderings_of_chat_skillboss() -> None:
    from langchain_core.load import dumpd, dumps

    from langchain_skillboss import ChatSkillBoss

    model = ChatSkillBoss(api_key=KEY, default_headers=SECRET_HEADERS)
    renderings = [
        repr(model),
        str(model),
        str(model.model_dump()),
        model.model_dump_json(),
        str(dumpd(model)),
        dumps(model),
    ]
    for text in renderings:
        assert HEADER_SECRET not in text and PROXY_SECRET not in text
    assert "visible-trace-id" in repr(model) and "visible-trace-id" in dumps(model)


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_a_dump_keeps_plain_headers_and_loads_without_the_secret_ones() -> None:
    from langchain_core.load import dumpd, load

    from langchain_skillboss import ChatSkillBoss

    model = ChatSkillBoss(api_key=KEY, default_headers=SECRET_HEADERS)
    dumped = dumpd(model)
    assert dumped["kwargs"]["default_headers"] == {"X-Trace": "visible-trace-id"}
    loaded = load(
        dumped,
        secrets_map={"SKILLBOSS_WHOLESALE_KEY": KEY},
        allowed_objects=[ChatSkillBoss],
        valid_namespaces=["langchain_skillboss"],
    )
    assert loaded.default_headers == {"X-Trace": "visible-trace-id"}
    assert model.default_headers == SECRET_HEADERS  # the model itself keeps them


def test_secret_headers_never_show_in_renderings_of_skillboss() -> None:
    from llama_index_skillboss import SkillBoss

    model = SkillBoss(api_key=KEY, default_headers=SECRET_HEADERS)
    renderings = [
        repr(model),
        str(model),
        str(model.model_dump()),
        model.model_dump_json(),
        str(model.to_dict()),
        model.to_json(),
    ]
    for text in renderings:
        assert HEADER_SECRET not in text and PROXY_SECRET not in text
    assert model.to_dict()["default_headers"] == {"X-Trace": "visible-trace-id"}


@pytest.mark.parametrize("kind", ADAPTERS)
def test_secret_headers_are_still_sent(kind: str, gateway_server: ScriptedGateway) -> None:
    base = {"base_url" if kind == "langchain" else "api_base": gateway_server.base_url}
    model = _construct(kind, api_key=KEY, default_headers=SECRET_HEADERS, max_retries=0, **base)
    if kind == "langchain":
        model.invoke(PROMPT)  # type: ignore[attr-defined]
    else:
        from llama_index.core.llms import ChatMessage

        model.chat([ChatMessage(role="user", content=PROMPT)])  # type: ignore[attr-defined]
    sent = gateway_server.requests[-1].headers
    assert sent["x-api-key"] == PROXY_SECRET
    assert sent["proxy-authorization"] == SECRET_HEADERS["Proxy-Authorization"]
    assert sent["authorization"] == f"Bearer {KEY}"


# -- a key over plain http to another host ---------------------------------------------------


def _cleartext_warnings(base_url: str, builds: int = 2) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(builds):
            _gateway(Target(base_url)).clients.sync_client()
    return [w for w in caught if "plain http" in str(w.message)]


def test_a_key_sent_over_plain_http_to_another_host_warns_once() -> None:
    found = _cleartext_warnings("http://10.255.1.2:9/v1")
    assert len(found) == 1 and issubclass(found[0].category, UserWarning)
    assert "10.255.1.2" in str(found[0].message) and KEY not in str(found[0].message)

    async def build_async() -> None:
        _gateway(Target("http://10.255.1.3:9/v1")).clients.async_client()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(build_async())
    assert [w for w in caught if "plain http" in str(w.message)]


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:9/v1",
        "http://127.8.9.10:9/v1",
        "http://localhost:9/v1",
        "http://[::1]:9/v1",
        "https://gateway.example/v1",
    ],
)
def test_loopback_and_https_do_not_warn(base_url: str) -> None:
    assert _cleartext_warnings(base_url, builds=1) == []


def _echoing_stream_error(body: dict[str, object]) -> tuple[int, dict[str, str], bytes]:
    """A 200 answer whose error text quotes the request's Authorization header."""
    error = {"error": {"message": f"upstream saw Authorization: Bearer {KEY} and key {KEY}"}}
    payload = json.dumps(error).encode()
    if body.get("stream"):
        return (
            200,
            {"Content-Type": "text/event-stream"},
            b"event: error\ndata: " + payload + b"\n\n",
        )
    return 200, {"Content-Type": "application/json"}, payload


@pytest.mark.parametrize("caller", CALLERS, ids=lambda caller: caller.name)
def test_a_key_echoed_inside_a_200_answer_is_redacted(
    caller: Caller, gateway_server: ScriptedGateway
) -> None:
    gateway_server.script(_echoing_stream_error)
    with pytest.raises(Exception) as caught:
        caller.call(Target(gateway_server.base_url, max_retries=0))
    error = caught.value
    for text in (str(error), repr(error), repr(getattr(error, "body", None))):
        assert KEY not in text, text
    assert "[redacted]" in str(error)
