"""SkillBoss's eight LlamaIndex calls over real HTTP, against a scripted loopback gateway.

Chat, complete and their async and streaming twins, the prompt-template calls (predict,
stream and their async twins), parameters, usage counting, instrumentation, logprobs,
reasoning in each provider's field, refusals and every block type. Every answer is scripted
in the test that reads it; what was sent is read from `server.requests`.
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
from llama_index.core.prompts import PromptTemplate
from llama_index_instrumentation import get_dispatcher

from llama_index_skillboss import SkillBoss
from tests.support.scripted_gateway import Reply, ScriptedGateway
from tests.unit.test_llamaindex_messages import tiny_pdf, tiny_png, tiny_wav

MODEL = "openai/gpt-5.4-mini"
REASONER = "deepseek/deepseek-reasoner"
QUESTION = [ChatMessage(role="user", content="Name one colour of the rainbow.")]
PLANET = "Name one planet."

# The scripted answers, and the usage the gateway reports with them.
COLOUR = "Red is one colour of the rainbow."
PLANET_ANSWER = "Mars is a planet."
USAGE = {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20}


def llm(server: ScriptedGateway, **kwargs: Any) -> SkillBoss:
    settings: dict[str, Any] = {"model": MODEL, "api_key": "sk-test", "max_retries": 0}
    return SkillBoss(**{**settings, "api_base": server.base_url, **kwargs})


def assert_usage(counts: dict[str, Any], usage: dict[str, int] = USAGE) -> None:
    assert {k: counts[k] for k in usage} == usage


def assert_answer(response: ChatResponse, text: str) -> None:
    assert response.message.content == text
    assert response.message.role == "assistant"
    assert_usage(response.additional_kwargs)
    assert isinstance(response.raw, dict)
    assert response.raw["usage"]["total_tokens"] == USAGE["total_tokens"]


def assert_stream(responses: list[Any], text: str, text_of: str = "message") -> None:
    """Deltas add up to the scripted text, and every response carries the text so far."""
    final = responses[-1]
    deltas = "".join(r.delta or "" for r in responses)
    so_far = [r.message.content if text_of == "message" else r.text for r in responses]
    assert deltas == text and so_far[-1] == text
    assert len([r for r in responses if r.delta]) > 1  # it really came in pieces
    assert all(text.startswith(prefix or "") for prefix in so_far)
    assert_usage(final.additional_kwargs)
    assert final.raw["usage"]["total_tokens"] == USAGE["total_tokens"]


# -- the eight calls ---------------------------------------------------------------------------


def test_chat(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(COLOUR, usage=USAGE))
    assert_answer(llm(gateway_server).chat(QUESTION), COLOUR)
    [request] = gateway_server.requests
    body = request.json
    assert body["model"] == MODEL and "stream" not in body
    assert body["messages"] == [{"role": "user", "content": QUESTION[0].content}]


async def test_achat(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(COLOUR, usage=USAGE))
    assert_answer(await llm(gateway_server).achat(QUESTION), COLOUR)


def test_stream_chat_always_asks_for_usage(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(COLOUR, usage=USAGE))
    assert_stream(list(llm(gateway_server).stream_chat(QUESTION)), COLOUR)
    [request] = gateway_server.requests
    assert request.json["stream"] is True
    assert request.json["stream_options"] == {"include_usage": True}


async def test_astream_chat(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(COLOUR, usage=USAGE))
    responses = [r async for r in await llm(gateway_server).astream_chat(QUESTION)]
    assert_stream(responses, COLOUR)
    assert gateway_server.requests[0].json["stream_options"] == {"include_usage": True}


def test_complete_is_one_user_message(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(PLANET_ANSWER, usage=USAGE))
    response = llm(gateway_server).complete(PLANET)
    assert isinstance(response, CompletionResponse) and response.text == PLANET_ANSWER
    assert_usage(response.additional_kwargs)
    assert gateway_server.requests[0].messages == [{"role": "user", "content": PLANET}]


async def test_acomplete(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(PLANET_ANSWER, usage=USAGE))
    response = await llm(gateway_server).acomplete(PLANET)
    assert response.text == PLANET_ANSWER
    assert_usage(response.additional_kwargs)
    assert gateway_server.requests[0].messages == [{"role": "user", "content": PLANET}]


def test_stream_complete(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(PLANET_ANSWER, usage=USAGE))
    responses = list(llm(gateway_server).stream_complete(PLANET))
    assert_stream(responses, PLANET_ANSWER, text_of="text")
    assert gateway_server.requests[0].messages == [{"role": "user", "content": PLANET}]


async def test_astream_complete(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(PLANET_ANSWER, usage=USAGE))
    responses = [r async for r in await llm(gateway_server).astream_complete(PLANET)]
    assert_stream(responses, PLANET_ANSWER, text_of="text")


def test_parameters_reach_the_request(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(COLOUR))
    model = llm(gateway_server, temperature=0.2, max_tokens=64, seed=7, stop=["\n\n"], top_p=0.9)
    model.chat(QUESTION, temperature=0.5)  # per-call values win
    body = gateway_server.requests[0].json
    assert {k: body[k] for k in ("temperature", "max_tokens", "seed", "stop", "top_p")} == {
        "temperature": 0.5,
        "max_tokens": 64,
        "seed": 7,
        "stop": ["\n\n"],
        "top_p": 0.9,
    }


# -- the LLM's own prompt-template calls -------------------------------------------------------

PROMPT = PromptTemplate("Summarise in one line: {text}")
SUMMARY = "Keys are read from the environment."


async def test_predict_stream_and_their_async_twins(gateway_server: ScriptedGateway) -> None:
    gateway_server.reply = Reply(SUMMARY)  # the same line for all four calls
    model = llm(gateway_server, system_prompt="Be brief.")
    predicted = model.predict(PROMPT, text="keys live in the environment")
    streamed = list(model.stream(PROMPT, text="keys live in the environment"))
    apredicted = await model.apredict(PROMPT, text="balances can run low")
    astreamed = [t async for t in await model.astream(PROMPT, text="balances")]
    assert predicted == apredicted == SUMMARY
    assert len(streamed) > 1 and "".join(streamed) == SUMMARY
    assert len(astreamed) > 1 and "".join(astreamed) == SUMMARY
    sent = [r.json for r in gateway_server.requests]
    assert [bool(body.get("stream")) for body in sent] == [False, True, False, True]
    texts = ["keys live in the environment"] * 2 + ["balances can run low", "balances"]
    for body, text in zip(sent, texts, strict=True):
        # the system prompt is added the way LlamaIndex adds it
        assert body["messages"] == [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": f"Summarise in one line: {text}"},
        ]


# -- usage counting and instrumentation ---------------------------------------------------------


def test_token_counting_handler_counts_the_gateways_usage(gateway_server: ScriptedGateway) -> None:
    usages = [
        {"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16},
        {"prompt_tokens": 13, "completion_tokens": 7, "total_tokens": 20},
        {"prompt_tokens": 17, "completion_tokens": 3, "total_tokens": 20},
    ]
    gateway_server.queue(
        Reply(COLOUR, usage=usages[0]),
        Reply(COLOUR, usage=usages[1]),
        Reply(PLANET_ANSWER, usage=usages[2]),
    )
    # str.split would count these texts as 6-7 tokens: the counts below are the gateway's.
    counter = TokenCountingHandler(tokenizer=str.split)
    model = llm(gateway_server, callback_manager=CallbackManager([counter]))
    model.chat(QUESTION)
    list(model.stream_chat(QUESTION))
    model.complete(PLANET)
    assert [
        (e.prompt_token_count, e.completion_token_count, e.total_token_count)
        for e in counter.llm_token_counts
    ] == [(u["prompt_tokens"], u["completion_tokens"], u["total_tokens"]) for u in usages]
    assert counter.total_llm_token_count == 56


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


def test_instrumentation_sees_llm_start_and_end(
    gateway_server: ScriptedGateway, events: list[BaseEvent]
) -> None:
    gateway_server.queue(
        Reply(COLOUR, usage=USAGE), Reply(COLOUR, usage=USAGE), Reply(PLANET_ANSWER, usage=USAGE)
    )
    key = "sk-instrumented-secret-0123456789"
    model = llm(gateway_server, api_key=key)
    model.chat(QUESTION)
    list(model.stream_chat(QUESTION))
    model.complete(PLANET)
    kinds = [type(e) for e in events]
    assert kinds.count(LLMChatStartEvent) == 2 and kinds.count(LLMChatEndEvent) == 2
    assert kinds.count(LLMCompletionStartEvent) == 1 and kinds.count(LLMCompletionEndEvent) == 1
    assert LLMChatInProgressEvent in kinds
    start = next(e for e in events if isinstance(e, LLMChatStartEvent))
    assert start.model_dict["model_name"] == MODEL and "api_key" not in start.model_dict
    ends = [e for e in events if isinstance(e, LLMChatEndEvent)]
    assert [e.response.message.content for e in ends if e.response] == [COLOUR, COLOUR]
    assert all(
        e.response is not None and e.response.additional_kwargs["total_tokens"] == 20 for e in ends
    )
    assert all(key not in event.model_dump_json() for event in events)


# -- logprobs, reasoning, refusals ---------------------------------------------------------------


def test_logprobs_in_chat_and_stream(gateway_server: ScriptedGateway) -> None:
    # The gateway sends one logprob entry per word (-0.1 per position) with 2 alternatives.
    gateway_server.queue(Reply("Red and blue."), Reply("Red and blue."))
    model = llm(gateway_server, logprobs=True, top_logprobs=2)
    response = model.chat(QUESTION)
    assert response.logprobs is not None and len(response.logprobs) == 3
    assert all(isinstance(p, LogProb) for p in response.logprobs[0])
    assert [len(alternatives) for alternatives in response.logprobs] == [2, 2, 2]
    assert [(p.token, p.logprob) for p in response.logprobs[0]] == [("Red", -0.1), ("alt1", -1.1)]
    streamed = list(model.stream_chat(QUESTION))
    assert [len(r.logprobs or []) for r in streamed if r.delta] == [1, 1, 1]
    final = streamed[-1]
    assert final.logprobs is not None
    assert [alternatives[0].token for alternatives in final.logprobs] == ["Red", " and", " blue."]
    for request in gateway_server.requests:
        assert request.json["logprobs"] is True and request.json["top_logprobs"] == 2


REASONING = "Rainbows run from red to violet, so red is one."


@pytest.mark.parametrize("flavour", ["openai", "deepseek", "openrouter", "groq"])
def test_reasoning_in_each_providers_field_is_a_thinking_block(flavour: str) -> None:
    """`reasoning_content` (DeepSeek and the servers that copied it) or
    `reasoning` (OpenRouter, Groq): either way a ThinkingBlock before the answer's text."""
    with ScriptedGateway(flavour=flavour, lifetime=60.0) as server:
        server.reply = Reply(COLOUR, reasoning=REASONING)
        model = llm(server, model=REASONER)
        response = model.chat(QUESTION)
        thinking = response.message.blocks[0]
        assert isinstance(thinking, ThinkingBlock) and thinking.content == REASONING
        assert response.message.content == COLOUR  # the answer itself stays in the text
        streamed = list(model.stream_chat(QUESTION))
    deltas = "".join(r.additional_kwargs.get("thinking_delta", "") for r in streamed)
    assert deltas == REASONING
    final_thinking = streamed[-1].message.blocks[0]
    assert isinstance(final_thinking, ThinkingBlock) and final_thinking.content == REASONING
    assert streamed[-1].message.content == COLOUR


REFUSAL = "I can't help with that."


def test_refusal_is_surfaced_in_chat_and_stream(gateway_server: ScriptedGateway) -> None:
    gateway_server.reply = Reply(refusal=REFUSAL)
    model = llm(gateway_server)
    response = model.chat(QUESTION)
    assert response.message.additional_kwargs["refusal"] == REFUSAL
    streamed = list(model.stream_chat(QUESTION))[-1]
    assert streamed.message.additional_kwargs["refusal"] == REFUSAL


# -- every block type ------------------------------------------------------------------------------


def test_every_block_type_is_sent(gateway_server: ScriptedGateway, tmp_path: Path) -> None:
    gateway_server.queue(Reply("A pixel, a beep and two PDFs.", usage=USAGE))
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
    response = llm(gateway_server, model="openai/gpt-4o-mini").chat(history)
    assert_answer(response, "A pixel, a beep and two PDFs.")
    assert [m.model_dump() for m in history] == before
    [request] = gateway_server.requests
    body = request.json
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
