"""The core's neutral results -> LangChain messages, generations and chunks.

Streaming is the hot path: `ChunkTranslator` builds each `AIMessageChunk` directly from a
`StreamChunk`, and only builds metadata dicts on the few chunks that carry metadata.
Every metadata key appears on exactly one chunk, so LangChain's chunk merging (which
concatenates strings) never doubles a value; usage appears once, on the final chunk, and
the cost with it; the request id and headers on the first chunk, the vendor with the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    InputTokenDetails,
    InvalidToolCall,
    OutputTokenDetails,
    ToolCall,
    ToolCallChunk,
    UsageMetadata,
)
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk
from langchain_core.outputs import ChatResult as LCChatResult
from pydantic import BaseModel

from langchain_skillboss.blocks import PROVIDER
from langchain_skillboss.errors import model_errors
from skillboss_core import ChatResult, StreamAccumulator, StreamChunk, Usage
from skillboss_core import ToolCall as CoreToolCall
from skillboss_core.errors import ToolArgumentsError
from skillboss_core.security.redact import redact
from skillboss_core.wire.answer import output_name, parse_json_answer
from skillboss_core.wire.cost import Cost
from skillboss_core.wire.provenance import request_id_of, vendor_of


class Provenance:
    """Which answer-level facts go into response_metadata: the headers only on request
    (`include_response_headers`), scrubbed of the key and secret header values (a proxy
    may echo them, and metadata is logged and traced)."""

    __slots__ = ("hide", "include_headers")

    def __init__(self, *, include_headers: bool = False, hide: Sequence[str] = ()) -> None:
        self.include_headers = include_headers
        self.hide = tuple(hide)

    def add_headers(self, metadata: dict[str, Any], headers: Mapping[str, str] | None) -> None:
        """`request_id` (when the gateway sent one) and, on request, `headers`."""
        request_id = request_id_of(headers)
        if request_id:
            metadata["request_id"] = request_id
        if self.include_headers and headers is not None:
            metadata["headers"] = redact(dict(headers.items()), self.hide)


NO_PROVENANCE = Provenance()


def add_vendor(metadata: dict[str, Any], model: str | None) -> None:
    """`vendor` of the model that answered, when its id or the catalog says."""
    vendor = vendor_of(model)
    if vendor:
        metadata["vendor"] = vendor


def add_cost(metadata: dict[str, Any], cost: Cost | None) -> None:
    """`cost` (USD) and `cost_source` when the cost is known; absent, never a guess, when not."""
    if cost is not None:
        metadata["cost"] = cost.usd
        metadata["cost_source"] = cost.source


def usage_metadata(usage: Usage) -> UsageMetadata:
    """LangChain's usage shape; detail keys only when the gateway reported them."""
    metadata = UsageMetadata(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
    )
    if usage.cached_tokens is not None:
        metadata["input_token_details"] = InputTokenDetails(cache_read=usage.cached_tokens)
    if usage.reasoning_tokens is not None:
        metadata["output_token_details"] = OutputTokenDetails(reasoning=usage.reasoning_tokens)
    return metadata


def _tool_call(call: CoreToolCall) -> tuple[ToolCall | None, InvalidToolCall | None]:
    try:
        args = call.arguments_object()
    except ToolArgumentsError as exc:
        broken = invalid_tool_call(name=call.name, args=call.arguments, id=call.id, error=str(exc))
        return None, broken
    return tool_call(name=call.name, args=args, id=call.id), None


def _additional_kwargs(reasoning: str | None, refusal: str | None) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if reasoning:
        extra["reasoning_content"] = reasoning
    if refusal:
        extra["refusal"] = refusal
    return extra


