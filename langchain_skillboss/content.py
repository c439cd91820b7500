"""LangChain content blocks -> Chat Completions content parts.

Users bring blocks in three dialects: OpenAI Chat Completions (`image_url`, `input_audio`,
`file`), LangChain standard blocks (v1 `image`/`file`/`audio` with `url`/`base64`/`file_id`,
and the older `source_type` form) and Anthropic (`image`/`document` with a `source`).
All of them become the parts built by `skillboss_core.wire.builders`; anything else is an error
raised before a request is made, naming the block and what is accepted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from skillboss_core import InvalidParameterError
from skillboss_core.wire.builders import audio_part, file_part, image_part, text_part

ACCEPTED_BLOCKS = (
    "text, image_url, input_audio, file (OpenAI); image, file, audio with url/base64/file_id, "
    "json (LangChain standard); image/document with a source (Anthropic)"
)


def _reject(block: Mapping[str, Any], why: str) -> InvalidParameterError:
    kind = block.get("type")
    return InvalidParameterError(
        f"Cannot send a {kind!r} content block: {why}. Accepted blocks: {ACCEPTED_BLOCKS}."
    )


def _filename(block: Mapping[str, Any]) -> str | None:
    for holder in (block, block.get("extras") or {}, block.get("metadata") or {}):
        name = holder.get("filename") or holder.get("name")
        if isinstance(name, str) and name:
            return name
    return None


def _source(block: Mapping[str, Any]) -> tuple[str, Any]:
    """(kind, value) of a standard block: url, base64 or id, in either standard form."""
    source_type = block.get("source_type")
    if source_type == "url" or (source_type is None and block.get("url")):
        return "url", block.get("url")
    if source_type == "base64" or (source_type is None and block.get("base64")):
        return "base64", block.get("data") if source_type else block.get("base64")
    if source_type == "id" or (source_type is None and block.get("file_id")):
        return "id", block.get("id") if source_type else block.get("file_id")
    raise _reject(block, "it has no url, base64 data or file_id")


def _detail(block: Mapping[str, Any]) -> str | None:
    extras = block.get("extras") or block.get("metadata") or {}
    detail = block.get("detail") or extras.get("detail")
    return detail if isinstance(detail, str) else None


def _text(block: Mapping[str, Any]) -> dict[str, Any]:
    text = block.get("text")
    if not isinstance(text, str):
        raise _reject(block, "its 'text' is not a string")
    return text_part(text)


def _image_url(block: Mapping[str, Any]) -> dict[str, Any]:
    image = block.get("image_url")
    if isinstance(image, str):
        return image_part(url=image)
    if isinstance(image, Mapping) and isinstance(image.get("url"), str):
        return image_part(url=image["url"], detail=image.get("detail"))
    raise _reject(block, "it needs image_url={'url': ...}")


def _image(block: Mapping[str, Any]) -> dict[str, Any]:
    source = block.get("source")
    if isinstance(source, Mapping):  # Anthropic
        if source.get("type") == "base64":
            return image_part(data=source.get("data"), mime_type=source.get("media_type"))
        if source.get("type") == "url":
            return image_part(url=source.get("url"))
        raise _reject(block, "an Anthropic image source must be base64 or url")
    kind, value = _source(block)
    if kind == "url":
        return image_part(url=value, detail=_detail(block))
    if kind == "base64":
        return image_part(data=value, mime_type=block.get("mime_type"), detail=_detail(block))
    raise _reject(block, "images by file id are not supported by Chat Completions")


def _file(block: Mapping[str, Any]) -> dict[str, Any]:
    inner = block.get("file")
    if isinstance(inner, Mapping):  # OpenAI Chat Completions form, sent as given
        if not (inner.get("file_data") or inner.get("file_id")):
            raise _reject(block, "file={...} needs file_data or file_id")
        return {"type": "file", "file": dict(inner)}
    kind, value = _source(block)
    mime_type = block.get("mime_type")
    if kind == "id":
        return file_part(file_id=value)
    if kind == "url":
        if isinstance(mime_type, str) and mime_type.startswith("image/"):
            return image_part(url=value)
        raise _reject(block, "files by URL are not supported; pass the data as base64")
    if isinstance(mime_type, str) and mime_type.startswith("image/"):
        return image_part(data=value, mime_type=mime_type)
    return file_part(data=value, mime_type=mime_type, filename=_filename(block))


def _document(block: Mapping[str, Any]) -> dict[str, Any]:
    source = block.get("source")
    if isinstance(source, Mapping) and source.get("type") == "base64":
        return file_part(
            data=source.get("data"), mime_type=source.get("media_type"), filename=_filename(block)
        )
    if (
        isinstance(source, Mapping)
        and source.get("type") == "text"
        and isinstance(source.get("data"), str)
    ):
        return text_part(source["data"])
    raise _reject(block, "only base64 and text document sources are supported")


def _json(block: Mapping[str, Any]) -> dict[str, Any]:
    """A tool's `json` result block (LangChain keeps it as a block) goes as its JSON text."""
    if "json" not in block:
        raise _reject(block, "it has no 'json' value")
    try:
        return text_part(json.dumps(block["json"], ensure_ascii=False))
    except (TypeError, ValueError):
        raise _reject(block, "its 'json' value is not JSON-serialisable") from None


