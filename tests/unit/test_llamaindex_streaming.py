"""Streams as LlamaIndex sees them: deltas, the message so far, tools, usage, cost (no HTTP).

The gateway is replaced by a fake that replays realistic SSE bytes through the core's real
stream reader, so repeated ids, whole calls in one delta and split arguments are the
core's actual output.
"""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.prompts import PromptTemplate

from llama_index_skillboss import SkillBoss, streaming
from llama_index_skillboss.lazy import PartialMessage
from skillboss_core import AsyncChatStream, ChatStream
from skillboss_core.wire.request import ChatRequest, one_tool_call_only
from tests.unit import sse_fixtures as fx

HELLO = [ChatMessage(role="user", content="hello")]


class FakeGateway:
    """Stands in for skillboss_core.Gateway: replays prepared SSE events through the core's
    real accumulator one event per read (fx.replay), records bodies."""

    def __init__(self, events: Sequence[bytes] | Iterator[bytes]) -> None:
        self.events = events
        self.bodies: list[dict[str, Any]] = []
        self.closed = False

    def _closed(self) -> None:
        self.closed = True

    def stream(
        self, call: ChatRequest, *, fallback_models: Sequence[str] = (), budget: Any = None
    ) -> ChatStream:
        body = call.body(stream=True)
        self.bodies.append(body)
        one = one_tool_call_only(body)
        return fx.replay(self.events, on_close=self._closed, one_tool_call=one)

    def astream(
        self, call: ChatRequest, *, fallback_models: Sequence[str] = (), budget: Any = None
    ) -> AsyncChatStream:
        body = call.body(stream=True)
        self.bodies.append(body)
        return fx.areplay(self.events, one_tool_call=one_tool_call_only(body))


def chunks_of(data: bytes) -> list[bytes]:
    """A recorded stream as the events a server flushes one by one."""
    return [event + b"\n\n" for event in data.split(b"\n\n") if event.strip()]


@pytest.fixture
def llm() -> SkillBoss:
    return SkillBoss(api_key="sk-unit-0123456789abcdef")


def use(monkeypatch: pytest.MonkeyPatch, gateway: FakeGateway) -> FakeGateway:
    monkeypatch.setattr(SkillBoss, "_ready_gateway", lambda self: gateway)
    return gateway


def test_every_response_has_its_delta_and_the_message_so_far(
    llm: SkillBoss, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = use(monkeypatch, FakeGateway(chunks_of(fx.openai_text_stream())))
    responses = list(llm.stream_chat(HELLO))
    assert [r.delta for r in responses] == ["Hello", ", world", ""]
    assert [r.message.content for r in responses] == ["Hello", "Hello, world", "Hello, world"]
    assert gateway.bodies[0]["stream_options"] == {"include_usage": True}


def test_usage_is_on_the_final_response_where_token_counting_reads_it(
    llm: SkillBoss, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, FakeGateway(chunks_of(fx.openai_text_stream())))
    *partials, final = llm.stream_chat(HELLO)
    assert final.additional_kwargs == {
        "prompt_tokens": 12,
        "completion_tokens": 7,
        "total_tokens": 19,
        "cached_tokens": 4,
        "reasoning_tokens": 3,
    }
    assert final.raw["usage"]["prompt_tokens"] == 12
    assert final.raw["finish_reason"] == "stop"
    assert final.raw["id"] == "chatcmpl-fixture"
    assert all(r.raw is None and "prompt_tokens" not in r.additional_kwargs for r in partials)


def test_usage_on_the_finish_chunk_deepseek_style_with_reasoning(
    llm: SkillBoss, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, FakeGateway(chunks_of(fx.deepseek_reasoning_stream())))
    responses = list(llm.stream_chat(HELLO))
    thinking = [r.additional_kwargs.get("thinking_delta") for r in responses]
    assert [t for t in thinking if t] == ["Think ", "hard."]
    final = responses[-1]
    assert final.message.content == "42"
    block = final.message.blocks[0]
    assert isinstance(block, ThinkingBlock)
    assert (block.content, block.num_tokens) == ("Think hard.", 3)
    assert final.additional_kwargs["total_tokens"] == 19


@pytest.mark.parametrize("repeat_ids", [False, True])
def test_parallel_tool_calls_accumulate_with_ids_and_names_once(
    llm: SkillBoss, monkeypatch: pytest.MonkeyPatch, repeat_ids: bool
) -> None:
    use(monkeypatch, FakeGateway(chunks_of(fx.parallel_tool_stream(repeat_ids=repeat_ids))))
    final = list(llm.stream_chat(HELLO))[-1]
    blocks = [b for b in final.message.blocks if isinstance(b, ToolCallBlock)]
    assert [(b.tool_call_id, b.tool_name, b.tool_kwargs) for b in blocks] == [
        ("call_0", "get_weather", {"city": "Paris"}),
        ("call_1", "get_time", {"tz": "CET"}),
    ]
    assert final.message.additional_kwargs["tool_calls"] == [
        {
            "id": "call_0",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        },
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_time", "arguments": '{"tz": "CET"}'},
        },
    ]
    selections = llm.get_tool_calls_from_response(final)
    assert [(s.tool_id, s.tool_name, s.tool_kwargs) for s in selections] == [
        ("call_0", "get_weather", {"city": "Paris"}),
        ("call_1", "get_time", {"tz": "CET"}),
    ]


