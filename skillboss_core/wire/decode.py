"""Reading a non-streamed chat completion body into a ChatResult.

Also the shape checks a stream's events share: whatever a server sends, a malformed answer
is a typed InvalidResponseError, never a KeyError or TypeError from deep inside a caller.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from skillboss_core.errors import InvalidResponseError, ResponseTooLargeError, UpstreamError
from skillboss_core.wire.builders import default_call_id
from skillboss_core.wire.results import ChatResult, ToolCall, Usage

# The largest non-stream body read before giving up (a stream's cap is per event, stream.py).
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024


def too_large(cap: int, what: str, setting: str) -> ResponseTooLargeError:
    """The error for a size cap passed: what passed it, the cap, and the setting to raise."""
    return ResponseTooLargeError(
        f"{what} is larger than its cap of {cap:,} bytes ({setting}); reading stopped there. "
        f"Raise {setting} if answers this large are expected."
    )


class BodyBuffer:
    """A non-stream body collected as it is read, refused as soon as it passes `max_bytes`,
    so a broken or hostile server cannot make a call hold unbounded memory. The pieces are
    joined once, at the end. `max_bytes` defaults to DEFAULT_MAX_BODY_BYTES."""

    __slots__ = ("_parts", "_size", "max_bytes")

    def __init__(self, max_bytes: int | None = None) -> None:
        self.max_bytes = DEFAULT_MAX_BODY_BYTES if max_bytes is None else max_bytes
        self._parts: list[bytes] = []
        self._size = 0

    def expect(self, content_length: str | int | None) -> None:
        """Refuse at once a body whose declared length is past the cap (before reading it);
        a missing or unreadable length is left to `add`."""
        try:
            # mutation: equivalent, 1 for 0: every cap is at least 1 byte.
            declared = int(content_length) if content_length is not None else 0
        except ValueError:
            return
        if declared > self.max_bytes:
            raise too_large(self.max_bytes, "The gateway's answer", "max_body_bytes")

    def add(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self.max_bytes:
            raise too_large(self.max_bytes, "The gateway's answer", "max_body_bytes")
        self._parts.append(data)

    def bytes(self) -> bytes:
        """The whole body read so far."""
        return b"".join(self._parts)


# -- shape checks shared with stream.py --------------------------------------------------------


def malformed(what: str, *, stream: bool = False) -> InvalidResponseError:
    where = "a malformed stream event" if stream else "a malformed chat completion"
    return InvalidResponseError(f"The gateway answered with {where}: {what}.")


def text_or_none(value: Any) -> str | None:
    """Metadata (id, model, fingerprint) is kept only when it is text, and not empty: never
    worth failing."""
    return value if value.__class__ is str and value else None


def whole_or_none(value: Any) -> int | None:
    return value if type(value) is int else None  # not bool, not float


def optional_text(value: Any, name: str, *, stream: bool) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise malformed(f"`{name}` is not a string", stream=stream)


def object_or_empty(value: Any, name: str, *, stream: bool) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise malformed(f"`{name}` is not an object", stream=stream)


def content_text(value: Any, *, stream: bool) -> str | None:
    """`content` as text: a string, or the text of a list of content parts (some providers
    send `[{"type": "text", "text": ...}]`; parts of other types carry no text)."""
    # mutation: equivalent, `and` for `or`: content_of hands over neither text nor None.
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise malformed("`content` is neither text nor a list of content parts", stream=stream)
    texts: list[str] = []
    for part in value:
        if not isinstance(part, dict):
            raise malformed("a `content` part is not an object", stream=stream)
        if part.get("type", "text") != "text":
            continue
        text = part.get("text")
        if not isinstance(text, str):
            raise malformed("a text part of `content` has no text", stream=stream)
        texts.append(text)
    return "".join(texts)


def arguments_text(value: Any, *, stream: bool) -> str:
    """Tool arguments as JSON text; an object (some providers send one) is serialised."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    raise malformed("tool call `arguments` are not a string", stream=stream)


def logprob_entries(value: Any, *, stream: bool) -> list[dict[str, Any]] | None:
    """`logprobs.content`: None, or a list of objects (adapters index into each one)."""
    content = object_or_empty(value, "logprobs", stream=stream).get("content")
    if content is None:
        return None
    if isinstance(content, list) and all(isinstance(entry, dict) for entry in content):
        return content
    raise malformed("`logprobs.content` is not a list of objects", stream=stream)


# -- the fields of an answer, for bodies and stream events alike -------------------------------
# A body's `message` and a stream event's `delta` carry the same fields; so do their choices.


