"""How an OpenAI-compatible gateway writes an answer on the wire: JSON and SSE renderers.

A test states what the model says (`Reply`: text, tool calls, reasoning, refusal, finish
reason, usage) and these functions write it the way real servers do, dialects included
(`flavour`: where DeepSeek, Groq and OpenRouter put reasoning, how they stream tool calls and
usage, OpenRouter's comment lines; see ../shared/wire-samples). Nothing here decides what to
say: there is no model imitation, a test that needs a tool call scripts the tool call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

JSON = dict[str, Any]
CREATED = 1_700_000_000
DONE = b"data: [DONE]\n\n"
# How each server streams: OpenAI's shape, DeepSeek's reasoning_content and usage on the
# finish chunk, Groq's whole tool arguments in one delta, OpenRouter's comments and usage
# chunk with a choice, and a server repeating id/name on every tool-call fragment.
FLAVOURS = ("openai", "deepseek", "groq", "openrouter", "repeat-ids")
_ARG_FRAGMENT_CHARS = 8

_ERROR_KINDS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "bad_request"),
    401: ("authentication_error", "invalid_api_key"),
    402: ("payment_required", "insufficient_credits"),
    403: ("permission_error", "forbidden"),
    404: ("not_found_error", "model_not_found"),
    408: ("timeout_error", "request_timeout"),
    409: ("conflict_error", "conflict"),
    413: ("invalid_request_error", "request_too_large"),
    422: ("invalid_request_error", "unprocessable_entity"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    500: ("server_error", "internal_error"),
    503: ("server_error", "overloaded"),
}


def error_body(status: int, message: str | None = None) -> JSON:
    """An OpenAI-shaped error object, so SDK error mapping sees what real servers send."""
    kind, code = _ERROR_KINDS.get(status, ("server_error", f"http_{status}"))
    text = message or f"Scripted error {status}"
    return {"error": {"message": text, "type": kind, "param": None, "code": code}}


def message_text(content: Any) -> str:
    """Text of a message content that may be a string or a list of content parts."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts = [p.get("text") for p in content if isinstance(p, dict)]
    return " ".join(t for t in texts if isinstance(t, str))