def test_whole_call_in_one_delta(llm: SkillBoss, monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, FakeGateway(chunks_of(fx.groq_whole_call_stream())))
    final = list(llm.stream_chat(HELLO))[-1]
    [selection] = llm.get_tool_calls_from_response(final)
    assert (selection.tool_id, selection.tool_name, selection.tool_kwargs) == (
        "fc_1",
        "lookup",
        {"q": "x"},
    )
    assert final.message.content is None  # tool calls only, no text block


def test_partial_arguments_mid_stream_never_raise_for_lenient_callers(
    llm: SkillBoss, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, FakeGateway(chunks_of(fx.parallel_tool_stream())))
    seen = []
    for response in llm.stream_chat(HELLO):
        seen.append(llm.get_tool_calls_from_response(response, error_on_no_tool_call=False))
    # '{"ci' is not JSON; the lenient parse repairs what it can and never raises.
    assert seen[1][0].tool_name == "get_weather" and isinstance(seen[1][0].tool_kwargs, dict)
    assert seen[-1][0].tool_kwargs == {"city": "Paris"}


def test_strict_callers_get_clear_errors(llm: SkillBoss) -> None:
    no_call = ChatResponse(message=ChatMessage(role="assistant", content="no tools today"))
    with pytest.raises(ValueError, match="no tool calls"):
        llm.get_tool_calls_from_response(no_call)
    assert llm.get_tool_calls_from_response(no_call, error_on_no_tool_call=False) == []
    broken = ChatResponse(
        message=ChatMessage(
            role="assistant",
            blocks=[ToolCallBlock(tool_call_id="c", tool_name="f", tool_kwargs='{"a": ')],
        )
    )
    with pytest.raises(ValueError, match="not valid JSON"):
        llm.get_tool_calls_from_response(broken)


