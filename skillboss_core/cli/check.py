"""`skillboss check`: the first thing a user runs, proving key, URL, model list and one answer.

Each step prints one line. The first step that fails prints the exact next step and ends the
check, so a new user (or a CI job) learns what is wrong without reading a traceback. Exit
status: 0 only when a real, non-empty answer came back; 1 otherwise; 2 for bad usage.

The key is never printed (only its length), and every line is redacted against it as well,
in case a server or proxy echoes it back.
"""

from __future__ import annotations

import argparse
import difflib
import math
import os
import re
import socket
import ssl
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NoReturn, TextIO
from urllib.parse import SplitResult, urlsplit

import openai
from pydantic import SecretStr

from skillboss_core._version import __version__
from skillboss_core.config.settings import DEFAULT_BASE_URL, GatewaySettings, api_key_from_env
from skillboss_core.errors import (
    GatewayAuthenticationError,
    GatewayBadRequestError,
    GatewayCapacityError,
    GatewayNotFoundError,
    GatewayPermissionDeniedError,
    GatewayRateLimitError,
    GatewayServerError,
    InsufficientCreditsError,
    InvalidResponseError,
    SkillBossError,
)
from skillboss_core.security.cleartext import CleartextKeyWarning, is_loopback
from skillboss_core.security.env_names import API_KEY_ENV, BASE_URL_ENV
from skillboss_core.security.help_texts import (
    CONSOLE_KEY_ENV,
    DASHBOARD_HINT,
    WHERE_TO_GET_A_KEY,
    WHOLESALE_ONLY,
)
from skillboss_core.security.keys import key_problem
from skillboss_core.security.redact import redact, shown_url
from skillboss_core.transport.gateway import Gateway
from skillboss_core.wire.embeddings import DEFAULT_EMBEDDING_MODEL, EmbeddingsRequest
from skillboss_core.wire.request import DEFAULT_MODEL, ChatRequest
from skillboss_core.wire.results import ChatResult

__all__ = [
    "DEFAULT_CHECK_MAX_TOKENS",
    "DEFAULT_CHECK_TIMEOUT",
    "PROMPT",
    "CheckOptions",
    "build_parser",
    "main",
    "run_check",
]

DEFAULT_CHECK_TIMEOUT = 20.0
# A cap, not a cost: the answer is one word. Reasoning models think before they write, and a
# cap of a few tokens would leave them with an empty answer and this check with a false alarm.
DEFAULT_CHECK_MAX_TOKENS = 256
PROMPT = "Reply with the word: ready"
_ANSWER_CHARS = 60
_IDS_SHOWN = 5
_LABEL_WIDTH = 9
_OTHER_KEY_ENVS = (CONSOLE_KEY_ENV, "OPENAI_API_KEY")
_PROXY_ENVS = {
    "https": ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"),
    "http": ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"),
}


@dataclass(frozen=True)
class CheckOptions:
    """What to check; `base_url` None means SKILLBOSS_BASE_URL, else the public gateway."""

    model: str = DEFAULT_MODEL
    base_url: str | None = None
    timeout: float = DEFAULT_CHECK_TIMEOUT
    max_tokens: int = DEFAULT_CHECK_MAX_TOKENS
    quiet: bool = False
    embeddings: str | None = None
    """An embedding model to check with one tiny request too (`--embeddings`), or None."""


@dataclass(frozen=True)
class _Problem:
    summary: str
    next_step: str


@dataclass
class _Context:
    """What the diagnosis of a failure needs to name the right fix."""

    options: CheckOptions
    base_url: str
    url_source: str
    models: list[str] | None = None
    models_not_found: bool = False

    @property
    def setting(self) -> str:
        """Where to change the URL, as a fix message names it."""
        if self.url_source == "the default":
            return f"{BASE_URL_ENV} (not set: the default is used)"
        return self.url_source


