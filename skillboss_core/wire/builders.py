"""Builders for the wire format both adapters emit: content parts, tool choice, formats.

Adapters translate *their* message objects; the shape of what goes on the wire is decided
once, here.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
from collections.abc import Mapping, Sequence
from typing import Any

from skillboss_core.wire.params import (
    TOOL_CHOICE_SYNONYMS,
    TOOL_CHOICE_WORDS,
    InvalidParameterError,
)

_AUDIO_FORMATS = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
}


# The roles the gateway documents (user, assistant, system, tool), and the names frameworks
# use for them. `developer` is sent as `system` (OpenAI reads system as developer for reasoning
# models); `function` results are `tool` results.
_WIRE_ROLES = {
    "user": "user",
    "human": "user",
    "system": "system",
    "developer": "system",
    "assistant": "assistant",
    "ai": "assistant",
    "chatbot": "assistant",
    "model": "assistant",
    "tool": "tool",
    "function": "tool",
}


def wire_role(role: str) -> str:
    """The gateway's role for a framework's role name (case-insensitive)."""
    wire_name = _WIRE_ROLES.get(str(role).lower())
    if wire_name is None:
        raise InvalidParameterError(
            f"role {role!r} is not one the gateway takes: use one of {sorted(_WIRE_ROLES)}"
        )
    return wire_name


def default_call_id(index: int) -> str:
    """The id given to a tool call whose server sent none (some omit it)."""
    return f"call_{index}"


def tool_call(call_id: str, name: str, arguments: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """An assistant's tool call as the wire has it: arguments as JSON text."""
    if not isinstance(arguments, str):
        try:
            arguments = json.dumps(arguments or {}, ensure_ascii=False)
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"Tool call arguments must be JSON-serialisable, got {arguments!r}"
            ) from None
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def assistant_message(
    content: str | list[dict[str, Any]] | None, calls: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """An assistant turn. Beside tool calls Chat Completions wants `content: null`, not ""."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = list(calls)
        message["content"] = content or None
    return message


def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def data_url(data: bytes | str, mime_type: str) -> str:
    """A data: URL from raw bytes or an already base64-encoded string."""
    encoded = base64.b64encode(data).decode("ascii") if isinstance(data, bytes) else data
    return f"data:{mime_type};base64,{encoded}"


def image_part(
    *,
    url: str | None = None,
    data: bytes | str | None = None,
    mime_type: str | None = None,
    detail: str | None = None,
) -> dict[str, Any]:
    """An image by URL or by (base64) data; data needs a MIME type (default image/png)."""
    if url is None and data is None:
        raise InvalidParameterError("an image block needs a url or data")
    target = url if url is not None else data_url(data or b"", mime_type or "image/png")
    image: dict[str, Any] = {"url": target}
    if detail:
        image["detail"] = detail
    return {"type": "image_url", "image_url": image}


def audio_part(*, data: bytes | str, mime_type: str | None = None) -> dict[str, Any]:
    """Inline audio; the gateway (like OpenAI) takes base64 data in wav or mp3."""
    audio_format = _AUDIO_FORMATS.get((mime_type or "audio/wav").lower())
    if audio_format is None:
        raise InvalidParameterError(
            f"audio must be wav or mp3 (audio/wav, audio/mpeg), got {mime_type!r}"
        )
    encoded = base64.b64encode(data).decode("ascii") if isinstance(data, bytes) else data
    return {"type": "input_audio", "input_audio": {"data": encoded, "format": audio_format}}


def file_part(
    *,
    data: bytes | str | None = None,
    mime_type: str | None = None,
    filename: str | None = None,
    file_id: str | None = None,
) -> dict[str, Any]:
    """A file (e.g. a PDF) as inline base64 data, or by an uploaded file id."""
    if file_id is not None:
        return {"type": "file", "file": {"file_id": file_id}}
    if data is None:
        raise InvalidParameterError("a file block needs data (base64 or bytes) or a file_id")
    mime = mime_type or (mimetypes.guess_type(filename)[0] if filename else None)
    mime = mime or "application/pdf"
    file: dict[str, Any] = {"file_data": data_url(data, mime)}
    file["filename"] = filename or ("document.pdf" if mime == "application/pdf" else "file")
    return {"type": "file", "file": file}


def normalize_tool_choice(
    choice: str | bool | Mapping[str, Any] | None, tool_names: Sequence[str]
) -> str | dict[str, Any] | None:
    """Accept the forms users bring from LangChain/LlamaIndex/OpenAI and return the wire form.

    "any" and True mean "required" (True with a single tool forces that tool); a bare tool
    name forces that tool; "auto", "none", "required" and OpenAI dicts pass through.
    """
    if choice is None or choice is False:
        return None
    if choice is True:
        if len(tool_names) == 1:
            return named_tool_choice(tool_names[0])
        return "required"
    if isinstance(choice, str):
        if choice in TOOL_CHOICE_WORDS:
            return choice
        if choice in TOOL_CHOICE_SYNONYMS:
            return TOOL_CHOICE_SYNONYMS[choice]
        if choice in tool_names:
            return named_tool_choice(choice)
        raise InvalidParameterError(
            f"tool_choice {choice!r} is neither auto/none/required/any nor one of the tools "
            f"{list(tool_names)}"
        )
    if isinstance(choice, Mapping):
        if choice.get("type") == "function" and isinstance(choice.get("function"), Mapping):
            return dict(choice)
        if isinstance(choice.get("name"), str):
            return named_tool_choice(str(choice["name"]))
    raise InvalidParameterError(f"unsupported tool_choice: {choice!r}")


def named_tool_choice(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name}}


def strict_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy where each object with properties allows no others and requires them all:
    what strict mode (tools and json_schema output) accepts."""

    def visit(node: Any) -> Any:
        if isinstance(node, Mapping):
            out = {key: visit(value) for key, value in node.items()}
            if out.get("type") == "object" and isinstance(out.get("properties"), dict):
                out["additionalProperties"] = False
                out["required"] = list(out["properties"])
            return out
        if isinstance(node, list):
            return [visit(item) for item in node]
        return node

    return dict(visit(schema))


def strict_tool(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A tool dict in strict mode: the flag, and a parameters schema strict mode accepts."""
    function = dict(spec.get("function") or {})
    function["strict"] = True
    function["parameters"] = strict_schema(function.get("parameters") or {"type": "object"})
    return {**spec, "function": function}


def schema_name(name: str) -> str:
    """A response_format name the API accepts: letters, digits, '_' and '-', at most 64."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64] or "output"


def json_schema_format(
    name: str,
    schema: Mapping[str, Any],
    *,
    strict: bool | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """response_format for structured output with a JSON schema (strict: a strict schema)."""
    spec: dict[str, Any] = {
        "name": schema_name(name),
        "schema": strict_schema(schema) if strict else dict(schema),
    }
    if description:
        spec["description"] = description
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}
