"""What the end of an answer means, decided once for both adapters.

A structured answer (JSON schema, JSON mode or a forced tool call) is only data when the
model finished normally: an answer cut at the token cap, stopped by a content filter or
refused is never parsed into an object, whatever part of it happens to be valid JSON.
While streaming, `partial_json` gives the object so far from an unfinished text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import jiter

from skillboss_core.errors import (
    AnswerTruncatedError,
    ContentFilteredError,
    RefusalError,
    StructuredOutputError,
)

_T = TypeVar("_T")
_PREVIEW = 200


def output_name(name: str | None = None) -> str:
    """How error messages name what was asked for: 'the structured output (Person)'."""
    return f"the structured output ({name})" if name else "the structured output"


def _preview(text: str) -> str:
    return repr(text if len(text) <= _PREVIEW else text[:_PREVIEW] + "...")


def judge_end(
    *,
    finish_reason: str | None,
    refusal: str | None = None,
    partial: str = "",
    what: str = "the structured output",
) -> None:
    """Raise when the answer did not end in a way that lets it be used as `what`.

    A refusal wins over everything; `length` and `content_filter` say the text stopped
    early. Any other finish reason (stop, tool_calls, a provider's own word) lets the
    answer through to parsing, which then says what is wrong with it, if anything.
    """
    if refusal:
        raise RefusalError(refusal, what=what)
    if finish_reason == "length":
        raise AnswerTruncatedError(
            f"The answer was cut at the token cap (finish_reason 'length') before {what} was "
            f"complete; raise max_tokens / max_completion_tokens or ask for less. "
            f"Partial answer: {_preview(partial)}",
            partial=partial,
        )
    if finish_reason == "content_filter":
        raise ContentFilteredError(
            f"The provider's content filter stopped the answer (finish_reason "
            f"'content_filter') before {what} was complete. Partial answer: {_preview(partial)}",
            partial=partial,
        )


def parse_json_answer(
    text: str,
    *,
    finish_reason: str | None,
    refusal: str | None = None,
    validate: Callable[[Any], _T] | None = None,
    what: str = "the structured output",
) -> Any:
    """The answer's JSON (validated by `validate` when given), or a typed error saying why not."""
    judge_end(finish_reason=finish_reason, refusal=refusal, partial=text, what=what)
    if not text.strip():
        raise StructuredOutputError(
            f"The model returned no content where {what} was expected "
            f"(finish_reason {finish_reason!r}).",
            text=text,
        )
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StructuredOutputError(
            f"The model's answer is not valid JSON for {what} ({exc}); answer: {_preview(text)}",
            text=text,
        ) from None
    if validate is None:
        return data
    try:
        return validate(data)
    except (ValueError, TypeError) as exc:
        raise StructuredOutputError(
            f"The model's answer does not fit {what}: {_first_line(exc)}; answer: {_preview(text)}",
            text=text,
        ) from exc


def partial_json(text: str) -> Any:
    """The JSON value so far of an unfinished answer (strings cut mid-way kept), or None."""
    if not text.strip():
        return None
    try:
        return jiter.from_json(text.encode("utf-8"), partial_mode="trailing-strings")
    except ValueError:
        return None


def _first_line(exc: BaseException) -> str:
    """One readable line: a pydantic error's first location and message, else the text."""
    errors = getattr(exc, "errors", None)
    details = errors() if callable(errors) else None
    if details:
        first = details[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "(root)"
        more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
        return f"{where}: {first.get('msg', exc)}{more}"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