def _audio(block: Mapping[str, Any]) -> dict[str, Any]:
    kind, value = _source(block)
    if kind != "base64":
        raise _reject(block, "audio must be inline base64 data (wav or mp3)")
    return audio_part(data=value, mime_type=block.get("mime_type"))


def _input_audio(block: Mapping[str, Any]) -> dict[str, Any]:
    audio = block.get("input_audio")
    if not isinstance(audio, Mapping) or not audio.get("data"):
        raise _reject(block, "it needs input_audio={'data': ..., 'format': 'wav'|'mp3'}")
    return {"type": "input_audio", "input_audio": dict(audio)}


def _unsupported(why: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    def convert(block: Mapping[str, Any]) -> dict[str, Any]:
        raise _reject(block, why)

    return convert


_CONVERTERS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "text": _text,
    "text-plain": _text,
    "image_url": _image_url,
    "image": _image,
    "file": _file,
    "document": _document,
    "audio": _audio,
    "input_audio": _input_audio,
    "json": _json,
    "video": _unsupported("video input is not supported by the gateway's Chat Completions"),
}


def to_part(block: str | Mapping[str, Any]) -> dict[str, Any]:
    """One content part for a user, system or tool message."""
    if isinstance(block, str):
        return text_part(block)
    if not isinstance(block, Mapping):
        raise InvalidParameterError(
            f"Message content must be a string or a list of strings and dicts, got {block!r}"
        )
    converter = _CONVERTERS.get(str(block.get("type")))
    if converter is None:
        raise _reject(block, "this block type is unknown")
    return converter(block)


def to_parts(content: str | list[Any]) -> str | list[dict[str, Any]]:
    """Content for the wire: strings stay strings, lists become content parts."""
    if isinstance(content, str):
        return content
    return [to_part(block) for block in content]


# Blocks an assistant message may carry that Chat Completions has no place for: tool calls
# travel in `tool_calls`, and reasoning/thinking is never sent back.
_AI_SKIPPED = frozenset(
    {
        "tool_use",
        "tool_call",
        "tool_call_chunk",
        "invalid_tool_call",
        "server_tool_call",
        "server_tool_call_chunk",
        "server_tool_result",
        "thinking",
        "redacted_thinking",
        "reasoning",
    }
)


def assistant_text(content: str | list[Any]) -> str:
    """The text of an assistant message; tool-use and reasoning blocks are dropped. A turn
    that is only a refusal (a `refusal` block, as `output_version="v1"` stores one) is sent
    with the refusal's words, so the conversation can go on after it."""
    if isinstance(content, str):
        return content
    pieces: list[str] = []
    refusals: list[str] = []
    for block in content:
        if isinstance(block, str):
            pieces.append(block)
            continue
        kind = block.get("type") if isinstance(block, Mapping) else None
        if kind == "text" and isinstance(block.get("text"), str):
            pieces.append(block["text"])
        elif kind == "refusal" and isinstance(block.get("refusal"), str):
            refusals.append(block["refusal"])
        elif kind not in _AI_SKIPPED:
            raise InvalidParameterError(
                f"Cannot send a {kind!r} block in an assistant message: assistant content "
                "may hold text, refusal, tool-use and reasoning blocks only."
            )
    return "".join(pieces) or "".join(refusals)
