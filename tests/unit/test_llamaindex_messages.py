"""LlamaIndex messages to the gateway's wire format, block by block (no HTTP)."""

from __future__ import annotations

import base64
import io
import struct
import wave
import zlib
from pathlib import Path

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    CacheControl,
    CachePoint,
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from llama_index_skillboss.messages import to_wire_messages
from skillboss_core import InvalidParameterError

# -- media the tests generate (shared with the replay tests) ------------------------------


def tiny_png() -> bytes:
    """A valid 1x1 red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def tiny_wav() -> bytes:
    """A tenth of a second of 8 kHz silence."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 800)
    return buffer.getvalue()


def tiny_pdf() -> bytes:
    """A minimal one-page PDF."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 72 72]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def user(*blocks: object) -> ChatMessage:
    return ChatMessage(role=MessageRole.USER, blocks=list(blocks))


# -- text and roles -------------------------------------------------------------------------


def test_plain_text_messages_become_strings_with_gateway_roles() -> None:
    wire = to_wire_messages(
        [
            ChatMessage(role=MessageRole.SYSTEM, content="Be brief."),
            ChatMessage(role=MessageRole.DEVELOPER, content="Use metric units."),
            ChatMessage(role=MessageRole.USER, content="Hi"),
            ChatMessage(role=MessageRole.CHATBOT, content="Hello"),
            ChatMessage(role=MessageRole.ASSISTANT, content="Again"),
        ]
    )
    assert wire == [
        {"role": "system", "content": "Be brief."},
        {"role": "system", "content": "Use metric units."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "assistant", "content": "Again"},
    ]


def test_several_text_blocks_join_like_message_content() -> None:
    message = user(TextBlock(text="one"), TextBlock(text="two"))
    assert to_wire_messages([message]) == [{"role": "user", "content": message.content}]


def test_name_is_forwarded() -> None:
    message = ChatMessage(role="user", content="hi", additional_kwargs={"name": "ada"})
    assert to_wire_messages([message])[0]["name"] == "ada"


def test_empty_messages_list_is_empty_and_blockless_message_is_empty_text() -> None:
    assert to_wire_messages([]) == []
    assert to_wire_messages([ChatMessage(role="user")]) == [{"role": "user", "content": ""}]


# -- media ------------------------------------------------------------------------------------


def test_image_by_url_keeps_url_and_detail() -> None:
    block = ImageBlock(url="https://example.com/cat.png", detail="low")
    content = to_wire_messages([user(TextBlock(text="what?"), block)])[0]["content"]
    assert content == [
        {"type": "text", "text": "what?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
    ]


def test_image_bytes_are_sent_once_base64_encoded_with_their_mime_type() -> None:
    png = tiny_png()
    part = to_wire_messages([user(ImageBlock(image=png))])[0]["content"][0]
    prefix, encoded = part["image_url"]["url"].split(",", 1)
    assert prefix == "data:image/png;base64"
    assert base64.b64decode(encoded) == png


def test_image_already_base64_is_not_encoded_twice() -> None:
    png = tiny_png()
    block = ImageBlock(image=base64.b64encode(png), image_mimetype="image/png")
    url = to_wire_messages([user(block)])[0]["content"][0]["image_url"]["url"]
    assert base64.b64decode(url.split(",", 1)[1]) == png


def test_image_by_path_is_read(tmp_path: Path) -> None:
    path = tmp_path / "pixel.png"
    path.write_bytes(tiny_png())
    url = to_wire_messages([user(ImageBlock(path=path))])[0]["content"][0]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == tiny_png()


def test_audio_bytes_become_input_audio_with_format() -> None:
    wav = tiny_wav()
    part = to_wire_messages([user(AudioBlock(audio=wav, format="wav"))])[0]["content"][0]
    assert part["type"] == "input_audio"
    assert part["input_audio"]["format"] == "wav"
    assert base64.b64decode(part["input_audio"]["data"]) == wav


def test_audio_by_path_mp3(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp3"
    path.write_bytes(b"ID3" + b"\x00" * 32)
    part = to_wire_messages([user(AudioBlock(path=path))])[0]["content"][0]
    assert part["input_audio"]["format"] == "mp3"


def test_unsupported_audio_format_is_a_clear_error() -> None:
    with pytest.raises(InvalidParameterError, match="wav or mp3"):
        to_wire_messages([user(AudioBlock(audio=b"OggS" + b"\x00" * 40, format="ogg"))])


def test_pdf_document_is_a_file_part() -> None:
    pdf = tiny_pdf()
    block = DocumentBlock(data=pdf, title="report")
    part = to_wire_messages([user(block)])[0]["content"][0]
    assert part["type"] == "file"
    assert part["file"]["filename"] == "report.pdf"
    prefix, encoded = part["file"]["file_data"].split(",", 1)
    assert prefix == "data:application/pdf;base64"
    assert base64.b64decode(encoded) == pdf


def test_pdf_by_path_keeps_file_name(tmp_path: Path) -> None:
    path = tmp_path / "manual.pdf"
    path.write_bytes(tiny_pdf())
    part = to_wire_messages([user(DocumentBlock(path=path))])[0]["content"][0]
    assert part["file"]["filename"] == "manual.pdf"


def test_text_document_is_sent_as_text() -> None:
    block = DocumentBlock(data=b"plain notes", document_mimetype="text/plain")
    assert to_wire_messages([user(block)])[0]["content"] == "plain notes"


# -- tools, thinking and what is dropped -----------------------------------------------------------


def test_assistant_tool_calls_and_tool_results() -> None:
    call = ToolCallBlock(tool_call_id="call_1", tool_name="add", tool_kwargs={"a": 1, "b": 2})
    history = [
        ChatMessage(role="assistant", blocks=[ThinkingBlock(content="plan"), call]),
        ChatMessage(role="tool", content="3", additional_kwargs={"tool_call_id": "call_1"}),
    ]
    assert to_wire_messages(history) == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "3"},
    ]


def test_tool_call_arguments_given_as_text_are_sent_as_is() -> None:
    call = ToolCallBlock(tool_call_id="c", tool_name="f", tool_kwargs='{"x":1}')
    message = ChatMessage(role="assistant", blocks=[TextBlock(text="calling"), call])
    wire = to_wire_messages([message])[0]
    assert wire["content"] == "calling"
    assert wire["tool_calls"][0]["function"]["arguments"] == '{"x":1}'


def test_legacy_additional_kwargs_tool_calls_are_used_without_blocks() -> None:
    legacy = {"id": "c9", "type": "function", "function": {"name": "f", "arguments": {"x": 1}}}
    message = ChatMessage(role="assistant", content="", additional_kwargs={"tool_calls": [legacy]})
    calls = to_wire_messages([message])[0]["tool_calls"]
    assert calls == [
        {"id": "c9", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}
    ]


def test_thinking_and_cache_points_are_dropped() -> None:
    cache = CachePoint(cache_control=CacheControl(type="ephemeral"))
    message = ChatMessage(
        role="assistant", blocks=[ThinkingBlock(content="secret plan"), TextBlock(text="ok"), cache]
    )
    assert to_wire_messages([message]) == [{"role": "assistant", "content": "ok"}]


def test_tool_result_without_call_id_is_a_clear_error() -> None:
    with pytest.raises(InvalidParameterError, match=r"messages\[0\].*tool_call_id"):
        to_wire_messages([ChatMessage(role="tool", content="3")])


def test_tool_call_without_id_is_a_clear_error() -> None:
    message = ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_name="f", tool_kwargs={})])
    with pytest.raises(InvalidParameterError, match="tool_call_id"):
        to_wire_messages([message])


def test_unknown_block_is_a_clear_error_naming_it() -> None:
    video = VideoBlock(video=b"\x00\x00\x00\x18ftypmp42", video_mimetype="video/mp4")
    with pytest.raises(InvalidParameterError, match=r"messages\[1\].*VideoBlock"):
        to_wire_messages([ChatMessage(role="user", content="hi"), user(video)])


def test_media_outside_user_messages_is_a_clear_error() -> None:
    message = ChatMessage(role="system", blocks=[ImageBlock(url="https://example.com/a.png")])
    with pytest.raises(InvalidParameterError, match="text only"):
        to_wire_messages([message])


def test_conversion_never_changes_the_callers_messages() -> None:
    history = [
        ChatMessage(role="system", blocks=[TextBlock(text="a"), TextBlock(text="b")]),
        user(TextBlock(text="look"), ImageBlock(image=tiny_png()), DocumentBlock(data=tiny_pdf())),
        ChatMessage(
            role="assistant",
            blocks=[ToolCallBlock(tool_call_id="c", tool_name="f", tool_kwargs={"x": 1})],
        ),
        ChatMessage(role="tool", content="1", additional_kwargs={"tool_call_id": "c"}),
    ]
    before = [message.model_dump() for message in history]
    to_wire_messages(history)
    assert [message.model_dump() for message in history] == before


def test_image_stream_is_read_whole_and_left_where_it_was() -> None:
    stream = io.BytesIO(tiny_png())
    stream.seek(5)
    part = to_wire_messages([user(ImageBlock(image=stream))])[0]["content"][0]
    prefix, encoded = part["image_url"]["url"].split(",", 1)
    assert prefix == "data:image/png;base64" and base64.b64decode(encoded) == tiny_png()
    assert stream.tell() == 5


def test_citable_content_is_sent_and_citations_are_not() -> None:
    from llama_index.core.base.llms.types import CitableBlock, CitationBlock

    citable = CitableBlock(
        title="Manual", source="https://example.com/manual", content=[TextBlock(text="Keys: env.")]
    )
    citation = CitationBlock(
        cited_content=TextBlock(text="Keys: env."),
        source="https://example.com/manual",
        title="Manual",
        additional_location_info={"start": 0},
    )
    wire = to_wire_messages(
        [
            user(TextBlock(text="Where are keys?"), citable),
            ChatMessage(role="assistant", blocks=[TextBlock(text="In the env."), citation]),
        ]
    )
    assert wire == [
        {"role": "user", "content": "Where are keys?\nKeys: env."},
        {"role": "assistant", "content": "In the env."},
    ]