@dataclass
class _Report:
    """Writes the step lines; every line is redacted against the key before it leaves."""

    out: TextIO
    quiet: bool
    secrets: list[str] = field(default_factory=list)
    marks: dict[str, str] = field(init=False)
    ellipsis: str = field(init=False)

    def __post_init__(self) -> None:
        encoding = getattr(self.out, "encoding", None) or "utf-8"
        try:
            "✓✗…".encode(encoding)
            self.marks = {"ok": "✓", "warn": "!", "fail": "✗"}
            self.ellipsis = "…"
        except (LookupError, UnicodeEncodeError):  # a console that cannot show them
            self.marks = {"ok": "OK", "warn": "!!", "fail": "XX"}
            self.ellipsis = "..."

    def write(self, text: str) -> None:
        self.out.write(redact(text, self.secrets) + "\n")
        self.out.flush()

    def step(self, kind: str, label: str, text: str) -> None:
        if kind == "ok" and self.quiet:
            return
        self.write(f"{self.marks[kind]} {label.ljust(_LABEL_WIDTH)} {text}")

    def note(self, text: str) -> None:
        """An indented line under the step before it (hints, the next step)."""
        self.write(f"  {' ' * len(self.marks['ok'])}{' ' * _LABEL_WIDTH}{text}")

    def fail(self, label: str, problem: _Problem) -> int:
        self.step("fail", label, problem.summary)
        self.note(f"next step: {problem.next_step}")
        return 1

    def short(self, text: str) -> str:
        """One line of at most _ANSWER_CHARS; redacted first, so no cut leaves half a key."""
        flat = " ".join(redact(text, self.secrets).split())
        if len(flat) <= _ANSWER_CHARS:
            return flat
        return flat[:_ANSWER_CHARS].rstrip() + self.ellipsis


# -- the check -------------------------------------------------------------------------------


def run_check(options: CheckOptions, *, out: TextIO | None = None) -> int:
    """Run the four steps against the gateway, printing one line each; the exit status."""
    report = _Report(out if out is not None else sys.stdout, options.quiet)
    if not options.quiet:
        report.write(f"SkillBoss setup check (skillboss-integrations {__version__})")
    key = _check_key(report)
    if key is None:
        return 1
    report.secrets.append(key)
    context = _check_base_url(report, options)
    if context is None:
        return 1
    settings = GatewaySettings(
        api_key=SecretStr(key),
        base_url=context.base_url,
        timeout=options.timeout,
        max_retries=0,  # a check must fail fast and say why, not retry quietly
    )
    with warnings.catch_warnings():
        # Said once, in words, by the base URL step: not again as a Python warning.
        warnings.simplefilter("ignore", CleartextKeyWarning)
        with Gateway(settings) as gateway:
            if not _check_models(report, gateway, context):
                return 1
            if options.embeddings is not None and _check_embeddings(report, gateway, context):
                return 1
            return _check_chat(report, gateway, context)


def _check_key(report: _Report) -> str | None:
    """Step 1: the wholesale key is set and is one unbroken token; its value stays unsaid."""
    secret = api_key_from_env()
    if secret is None:
        report.step("fail", "key", f"{API_KEY_ENV} is not set")
        for name in _OTHER_KEY_ENVS:
            if os.environ.get(name):
                report.note(_other_key_hint(name))
        report.note(
            f"next step: export {API_KEY_ENV}=<your wholesale key> (PowerShell: "
            f'$env:{API_KEY_ENV}="..."), then run this check again. {WHERE_TO_GET_A_KEY}'
        )
        return None
    key = secret.get_secret_value()
    problem = key_problem(key)
    if problem is not None:
        report.fail(
            "key",
            _Problem(
                f"{API_KEY_ENV} is set but malformed: {problem}",
                f"set {API_KEY_ENV} again to the key alone (one line, nothing around it), "
                "then run this check again.",
            ),
        )
        return None
    report.step("ok", "key", f"{API_KEY_ENV} is set ({len(key)} characters)")
    return key


def _other_key_hint(name: str) -> str:
    if name == CONSOLE_KEY_ENV:
        return (
            f"{name} is set but not read here. {WHOLESALE_ONLY} If {name} holds a wholesale "
            f"key, set {API_KEY_ENV} to it."
        )
    return (
        f"{name} is set but not read here: the gateway needs a SkillBoss wholesale key in "
        f"{API_KEY_ENV}, not an OpenAI key."
    )