def content_of(part: dict[str, Any], *, stream: bool = False) -> str | None:
    """The text of a message or a delta (`content`)."""
    value = part.get("content")
    # mutation: equivalent, the mutants of this shortcut that send text or None to
    # content_text too: it returns them as they are.
    return value if value is None or value.__class__ is str else content_text(value, stream=stream)


def refusal_of(part: dict[str, Any], *, stream: bool = False) -> str | None:
    """The refusal of a message or a delta (`refusal`)."""
    return optional_text(part.get("refusal"), "refusal", stream=stream)


def tool_call_items(part: dict[str, Any], *, stream: bool = False) -> list[Any]:
    """The tool calls (whole, or a stream's fragments) of a message or a delta."""
    calls = part.get("tool_calls")
    if calls is None:
        return []
    if not isinstance(calls, list):
        raise malformed("`tool_calls` is not a list", stream=stream)
    return calls


def call_fields(call: Any, *, stream: bool = False) -> tuple[str | None, str | None, str]:
    """A tool call's (or fragment's) id, function name and argument text."""
    if not isinstance(call, dict):
        raise malformed("a tool call is not an object", stream=stream)
    function = object_or_empty(call.get("function"), "function", stream=stream)
    return (
        optional_text(call.get("id"), "tool call id", stream=stream),
        optional_text(function.get("name"), "tool call name", stream=stream),
        arguments_text(function.get("arguments"), stream=stream),
    )


def call_index(call: dict[str, Any]) -> int | None:
    """A stream fragment's call index, when the server sent one."""
    index = call.get("index")
    return index if isinstance(index, int) else None


def finish_reason_of(choice: dict[str, Any], *, stream: bool = False) -> str | None:
    """Why a choice ended (`finish_reason`); None while a stream goes on (or for "")."""
    return optional_text(choice.get("finish_reason"), "finish_reason", stream=stream) or None


# The metadata of an answer, in a body and in every stream event.
ID, MODEL, CREATED = "id", "model", "created"
SYSTEM_FINGERPRINT, SERVICE_TIER = "system_fingerprint", "service_tier"


def metadata_text(data: dict[str, Any], name: str) -> str | None:
    """One metadata field (ID, MODEL, SYSTEM_FINGERPRINT, SERVICE_TIER) when it is text."""
    return text_or_none(data.get(name))


def created_of(data: dict[str, Any]) -> int | None:
    return whole_or_none(data.get(CREATED))


def logprobs_of(choice: dict[str, Any], *, stream: bool = False) -> list[dict[str, Any]] | None:
    """A choice's token log probabilities (`logprobs.content`)."""
    value = choice.get("logprobs")
    # mutation: equivalent, the mutants that send None to logprob_entries: it returns None.
    return None if value is None else logprob_entries(value, stream=stream)


def usage_of(data: dict[str, Any]) -> Usage | None:
    """The token counts of a body or a stream event: `usage`, or Groq's `x_groq.usage`."""
    usage = data.get("usage")
    if usage is None:
        extra = data.get("x_groq")
        usage = extra.get("usage") if isinstance(extra, dict) else None
    return Usage.from_json(usage) if isinstance(usage, dict) else None


# -- the non-stream body ---------------------------------------------------------------------


def reasoning_of(message: dict[str, Any]) -> str | None:
    """The reasoning text of a message or a stream delta: DeepSeek says `reasoning_content`,
    OpenRouter and Groq say `reasoning`."""
    value = message.get("reasoning_content")
    if value is None:
        value = message.get("reasoning")
    return value if isinstance(value, str) and value else None


def parse_completion_bytes(content: bytes) -> ChatResult:
    """Parse a response body (leading keep-alive whitespace allowed) into a ChatResult."""
    try:
        data = json.loads(content)
    except RecursionError:
        raise InvalidResponseError(
            "The gateway answered 200 with JSON nested too deeply to read"
        ) from None
    except ValueError:
        # mutation: equivalent, "UTF-8": codec names ignore case.
        preview = content[:120].decode("utf-8", "replace")
        raise InvalidResponseError(
            f"The gateway answered 200 with a body that is not JSON: {preview!r}"
        ) from None
    if not isinstance(data, dict):
        raise InvalidResponseError("The gateway answered 200 with JSON that is not an object")
    return parse_completion(data)


def carries_error(data: Any) -> bool:
    """Whether a 200 body or stream chunk is an error object instead of an answer: an
    `error` that is set, and no choices (some providers send `"error": null` in answers)."""
    return isinstance(data, dict) and bool(data.get("error")) and not data.get("choices")


