"""Images, PDFs and audio in every block dialect, with media the tests generate themselves
(tests/unit/test_generated_media.py).

These stand in for the standard tests that download media from public hosts (skipped in
tests/replay/test_langchain_standard.py): each block dialect (OpenAI, LangChain standard v1
and v0, Anthropic) must reach the gateway as the OpenAI content part asserted here, in user
and tool messages, with Anthropic-only fields (cache_control, thinking) left out. The model's
answer is scripted per test; what matters is what was sent.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.messages import content as blocks

from langchain_skillboss import ChatSkillBoss
from tests.support.scripted_gateway import ScriptedGateway
from tests.unit.test_generated_media import pdf, png, wav

MODEL = "openai/gpt-5.4-mini"
PNG64 = base64.b64encode(png()).decode()
WAV64 = base64.b64encode(wav()).decode()
PDF64 = base64.b64encode(pdf()).decode()
PNG_URL = f"data:image/png;base64,{PNG64}"
PDF_URL = f"data:application/pdf;base64,{PDF64}"


# What the scripted model answers to every request here.
SEEN = "I see red and blue stripes."


@pytest.fixture
def server(gateway_server: ScriptedGateway) -> ScriptedGateway:
    """The gateway, scripted to answer SEEN to the one request each test makes."""
    gateway_server.queue(SEEN)
    return gateway_server


def llm(server: ScriptedGateway) -> ChatSkillBoss:
    return ChatSkillBoss(model=MODEL, base_url=server.base_url, max_retries=0)


def sent_body(server: ScriptedGateway) -> dict[str, Any]:
    """The body of the (only) request this test made."""
    (request,) = server.requests
    body: dict[str, Any] = request.json
    return body


def sent_parts(server: ScriptedGateway, message: int = -1) -> list[dict[str, Any]]:
    """Content parts of a message in the (only) request this test made."""
    parts: list[dict[str, Any]] = sent_body(server)["messages"][message]["content"]
    return parts


def answered(message: Any) -> None:
    assert isinstance(message, AIMessage)
    assert message.text == SEEN


@pytest.mark.parametrize(
    "image",
    [
        {"type": "image_url", "image_url": {"url": PNG_URL}},
        blocks.create_image_block(base64=PNG64, mime_type="image/png", id="img-1"),
        {"type": "image", "url": PNG_URL},
        {"type": "image", "source_type": "base64", "data": PNG64, "mime_type": "image/png"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG64}},
    ],
    ids=["openai", "standard-base64", "standard-url", "standard-v0", "anthropic"],
)
def test_image_inputs(server: ScriptedGateway, image: dict[str, Any]) -> None:
    message = HumanMessage([{"type": "text", "text": "Describe this image."}, image])
    answered(llm(server).invoke([message]))
    text, part = sent_parts(server)
    assert text == {"type": "text", "text": "Describe this image."}
    assert part == {"type": "image_url", "image_url": {"url": PNG_URL}}


@pytest.mark.parametrize(
    "document",
    [
        blocks.create_file_block(base64=PDF64, mime_type="application/pdf", id="doc-1"),
        {"type": "file", "file": {"filename": "test_file.pdf", "file_data": PDF_URL}},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": PDF64},
        },
    ],
    ids=["standard", "openai", "anthropic"],
)
def test_pdf_inputs(server: ScriptedGateway, document: dict[str, Any]) -> None:
    message = HumanMessage([{"type": "text", "text": "Summarise this document."}, document])
    answered(llm(server).invoke([message]))
    part = sent_parts(server)[1]
    assert part["type"] == "file"
    assert part["file"]["file_data"] == PDF_URL
    assert part["file"]["filename"].endswith(".pdf")


@pytest.mark.parametrize(
    "audio",
    [
        blocks.create_audio_block(base64=WAV64, mime_type="audio/wav", id="aud-1"),
        {"type": "input_audio", "input_audio": {"data": WAV64, "format": "wav"}},
    ],
    ids=["standard", "openai"],
)
def test_audio_inputs(server: ScriptedGateway, audio: dict[str, Any]) -> None:
    message = HumanMessage([{"type": "text", "text": "Describe this audio."}, audio])
    answered(llm(server).invoke([message]))
    part = sent_parts(server)[1]
    assert part == {"type": "input_audio", "input_audio": {"data": WAV64, "format": "wav"}}


def _tool_turn(name: str) -> list[Any]:
    return [
        HumanMessage(f"Use {name} and describe what it returns."),
        AIMessage([], tool_calls=[{"type": "tool_call", "id": "1", "name": name, "args": {}}]),
    ]


@pytest.mark.parametrize(
    "content",
    [
        [{"type": "image_url", "image_url": {"url": PNG_URL}}],
        [blocks.create_image_block(base64=PNG64, mime_type="image/png", id="img-2")],
    ],
    ids=["openai", "standard"],
)
def test_image_in_a_tool_message(server: ScriptedGateway, content: list[Any]) -> None:
    def random_image() -> str:
        """Return a random image."""
        return ""

    result = ToolMessage(content=content, tool_call_id="1", name="random_image")
    answered(llm(server).bind_tools([random_image]).invoke([*_tool_turn("random_image"), result]))
    (part,) = sent_parts(server)
    assert part == {"type": "image_url", "image_url": {"url": PNG_URL}}


def test_pdf_in_a_tool_message(server: ScriptedGateway) -> None:
    def random_pdf() -> str:
        """Return a random PDF."""
        return ""

    result = ToolMessage(
        content_blocks=[blocks.create_file_block(base64=PDF64, mime_type="application/pdf")],
        tool_call_id="1",
        name="random_pdf",
    )
    answered(llm(server).bind_tools([random_pdf]).invoke([*_tool_turn("random_pdf"), result]))
    (part,) = sent_parts(server)
    assert part["file"]["file_data"] == PDF_URL


COLOR_PICKER = {
    "name": "color_picker",
    "input_schema": {
        "type": "object",
        "properties": {"fav_color": {"type": "string"}},
        "required": ["fav_color"],
    },
    "description": "Input your fav color and get a random fact about it.",
    "cache_control": {"type": "ephemeral"},
}


def test_anthropic_style_conversation(server: ScriptedGateway) -> None:
    """The standard Anthropic-inputs test, with a generated image instead of a download."""
    messages = [
        SystemMessage("you're a good assistant"),
        HumanMessage(
            [
                {
                    "type": "text",
                    "text": "what's your favorite color in this image",
                    "cache_control": {"type": "ephemeral"},
                },
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": PNG64},
                },
            ]
        ),
        AIMessage(
            [
                {"type": "text", "text": "Hmm let me think about that"},
                {
                    "type": "tool_use",
                    "input": {"fav_color": "purple"},
                    "id": "foo",
                    "name": "color_picker",
                },
            ],
            tool_calls=[
                {
                    "name": "color_picker",
                    "args": {"fav_color": "purple"},
                    "id": "foo",
                    "type": "tool_call",
                }
            ],
        ),
        ToolMessage("That's a great pick!", tool_call_id="foo"),
    ]
    answered(llm(server).bind_tools([COLOR_PICKER]).invoke(messages))
    body = sent_body(server)
    assert body["tools"][0]["function"]["name"] == "color_picker"
    assert "cache_control" not in json.dumps(body)
    assistant = body["messages"][2]
    assert assistant["content"] == "Hmm let me think about that"
    assert assistant["tool_calls"][0]["function"]["arguments"] == '{"fav_color": "purple"}'


def test_thinking_blocks_in_history_are_not_sent(server: ScriptedGateway) -> None:
    messages = [
        HumanMessage([{"type": "text", "text": "Hello"}]),
        AIMessage(
            [
                {"type": "thinking", "thinking": "A greeting.", "signature": "c2ln"},
                {"type": "text", "text": "Hello, how are you?"},
            ]
        ),
        HumanMessage([{"type": "text", "text": "Well, thanks."}]),
    ]
    answered(llm(server).invoke(messages))
    assert sent_body(server)["messages"][1] == {
        "role": "assistant",
        "content": "Hello, how are you?",
    }
