"""SkillBoss's eight LlamaIndex calls, usage counting, instrumentation and every block type.

Replayed from cassettes. Assertions are on structure (types, usage fields, what was sent)
so a live re-record keeps them true; request bodies come from the cassette, which only
replays a body equal to the one sent now.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    DocumentBlock,
    ImageBlock,
    LogProb,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatInProgressEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionStartEvent,
)
from llama_index_instrumentation import get_dispatcher

from llama_index_skillboss import SkillBoss
from tests.unit.test_llamaindex_messages import tiny_pdf, tiny_png, tiny_wav

pytestmark = pytest.mark.vcr

MODEL = "openai/gpt-5.4-mini"
REASONER = "deepseek/deepseek-reasoner"
QUESTION = [ChatMessage(role="user", content="Name one colour of the rainbow.")]


def llm(**kwargs: Any) -> SkillBoss:
    return SkillBoss(**{"model": MODEL, "max_retries": 0, **kwargs})


def sent(vcr: Any) -> list[dict[str, Any]]:
    """The JSON bodies of the requests this test made (recorded, and matched on replay)."""
    return [json.loads(request.body) for request in vcr.requests]


def assert_usage(counts: dict[str, Any]) -> None:
    assert counts["prompt_tokens"] > 0 and counts["completion_tokens"] > 0
    assert counts["total_tokens"] == counts["prompt_tokens"] + counts["completion_tokens"]


def assert_answer(response: ChatResponse) -> None:
    assert isinstance(response.message.content, str) and response.message.content
    assert response.message.role == "assistant"
    assert_usage(response.additional_kwargs)
    assert isinstance(response.raw, dict)
    assert response.raw["usage"]["total_tokens"] == response.additional_kwargs["total_tokens"]


def assert_stream(responses: list[Any], text_of: str = "message") -> None:
    """Deltas add up to the final text, which every response carries so far."""
    final = responses[-1]
    deltas = "".join(r.delta or "" for r in responses)
    so_far = [r.message.content if text_of == "message" else r.text for r in responses]
    assert deltas and so_far[-1] == deltas
    assert all(deltas.startswith(text or "") for text in so_far)
    assert_usage(final.additional_kwargs)
    assert final.raw["usage"]["total_tokens"] == final.additional_kwargs["total_tokens"]


# -- the eight calls ---------------------------------------------------------------------------


def test_chat(vcr: Any) -> None:
    response = llm().chat(QUESTION)
    assert_answer(response)
    [body] = sent(vcr)
    assert body["model"] == MODEL and "stream" not in body
    assert body["messages"] == [{"role": "user", "content": QUESTION[0].content}]


async def test_achat(vcr: Any) -> None:
    assert_answer(await llm().achat(QUESTION))


def test_stream_chat_always_asks_for_usage(vcr: Any) -> None:
    responses = list(llm().stream_chat(QUESTION))
    assert_stream(responses)
    [body] = sent(vcr)
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


async def test_astream_chat(vcr: Any) -> None:
    responses = [r async for r in await llm().astream_chat(QUESTION)]
    assert_stream(responses)


def test_complete_is_one_user_message(vcr: Any) -> None:
    response = llm().complete("Name one planet.")
    assert isinstance(response, CompletionResponse) and response.text
    assert_usage(response.additional_kwargs)
    assert sent(vcr)[0]["messages"] == [{"role": "user", "content": "Name one planet."}]


async def test_acomplete(vcr: Any) -> None:
    response = await llm().acomplete("Name one planet.")
    assert response.text
    assert_usage(response.additional_kwargs)


def test_stream_complete(vcr: Any) -> None:
    assert_stream(list(llm().stream_complete("Name one planet.")), text_of="text")


async def test_astream_complete(vcr: Any) -> None:
    responses = [r async for r in await llm().astream_complete("Name one planet.")]
    assert_stream(responses, text_of="text")


def test_parameters_reach_the_request(vcr: Any) -> None:
    model = llm(temperature=0.2, max_tokens=64, seed=7, stop=["\n\n"], top_p=0.9)
    model.chat(QUESTION, temperature=0.5)  # per-call values win
    [body] = sent(vcr)
    assert {k: body[k] for k in ("temperature", "max_tokens", "seed", "stop", "top_p")} == {
        "temperature": 0.5,
        "max_tokens": 64,
        "seed": 7,
        "stop": ["\n\n"],
        "top_p": 0.9,
    }


# -- usage counting and instrumentation ---------------------------------------------------------


def test_token_counting_handler_counts_the_gateways_usage(vcr: Any) -> None:
    counter = TokenCountingHandler(tokenizer=str.split)
    model = llm(callback_manager=CallbackManager([counter]))
    chat = model.chat(QUESTION)
    streamed = list(model.stream_chat(QUESTION))[-1]
    completed = model.complete("Name one planet.")
    expected = [chat, streamed, completed]
    assert len(counter.llm_token_counts) == 3
    for event, response in zip(counter.llm_token_counts, expected, strict=True):
        assert event.prompt_token_count == response.additional_kwargs["prompt_tokens"]
        assert event.completion_token_count == response.additional_kwargs["completion_tokens"]
    assert counter.total_llm_token_count == sum(
        r.additional_kwargs["total_tokens"] for r in expected
    )


class Collect(BaseEventHandler):
    events: list[BaseEvent] = []

    @classmethod
    def class_name(cls) -> str:
        return "Collect"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)


@pytest.fixture
def events() -> Iterator[list[BaseEvent]]:
    handler = Collect(events=[])
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        yield handler.events
    finally:
        root.event_handlers.remove(handler)


def test_instrumentation_sees_llm_start_and_end(vcr: Any, events: list[BaseEvent]) -> None:
    key = "sk-instrumented-secret-0123456789"
    model = llm(api_key=key)
    model.chat(QUESTION)
    list(model.stream_chat(QUESTION))
    model.complete("Name one planet.")
    kinds = [type(e) for e in events]
    assert kinds.count(LLMChatStartEvent) == 2 and kinds.count(LLMChatEndEvent) == 2
    assert kinds.count(LLMCompletionStartEvent) == 1 and kinds.count(LLMCompletionEndEvent) == 1
    assert LLMChatInProgressEvent in kinds
    start = next(e for e in events if isinstance(e, LLMChatStartEvent))
    assert start.model_dict["model_name"] == MODEL and "api_key" not in start.model_dict
    ends = [e for e in events if isinstance(e, LLMChatEndEvent)]
    assert all(
        e.response is not None and e.response.additional_kwargs["total_tokens"] for e in ends
    )
    assert all(key not in event.model_dump_json() for event in events)


# -- logprobs and reasoning ------------------------------------------------------------------------


def test_logprobs_in_chat_and_stream(vcr: Any) -> None:
    model = llm(logprobs=True, top_logprobs=2)
    response = model.chat(QUESTION)
    assert response.logprobs and all(isinstance(p, LogProb) for p in response.logprobs[0])
    assert all(1 <= len(alternatives) <= 2 for alternatives in response.logprobs)
    streamed = list(model.stream_chat(QUESTION))
    assert any(r.logprobs for r in streamed[:-1])
    assert streamed[-1].logprobs and len(streamed[-1].logprobs) >= len(streamed) - 1
    assert sent(vcr)[0]["logprobs"] is True and sent(vcr)[0]["top_logprobs"] == 2


def test_reasoning_as_thinking_block(vcr: Any) -> None:
    model = llm(model=REASONER)
    response = model.chat(QUESTION)
    thinking = [b for b in response.message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking and thinking[0].content
    assert response.message.content  # the answer itself stays in the text
    streamed = list(model.stream_chat(QUESTION))
    deltas = "".join(r.additional_kwargs.get("thinking_delta", "") for r in streamed)
    final_thinking = streamed[-1].message.blocks[0]
    assert isinstance(final_thinking, ThinkingBlock) and final_thinking.content == deltas
    assert streamed[-1].message.content


# -- every block type ------------------------------------------------------------------------------


def test_every_block_type_is_sent(vcr: Any, tmp_path: Path) -> None:
    image_path = tmp_path / "pixel.png"
    image_path.write_bytes(tiny_png())
    pdf_path = tmp_path / "manual.pdf"
    pdf_path.write_bytes(tiny_pdf())
    data_url = "data:image/png;base64," + ImageBlock(image=tiny_png()).image.decode()  # type: ignore[union-attr]
    history = [
        ChatMessage(role="system", content="You describe attachments briefly."),
        ChatMessage(role="user", content="What is 2 + 2?"),
        ChatMessage(
            role="assistant",
            blocks=[
                ThinkingBlock(content="I should use the calculator."),
                ToolCallBlock(
                    tool_call_id="call_calc_1", tool_name="add", tool_kwargs={"a": 2, "b": 2}
                ),
            ],
        ),
        ChatMessage(role="tool", content="4", additional_kwargs={"tool_call_id": "call_calc_1"}),
        ChatMessage(role="assistant", content="2 + 2 is 4."),
        ChatMessage(
            role="user",
            blocks=[
                TextBlock(text="Now describe these attachments."),
                ImageBlock(url=data_url),
                ImageBlock(image=tiny_png()),
                ImageBlock(path=image_path),
                AudioBlock(audio=tiny_wav(), format="wav"),
                DocumentBlock(data=tiny_pdf(), title="report"),
                DocumentBlock(path=pdf_path),
            ],
        ),
    ]
    before = [m.model_dump() for m in history]
    response = llm(model="openai/gpt-4o-mini").chat(history)
    assert_answer(response)
    assert [m.model_dump() for m in history] == before
    [body] = sent(vcr)
    assert [m["role"] for m in body["messages"]] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
    ]
    assert body["messages"][2]["tool_calls"][0]["id"] == body["messages"][3]["tool_call_id"]
    assert "I should use the calculator" not in json.dumps(body)  # thinking is not sent back
    parts = body["messages"][-1]["content"]
    assert [p["type"] for p in parts] == [
        "text",
        "image_url",
        "image_url",
        "image_url",
        "input_audio",
        "file",
        "file",
    ]
    assert [p["file"]["filename"] for p in parts[-2:]] == ["report.pdf", "manual.pdf"]