def reported_error(payload: Any, raw: bytes = b"") -> UpstreamError:
    """The error a 200 answer carries (a body, a chunk or an `event: error`), with the
    provider's message and code; the same for bodies and streams."""
    error = payload.get("error", payload) if isinstance(payload, dict) else payload
    if isinstance(error, dict):
        message = error.get("message") or json.dumps(error)
        code = error.get("code")
    else:
        # mutation: equivalent, "UTF-8": codec names ignore case.
        message, code = (str(error) if error else raw.decode("utf-8", "replace")), None
    code_text = None if code is None else str(code)
    return UpstreamError(
        f"The provider behind the gateway reported an error instead of an answer: {message}"
        + (f" (code: {code_text})" if code_text else ""),
        body=payload,
        code=code_text,
    )


def parse_completion(data: dict[str, Any]) -> ChatResult:
    """Map a chat.completion JSON object to a ChatResult (first choice)."""
    if carries_error(data):
        raise reported_error(data)
    choice = _first_choice(data)
    message = part_of(choice)
    return ChatResult(
        id=metadata_text(data, ID),
        model=metadata_text(data, MODEL),
        content=content_of(message),
        reasoning=reasoning_of(message),
        refusal=refusal_of(message),
        tool_calls=[_tool_call(n, call) for n, call in enumerate(tool_call_items(message))],
        finish_reason=finish_reason_of(choice),
        usage=usage_of(data),
        logprobs=logprobs_of(choice),
        system_fingerprint=metadata_text(data, SYSTEM_FINGERPRINT),
        service_tier=metadata_text(data, SERVICE_TIER),
        created=created_of(data),
        raw=data,
    )


def choices_of(data: dict[str, Any], *, stream: bool = False) -> list[Any] | None:
    """The `choices` of a body or a stream event; None when there are none."""
    choices = data.get("choices")
    if choices is None or isinstance(choices, list):
        return choices
    raise malformed("`choices` is not a list", stream=stream)


def first_choice(choices: list[Any], *, stream: bool = False) -> dict[str, Any] | None:
    """The choice with index 0, for bodies and stream events alike: n > 1 answers may list
    their choices in any order (streams interleave them); no `index` counts as 0."""
    # The common case (one choice, index 0) without a scan.
    # mutation: equivalent, the mutants of this shortcut that only send more lists to the
    # scan below (another length, `only` None, another default or key for a missing index):
    # it finds the same choice, more slowly.
    if len(choices) == 1 and isinstance(only := choices[0], dict) and only.get("index", 0) == 0:
        return only
    for choice in choices:
        if not isinstance(choice, dict):
            raise malformed("a choice is not an object", stream=stream)
    return next((c for c in choices if c.get("index", 0) == 0), None)


def finish_reason_in(data: Any) -> str | None:
    """The finish reason of a completion body already handed out (an adapter reading back a
    response object it did not build): the first choice's, read as `parse_completion` reads
    it, but never failing; None when there is none to read."""
    try:
        choice = _first_choice(data) if isinstance(data, dict) else None
        return finish_reason_of(choice) if choice is not None else None
    except InvalidResponseError:
        return None


def part_of(choice: dict[str, Any], *, stream: bool = False) -> dict[str, Any]:
    """A body choice's `message` (which must be there) or a stream choice's `delta` (which
    may be left out)."""
    part = choice.get("delta" if stream else "message")
    if part is None:
        if stream:
            return {}
        raise InvalidResponseError(
            "The gateway answered without a message (`choices[0].message` is missing or null)"
        )
    if not isinstance(part, dict):
        what = "`delta` is not an object" if stream else "`message` is not an object"
        raise malformed(what, stream=stream)
    return part


def _first_choice(data: dict[str, Any]) -> dict[str, Any]:
    choices = choices_of(data)
    if not choices:
        raise InvalidResponseError("The gateway answered without any choices")
    choice = first_choice(choices)
    if choice is None:
        raise malformed("no choice with index 0")
    return choice


def _tool_call(position: int, call: Any) -> ToolCall:
    call_id, name, arguments = call_fields(call)
    return ToolCall(
        id=call_id or default_call_id(position),
        name=name or "",
        arguments=arguments,
        index=position,
    )


def header_value(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A response header by its lower-case `name`: an HTTP headers object looks it up
    without regard to case (and fast); a plain dict (tests, other transports) is searched."""
    if not headers:
        return None
    value = headers.get(name)
    if value is None and isinstance(headers, dict):
        value = next((v for key, v in headers.items() if key.lower() == name), None)
    return value