def test_single_tool_call_when_parallel_calls_are_off(
    llm: SkillBoss, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = use(monkeypatch, FakeGateway(chunks_of(fx.parallel_tool_stream())))
    tools = [
        {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}
        for name in ("get_weather", "get_time")
    ]
    final = list(llm.stream_chat(HELLO, tools=tools, parallel_tool_calls=False))[-1]
    assert [s.tool_name for s in llm.get_tool_calls_from_response(final)] == ["get_weather"]
    assert len(final.message.additional_kwargs["tool_calls"]) == 1
    assert gateway.bodies[0]["parallel_tool_calls"] is False
    # Without tools the flag means nothing, and the gateway would reject it: not sent.
    list(llm.stream_chat(HELLO, parallel_tool_calls=False))
    assert "parallel_tool_calls" not in gateway.bodies[1]


def test_refusal_and_logprobs(llm: SkillBoss, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = {"token": "No", "logprob": -0.5, "bytes": [78, 111], "top_logprobs": []}
    data = b"".join(
        [
            fx.event(
                fx.chunk({"role": "assistant", "content": "No", "refusal": None}, logprobs=[entry])
            ),
            fx.event(fx.chunk({"refusal": "I can't help."})),
            fx.event(fx.chunk({}, finish="stop")),
            fx.event("[DONE]"),
        ]
    )
    use(monkeypatch, FakeGateway(chunks_of(data)))
    responses = list(llm.stream_chat(HELLO))
    assert responses[0].logprobs is not None
    assert [(p.token, p.logprob) for p in responses[0].logprobs[0]] == [("No", -0.5)]
    final = responses[-1]
    assert final.message.additional_kwargs["refusal"] == "I can't help."
    assert final.logprobs is not None and len(final.logprobs) == 1
    assert final.raw["usage"] is None and final.additional_kwargs == {}


def test_stopping_early_closes_the_gateway_stream(
    llm: SkillBoss, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = use(monkeypatch, FakeGateway(chunks_of(fx.openai_text_stream())))
    stream = llm.stream_chat(HELLO)
    next(stream)
    stream.close()
    assert gateway.closed


def test_stream_complete_and_async_streams(llm: SkillBoss, monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, FakeGateway(chunks_of(fx.openai_text_stream())))
    completions = list(llm.stream_complete("hello"))
    assert [c.delta for c in completions] == ["Hello", ", world", ""]
    assert [c.text for c in completions] == ["Hello", "Hello, world", "Hello, world"]
    assert completions[-1].additional_kwargs["total_tokens"] == 19

    async def collect() -> tuple[list[ChatResponse], list[Any]]:
        chats = [r async for r in await llm.astream_chat(HELLO)]
        texts = [r async for r in await llm.astream_complete("hello")]
        return chats, texts

    chats, texts = asyncio.run(collect())
    assert chats[-1].message.content == "Hello, world"
    assert isinstance(chats[-1].raw, dict) and chats[-1].raw["usage"]
    assert texts[-1].text == "Hello, world"


# -- cost: linear time, bounded memory -----------------------------------------------------------


def many_chunks(count: int) -> Iterator[bytes]:
    piece = fx.event(fx.chunk({"content": "tok "}))
    for _ in range(count):
        yield piece
    yield fx.event(fx.chunk({}, finish="stop"))
    usage = {"prompt_tokens": 1, "completion_tokens": count, "total_tokens": count + 1}
    yield fx.event(fx.chunk(None, usage=usage, no_choices=True))
    yield fx.event("[DONE]")


class JoinCounter:
    """Counts what building "the text so far" costs: calls, and pieces joined in all."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = self.pieces = 0
        original = streaming.StreamState.text_at

        def counting(state: streaming.StreamState, pieces: int) -> str:
            self.calls += 1
            self.pieces += pieces
            return original(state, pieces)

        monkeypatch.setattr(streaming.StreamState, "text_at", counting)


LONG = 100_000
MEMORY_LONG = 20_000
# Counting proves linearity at any length; the engines' own per-chunk work sets this one.
ENGINE_LONG = 10_000


def test_a_long_stream_never_rebuilds_the_text_so_far(
    llm: SkillBoss, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Linear without a clock: reading deltas and additional_kwargs (what chat engines read
    at every chunk, to spot tool calls) never builds the text so far."""
    joins = JoinCounter(monkeypatch)
    use(monkeypatch, FakeGateway(many_chunks(LONG)))
    last = None
    deltas = snapshots = 0
    for response in llm.stream_chat(HELLO):
        deltas += len(response.delta or "")
        assert "tool_calls" not in response.message.additional_kwargs
        snapshots += isinstance(response.message, PartialMessage)
        last = response
    assert snapshots == LONG, "the message so far must be a deferred snapshot"
    assert last is not None and deltas == len("tok ") * LONG
    assert (joins.calls, joins.pieces) == (1, LONG), "only the final message joins the text"
    assert last.message.content == "tok " * LONG
    assert last.additional_kwargs["completion_tokens"] == LONG


def test_stream_and_stream_complete_join_the_text_once(
    llm: SkillBoss, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LLM.stream (query engines, synthesizers) and stream_complete read deltas only."""
    joins = JoinCounter(monkeypatch)
    use(monkeypatch, FakeGateway(many_chunks(ENGINE_LONG)))
    assert "".join(llm.stream(PromptTemplate("{q}"), q="hello")) == "tok " * ENGINE_LONG
    assert joins.pieces == ENGINE_LONG
    use(monkeypatch, FakeGateway(many_chunks(ENGINE_LONG)))
    *_, final = llm.stream_complete("hello")
    assert final.text == "tok " * ENGINE_LONG
    assert joins.pieces == 2 * ENGINE_LONG


@pytest.mark.parametrize("mode", ["simple", "context", "condense_plus_context"])
def test_streaming_chat_engines_run_in_linear_time(
    llm: SkillBoss, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """Chat engines check every chunk's message for tool calls; that must not join text."""
    from llama_index.core.chat_engine import (
        CondensePlusContextChatEngine,
        ContextChatEngine,
        SimpleChatEngine,
    )
    from llama_index.core.chat_engine.types import BaseChatEngine
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

    class OneNode(BaseRetriever):
        def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
            return [NodeWithScore(node=TextNode(text="Keys live in the environment."), score=1)]

    engines: dict[str, Callable[[], BaseChatEngine]] = {
        "simple": lambda: SimpleChatEngine.from_defaults(llm=llm),
        "context": lambda: ContextChatEngine.from_defaults(retriever=OneNode(), llm=llm),
        "condense_plus_context": lambda: CondensePlusContextChatEngine.from_defaults(
            retriever=OneNode(), llm=llm
        ),
    }
    joins = JoinCounter(monkeypatch)
    gateway = use(monkeypatch, FakeGateway(many_chunks(ENGINE_LONG)))
    streamed = engines[mode]().stream_chat("Where do keys live?")
    assert "".join(streamed.response_gen) == "tok " * ENGINE_LONG
    assert joins.pieces == ENGINE_LONG, f"{joins.calls} joins of {joins.pieces} pieces"
    assert "Keys live" in str(gateway.bodies) or mode == "simple"


def test_async_chat_engine_streams_in_linear_time(
    llm: SkillBoss, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llama_index.core.chat_engine import SimpleChatEngine

    joins = JoinCounter(monkeypatch)
    use(monkeypatch, FakeGateway(many_chunks(ENGINE_LONG)))

    async def ask() -> str:
        streamed = await SimpleChatEngine.from_defaults(llm=llm).astream_chat("hi")
        return "".join([token async for token in streamed.async_response_gen()])

    assert asyncio.run(ask()) == "tok " * ENGINE_LONG
    assert joins.pieces == ENGINE_LONG


def test_a_long_stream_is_bounded_in_memory(
    llm: SkillBoss, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, FakeGateway(many_chunks(MEMORY_LONG)))
    tracemalloc.start()
    try:
        for _ in llm.stream_chat(HELLO):
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The answer is 80 kB of text; a copy of the text so far kept per chunk would need
    # 800 MB (tracemalloc slows every allocation, so this stream is shorter than LONG).
    assert peak < 20_000_000, peak


def test_every_request_parameter_reaches_the_body(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = SkillBoss(
        api_key="sk-unit-0123456789abcdef",
        model="openai/gpt-5.4",
        temperature=0.3,
        max_tokens=99,
        top_p=0.8,
        seed=11,
        stop="END",
        logprobs=True,
        top_logprobs=3,
        reasoning_effort="low",
        additional_kwargs={"frequency_penalty": 0.5, "extra_body": {"provider": {"sort": "x"}}},
    )
    gateway = use(monkeypatch, FakeGateway(chunks_of(fx.openai_text_stream())))
    list(llm.stream_chat(HELLO, seed=12))  # per-call values win
    body = gateway.bodies[0]
    assert {k: v for k, v in body.items() if k not in ("messages", "stream_options")} == {
        "model": "openai/gpt-5.4",
        "temperature": 0.3,
        "max_tokens": 99,
        "top_p": 0.8,
        "seed": 12,
        "stop": "END",
        "logprobs": True,
        "top_logprobs": 3,
        "reasoning_effort": "low",
        "frequency_penalty": 0.5,
        "provider": {"sort": "x"},
        "stream": True,
    }


def test_known_body_fields_pass_through_as_in_langchain(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fields the core does not model (PASSTHROUGH_FIELDS) reach the body from either adapter."""
    llm = SkillBoss(api_key="sk-unit-0123456789abcdef", additional_kwargs={"logit_bias": {"1": 5}})
    gateway = use(monkeypatch, FakeGateway(chunks_of(fx.openai_text_stream())))
    list(llm.stream_chat(HELLO, service_tier="flex"))
    body = gateway.bodies[0]
    assert body["logit_bias"] == {"1": 5} and body["service_tier"] == "flex"
    with pytest.raises(ValueError, match="servce_tier"):
        list(llm.stream_chat(HELLO, servce_tier="flex"))