def to_message(result: ChatResult, provenance: Provenance = NO_PROVENANCE) -> AIMessage:
    """A whole answer as an AIMessage (content, tool calls, reasoning, usage, metadata)."""
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for call in result.tool_calls:
        valid, broken = _tool_call(call)
        if valid is not None:
            calls.append(valid)
        if broken is not None:
            invalid.append(broken)
    model = result.model or result.requested_model
    metadata: dict[str, Any] = {
        "model_name": model,
        "finish_reason": result.finish_reason,
        "id": result.id,
        "model_provider": PROVIDER,
    }
    add_vendor(metadata, model)
    add_cost(metadata, result.cost)
    provenance.add_headers(metadata, result.headers)
    if result.system_fingerprint:
        metadata["system_fingerprint"] = result.system_fingerprint
    if result.service_tier:
        metadata["service_tier"] = result.service_tier
    if result.logprobs is not None:
        metadata["logprobs"] = {"content": result.logprobs}
    return AIMessage(
        content=result.content or "",
        additional_kwargs=_additional_kwargs(result.reasoning, result.refusal),
        tool_calls=calls,
        invalid_tool_calls=invalid,
        usage_metadata=usage_metadata(result.usage) if result.usage else None,
        response_metadata=metadata,
        id=result.id,
    )


def parsed_answer(
    schema: type[BaseModel], text: str, *, refusal: str | None, finish_reason: str | None
) -> BaseModel | None:
    """The answer as `schema` (for `response_format=<pydantic class>`, as ChatOpenAI gives
    it in additional_kwargs["parsed"]). None for a refusal, whose words stay in
    additional_kwargs["refusal"]; a cut, filtered, empty or invalid answer raises."""
    if refusal:
        return None
    what = output_name(schema.__name__)
    with model_errors():
        parsed = parse_json_answer(
            text, finish_reason=finish_reason, validate=schema.model_validate, what=what
        )
    return parsed  # type: ignore[no-any-return]


def to_chat_result(
    result: ChatResult,
    *,
    parse_into: type[BaseModel] | None = None,
    provenance: Provenance = NO_PROVENANCE,
) -> LCChatResult:
    """The LangChain result; `generation_info` and `llm_output` are filled as ChatOpenAI does
    (and `llm_output["cost"]`, in USD, when the cost is known)."""
    message = to_message(result, provenance)
    if parse_into is not None:
        message.additional_kwargs["parsed"] = parsed_answer(
            parse_into, message.text, refusal=result.refusal, finish_reason=result.finish_reason
        )
    llm_output: dict[str, Any] = {"model_name": result.model or result.requested_model}
    if result.usage is not None:
        llm_output["token_usage"] = result.usage.raw
    if result.system_fingerprint:
        llm_output["system_fingerprint"] = result.system_fingerprint
    if result.cost is not None:
        llm_output["cost"] = result.cost.usd
    info: dict[str, Any] = {"finish_reason": result.finish_reason}
    if result.logprobs is not None:
        info["logprobs"] = {"content": result.logprobs}
    return LCChatResult(
        generations=[ChatGeneration(message=message, generation_info=info)],
        llm_output=llm_output,
    )


