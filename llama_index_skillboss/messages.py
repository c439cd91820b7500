"""LlamaIndex ChatMessages to the gateway's Chat Completions message dicts.

Conversion reads the caller's messages and never changes them, and any block the gateway
cannot take fails here, naming the message, before a request is built.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from io import IOBase
from pathlib import Path
from typing import Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    CitableBlock,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from skillboss_core import InvalidParameterError
from skillboss_core.wire import builders as wire

_AUDIO_MIME = {"wav": "audio/wav", "x-wav": "audio/wav", "mp3": "audio/mpeg", "mpeg": "audio/mpeg"}
# Blocks that carry nothing the gateway takes as input: dropped, not errors.
#  - ThinkingBlock: providers reject reasoning sent back (DeepSeek answers 400).
#  - CachePoint: an Anthropic cache hint; CitationBlock: metadata about an earlier answer.
_DROPPED = (ThinkingBlock, CachePoint, CitationBlock)


def to_wire_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """The request's `messages`; raises InvalidParameterError naming the bad message."""
    return [_to_wire(message, position) for position, message in enumerate(messages)]


def _to_wire(message: ChatMessage, position: int) -> dict[str, Any]:
    if not isinstance(message, ChatMessage):
        raise InvalidParameterError(
            f"messages[{position}] must be a llama_index ChatMessage, got {type(message).__name__}"
        )
    try:
        role = wire.wire_role(message.role.value)
    except InvalidParameterError as exc:
        raise InvalidParameterError(f"messages[{position}]: {exc}") from None
    parts = _content_parts(message.blocks, position)
    extra = message.additional_kwargs
    if role == "tool":
        return _tool_message(parts, extra, position)
    if role != "user" and any(part["type"] != "text" for part in parts):
        raise InvalidParameterError(
            f"messages[{position}] ({role}) may hold text only; images, audio and files "
            "go in user messages"
        )
    if role == "assistant":
        wire_message = wire.assistant_message(_content(parts), _tool_calls(message, position))
    else:
        wire_message = {"role": role, "content": _content(parts)}
    if isinstance(extra.get("name"), str):
        wire_message["name"] = extra["name"]
    return wire_message


