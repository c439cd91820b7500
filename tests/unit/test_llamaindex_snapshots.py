"""The lazy "message so far" snapshots, read the ways real consumers read them (no HTTP).

Every test compares a snapshot with the eager message the same stream state gives, so a
snapshot showing anything else (a later prefix, a missing field, a stale value) fails.
"""

from __future__ import annotations

import copy
import json
import pickle
import threading
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    TextBlock,
    ToolCallBlock,
)
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import LLMChatInProgressEvent
from llama_index_instrumentation import get_dispatcher

from llama_index_skillboss import SkillBoss
from llama_index_skillboss.lazy import PartialCompletion, PartialMessage
from llama_index_skillboss.streaming import StreamState
from skillboss_core import ChatStream
from tests.unit import sse_fixtures as fx

HELLO = [ChatMessage(role="user", content="hello")]
WORDS = ["Paris ", "is ", "the ", "capital ", "of ", "France."]


def text_events() -> list[bytes]:
    usage = {"prompt_tokens": 3, "completion_tokens": 6, "total_tokens": 9}
    return [
        *(fx.bare_event({"content": word}) for word in WORDS),
        fx.bare_event({}, finish="stop"),
        fx.bare_event(usage=usage),
    ]


def tool_events() -> list[bytes]:
    """A call whose id and name come on a later delta than its first (core allows this)."""

    def call(**fields: Any) -> bytes:
        arguments = fields.pop("arguments", "")
        delta = {"index": 0, **fields, "function": {"arguments": arguments}}
        if "name" in fields:
            delta["function"]["name"] = delta.pop("name")
        return fx.bare_event({"tool_calls": [delta]})

    return [
        fx.bare_event({"content": "Checking. "}),
        call(),
        call(id="call_w", name="weather"),
        call(arguments='{"ci'),
        call(arguments='ty": "Oslo"}'),
        fx.bare_event({}, finish="tool_calls"),
    ]


class FakeGateway:
    def __init__(self, events: list[bytes]) -> None:
        self.events = events

    def stream(
        self, body: dict[str, Any], *, fallback_models: Any = (), budget: Any = None
    ) -> ChatStream:
        return fx.replay(self.events)


@pytest.fixture
def llm() -> SkillBoss:
    return SkillBoss(api_key="sk-unit-0123456789abcdef")


def stream(llm: SkillBoss, monkeypatch: pytest.MonkeyPatch, events: list[bytes]) -> Any:
    monkeypatch.setattr(SkillBoss, "_ready_gateway", lambda self: FakeGateway(events))
    return list(llm.stream_chat(HELLO))


def expected_messages(events: list[bytes]) -> list[ChatMessage]:
    """The eager message at each chunk that yields a response, read as soon as it arrives."""
    replayed = fx.replay(events)
    state, out = StreamState(replayed), []
    for chunk in replayed:
        if state.add(chunk):
            out.append(ChatMessage(role="assistant", **state.fields_at(state.mark())))
    return out


@pytest.fixture(params=["text", "tools"])
def case(
    request: pytest.FixtureRequest, llm: SkillBoss, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[ChatResponse], list[ChatMessage]]:
    events = text_events() if request.param == "text" else tool_events()
    responses = stream(llm, monkeypatch, events)[:-1]  # the snapshots, not the final
    return responses, expected_messages(events)


Case = tuple[list[ChatResponse], list[ChatMessage]]


def test_each_snapshot_is_its_own_prefix_even_read_after_the_stream_ended(case: Case) -> None:
    responses, expected = case
    assert len(responses) == len(expected)
    for response, want in zip(reversed(responses), reversed(expected), strict=True):
        assert isinstance(response.message, PartialMessage)
        assert response.message.content == want.content
        assert response.message.blocks == want.blocks
        assert response.message.additional_kwargs == want.additional_kwargs


def test_equal_to_the_plain_message_both_ways_and_unequal_to_other_prefixes(case: Case) -> None:
    responses, expected = case
    for position, (response, want) in enumerate(zip(responses, expected, strict=True)):
        assert response.message == want and want == response.message
        assert (response.message != want) is False
        others = [m for i, m in enumerate(expected) if i != position and m != want]
        assert all(response.message != other for other in others)
    assert ChatMessage(role="user", content=expected[0].content) != responses[0].message


