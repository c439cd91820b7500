"""`skillboss check` against a loopback gateway: every outcome says what happened and what to
do next, the exit status is 0 only for a real answer, and the key never shows up in output."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from skillboss_core.cli.check import PROMPT, CheckOptions, main, run_check
from skillboss_core.security.help_texts import ADMIN_EMAIL
from skillboss_core.wire.request import DEFAULT_MODEL
from tests.support.scripted_gateway import Fault, ScriptedGateway, ScriptResult, error_body

KEY = "sk-wholesale-setupcheck-0123456789abcdef"
REPO = Path(__file__).resolve().parents[2]
_CLEARED = (
    "SKILLBOSS_WHOLESALE_KEY",
    "SKILLBOSS_BASE_URL",
    "SKILLBOSS_API_KEY",
    "OPENAI_API_KEY",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
)


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A clean environment holding only the wholesale key: the machine's own must not leak in."""
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SKILLBOSS_WHOLESALE_KEY", KEY)


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run `skillboss check ARGS`; the exit status and everything printed (both streams).
    Every run also proves the key was never printed."""
    code = main(["check", *args])
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert KEY not in output
    return code, output


def answer(text: str | None, *, finish_reason: str = "stop") -> ScriptResult:
    body = {
        "id": "chatcmpl-check",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": DEFAULT_MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 7, "completion_tokens": 1, "total_tokens": 8},
    }
    return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


def failure(status: int, message: str | None = None) -> ScriptResult:
    body = json.dumps(error_body(status, message)).encode()
    return status, {"Content-Type": "application/json"}, body


def ready(body: Mapping[str, Any]) -> ScriptResult:
    return answer("ready")


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def chat_requests(server: ScriptedGateway) -> list[Any]:
    return [r for r in server.requests if r.path.endswith("/chat/completions")]


# -- success ------------------------------------------------------------------------------------


def test_success_prints_every_step_and_exits_0(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_server.script(ready)
    code, out = check(capsys, "--base-url", gateway_server.base_url)
    assert code == 0
    assert f"✓ key       SKILLBOSS_WHOLESALE_KEY is set ({len(KEY)} characters)" in out
    assert f"✓ base URL  {gateway_server.base_url} (from --base-url)" in out
    assert f"this key can use 5 models, including {DEFAULT_MODEL}" in out
    assert re.search(rf'✓ chat +{re.escape(DEFAULT_MODEL)} answered "ready" in \d+ ms', out)
    assert "✗" not in out
    assert (
        f"Ready: an answer came back with this key from {gateway_server.base_url} "
        "(a server on this machine, not the public gateway)."
    ) in out
    # One GET /models, then one small chat request carrying the key and the check's prompt.
    assert [(r.method, r.path) for r in gateway_server.requests] == [
        ("GET", "/v1/models"),
        ("POST", "/v1/chat/completions"),
    ]
    sent = gateway_server.requests[1]
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json["model"] == DEFAULT_MODEL
    assert sent.json["messages"] == [{"role": "user", "content": PROMPT}]
    assert sent.json["max_tokens"] == 256
    assert "stream" not in sent.json


def test_base_url_and_model_come_from_env_and_options(
    gateway_server: ScriptedGateway,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SKILLBOSS_BASE_URL", gateway_server.base_url + "/")
    gateway_server.script(ready)
    code, out = check(capsys, "--model", "reel-31-api", "--max-tokens", "32")
    assert code == 0
    assert f"{gateway_server.base_url} (from SKILLBOSS_BASE_URL)" in out
    assert "including reel-31-api" in out
    assert 'reel-31-api answered "ready"' in out
    assert "(served by openai/gpt-5.4-mini)" in out  # the answer named another model
    assert chat_requests(gateway_server)[0].json["max_tokens"] == 32


def test_long_answer_is_cut_to_one_short_line(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_server.script(lambda body: answer("ready\n\n" + "and more " * 40))
    code, out = check(capsys, "--base-url", gateway_server.base_url)
    assert code == 0
    line = next(line for line in out.splitlines() if " answered " in line)
    assert '"ready and more and more' in line
    assert "…" in line
    assert len(line) < 160


def test_unlisted_model_is_a_warning_not_a_failure(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_server.script(ready)
    code, out = check(
        capsys, "--base-url", gateway_server.base_url, "--model", "openai/gpt-5.4-min"
    )
    assert code == 0
    assert "! models    openai/gpt-5.4-min is not among them (closest: openai/gpt-5.4-mini" in out
    assert 'openai/gpt-5.4-min answered "ready"' in out


def test_models_404_is_a_warning_and_chat_still_decides(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_server.enqueue(Fault.status(404))  # consumed by GET /models
    gateway_server.script(ready)
    code, out = check(capsys, "--base-url", gateway_server.base_url)
    assert code == 0
    assert "! models    this gateway has no model list (GET /models: 404)" in out
    assert 'answered "ready"' in out


def test_quiet_success_prints_nothing(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_server.script(ready)
    code, out = check(capsys, "--base-url", gateway_server.base_url, "--quiet")
    assert (code, out) == (0, "")


def test_quiet_failure_prints_only_the_failure(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_server.script(lambda body: failure(402))
    code, out = check(capsys, "--base-url", gateway_server.base_url, "-q")
    assert code == 1
    assert out.splitlines()[0].startswith("✗ chat")
    assert "next step: top up on the SkillBoss wholesale dashboard" in out
    assert "✓" not in out


def test_a_console_that_cannot_show_marks_gets_ascii(gateway_server: ScriptedGateway) -> None:
    gateway_server.script(ready)
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="ascii")
    code = run_check(CheckOptions(base_url=gateway_server.base_url), out=out)
    out.flush()
    text = raw.getvalue().decode("ascii")
    assert code == 0
    assert "OK key" in text and "OK chat" in text


# -- the key ------------------------------------------------------------------------------------


def test_missing_key_says_how_to_set_it_and_where_to_get_one(
    gateway_server: ScriptedGateway,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SKILLBOSS_WHOLESALE_KEY")
    code, out = check(capsys, "--base-url", gateway_server.base_url)
    assert code == 1
    assert "✗ key       SKILLBOSS_WHOLESALE_KEY is not set" in out
    assert "next step: export SKILLBOSS_WHOLESALE_KEY=<your wholesale key>" in out
    assert "the SkillBoss wholesale dashboard" in out
    assert ADMIN_EMAIL in out
    assert "SKILLBOSS_API_KEY is set" not in out
    assert gateway_server.requests == []


def test_missing_key_with_a_console_key_set_explains_the_difference(
    gateway_server: ScriptedGateway,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SKILLBOSS_WHOLESALE_KEY")
    monkeypatch.setenv("SKILLBOSS_API_KEY", "sk-console-abcdefghijklmnop")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-abcdefghijklmnop")
    code, out = check(capsys, "--base-url", gateway_server.base_url)
    assert code == 1
    assert "SKILLBOSS_API_KEY is set but not read here" in out
    assert "console keys (what SkillBoss's general docs call SKILLBOSS_API_KEY)" in out
    assert "rejected with 401" in out
    assert "OPENAI_API_KEY is set but not read here" in out
    assert "sk-console-" not in out and "sk-openai-" not in out
    assert gateway_server.requests == []


@pytest.mark.parametrize(
    ("bad_key", "problem"),
    [(KEY + "\n", "trailing newline"), (" " + KEY, "whitespace before or after")],
)
def test_malformed_key_is_refused_before_any_request(
    bad_key: str,
    problem: str,
    gateway_server: ScriptedGateway,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SKILLBOSS_WHOLESALE_KEY", bad_key)
    code, out = check(capsys, "--base-url", gateway_server.base_url)
    assert code == 1
    assert "✗ key       SKILLBOSS_WHOLESALE_KEY is set but malformed" in out
    assert problem in out
    assert "next step: set SKILLBOSS_WHOLESALE_KEY again to the key alone" in out
    assert gateway_server.requests == []


def test_wrong_key_401_on_models_stops_before_chat(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_server.api_key = "sk-the-only-key-the-server-takes"
    code, out = check(capsys, "--base-url", gateway_server.base_url)
    assert code == 1
    assert "✗ models    the gateway rejected the key (401): Incorrect API key provided." in out
    assert "next step: This gateway needs a SkillBoss wholesale key" in out
    assert "console keys" in out and ADMIN_EMAIL in out
    assert chat_requests(gateway_server) == []


# -- statuses, on either step -------------------------------------------------------------------

STATUSES = [
    (401, "the gateway rejected the key (401)", "This gateway needs a SkillBoss wholesale key"),
    (402, "the wholesale balance is too low (402)", "top up on the SkillBoss wholesale dashboard"),
    (429, "rate limited (429)", "transient: wait a minute"),
    (500, "the gateway had a server error (500)", "transient upstream issue"),
    (503, "the gateway is out of capacity for now (503)", "transient (the lite-tier"),
]


@pytest.mark.parametrize(("status", "summary", "next_step"), STATUSES)
def test_status_on_models_is_reported_and_stops(
    status: int,
    summary: str,
    next_step: str,
    gateway_server: ScriptedGateway,
    capsys: pytest.CaptureFixture[str],
) -> None:
    gateway_server.enqueue(Fault.status(status))
    code, out = check(capsys, "--base-url", gateway_server.base_url)
    assert code == 1
    assert f"✗ models    {summary}: Scripted error {status}" in out
    assert f"next step: {next_step}" in out
    # Not retried (max_retries=0), and no chat request after a failed model list.
    assert len(gateway_server.requests) == 1


def test_403_on_models_is_a_warning_and_chat_still_decides(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_server.enqueue(Fault.status(403))
    gateway_server.script(ready)
    code, out = check(capsys, "--base-url", gateway_server.base_url)
    assert code == 0
    assert "! models    this key may not list the models (GET /models: 403)" in out
    assert 'answered "ready"' in out


CHAT_STATUSES = [
    *STATUSES,
    (
        403,
        "this key may not use openai/gpt-5.4-mini (403)",
        "check the model's availability for your key on the SkillBoss wholesale dashboard",
    ),
]


@pytest.mark.parametrize(("status", "summary", "next_step"), CHAT_STATUSES)
def test_status_on_chat_is_reported(
    status: int,
    summary: str,
    next_step: str,
    gateway_server: ScriptedGateway,
    capsys: pytest.CaptureFixture[str],
) -> None:
    gateway_server.script(lambda body: failure(status))
    code, out = check(capsys, "--base-url", gateway_server.base_url)
    assert code == 1
    assert "✓ models" in out
    assert f"✗ chat      {summary}: Scripted error {status}" in out
    assert f"next step: {next_step}" in out
    assert len(chat_requests(gateway_server)) == 1


def test_unknown_model_404_lists_ids_the_key_can_use(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_server.script(lambda body: failure(404, f"The model `{body['model']}` does not exist"))
    code, out = check(capsys, "--base-url", gateway_server.base_url, "--model", "openai/gpt-9")
    assert code == 1
    assert "! models    openai/gpt-9 is not among them" in out
    assert "✗ chat      the gateway does not know the model openai/gpt-9 (404)" in out
    assert "next step: pass a model id this key can use with --model, e.g. openai/gpt-5.4" in out
    assert "reel-31-api" in out


def test_404_on_models_and_chat_points_at_the_base_url(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_server.enqueue(Fault.status(404), Fault.status(404))
    code, out = check(capsys, "--base-url", gateway_server.base_url)
    assert code == 1
    assert "✗ chat      both GET /models and the chat request answered 404" in out
    assert "next step: the base URL is probably wrong (it usually ends in /v1" in out
    assert "check --base-url" in out


def test_an_answer_that_is_not_a_completion_points_at_the_base_url(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_server.script(lambda body: (200, {"Content-Type": "text/html"}, b"<html>Log in</html>"))
    code, out = check(capsys, "--base-url", gateway_server.base_url)
    assert code == 1
    assert "✗ chat      the answer to the chat request is not what the gateway sends" in out
    assert "next step: check that --base-url (http://127.0.0.1:" in out
    assert "a captive portal or a proxy may be answering instead" in out


def test_empty_answer_is_a_failure(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_server.script(lambda body: answer("  \n"))
    code, out = check(capsys, "--base-url", gateway_server.base_url)
    assert code == 1
    assert "✗ chat      openai/gpt-5.4-mini answered with no text (finish_reason: stop)" in out
    assert "next step: run again; if the answer stays empty, try another --model" in out


def test_empty_answer_cut_at_the_token_cap_suggests_a_bigger_cap(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_server.script(lambda body: answer(None, finish_reason="length"))
    code, out = check(capsys, "--base-url", gateway_server.base_url, "--max-tokens", "50")
    assert code == 1
    assert "answered with no text (finish_reason: length)" in out
    assert "run again with --max-tokens 200" in out


# -- the network --------------------------------------------------------------------------------


def test_unreachable_host_names_the_url_and_the_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = closed_port()
    monkeypatch.setenv("SKILLBOSS_BASE_URL", f"http://127.0.0.1:{port}/v1")
    code, out = check(capsys)
    assert code == 1
    assert (
        f"✗ models    nothing accepts connections at 127.0.0.1:{port} (connection refused)" in out
    )
    assert (
        f"next step: check the host and port in SKILLBOSS_BASE_URL (http://127.0.0.1:{port}/v1)"
        in out
    )


def test_dns_failure_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_dns(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    code, out = check(capsys, "--base-url", "https://gateway.invalid/v1")
    assert code == 1
    assert "✗ models    cannot resolve the host gateway.invalid (DNS)" in out
    assert "next step: check the host name in --base-url (https://gateway.invalid/v1)" in out


def test_tls_to_a_plain_http_server_is_named(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = check(capsys, "--base-url", f"https://127.0.0.1:{gateway_server.port}/v1")
    assert code == 1
    assert "✗ models    TLS handshake with 127.0.0.1 failed" in out
    assert "next step: the server may speak plain http: check the scheme in --base-url" in out


def test_proxy_failure_names_the_variable_but_not_its_password(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = closed_port()
    monkeypatch.setenv("HTTPS_PROXY", f"http://alice:proxy-password@127.0.0.1:{port}")
    code, out = check(capsys, "--base-url", "https://gateway.example/v1")
    assert code == 1
    assert f"through the proxy http://***@127.0.0.1:{port} (from HTTPS_PROXY)" in out
    assert "next step: check HTTPS_PROXY, or bypass the proxy for this host with NO_PROXY" in out
    assert "proxy-password" not in out


@pytest.mark.parametrize("step", ["models", "chat"])
def test_timeout_says_the_limit_and_how_to_raise_it(
    step: str, gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    if step == "models":
        gateway_server.enqueue(Fault.slow(3.0))
    else:

        def slow(body: Mapping[str, Any]) -> ScriptResult:
            time.sleep(3.0)
            return answer("ready")

        gateway_server.script(slow)
    started = time.monotonic()
    code, out = check(capsys, "--base-url", gateway_server.base_url, "--timeout", "0.5")
    assert time.monotonic() - started < 2.5  # the check gave up at its timeout
    assert code == 1
    what = "GET /models" if step == "models" else "the chat request"
    assert (
        f"✗ {step.ljust(9)} no answer to {what} from {gateway_server.base_url} within 0.5s" in out
    )
    assert "next step: if the network is slow, raise it: --timeout 60" in out


# -- the key stays secret ---------------------------------------------------------------------


def test_key_echoed_by_the_server_is_never_printed(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_server.script(lambda body: failure(500, f"bad header: Bearer {KEY} (key {KEY})"))
    code, out = check(capsys, "--base-url", gateway_server.base_url)
    assert code == 1
    assert "[redacted]" in out
    assert KEY[-12:] not in out  # not even a piece of it


def test_key_in_the_answer_itself_is_never_printed(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_server.script(lambda body: answer(f"your key is {KEY}"))
    code, out = check(capsys, "--base-url", gateway_server.base_url)
    assert code == 0
    assert 'answered "your key is [redacted]"' in out


def test_an_answer_cut_short_never_shows_the_start_of_the_key(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_server.script(lambda body: answer("x" * 50 + KEY))
    code, out = check(capsys, "--base-url", gateway_server.base_url)
    assert code == 0
    assert "x" * 50 + "[redacted]" in out
    assert KEY[:10] not in out


def test_a_refusal_cut_short_never_shows_the_start_of_the_key(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    body = json.loads(answer(None)[2])
    body["choices"][0]["message"]["refusal"] = "I cannot: " + "x" * 45 + KEY
    gateway_server.script(
        lambda _: (200, {"Content-Type": "application/json"}, json.dumps(body).encode())
    )
    code, out = check(capsys, "--base-url", gateway_server.base_url)
    assert code == 1 and "a refusal instead of text (I cannot: xxx" in out
    assert KEY[:8] not in out


def test_a_portal_page_cut_short_never_shows_the_start_of_the_key(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    """The core quotes the start of a body that is not an answer: cut inside the key, the
    piece before the cut is still redacted."""
    page = ("<html>" + "x" * 100 + KEY + "</html>").encode()
    gateway_server.script(lambda _: (200, {"Content-Type": "text/html"}, page))
    code, out = check(capsys, "--base-url", gateway_server.base_url)
    assert code == 1 and "captive portal" in out
    assert KEY[:8] not in out


# -- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["check", "--timeout", "0"],
        ["check", "--timeout", "soon"],
        ["check", "--base-url", "api.skillboss.co/v1"],
        ["check", "--model", " "],
        ["check", "--max-tokens", "0"],
        ["check", "--api-key", KEY],
        [KEY],
        ["check", "--timeout", KEY],  # a key pasted into the wrong place
        ["check", "--max-tokens", KEY],
        ["x'" + KEY],  # argparse quotes this one with "..."
    ],
)
def test_bad_usage_exits_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert "usage:" in captured.err
    assert KEY not in captured.out + captured.err


def test_a_key_given_as_an_option_is_refused_without_echoing_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", "--api-key", KEY, "--token=" + KEY, KEY]) == 2
    err = capsys.readouterr().err
    assert (
        "unrecognized arguments: --api-key, --token and 2 values (not shown); the key is read "
        "from SKILLBOSS_WHOLESALE_KEY only, never from an option"
    ) in err
    assert KEY not in err


def test_malformed_base_url_in_env_is_a_failure_not_a_crash(
    gateway_server: ScriptedGateway,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SKILLBOSS_BASE_URL", "gateway.example.test/v1")
    code, out = check(capsys)
    assert code == 1
    assert "✗ base URL  SKILLBOSS_BASE_URL is not a usable URL: it must start with http" in out
    assert "gateway.example.test" not in out  # the value is not echoed
    assert "next step: set SKILLBOSS_BASE_URL to a URL such as https://api.skillboss.co/v1" in out


def test_module_entry_point_runs_the_check(gateway_server: ScriptedGateway) -> None:
    gateway_server.script(ready)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _CLEARED and key not in ("PYTHONPATH",)
    }
    env.update(
        SKILLBOSS_WHOLESALE_KEY=KEY,
        PYTHONPATH=str(REPO),
        PYTHONIOENCODING="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "skillboss_core", "check", "--base-url", gateway_server.base_url],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'answered "ready" in ' in done.stdout
    assert KEY not in done.stdout + done.stderr
    usage = subprocess.run(
        [sys.executable, "-m", "skillboss_core", "check", "--timeout", "-1"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert usage.returncode == 2
    assert "python -m skillboss_core check: error: argument --timeout" in usage.stderr


# -- --embeddings ---------------------------------------------------------------------------


def test_embeddings_adds_one_tiny_embeddings_request(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_server.script(ready)
    code, out = check(capsys, "--base-url", gateway_server.base_url, "--embeddings")
    assert code == 0
    model = "openai/text-embedding-3-small"
    assert re.search(rf"✓ embeddings +{re.escape(model)} returned 1536 dimensions in \d+ ms", out)
    sent = [r for r in gateway_server.requests if r.path.endswith("/embeddings")]
    assert [(r.json["model"], r.json["input"]) for r in sent] == [(model, [PROMPT])]
    assert sent[0].headers["authorization"] == f"Bearer {KEY}"


def test_without_embeddings_no_embeddings_request(
    gateway_server: ScriptedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_server.script(ready)
    assert check(capsys, "--base-url", gateway_server.base_url)[0] == 0
    assert not [r for r in gateway_server.requests if r.path.endswith("/embeddings")]


@pytest.mark.parametrize(
    ("status", "summary", "next_step"),
    [
        (
            404,
            "the gateway does not know the embedding model someone/embedder (404)",
            "--embeddings",
        ),
        (402, "the wholesale balance is too low (402)", "top up"),
    ],
)
def test_embeddings_failures_say_what_to_do(
    gateway_server: ScriptedGateway,
    capsys: pytest.CaptureFixture[str],
    status: int,
    summary: str,
    next_step: str,
) -> None:
    gateway_server.script(ready)
    gateway_server.script_embeddings(lambda body: failure(status))
    code, out = check(
        capsys, "--base-url", gateway_server.base_url, "--embeddings", "someone/embedder"
    )
    assert code == 1
    assert f"✗ embeddings {summary}" in out
    assert next_step in out.split("next step:", 1)[1]
    assert chat_requests(gateway_server) == []