def _check_base_url(report: _Report, options: CheckOptions) -> _Context | None:
    """Step 2: where requests go, and where that setting came from."""
    if options.base_url is not None:
        url, source = options.base_url, "--base-url"
    elif os.environ.get(BASE_URL_ENV):
        url, source = os.environ[BASE_URL_ENV], BASE_URL_ENV
    else:
        url, source = DEFAULT_BASE_URL, "the default"
    problem = _url_problem(url)
    if problem:  # the value is not shown: a misplaced key may be what it holds
        report.fail(
            "base URL",
            _Problem(
                f"{source} is not a usable URL: {problem}",
                f"set {BASE_URL_ENV} to a URL such as {DEFAULT_BASE_URL}, or unset it to use "
                "that default.",
            ),
        )
        return None
    url = url.strip().rstrip("/")
    default = source == "the default"
    shown_source = f"the default; {BASE_URL_ENV} is not set" if default else f"from {source}"
    report.step("ok", "base URL", f"{shown_url(url)} ({shown_source})")
    parts = urlsplit(url)
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        report.step(
            "warn",
            "base URL",
            "plain http:// to another machine: the key crosses the network unencrypted. "
            "Use https:// unless TLS ends on a proxy you trust.",
        )
    return _Context(options, url, source)


def _check_models(report: _Report, gateway: Gateway, context: _Context) -> bool:
    """Step 3: GET /models. A 404, a 403 or an odd answer is only a warning: chat decides."""
    model = context.options.model
    try:
        models = gateway.list_models()
    except GatewayNotFoundError:
        context.models_not_found = True
        report.step("warn", "models", "this gateway has no model list (GET /models: 404)")
        return True
    except GatewayPermissionDeniedError:  # a key scoped to some models may not list them
        report.step("warn", "models", "this key may not list the models (GET /models: 403)")
        return True
    except InvalidResponseError:
        report.step("warn", "models", "GET /models did not answer with a model list")
        return True
    except (openai.APIError, SkillBossError) as error:
        report.fail("models", _diagnose(error, context, "GET /models"))
        return False
    context.models = models
    count = f"this key can use {len(models)} model{'' if len(models) == 1 else 's'}"
    if model in models:
        report.step("ok", "models", f"{count}, including {model}")
        return True
    close = difflib.get_close_matches(model, models, n=3)
    hint = f" (closest: {', '.join(close)})" if close else ""
    report.step("ok", "models", count)
    report.step(
        "warn", "models", f"{model} is not among them{hint}; the chat step will tell if it works"
    )
    return True


def _check_chat(report: _Report, gateway: Gateway, context: _Context) -> int:
    """Step 4: one tiny request; only a non-empty answer proves the setup works."""
    options = context.options
    request = ChatRequest.build(
        {"model": options.model, "max_tokens": options.max_tokens},
        [{"role": "user", "content": PROMPT}],
    )
    started = time.perf_counter()
    try:
        result = gateway.complete(request)
    except (openai.APIError, SkillBossError) as error:
        return report.fail("chat", _diagnose(error, context, "the chat request"))
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    text = (result.content or "").strip()
    if not text:
        return report.fail("chat", _empty_answer(result, options, report))
    served = (
        f" (served by {result.model})" if result.model and result.model != options.model else ""
    )
    report.step(
        "ok",
        "chat",
        f'{options.model} answered "{report.short(text)}" in {elapsed_ms} ms{served}',
    )
    if not options.quiet:
        where = shown_url(context.base_url)
        if is_loopback(urlsplit(context.base_url).hostname or ""):
            where += " (a server on this machine, not the public gateway)"
        report.write(f"Ready: an answer came back with this key from {where}.")
    return 0