def approx_tokens(text: str) -> int:
    """Deterministic token estimate: four characters per token, at least one."""
    return max(1, len(text) // 4)


def split_words(text: str) -> list[str]:
    """Word-sized pieces that concatenate back to `text` exactly (stream deltas)."""
    return re.findall(r"\s*\S+|\s+", text)


# --------------------------------------------------------------------------- replies


@dataclass(frozen=True)
class ToolCall:
    """One function call the scripted model makes; `arguments` as sent (a JSON string), or
    a dict, which is written as JSON."""

    name: str
    arguments: str | JSON = field(default_factory=dict)
    id: str = ""

    @property
    def arguments_json(self) -> str:
        """The arguments string exactly as it goes on the wire."""
        args = self.arguments
        return args if isinstance(args, str) else json.dumps(args, separators=(",", ":"))


@dataclass
class Reply:
    """What the scripted model says to one request, before it is rendered as JSON or SSE.

    A tool call without an id gets `call_<n>_<i>` (n: the request's number on the server).
    `usage` replaces the computed token counts; `finish_reason` defaults to `tool_calls`
    when there are tool calls and `stop` otherwise. `pieces` states where a streamed
    content is cut into chunks (they must join to `content`); by default, word by word.
    """

    content: str | None = None
    finish_reason: str | None = None
    refusal: str | None = None
    tool_calls: Sequence[ToolCall] = ()
    reasoning: str | None = None
    usage: JSON | None = None
    pieces: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if self.pieces is not None and "".join(self.pieces) != (self.content or ""):
            raise ValueError("Reply.pieces must join to Reply.content")

    @property
    def content_pieces(self) -> list[str]:
        """The streamed content chunks."""
        return list(self.pieces) if self.pieces is not None else split_words(self.content or "")

    @property
    def finish(self) -> str:
        """The finish reason written on the wire."""
        if self.finish_reason is not None:
            return self.finish_reason
        return "tool_calls" if self.tool_calls else "stop"

    def numbered(self, n: int) -> Reply:
        """This reply with every missing tool-call id filled in for request number n."""
        calls = [
            c if c.id else ToolCall(c.name, c.arguments, f"call_{n}_{i}")
            for i, c in enumerate(self.tool_calls)
        ]
        return replace(self, tool_calls=calls)


def reasoning_field(flavour: str) -> str:
    """Where a flavour writes reasoning: OpenRouter and Groq say `reasoning`; DeepSeek, and
    the OpenAI-compatible servers that copied it (vLLM, SGLang), `reasoning_content`."""
    return "reasoning" if flavour in ("groq", "openrouter") else "reasoning_content"


# --------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Meta:
    """Per-response constants shared by the JSON and SSE renderers."""

    id: str
    created: int
    model: str
    flavour: str
    logprobs: bool
    top_logprobs: int
    include_usage: bool

    @classmethod
    def for_body(cls, body: JSON, n: int, flavour: str, created: int) -> Meta:
        """Read the rendering options out of a request body."""
        options = body.get("stream_options")
        top = body.get("top_logprobs")
        return cls(
            id=f"chatcmpl-{n}",
            created=created,
            model=str(body.get("model", "")),
            flavour=flavour,
            logprobs=body.get("logprobs") is True,
            top_logprobs=top if isinstance(top, int) else 0,
            include_usage=isinstance(options, dict) and options.get("include_usage") is True,
        )


def usage_for(body: JSON, reply: Reply) -> JSON:
    """Approximate but deterministic usage, including cached and reasoning token details."""
    if reply.usage is not None:
        return reply.usage
    messages = body.get("messages") or []
    prompt_text = "\n".join(message_text(m.get("content")) for m in messages if isinstance(m, dict))
    for extra in ("tools", "response_format"):
        if body.get(extra):
            prompt_text += json.dumps(body[extra])
    prompt = approx_tokens(prompt_text)
    visible = (reply.content or "") + (reply.refusal or "")
    visible += "".join(c.arguments_json for c in reply.tool_calls)
    text_tokens = approx_tokens(visible)
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if reply.finish == "length" and isinstance(limit, int):
        text_tokens = min(text_tokens, limit)
    reasoning = approx_tokens(reply.reasoning) if reply.reasoning else 0
    completion = text_tokens + reasoning
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {
            "cached_tokens": prompt // 2 if prompt >= 32 else 0,
            "audio_tokens": 0,
        },
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def logprob_entries(pieces: list[str], first_index: int, top: int) -> list[JSON]:
    """Logprob records for tokens; logprob is -0.1 * (1-based token index)."""
    entries: list[JSON] = []
    for offset, token in enumerate(pieces):
        value = round(-0.1 * (first_index + offset), 6)
        alternatives = [{"token": token, "logprob": value, "bytes": list(token.encode())}]
        alternatives += [
            {"token": f"alt{j}", "logprob": round(value - j, 6), "bytes": list(f"alt{j}".encode())}
            for j in range(1, top)
        ]
        entries.append(
            {
                "token": token,
                "logprob": value,
                "bytes": list(token.encode()),
                "top_logprobs": alternatives[:top],
            }
        )
    return entries


def _message(reply: Reply, meta: Meta) -> JSON:
    """The assistant message of a non-stream completion."""
    message: JSON = {
        "role": "assistant",
        "content": reply.content,
        "refusal": reply.refusal,
        "annotations": [],
    }
    if reply.reasoning:
        message[reasoning_field(meta.flavour)] = reply.reasoning
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments_json},
            }
            for c in reply.tool_calls
        ]
    return message


def completion_json(body: JSON, reply: Reply, meta: Meta) -> JSON:
    """A full chat.completion object (n > 1 repeats the same choice)."""
    logprobs = None
    if meta.logprobs:
        logprobs = {
            "content": logprob_entries(split_words(reply.content or ""), 1, meta.top_logprobs),
            "refusal": None,
        }
    wanted = body.get("n")
    count = wanted if isinstance(wanted, int) and wanted > 1 else 1
    usage = usage_for(body, reply)
    if count > 1:
        usage["completion_tokens"] *= count
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return {
        "id": meta.id,
        "object": "chat.completion",
        "created": meta.created,
        "model": meta.model,
        "system_fingerprint": "fp_scripted",
        "service_tier": "default",
        "choices": [
            {
                "index": i,
                "message": _message(reply, meta),
                "logprobs": logprobs,
                "finish_reason": reply.finish,
            }
            for i in range(count)
        ],
        "usage": usage,
    }


@dataclass(frozen=True)
class Event:
    """One SSE event; `final` marks finish/usage/[DONE] events (dropped by truncation)."""

    data: bytes
    is_data: bool = True
    final: bool = False