def _content(parts: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """Plain text as a string (what every provider accepts), anything else as parts."""
    if all(part["type"] == "text" for part in parts):
        return "\n".join(part["text"] for part in parts)
    return parts


def _tool_message(
    parts: list[dict[str, Any]], extra: dict[str, Any], position: int
) -> dict[str, Any]:
    call_id = extra.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise InvalidParameterError(
            f"messages[{position}] is a tool result without additional_kwargs['tool_call_id']; "
            "the gateway needs the id of the tool call it answers"
        )
    if any(part["type"] != "text" for part in parts):
        raise InvalidParameterError(f"messages[{position}] (tool result) may hold text only")
    return {"role": "tool", "tool_call_id": call_id, "content": _content(parts)}


def _content_parts(blocks: Sequence[Any], position: int) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for block in blocks:
        if isinstance(block, (ToolCallBlock, *_DROPPED)):
            continue
        if isinstance(block, CitableBlock):
            parts.extend(_content_parts(block.content, position))
            continue
        parts.append(_part(block, position))
    return parts


def _part(block: Any, position: int) -> dict[str, Any]:
    if isinstance(block, TextBlock):
        return wire.text_part(block.text)
    if isinstance(block, ImageBlock):
        return _image_part(block)
    if isinstance(block, AudioBlock):
        return _audio_part(block)
    if isinstance(block, DocumentBlock):
        return _document_part(block)
    raise InvalidParameterError(
        f"messages[{position}] holds a {type(block).__name__}, which the gateway cannot take; "
        "supported: TextBlock, ImageBlock, AudioBlock, DocumentBlock, ToolCallBlock, "
        "ThinkingBlock"
    )


def _raw_bytes(data: bytes | IOBase | None, path: Path | str | None) -> bytes | None:
    """The undecoded bytes of a block, from its data (base64 or raw) or its path."""
    if isinstance(data, IOBase):
        where = data.tell()  # read it all, and leave the caller's stream where it was
        data.seek(0)
        raw = bytes(data.read())
        data.seek(where)
        return raw
    if data:
        try:
            return base64.b64decode(data, validate=True)
        except ValueError:
            return data
    if path is not None:
        return Path(path).read_bytes()
    return None


def _image_part(block: ImageBlock) -> dict[str, Any]:
    if block.url is not None:
        return wire.image_part(url=str(block.url), detail=block.detail)
    raw = _raw_bytes(block.image, block.path)
    if not raw:
        raise InvalidParameterError("an ImageBlock needs image data, a path or a url")
    # ImageBlock guesses the MIME type itself from bytes or a path, not from a stream.
    mime = block.image_mimetype or ImageBlock(image=raw).image_mimetype or "image/png"
    return wire.image_part(data=raw, mime_type=mime, detail=block.detail)


def _audio_part(block: AudioBlock) -> dict[str, Any]:
    raw = _raw_bytes(block.audio, block.path)
    if raw is None and block.url is not None:
        # Chat Completions takes audio inline only, so a URL is fetched (LlamaIndex's own way).
        raw = block.resolve_audio().read()
    if not raw:
        raise InvalidParameterError("an AudioBlock needs audio data, a path or a url")
    audio_format = (block.format or "wav").lower()  # AudioBlock guesses it when it can
    mime = _AUDIO_MIME.get(audio_format, f"audio/{audio_format}")
    return wire.audio_part(data=raw, mime_type=mime)


def _document_part(block: DocumentBlock) -> dict[str, Any]:
    raw = _raw_bytes(block.data, block.path)
    if raw is None and block.url is not None:
        raw = block.resolve_document().read()
    if not raw:
        raise InvalidParameterError("a DocumentBlock needs data, a path or a url")
    mime = block.document_mimetype or "application/pdf"
    if mime.startswith("text/"):
        return wire.text_part(raw.decode("utf-8", "replace"))
    return wire.file_part(data=raw, mime_type=mime, filename=_filename(block, mime))


def _filename(block: DocumentBlock, mime: str) -> str:
    if block.path is not None:
        return Path(block.path).name
    name = block.title or "document"
    if mime == "application/pdf" and not name.lower().endswith(".pdf"):
        name += ".pdf"
    return name


def _tool_calls(message: ChatMessage, position: int) -> list[dict[str, Any]]:
    """The assistant's tool calls: ToolCallBlocks, else legacy additional_kwargs entries."""
    blocks = [block for block in message.blocks if isinstance(block, ToolCallBlock)]
    if blocks:
        return [_call_from_block(block, position) for block in blocks]
    legacy = message.additional_kwargs.get("tool_calls") or []
    return [_call_from_legacy(call, position) for call in legacy]


def _call_from_block(block: ToolCallBlock, position: int) -> dict[str, Any]:
    if not block.tool_call_id:
        raise InvalidParameterError(
            f"messages[{position}] has a ToolCallBlock ({block.tool_name}) without "
            "tool_call_id; the tool result that answers it must name that id"
        )
    return wire.tool_call(block.tool_call_id, block.tool_name, block.tool_kwargs)


def _call_from_legacy(call: Any, position: int) -> dict[str, Any]:
    data = call.model_dump(exclude_none=True) if hasattr(call, "model_dump") else call
    function = data.get("function") if isinstance(data, dict) else None
    if not isinstance(function, dict) or not isinstance(data, dict) or not data.get("id"):
        raise InvalidParameterError(
            f"messages[{position}].additional_kwargs['tool_calls'] entries must look like "
            "{'id': ..., 'type': 'function', 'function': {'name': ..., 'arguments': ...}}"
        )
    return wire.tool_call(data["id"], function.get("name") or "", function.get("arguments"))
