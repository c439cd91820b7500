"""LangChain messages and content blocks -> the wire, including the errors for what cannot go."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages import content as blocks

from langchain_skillboss.messages import to_wire, to_wire_messages
from skillboss_core import InvalidParameterError

PNG64 = "iVBORw0KGgo="
PDF64 = "JVBERi0xLjQ="
WAV64 = "UklGRgAAAABXQVZF"


def user_parts(*content: Any) -> list[dict[str, Any]]:
    wire = to_wire(HumanMessage(content=list(content)))
    assert wire["role"] == "user"
    parts: list[dict[str, Any]] = wire["content"]
    return parts


def test_roles_names_and_plain_strings() -> None:
    wire = to_wire_messages(
        [
            SystemMessage("be brief", name="rules"),
            HumanMessage("hi", name="alice"),
            AIMessage("hello", name="bot"),
            ChatMessage(role="developer", content="dev note"),
        ]
    )
    assert wire == [
        {"role": "system", "content": "be brief", "name": "rules"},
        {"role": "user", "content": "hi", "name": "alice"},
        {"role": "assistant", "content": "hello", "name": "bot"},
        {"role": "system", "content": "dev note"},  # the gateway documents no developer role
    ]


def test_assistant_tool_calls_are_json_and_content_becomes_null() -> None:
    message = AIMessage(
        "",
        tool_calls=[{"name": "add", "args": {"a": 1, "b": "二"}, "id": "c1", "type": "tool_call"}],
    )
    wire = to_wire(message)
    assert wire["content"] is None
    (call,) = wire["tool_calls"]
    assert call["id"] == "c1" and call["type"] == "function"
    assert call["function"]["name"] == "add"
    assert json.loads(call["function"]["arguments"]) == {"a": 1, "b": "二"}
    assert "二" in call["function"]["arguments"]  # not \\u-escaped


def test_assistant_invalid_tool_calls_are_sent_back_as_written() -> None:
    message = AIMessage(
        "",
        invalid_tool_calls=[
            {
                "name": "add",
                "args": "{broken",
                "id": "c9",
                "error": "bad",
                "type": "invalid_tool_call",
            }
        ],
    )
    assert to_wire(message)["tool_calls"][0]["function"]["arguments"] == "{broken"


def test_assistant_content_lists_keep_text_and_drop_tool_use_and_thinking() -> None:
    message = AIMessage(
        [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {"type": "reasoning", "reasoning": "hmm"},
            {"type": "text", "text": "Let me check. "},
            "Done.",
            {"type": "tool_use", "id": "t1", "name": "pick", "input": {"c": "red"}},
        ],
        tool_calls=[{"name": "pick", "args": {"c": "red"}, "id": "t1", "type": "tool_call"}],
    )
    wire = to_wire(message)
    assert wire["content"] == "Let me check. Done."
    assert [c["id"] for c in wire["tool_calls"]] == ["t1"]


def test_assistant_rejects_media_blocks() -> None:
    with pytest.raises(InvalidParameterError, match="assistant"):
        to_wire(AIMessage([{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]))


def test_tool_messages_string_list_and_error_status() -> None:
    assert to_wire(ToolMessage("3", tool_call_id="c1", name="add")) == {
        "role": "tool",
        "tool_call_id": "c1",
        "content": "3",
    }
    errored = to_wire(ToolMessage("Error: b missing", tool_call_id="c1", status="error"))
    assert errored["content"] == "Error: b missing"
    listed = to_wire(
        ToolMessage(
            [
                {"type": "text", "text": "chart:"},
                blocks.create_image_block(base64=PNG64, mime_type="image/png"),
            ],
            tool_call_id="c2",
        )
    )
    assert listed["content"][0] == {"type": "text", "text": "chart:"}
    assert listed["content"][1]["image_url"]["url"] == f"data:image/png;base64,{PNG64}"


def test_openai_image_url_forms() -> None:
    parts = user_parts(
        {"type": "image_url", "image_url": {"url": "https://h/a.png", "detail": "low"}},
        {"type": "image_url", "image_url": "https://h/b.png"},
    )
    assert parts == [
        {"type": "image_url", "image_url": {"url": "https://h/a.png", "detail": "low"}},
        {"type": "image_url", "image_url": {"url": "https://h/b.png"}},
    ]


def test_standard_v1_blocks_image_file_audio() -> None:
    parts = user_parts(
        "look:",
        blocks.create_image_block(url="https://h/c.jpg"),
        blocks.create_image_block(base64=PNG64, mime_type="image/png"),
        blocks.create_file_block(base64=PDF64, mime_type="application/pdf", filename="r.pdf"),
        blocks.create_audio_block(base64=WAV64, mime_type="audio/wav"),
        blocks.create_plaintext_block("plain"),
    )
    assert parts[0] == {"type": "text", "text": "look:"}
    assert parts[1] == {"type": "image_url", "image_url": {"url": "https://h/c.jpg"}}
    assert parts[2]["image_url"]["url"] == f"data:image/png;base64,{PNG64}"
    assert parts[3] == {
        "type": "file",
        "file": {"file_data": f"data:application/pdf;base64,{PDF64}", "filename": "r.pdf"},
    }
    assert parts[4] == {"type": "input_audio", "input_audio": {"data": WAV64, "format": "wav"}}
    assert parts[5] == {"type": "text", "text": "plain"}


def test_pdf_without_a_filename_gets_one_and_file_ids_pass() -> None:
    parts = user_parts(
        {"type": "file", "base64": PDF64, "mime_type": "application/pdf"},
        {"type": "file", "file_id": "file-123"},
    )
    assert parts[0]["file"]["filename"] == "document.pdf"
    assert parts[1] == {"type": "file", "file": {"file_id": "file-123"}}


def test_standard_v0_source_type_blocks() -> None:
    parts = user_parts(
        {"type": "image", "source_type": "base64", "data": PNG64, "mime_type": "image/png"},
        {"type": "image", "source_type": "url", "url": "https://h/d.png"},
        {"type": "file", "source_type": "base64", "data": PDF64, "mime_type": "application/pdf"},
        {"type": "audio", "source_type": "base64", "data": WAV64, "mime_type": "audio/mpeg"},
    )
    assert parts[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert parts[1]["image_url"]["url"] == "https://h/d.png"
    assert parts[2]["file"]["file_data"].startswith("data:application/pdf;base64,")
    assert parts[3]["input_audio"]["format"] == "mp3"


def test_openai_file_and_input_audio_pass_through() -> None:
    file_block = {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:..."}}
    audio_block = {"type": "input_audio", "input_audio": {"data": WAV64, "format": "wav"}}
    assert user_parts(file_block, audio_block) == [file_block, audio_block]


def test_anthropic_image_and_document_blocks() -> None:
    parts = user_parts(
        {"type": "text", "text": "what colour?", "cache_control": {"type": "ephemeral"}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG64}},
        {"type": "image", "source": {"type": "url", "url": "https://h/e.png"}},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": PDF64},
        },
    )
    assert parts[0] == {"type": "text", "text": "what colour?"}  # cache_control dropped
    assert parts[1]["image_url"]["url"] == f"data:image/png;base64,{PNG64}"
    assert parts[2]["image_url"]["url"] == "https://h/e.png"
    assert parts[3]["file"]["file_data"] == f"data:application/pdf;base64,{PDF64}"


def test_json_and_text_document_blocks_become_text() -> None:
    """A tool may return LangChain `json` blocks; Anthropic documents may be plain text."""
    wire = to_wire(
        ToolMessage([{"type": "json", "json": {"temp": 21, "city": "Zürich"}}], tool_call_id="c")
    )
    assert wire["content"] == [{"type": "text", "text": '{"temp": 21, "city": "Zürich"}'}]
    document = {"type": "document", "source": {"type": "text", "data": "Clause 1."}}
    assert user_parts(document) == [{"type": "text", "text": "Clause 1."}]


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"type": "mystery", "x": 1}, "'mystery'.*unknown"),
        ({"type": "json", "json": {"at": object()}}, "not JSON-serialisable"),
        ({"type": "document", "source": {"type": "url", "url": "https://h/r.pdf"}}, "base64"),
        ({"type": "image", "file_id": "file-1"}, "file id"),
        ({"type": "search_result", "content": []}, "unknown"),
        ({"type": "video", "url": "https://h/v.mp4"}, "video"),
        ({"type": "file", "url": "https://h/r.pdf", "mime_type": "application/pdf"}, "base64"),
        ({"type": "audio", "url": "https://h/a.wav"}, "inline base64"),
        ({"type": "audio", "base64": WAV64, "mime_type": "audio/flac"}, "wav or mp3"),
        ({"type": "image"}, "no url, base64"),
        ({"type": "image_url", "image_url": {}}, "image_url="),
        ({"type": "text", "text": 3}, "not a string"),
        ({"type": "input_audio", "input_audio": {}}, "input_audio="),
    ],
)
def test_blocks_that_cannot_be_sent_fail_clearly(block: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        to_wire(HumanMessage(content=[block]))


def test_unsupported_message_types_fail_clearly() -> None:
    with pytest.raises(InvalidParameterError, match="RemoveMessage"):
        to_wire(RemoveMessage(id="m1"))


def test_legacy_function_messages_are_refused_before_sending() -> None:
    """The gateway documents user / assistant / system / tool roles only (wire.builders)."""
    with pytest.raises(InvalidParameterError, match="ToolMessage"):
        to_wire_messages([HumanMessage("hi"), FunctionMessage(name="add", content="3")])
    with pytest.raises(InvalidParameterError, match="tool_call_id"):
        to_wire_messages([ChatMessage(role="tool", content="3")])