def _check_embeddings(report: _Report, gateway: Gateway, context: _Context) -> int:
    """Step 4a (`--embeddings`): one text embedded; 1 if that failed."""
    model = str(context.options.embeddings)
    started = time.perf_counter()
    try:
        request = EmbeddingsRequest.build({"model": model})
        vectors = gateway.embed(request, [PROMPT]).vectors
    except GatewayNotFoundError as error:
        return report.fail(
            "embeddings",
            _Problem(
                f"the gateway does not know the embedding model {model} (404)"
                f"{_gateway_says(error)}",
                f"pass an embedding model id this key can use with --embeddings, e.g. "
                f"{DEFAULT_EMBEDDING_MODEL}.",
            ),
        )
    except (openai.APIError, SkillBossError) as error:
        return report.fail("embeddings", _diagnose(error, context, "the embeddings request"))
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    report.step(
        "ok", "embeddings", f"{model} returned {len(vectors[0])} dimensions in {elapsed_ms} ms"
    )
    return 0


def _empty_answer(result: ChatResult, options: CheckOptions, report: _Report) -> _Problem:
    reason = result.finish_reason or "none given"
    if result.refusal:
        what = f"a refusal instead of text ({report.short(result.refusal)})"
    elif result.tool_calls:
        what = "a tool call instead of text"
    else:
        what = "no text"
    summary = f"{options.model} answered with {what} (finish_reason: {reason})"
    if result.finish_reason == "length":
        return _Problem(
            summary,
            f"the model spent its whole budget (--max-tokens {options.max_tokens}) before "
            "writing (reasoning models think first): run again with "
            f"--max-tokens {options.max_tokens * 4}.",
        )
    return _Problem(summary, "run again; if the answer stays empty, try another --model.")


# -- what went wrong, and what to do ------------------------------------------------------------


def _diagnose(error: Exception, context: _Context, what: str) -> _Problem:
    """The failure in a line, and the one next step that fixes it."""
    options = context.options
    said = _gateway_says(error)
    if isinstance(error, openai.APITimeoutError):  # before APIConnectionError: a subclass
        suggestion = max(60.0, options.timeout * 3)
        return _Problem(
            f"no answer to {what} from {shown_url(context.base_url)} within "
            f"{options.timeout:g}s (--timeout)",
            f"if the network is slow, raise it: --timeout {suggestion:g}. If it still times "
            f"out, check your network{_proxy_clause(context.base_url)} and {context.setting}.",
        )
    if isinstance(error, openai.APIConnectionError):
        return _connection_problem(error, context)
    if isinstance(error, GatewayAuthenticationError):
        return _Problem(
            f"the gateway rejected the key (401){said}",
            f"{WHOLESALE_ONLY} {WHERE_TO_GET_A_KEY}",
        )
    if isinstance(error, InsufficientCreditsError):
        return _Problem(
            f"the wholesale balance is too low (402){said}",
            f"top up on {DASHBOARD_HINT}, then run this check again.",
        )
    if isinstance(error, GatewayNotFoundError):
        return _not_found(context, said)
    if isinstance(error, GatewayPermissionDeniedError):
        return _Problem(
            f"this key may not use {options.model} (403){said}",
            f"check the model's availability for your key on {DASHBOARD_HINT}, or try "
            f"another --model{_some_ids(context)}.",
        )
    if isinstance(error, GatewayRateLimitError):
        after = f" (the gateway asks for {error.retry_after:g}s)" if error.retry_after else ""
        return _Problem(
            f"rate limited (429){said}",
            f"transient: wait a minute{after} and run this check again.",
        )
    if isinstance(error, GatewayCapacityError):
        return _Problem(
            f"the gateway is out of capacity for now (503){said}",
            "transient (the lite-tier discount pool is full): run this check again in a few "
            "minutes, or try a standard-tier model with --model.",
        )
    if isinstance(error, GatewayServerError):
        return _Problem(
            f"the gateway had a server error ({error.status_code}){said}",
            "transient upstream issue: run this check again in a few minutes.",
        )
    if isinstance(error, GatewayBadRequestError):
        return _Problem(
            f"the gateway rejected {what} ({error.status_code}){said}",
            f"check the model id given with --model{_some_ids(context)}.",
        )
    if isinstance(error, InvalidResponseError):
        return _Problem(
            f"the answer to {what} is not what the gateway sends: {error}",
            f"check that {context.setting} ({shown_url(context.base_url)}) points at the "
            "SkillBoss gateway: a captive portal or a proxy may be answering instead.",
        )
    if isinstance(error, openai.APIStatusError):
        return _Problem(
            f"the gateway answered {error.status_code} to {what}{said}",
            f"check {context.setting} ({shown_url(context.base_url)}); if it is right, run "
            "again later.",
        )
    return _Problem(
        f"{what} failed: {error}",
        "run this check again; if it fails the same way, report it with this output.",
    )