def sse(obj: Any, final: bool = False) -> Event:
    """A `data:` event carrying compact JSON."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return Event(b"data: " + text.encode() + b"\n\n", final=final)


def comment(text: str) -> Event:
    """An SSE comment line, which clients must ignore."""
    return Event(b": " + text.encode() + b"\n\n", is_data=False)


class _Chunks:
    """Builds chat.completion.chunk objects sharing one response's metadata."""

    def __init__(self, meta: Meta) -> None:
        self.meta = meta
        self.openai_like = meta.flavour in ("openai", "groq", "repeat-ids")

    def chunk(self, delta: JSON, finish: str | None = None, logprobs: Any = None) -> JSON:
        """One chunk with a single choice."""
        obj: JSON = {
            "id": self.meta.id,
            "object": "chat.completion.chunk",
            "created": self.meta.created,
            "model": self.meta.model,
            "system_fingerprint": "fp_scripted",
            "choices": [
                {"index": 0, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
            ],
        }
        if self.meta.include_usage and self.openai_like:
            obj["usage"] = None
        return obj

    def usage_chunk(self, usage: JSON) -> JSON:
        """The trailing usage chunk (OpenRouter keeps a choice with an empty delta)."""
        obj = self.chunk({})
        obj["choices"] = []
        if self.meta.flavour == "openrouter":
            obj["choices"] = [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": ""},
                    "finish_reason": None,
                    "logprobs": None,
                }
            ]
        obj["usage"] = usage
        return obj


def _tool_call_deltas(calls: Sequence[ToolCall], flavour: str) -> list[JSON]:
    """Tool-call deltas in the shape each flavour streams them."""
    deltas: list[JSON] = []
    for i, call in enumerate(calls):
        arguments = call.arguments_json
        head: JSON = {
            "index": i,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        if flavour == "groq":
            head["function"]["arguments"] = arguments
            deltas.append({"tool_calls": [head]})
            continue
        deltas.append({"tool_calls": [head]})
        for start in range(0, len(arguments), _ARG_FRAGMENT_CHARS):
            fragment = arguments[start : start + _ARG_FRAGMENT_CHARS]
            item: JSON = {"index": i, "function": {"arguments": fragment}}
            if flavour == "repeat-ids":
                item = {
                    "index": i,
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": fragment},
                }
            deltas.append({"tool_calls": [item]})
    return deltas


def stream_events(body: JSON, reply: Reply, meta: Meta) -> list[Event]:
    """The whole SSE conversation for a streamed reply, flavour quirks included."""
    chunks = _Chunks(meta)
    usage = usage_for(body, reply)
    first: JSON = {"role": "assistant", "content": ""}
    if chunks.openai_like:
        first["refusal"] = None
    events = [sse(chunks.chunk(first)), comment("keep-alive")]
    field_name = reasoning_field(meta.flavour)
    events += [sse(chunks.chunk({field_name: p})) for p in split_words(reply.reasoning or "")]
    for index, piece in enumerate(reply.content_pieces, start=1):
        logprobs = None
        if meta.logprobs:
            logprobs = {
                "content": logprob_entries([piece], index, meta.top_logprobs),
                "refusal": None,
            }
        events.append(sse(chunks.chunk({"content": piece}, logprobs=logprobs)))
    events += [sse(chunks.chunk({"refusal": p})) for p in split_words(reply.refusal or "")]
    events += [sse(chunks.chunk(d)) for d in _tool_call_deltas(reply.tool_calls, meta.flavour)]
    finish = chunks.chunk({}, finish=reply.finish)
    if meta.flavour == "deepseek" and meta.include_usage:
        finish["usage"] = usage
    events.append(sse(finish, final=True))
    if meta.include_usage and meta.flavour != "deepseek":
        events.append(sse(chunks.usage_chunk(usage), final=True))
    if meta.flavour == "openrouter":
        events = interleave(events, "OPENROUTER PROCESSING", every=3, lead=True)
    return [*events, Event(DONE, final=True)]


def interleave(events: list[Event], text: str, every: int, lead: bool = False) -> list[Event]:
    """Insert a comment event after every `every` data events (and optionally first)."""
    out = [comment(text)] if lead else []
    seen = 0
    for event in events:
        out.append(event)
        seen += event.is_data
        if event.is_data and seen % every == 0:
            out.append(comment(text))
    return out


def render(
    body: JSON, reply: Reply, *, n: int = 1, flavour: str = "openai", created: int = CREATED
) -> JSON | list[Event]:
    """The answer to `body`: a chat.completion object, or the SSE events when it streams."""
    meta = Meta.for_body(body, n, flavour, created)
    numbered = reply.numbered(n)
    if body.get("stream") is True:
        return stream_events(body, numbered, meta)
    return completion_json(body, numbered, meta)