def test_dumps_and_json_match_the_plain_message(case: Case) -> None:
    responses, expected = case
    for response, want in zip(responses, expected, strict=True):
        message = response.message
        assert message.model_dump() == want.model_dump()
        assert message.model_dump(mode="json") == want.model_dump(mode="json")
        assert message.model_dump_json() == want.model_dump_json()
        assert message.model_dump(exclude_unset=True) == want.model_dump(exclude_unset=True)
        plain_response = ChatResponse(message=want, delta=response.delta)
        assert json.loads(response.model_dump_json()) == json.loads(
            plain_response.model_dump_json()
        )
        assert ChatMessage.model_validate(message.model_dump()) == want
        assert dict(message) == dict(want) and vars(message) == vars(want)


def test_str_repr_and_plain_attribute_reads(case: Case) -> None:
    responses, expected = case
    for response, want in zip(responses, expected, strict=True):
        assert str(response) == str(want)
        assert repr(response.message) == repr(want).replace("ChatMessage", "PartialMessage", 1)
        assert response.message.role == want.role


def test_copies_are_complete_and_independent(case: Case) -> None:
    responses, expected = case
    for response, want in zip(responses, expected, strict=True):
        for copied in (
            copy.copy(response.message),
            copy.deepcopy(response.message),
            response.message.model_copy(),
            response.message.model_copy(deep=True),
            copy.deepcopy(response).message,
            response.model_copy(deep=True).message,
        ):
            assert copied == want and copied.model_dump() == want.model_dump()
        updated = response.message.model_copy(update={"blocks": [TextBlock(text="other")]})
        assert updated.content == "other" and response.message == want


def test_pickle_gives_plain_models(case: Case) -> None:
    responses, expected = case
    for response, want in zip(responses, expected, strict=True):
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            again = pickle.loads(pickle.dumps(response.message, protocol=protocol))
            assert type(again) is ChatMessage and again == want
        whole = pickle.loads(pickle.dumps(response))
        assert type(whole.message) is ChatMessage and whole.message == want


def test_a_value_set_before_the_first_read_wins(case: Case) -> None:
    responses, _ = case
    first, second, third = responses[0], responses[1], responses[-1]
    first.message.content = "replaced"  # LlamaIndex's own content setter
    assert first.message.content == "replaced"
    assert first.message.model_dump()["blocks"] == [{"block_type": "text", "text": "replaced"}]
    second.message.additional_kwargs = {"mine": True}
    assert second.message.additional_kwargs == {"mine": True}
    assert second.message.model_dump()["additional_kwargs"] == {"mine": True}
    object.__setattr__(third.message, "blocks", [TextBlock(text="raw set")])
    assert third.message.content == "raw set"
    assert third.message.model_dump()["blocks"][0]["text"] == "raw set"