def _not_found(context: _Context, said: str) -> _Problem:
    """A 404 on chat: the model id is unknown, or (if /models was missing too) the URL."""
    model = context.options.model
    if context.models_not_found:
        return _Problem(
            f"both GET /models and the chat request answered 404{said}",
            f"the base URL is probably wrong (it usually ends in /v1, like {DEFAULT_BASE_URL}): "
            f"check {context.setting}. If it is right, check the model id given with --model.",
        )
    return _Problem(
        f"the gateway does not know the model {model} (404){said}",
        f"pass a model id this key can use with --model{_some_ids(context)}.",
    )


def _some_ids(context: _Context) -> str:
    """A few model ids from step 3, the closest to the requested one first."""
    models = context.models
    if not models:
        return f" (see {DASHBOARD_HINT} for the ids)"
    others = [model for model in models if model != context.options.model]
    close = difflib.get_close_matches(context.options.model, others, n=_IDS_SHOWN)
    shown = (close + [model for model in others if model not in close])[:_IDS_SHOWN]
    more = f", ... ({len(others)} in all)" if len(others) > len(shown) else ""
    return f", e.g. {', '.join(shown)}{more}"


def _gateway_says(error: Exception) -> str:
    """The server's own message (already redacted by the core), as a suffix."""
    body = getattr(error, "body", None)
    message = body.get("message") if isinstance(body, dict) else None
    return f": {message.strip()}" if isinstance(message, str) and message.strip() else ""


