"""Output parsers for with_structured_output, judged by the core's rules for the end of an answer.

While a stream is still running they return the object so far (partial JSON); once the
answer has a finish reason (the last streamed chunk, or any non-streamed answer) they hand
the whole answer to `skillboss_core.wire.answer`, which raises a typed error for a cut, filtered,
refused, empty or invalid answer instead of returning a half object or nothing.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.output_parsers.transform import BaseCumulativeTransformOutputParser
from langchain_core.outputs import ChatGeneration, Generation

# StructuredOutputParseError was defined here; it is the core StructuredOutputError's twin now.
from langchain_skillboss.errors import StructuredOutputParseError as StructuredOutputParseError
from langchain_skillboss.errors import model_errors
from skillboss_core.errors import StructuredOutputError
from skillboss_core.wire.answer import judge_end, output_name, parse_json_answer, partial_json


def _message(result: list[Generation]) -> BaseMessage:
    generation = result[0] if result else None
    if not isinstance(generation, ChatGeneration):
        raise OutputParserException("with_structured_output needs a chat model's message")
    return generation.message


def _finish_reason(message: BaseMessage) -> str | None:
    reason = message.response_metadata.get("finish_reason")
    return str(reason) if reason else None


def _refusal(message: BaseMessage) -> str | None:
    refusal = message.additional_kwargs.get("refusal")
    return str(refusal) if refusal else None


def _validator(schema: type | None) -> Any:
    """A pydantic class's validator (v2 `model_validate`, or v1 `parse_obj`)."""
    if schema is None:
        return None
    return getattr(schema, "model_validate", None) or schema.parse_obj  # type: ignore[attr-defined]


def _judged(text: str, message: BaseMessage, schema: type | None, what: str) -> Any:
    """The whole answer parsed, or the typed error the core decides on."""
    with model_errors():
        return parse_json_answer(
            text,
            finish_reason=_finish_reason(message),
            refusal=_refusal(message),
            validate=_validator(schema),
            what=what,
        )


def _partial(data: Any, schema: type | None) -> Any:
    """The object so far: a dict as it grows, or the pydantic object once it validates."""
    if schema is None or data is None:
        return data
    try:
        return _validator(schema)(data)
    except ValueError:  # pydantic's ValidationError (v1 and v2)
        return None


def _what(schema: type | None) -> str:
    return output_name(schema.__name__ if schema is not None else None)


class AnswerParser(BaseCumulativeTransformOutputParser[Any]):
    """The answer's text as JSON (json_schema and json_mode); a pydantic object if `schema`."""

    pydantic_schema: type | None = None
    """A pydantic class (v2 or v1) to validate into; None returns the JSON as is."""

    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        message = _message(result)
        if partial and _finish_reason(message) is None:
            if _refusal(message):
                return None
            return _partial(partial_json(message.text), self.pydantic_schema)
        return _judged(message.text, message, self.pydantic_schema, _what(self.pydantic_schema))

    def parse(self, text: str) -> Any:
        return self.parse_result([ChatGeneration(message=AIMessage(content=text))])

    @property
    def _type(self) -> str:
        return "skillboss_answer_parser"


def _call_arguments(message: BaseMessage, name: str) -> str | None:
    """The raw argument text of the first call to `name`, streamed or not; None if no call."""
    if isinstance(message, AIMessageChunk):
        for chunk in message.tool_call_chunks:
            if chunk.get("name") == name:
                return chunk.get("args") or ""
        return None
    if isinstance(message, AIMessage):
        for call in message.tool_calls:
            if call["name"] == name:
                return json.dumps(call["args"])
        for invalid in message.invalid_tool_calls:
            if invalid.get("name") == name:
                return invalid.get("args") or ""
    return None


class ToolCallParser(BaseCumulativeTransformOutputParser[Any]):
    """The arguments of the forced call to `tool_name` (function_calling); pydantic if `schema`."""

    tool_name: str
    pydantic_schema: type | None = None
    """A pydantic class (v2 or v1) to validate into; None returns the JSON as is."""

    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        message = _message(result)
        arguments = _call_arguments(message, self.tool_name)
        if partial and _finish_reason(message) is None:
            if arguments is None or _refusal(message):
                return None
            return _partial(partial_json(arguments), self.pydantic_schema)
        what = output_name(f"a call to {self.tool_name}")
        if arguments is None:
            with model_errors():
                # A refusal, a cut or a filter says more than "no call".
                judge_end(
                    finish_reason=_finish_reason(message),
                    refusal=_refusal(message),
                    partial=message.text,
                    what=what,
                )
                raise StructuredOutputError(
                    f"The model did not call {self.tool_name}; it answered: {message.text[:200]!r}",
                    text=message.text,
                )
        return _judged(arguments, message, self.pydantic_schema, what)

    def parse(self, text: str) -> Any:
        raise NotImplementedError("ToolCallParser reads a chat message, not text")

    @property
    def _type(self) -> str:
        return "skillboss_tool_call_parser"