def test_fields_build_separately(llm: SkillBoss, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading additional_kwargs (chat engines do, per chunk) leaves blocks unbuilt."""
    from llama_index_skillboss import streaming

    built: list[str] = []
    for name in ("blocks_at", "kwargs_at"):
        original = getattr(streaming.StreamState, name)

        def spy(self: StreamState, *args: Any, _name: str = name, _f: Any = original) -> Any:
            built.append(_name)
            return _f(self, *args)

        monkeypatch.setattr(streaming.StreamState, name, spy)
    responses = stream(llm, monkeypatch, text_events())
    assert built == []
    assert responses[2].message.additional_kwargs == {}
    assert built == ["kwargs_at"]
    assert responses[2].message.additional_kwargs == {}  # built once
    assert responses[2].message.content == "Paris is the "
    assert built == ["kwargs_at", "blocks_at"]
    responses[2].message.model_dump()
    assert built == ["kwargs_at", "blocks_at"]


def test_concurrent_readers_all_see_the_same_right_data(
    llm: SkillBoss, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = [fx.bare_event({"content": f"{i} "}) for i in range(200)]
    responses = stream(llm, monkeypatch, [*events, fx.bare_event({}, finish="stop")])[:-1]
    readers = 8
    barrier = threading.Barrier(readers)
    seen: list[list[Any]] = [[] for _ in range(readers)]
    errors: list[BaseException] = []

    def read(slot: int) -> None:
        try:
            barrier.wait()
            for response in responses:
                # Different readers enter through different doors at the same time.
                door = (slot + len(seen[slot])) % 4
                message = response.message
                if door == 0:
                    seen[slot].append(message.content)
                elif door == 1:
                    seen[slot].append(message.model_dump()["blocks"][0]["text"])
                elif door == 2:
                    seen[slot].append(copy.deepcopy(message).content)
                else:
                    seen[slot].append(pickle.loads(pickle.dumps(message)).content)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(slot,)) for slot in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    want = ["".join(f"{i} " for i in range(n + 1)) for n in range(200)]
    assert all(texts == want for texts in seen)


class JsonDump(BaseEventHandler):
    """What tracing handlers do: serialise every event as it happens."""

    dumps: list[dict[str, Any]] = []

    @classmethod
    def class_name(cls) -> str:
        return "JsonDump"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        if isinstance(event, LLMChatInProgressEvent):
            self.dumps.append(json.loads(event.model_dump_json()))


def test_instrumentation_handlers_serialise_the_right_snapshot(
    llm: SkillBoss, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = JsonDump(dumps=[])
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        stream(llm, monkeypatch, text_events())
    finally:
        root.event_handlers.remove(handler)
    texts = [d["response"]["message"]["blocks"][0]["text"] for d in handler.dumps]
    prefixes = ["".join(WORDS[: n + 1]) for n in range(len(WORDS))]
    assert texts == [*prefixes, prefixes[-1]]  # the last one is the final response


def test_tool_call_snapshots_show_only_what_had_arrived(
    llm: SkillBoss, monkeypatch: pytest.MonkeyPatch
) -> None:
    responses = stream(llm, monkeypatch, tool_events())
    calls = [
        [
            (b.tool_call_id, b.tool_name, b.tool_kwargs)
            for b in r.message.blocks
            if isinstance(b, ToolCallBlock)
        ]
        for r in responses
    ]
    assert calls == [
        [],
        [("call_0", "", {})],  # the call has begun; its id and name had not arrived
        [("call_w", "weather", {})],
        [("call_w", "weather", '{"ci')],
        [("call_w", "weather", {"city": "Oslo"})],
        [("call_w", "weather", {"city": "Oslo"})],
    ]
    assert [
        s.tool_kwargs
        for s in llm.get_tool_calls_from_response(responses[3], error_on_no_tool_call=False)
    ] == [{}]
    assert responses[-1].message.additional_kwargs["tool_calls"][0]["id"] == "call_w"


def test_parallel_tool_call_snapshots_serialise_pickle_and_compare_like_plain_messages(
    llm: SkillBoss, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = fx.parallel_tool_stream()
    events = [event + b"\n\n" for event in data.split(b"\n\n") if event.strip()]
    responses = stream(llm, monkeypatch, events)
    snapshot = responses[2].message
    assert isinstance(snapshot, PartialMessage)
    plain = ChatMessage.model_validate(snapshot.model_dump())
    assert plain.blocks == snapshot.blocks
    assert plain.additional_kwargs == snapshot.additional_kwargs
    assert responses[2].model_dump()["message"]["blocks"][0]["tool_name"] == "get_weather"
    again = pickle.loads(pickle.dumps(responses[3].message))
    assert again == responses[3].message
    assert "get_weather" in repr(responses[1].message)
    assert type(responses[-1].message) is ChatMessage  # the final message is a plain one


def test_completion_snapshots(llm: SkillBoss, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SkillBoss, "_ready_gateway", lambda self: FakeGateway(text_events()))
    *partials, final = llm.stream_complete("hello")
    prefixes = ["".join(WORDS[: n + 1]) for n in range(len(WORDS))]
    for response, want in zip(reversed(partials), reversed(prefixes), strict=True):
        assert isinstance(response, PartialCompletion)
        plain = CompletionResponse(text=want, delta=response.delta)
        assert response == plain and plain == response
        assert str(response) == want and response.text == want
        assert response.model_dump() == plain.model_dump()
        again = pickle.loads(pickle.dumps(response))
        assert type(again) is CompletionResponse and again == plain
        assert copy.deepcopy(response) == plain
    assert type(final) is CompletionResponse and final.text == prefixes[-1]