def _connection_problem(error: Exception, context: _Context) -> _Problem:
    """Why no connection was made: TLS, the proxy, DNS, a refused port, or the network."""
    url = shown_url(context.base_url)
    parts = urlsplit(context.base_url)
    host = parts.hostname or ""
    causes = list(_causes(error))
    reason = str(causes[-1]) or type(causes[-1]).__name__
    proxy = _proxy_in_use(context.base_url)
    tls = next((cause for cause in causes if isinstance(cause, ssl.SSLError)), None)
    if tls is not None:
        if "WRONG_VERSION_NUMBER" in str(tls) and proxy is None:
            fix = f"the server may speak plain http: check the scheme in {context.setting}."
        else:
            fix = (
                "if a corporate proxy or antivirus inspects TLS, point SSL_CERT_FILE at its CA "
                f"bundle; also check the system clock and {context.setting}."
            )
        return _Problem(f"TLS handshake with {host} failed ({tls})", fix)
    if proxy is not None:
        name, shown = proxy
        return _Problem(
            f"cannot reach {url} through the proxy {shown} (from {name}): {reason}",
            f"check {name}, or bypass the proxy for this host with NO_PROXY={host}.",
        )
    if any(isinstance(cause, socket.gaierror) for cause in causes):
        return _Problem(
            f"cannot resolve the host {host} (DNS): {reason}",
            f"check the host name in {context.setting} ({url}), then your network and DNS.",
        )
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        port = _port(parts)
        return _Problem(
            f"nothing accepts connections at {host}:{port} (connection refused)",
            f"check the host and port in {context.setting} ({url}); if it is a local proxy "
            "or sidecar, start it.",
        )
    return _Problem(
        f"cannot connect to {url}: {reason}",
        f"check your network, firewall and {context.setting}.",
    )


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and what it was raised from, outermost first (the SDK wraps httpx's)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _proxy_in_use(url: str) -> tuple[str, str] | None:
    """(variable name, proxy URL without credentials) if requests to `url` use a proxy."""
    parts = urlsplit(url)
    if urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    for name in _PROXY_ENVS.get(parts.scheme, ()):
        value = os.environ.get(name)
        if value:
            return name, shown_url(value)
    return None


def _proxy_clause(url: str) -> str:
    proxy = _proxy_in_use(url)
    return f", the proxy in {proxy[0]}" if proxy else ""


def _port(parts: SplitResult) -> int | str:
    try:
        return parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "?"


def _url_problem(url: str) -> str | None:
    """Why a base URL is unusable, without quoting it (None if it is fine)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        return "it must start with http:// or https://"
    if not parts.hostname:
        return "it has no host name"
    return None


# -- command line -------------------------------------------------------------------------------


def _model_id(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("a model id cannot be empty")
    return value.strip()


def _base_url(value: str) -> str:
    problem = _url_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(f"not a gateway URL: {problem}")
    return value.strip()


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError("not a number of seconds") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return seconds


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_COMMANDS = ("check",)


def _unquoted(match: re.Match[str]) -> str:
    """A quoted value argparse repeats, unless it is one of our own words (a command)."""
    return match.group(0) if match.group(0)[1:-1] in _COMMANDS else "(value not shown)"


class _Parser(argparse.ArgumentParser):
    """An argparse parser that does not quote a wrong command back: it may be a pasted key."""

    def error(self, message: str) -> NoReturn:
        # argparse quotes values with repr(): '...' or, when the value holds a ', "...".
        super().error(_QUOTED.sub(_unquoted, message))


def build_parser(prog: str = "skillboss") -> argparse.ArgumentParser:
    """`<prog> check [options]`; the key is never an option (shell history keeps options)."""
    parser = _Parser(prog=prog, description="Tools for the SkillBoss gateway integrations.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    check = commands.add_parser(
        "check",
        help="check the key, base URL and one chat request",
        description=(
            f"Check that {API_KEY_ENV} works: key, base URL, GET /models and one tiny chat "
            "request. Exit status 0 only when a real answer came back."
        ),
    )
    check.add_argument(
        "--model", type=_model_id, default=DEFAULT_MODEL, help=f"default: {DEFAULT_MODEL}"
    )
    check.add_argument(
        "--base-url",
        type=_base_url,
        default=None,
        help=f"default: ${BASE_URL_ENV}, else {DEFAULT_BASE_URL}",
    )
    check.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_CHECK_TIMEOUT,
        help=f"seconds per request (default: {DEFAULT_CHECK_TIMEOUT:g})",
    )
    check.add_argument(
        "--max-tokens",
        type=_positive_int,
        default=DEFAULT_CHECK_MAX_TOKENS,
        help=f"cap on the answer's tokens (default: {DEFAULT_CHECK_MAX_TOKENS})",
    )
    check.add_argument(
        "--embeddings",
        nargs="?",
        const=DEFAULT_EMBEDDING_MODEL,
        default=None,
        type=_model_id,
        metavar="MODEL",
        help=f"also embed one text (default model: {DEFAULT_EMBEDDING_MODEL})",
    )
    check.add_argument(
        "-q", "--quiet", action="store_true", help="print only warnings and failures"
    )
    return parser


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Like parse_args, but stray arguments are not echoed: one may be a pasted key."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        options = [extra.split("=", 1)[0] for extra in extras if extra.startswith("-")]
        hidden = len(extras) - len(options)
        named = ", ".join(options) + (" and " if options and hidden else "")
        values = f"{hidden} value{'s' if hidden > 1 else ''} (not shown)" if hidden else ""
        why = (
            f"; the key is read from {API_KEY_ENV} only, never from an option"
            if any("key" in option.lower() for option in options)
            else ""
        )
        parser.error(f"unrecognized arguments: {named}{values}{why}")
    return args


def main(argv: Sequence[str] | None = None, *, prog: str = "skillboss") -> int:
    """Console-script entry point (`skillboss check`); returns the exit status."""
    try:
        args = _parse(build_parser(prog), argv)
    except SystemExit as stop:  # --help, --version, or bad usage (2); argparse printed why
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    options = CheckOptions(
        model=args.model,
        base_url=args.base_url,
        timeout=args.timeout,
        max_tokens=args.max_tokens,
        quiet=args.quiet,
        embeddings=args.embeddings,
    )
    return run_check(options)
