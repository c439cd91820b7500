"""Hostile bytes on the wire, through every caller: a typed error or the right answer.

The scripted gateway (127.0.0.1) serves exactly the bytes each case scripts: SSE quirks and
malformed events to the streaming callers, malformed bodies to the others. Whatever comes
back, a caller must never raise a bare KeyError, TypeError, UnicodeDecodeError or
RecursionError: only the core's typed errors (or their LangChain twins, which subclass them).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import pytest

from skillboss_core.errors import InvalidResponseError
from skillboss_core.wire import decode as core_response
from skillboss_core.wire import stream as core_stream
from tests.faults.callers import CALLERS, Caller, Target
from tests.support.scripted_gateway import ScriptedGateway

SSE = {"Content-Type": "text/event-stream"}
JSON_TYPE = {"Content-Type": "application/json"}
SMALL_CAP = 4096
DEEP = "[" * 100_000 + "]" * 100_000
HELLO = ('"Hel"', '"lo"')
USAGE = '{"prompt_tokens":3,"completion_tokens":2}'


def chunk(content: str = "null", finish: str = "null") -> str:
    """One chunk object as JSON text, so cases can write NaN and raw escapes."""
    return (
        '{"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":'
        f'{content}}},"finish_reason":{finish}}}]}}'
    )


def usage_chunk(usage: str) -> str:
    return f'{{"id":"c1","choices":[],"usage":{usage}}}'


def events(*payloads: str, end: str = "\n") -> bytes:
    """SSE events, each `data: ...` line and its blank line ended by `end`."""
    return "".join(f"data: {p}{end}{end}" for p in payloads).encode()


def answer_events(*contents: str, usage: str = USAGE) -> list[str]:
    """The contents as text deltas, then the finish, usage and [DONE] events."""
    return [
        *(chunk(c) for c in contents),
        chunk(finish='"stop"'),
        usage_chunk(usage),
        "[DONE]",
    ]


def cut_after_each_cr(data: bytes) -> Iterator[bytes]:
    """Separate writes, each ending right after a CR, so CRLF pairs straddle two reads."""
    start = 0
    for position, byte in enumerate(data):
        if byte == 0x0D:
            yield data[start : position + 1]
            time.sleep(0.001)
            start = position + 1
    yield data[start:]


def body(choices: str, usage: str = USAGE) -> bytes:
    return f'{{"id":"c1","model":"m","choices":{choices},"usage":{usage}}}'.encode()


def message_body(content: str, usage: str = USAGE) -> bytes:
    choice = f'[{{"index":0,"message":{{"role":"assistant","content":{content}}},'
    return body(choice + '"finish_reason":"stop"}]', usage)


@dataclass(frozen=True)
class Case:
    name: str
    payload: Callable[[], bytes | Iterable[bytes]]
    answer: str | None = None  # the text expected, or None when an error is expected
    error: type[Exception] = InvalidResponseError
    message: str = ""  # a regex the error's message must match
    small_caps: bool = False  # serve it with the size caps lowered to SMALL_CAP


# ResponseTooLargeError is an InvalidResponseError; LangChain raises its InvalidResponseError
# twin for it, so the cases check the base class and the message that names the cap.
TOO_LARGE = r"cap of 4,096 bytes \(max_(event|body)_bytes\)"


STREAM_CASES = [
    Case("cr-line-ends", lambda: events(*answer_events(*HELLO), end="\r"), "Hello"),
    Case(
        "crlf-split-across-writes",
        lambda: cut_after_each_cr(events(*answer_events(*HELLO), end="\r\n")),
        "Hello",
    ),
    Case("bom", lambda: b"\xef\xbb\xbf" + events(*answer_events(*HELLO)), "Hello"),
    Case("bom-own-write", lambda: [b"\xef\xbb", b"\xbf", events(*answer_events(*HELLO))], "Hello"),
    Case("array-event", lambda: events("[1, 2]", *answer_events(*HELLO))),
    Case("choices-object", lambda: events('{"choices": {"0": {}}}', *answer_events(*HELLO))),
    Case("choices-string", lambda: events('{"choices": "abc"}', *answer_events(*HELLO))),
    Case("content-number", lambda: events(*answer_events("5"))),
    Case(
        "content-parts", lambda: events(*answer_events('[{"type":"text","text":"Hello"}]')), "Hello"
    ),
    Case("finish-number", lambda: events(chunk('"Hi"', finish="1"), "[DONE]")),
    Case("lone-surrogate", lambda: events(*answer_events('"a\\ud800"', '"b"')), "a\ud800b"),
    Case("surrogate-at-the-end", lambda: events(*answer_events('"a\\ud83d"')), "a\ud83d"),
    Case(
        "deep-nesting",
        lambda: events(DEEP, *answer_events(*HELLO)),
        error=InvalidResponseError,
        message="nested too deeply",
    ),
    Case(
        "nan-usage",
        lambda: events(
            *answer_events(
                *HELLO, usage='{"prompt_tokens":NaN,"completion_tokens":Infinity,"total_tokens":-1}'
            )
        ),
        "Hello",
    ),
    Case(
        "string-usage",
        lambda: events(
            *answer_events(
                *HELLO, usage='{"prompt_tokens":"5","completion_tokens":"3","total_tokens":"x"}'
            )
        ),
        "Hello",
    ),
    Case(
        "oversized-event",
        lambda: events(*answer_events(*HELLO, '"' + "x" * (2 * SMALL_CAP) + '"')),
        message=TOO_LARGE,
        small_caps=True,
    ),
]

BODY_CASES = [
    Case("message-null", lambda: body('[{"index":0,"message":null,"finish_reason":"stop"}]')),
    Case("array-body", lambda: b"[1, 2]"),
    Case("choices-object", lambda: body('{"0": {"message": {"content": "x"}}}')),
    Case("choices-string", lambda: body('"abc"')),
    Case("content-number", lambda: message_body("5")),
    Case("content-parts", lambda: message_body('[{"type":"text","text":"Hello"}]'), "Hello"),
    Case("lone-surrogate", lambda: message_body('"a\\ud800b"'), "a\ud800b"),
    Case("deep-nesting", lambda: DEEP.encode(), message="nested too deeply"),
    Case(
        "nan-usage",
        lambda: message_body('"Hello"', '{"prompt_tokens":NaN,"completion_tokens":-Infinity}'),
        "Hello",
    ),
    Case(
        "string-usage",
        lambda: message_body('"Hello"', '{"prompt_tokens":"5","completion_tokens":5.0}'),
        "Hello",
    ),
    Case(
        "oversized-body",
        lambda: message_body('"' + "x" * (2 * SMALL_CAP) + '"'),
        message=TOO_LARGE,
        small_caps=True,
    ),
]

STREAMING = [c for c in CALLERS if c.streaming]
NON_STREAMING = [c for c in CALLERS if not c.streaming]


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedGateway]:
    """One server for the module (a server per test doubled the run time)."""
    with ScriptedGateway(lifetime=120.0) as gateway:
        yield gateway
        assert gateway.errors == []


def run(
    server: ScriptedGateway,
    monkeypatch: pytest.MonkeyPatch,
    caller: Caller,
    case: Case,
    headers: dict[str, str],
) -> None:
    if case.small_caps:  # small enough to pass on loopback at once; the defaults are 64 MiB
        monkeypatch.setattr(core_stream, "DEFAULT_MAX_EVENT_BYTES", SMALL_CAP)
        monkeypatch.setattr(core_response, "DEFAULT_MAX_BODY_BYTES", SMALL_CAP)
    server.script(lambda _request: (200, headers, case.payload()))
    target = Target(base_url=server.base_url, max_retries=0, timeout=10.0)
    if case.answer is not None:
        assert caller.call(target) == case.answer
        return
    with pytest.raises(Exception) as info:
        caller.call(target)
    assert isinstance(info.value, case.error), f"{type(info.value).__mro__}: {info.value}"
    assert re.search(case.message, str(info.value))


@pytest.mark.parametrize("caller", STREAMING, ids=lambda c: c.name)
@pytest.mark.parametrize("case", STREAM_CASES, ids=lambda c: c.name)
def test_hostile_stream(
    server: ScriptedGateway, monkeypatch: pytest.MonkeyPatch, caller: Caller, case: Case
) -> None:
    run(server, monkeypatch, caller, case, SSE)


@pytest.mark.parametrize("caller", NON_STREAMING, ids=lambda c: c.name)
@pytest.mark.parametrize("case", BODY_CASES, ids=lambda c: c.name)
def test_hostile_body(
    server: ScriptedGateway, monkeypatch: pytest.MonkeyPatch, caller: Caller, case: Case
) -> None:
    run(server, monkeypatch, caller, case, JSON_TYPE)


def test_a_body_past_the_configured_cap_is_a_typed_error(gateway_server: ScriptedGateway) -> None:
    """GatewaySettings(max_body_bytes=...) is what the gateway reads bodies against."""
    from pydantic import SecretStr

    from skillboss_core import Gateway, GatewaySettings, ResponseTooLargeError

    big = {
        "id": "x",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "a" * 5000},
                "finish_reason": "stop",
            }
        ],
    }
    gateway_server.script(
        lambda body: (200, {"Content-Type": "application/json"}, json.dumps(big).encode())
    )
    settings = GatewaySettings(
        api_key=SecretStr("sk-x"),
        base_url=gateway_server.base_url,
        max_retries=0,
        max_body_bytes=1000,
    )
    with Gateway(settings) as gateway, pytest.raises(ResponseTooLargeError, match="1,000 bytes"):
        gateway.complete({"model": "m", "messages": [{"role": "user", "content": "hi"}]})


def _broken_gzip(_body: dict[str, object]) -> tuple[int, dict[str, str], bytes]:
    """A body that claims gzip but is not (a proxy that mangled it)."""
    return 200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, b"not gzip"


@pytest.mark.parametrize("caller", CALLERS, ids=lambda caller: caller.name)
def test_a_broken_gzip_body_is_a_typed_error(
    caller: Caller, gateway_server: ScriptedGateway
) -> None:
    """Before: a raw httpx.DecodingError escaped every call style."""
    gateway_server.script(_broken_gzip)
    with pytest.raises(InvalidResponseError, match="could not be decoded"):
        caller.call(Target(gateway_server.base_url, max_retries=0, timeout=5.0))
