"""Keys out of error messages, error bodies and log records.

A server or proxy that echoes the Authorization header (or the key) in its error body would
otherwise put the key into the exception's message, its repr and every traceback. The client
that sent the request knows its key, so it can scrub it; anything shaped like a bearer token
goes too, whoever's it is.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

REDACTED = "[redacted]"
# Shorter values are not real keys (tests use "sk-x"); scrubbing them would mangle messages.
_MIN_SECRET = 8
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+")
_TOKEN_TAIL = r"[A-Za-z0-9._~+/=-]*"
# Keys this process has handed to an HTTP client, for the log filter (which has no client).
_known: set[str] = set()
# Where a key could show up in a record: our own logger and the HTTP stack under it.
_LOGGER_PREFIXES = ("skillboss_core", "openai", "httpx", "httpx2", "httpcore", "httpcore2")


def _scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if len(secret) < _MIN_SECRET:
            continue
        if secret in text:
            text = text.replace(secret, REDACTED)
        # A message cut to a preview length may end inside the key: its start goes too.
        start = secret[:_MIN_SECRET]
        if start in text:
            text = re.sub(re.escape(start) + _TOKEN_TAIL, REDACTED, text)
    return _BEARER.sub(lambda match: match.group(1) + REDACTED, text)


def redact(value: Any, secrets: Iterable[str]) -> Any:
    """`value` with the secrets (and bearer tokens) replaced, walking dicts, lists and tuples."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return _scrub(value, secrets)
    if isinstance(value, dict):
        return {key: redact(item, secrets) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(item, secrets) for item in value)
    return value


def shown_url(url: str) -> str:
    """The URL without any user:password part: a base or proxy URL may carry credentials."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()


class RedactingFilter(logging.Filter):
    """Rewrites a record's message so no key known to this process (nor a bearer token)
    reaches a handler, whatever the level or formatter."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: the handler reports it, as it would anyway
            return True
        cleaned = _scrub(message, tuple(_known))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()


def remember(*secrets: str) -> None:
    """Note keys about to be sent, and filter the loggers that exist by now (the HTTP stack's
    are all created when its modules are imported, which happens before any key is sent)."""
    _known.update(secret for secret in secrets if len(secret) >= _MIN_SECRET)
    manager = logging.Logger.manager
    names = [name for name in list(manager.loggerDict) if name.split(".", 1)[0] in _LOGGER_PREFIXES]
    for name in {"skillboss_core", *names}:  # ours, even before it is first used
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