class ChunkTranslator:
    """Turns one stream's StreamChunks into ChatGenerationChunks, tracking once-only keys."""

    __slots__ = (
        "_id",
        "_model_sent",
        "_parse_into",
        "_provenance",
        "_requested_model",
        "_started",
        "stream_usage",
    )

    def __init__(
        self,
        *,
        stream_usage: bool,
        parse_into: type[BaseModel] | None = None,
        provenance: Provenance = NO_PROVENANCE,
    ) -> None:
        self.stream_usage = stream_usage
        self._provenance = provenance
        self._started = False
        self._id: str | None = None
        self._model_sent = False
        self._requested_model: str | None = None
        self._parse_into = parse_into

    def __call__(self, chunk: StreamChunk) -> ChatGenerationChunk | None:
        """The LangChain chunk for `chunk`, or None when it carries nothing."""
        metadata = self._metadata(chunk)
        if (
            metadata is None
            and chunk.tool_calls is None
            and chunk.usage is None
            and not chunk.reasoning
            and not chunk.refusal
        ):
            if not chunk.text:
                return None
            # The common case: a piece of text and nothing else.
            message = AIMessageChunk(
                content=chunk.text, id=self._id, response_metadata={"model_provider": PROVIDER}
            )
            return ChatGenerationChunk(message=message)
        usage = chunk.usage if self.stream_usage else None
        if (
            usage is None
            and metadata is None
            and chunk.tool_calls is None
            and not (chunk.text or chunk.reasoning or chunk.refusal)
        ):
            return None
        message = AIMessageChunk(
            content=chunk.text,
            additional_kwargs=_additional_kwargs(chunk.reasoning, chunk.refusal),
            tool_call_chunks=_call_chunks(chunk),
            usage_metadata=usage_metadata(usage) if usage is not None else None,
            response_metadata=metadata or {"model_provider": PROVIDER},
            id=self._id,
        )
        if chunk.finish_reason is None:
            return ChatGenerationChunk(message=message)
        info = {"finish_reason": chunk.finish_reason}
        return ChatGenerationChunk(message=message, generation_info=info)

    def last_chunk(self, answer: StreamAccumulator) -> ChatGenerationChunk:
        """After the stream: the chunk that closes the message (`chunk_position="last"`),
        with the stream's id, so LangChain adds no closing chunk under an id of its own.
        With a pydantic `response_format` it holds additional_kwargs["parsed"]
        (ChatOpenAI's streamed `parsed`), read from the core's accumulator."""
        extra: dict[str, Any] = {}
        if self._parse_into is not None:
            extra["parsed"] = parsed_answer(
                self._parse_into,
                answer.text,
                refusal=answer.refusal,
                finish_reason=answer.finish_reason,
            )
        message = AIMessageChunk(
            content="",
            additional_kwargs=extra,
            id=self._id,
            chunk_position="last",
            response_metadata={"model_provider": PROVIDER},
        )
        return ChatGenerationChunk(message=message)

    def _metadata(self, chunk: StreamChunk) -> dict[str, Any] | None:
        """Metadata this chunk introduces; None (no dict built) for plain content chunks."""
        first = not self._started
        if not first and (
            chunk.id is None
            and chunk.model is None
            and chunk.finish_reason is None
            and chunk.logprobs is None
            and chunk.system_fingerprint is None
            and chunk.service_tier is None
            and chunk.cost is None
        ):
            return None
        metadata: dict[str, Any] = {}
        # Every chunk names the provider (as ChatOpenAI's do), so langchain-core reads each
        # one's content blocks (refusals included) through our translator.
        metadata["model_provider"] = PROVIDER
        if first:
            self._started = True
            self._requested_model = chunk.requested_model
            # One message, one id: the first chunk's, on every chunk (None: LangChain's run id
            # on every chunk, never a mix).
            self._id = chunk.id
            self._provenance.add_headers(metadata, chunk.headers)  # the first chunk has them
        if chunk.id is not None:
            metadata["id"] = chunk.id
        if chunk.model is not None and not self._model_sent:
            self._model_sent = True
            metadata["model_name"] = chunk.model
            add_vendor(metadata, chunk.model)
        if chunk.system_fingerprint is not None:
            metadata["system_fingerprint"] = chunk.system_fingerprint
        if chunk.service_tier is not None:
            metadata["service_tier"] = chunk.service_tier
        if chunk.logprobs is not None:
            metadata["logprobs"] = {"content": chunk.logprobs}
        if chunk.finish_reason is not None:
            metadata["finish_reason"] = chunk.finish_reason
            if not self._model_sent and self._requested_model:
                # The server never named the model: report the one that was asked for.
                self._model_sent = True
                metadata["model_name"] = self._requested_model
                add_vendor(metadata, self._requested_model)
        # The usage chunk carries the cost; sent even with stream_usage=False (no usage then),
        # so a cost callback still sees what the call cost.
        add_cost(metadata, chunk.cost)
        return metadata


def _call_chunks(chunk: StreamChunk) -> list[ToolCallChunk]:
    if not chunk.tool_calls:
        return []
    return [
        tool_call_chunk(name=delta.name, args=delta.arguments, id=delta.id, index=delta.index)
        for delta in chunk.tool_calls
    ]
