"""Structured output with `response_format: json_schema`, for models the catalog says take it.

One request, the schema enforced by the provider, no tool round trip; models without
json_schema support go through LlamaIndex's function-calling program instead.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Generator
from functools import cached_property
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from llama_index.core.llms.llm import LLM
from llama_index.core.program.utils import create_flexible_model
from llama_index.core.prompts import BasePromptTemplate
from llama_index.core.types import BasePydanticProgram
from pydantic import BaseModel, ValidationError

from llama_index_skillboss.outputs import finish_reason_of
from skillboss_core.errors import StructuredOutputError
from skillboss_core.wire import builders as wire
from skillboss_core.wire.answer import output_name, parse_json_answer, partial_json

logger = logging.getLogger(__name__)
# Keys meant for a function-calling program; they make no sense next to response_format.
_TOOL_KEYS = ("tools", "tool_choice", "tool_required", "allow_parallel_tool_calls")


def response_format(output_cls: type[BaseModel], *, strict: bool) -> dict[str, Any]:
    """The json_schema response_format for a pydantic class (name sanitised for the API)."""
    schema = output_cls.model_json_schema()
    return wire.json_schema_format(
        output_cls.__name__,
        schema,
        strict=True if strict else None,
        description=schema.get("description"),
    )


def parse_output(output_cls: type[BaseModel], response: ChatResponse) -> BaseModel:
    """The whole answer as `output_cls`, or the core's typed error: cut (length), filtered,
    refused, empty, not JSON, or not valid for the schema."""
    parsed = parse_json_answer(
        response.message.content or "",
        finish_reason=finish_reason_of(response),
        refusal=response.message.additional_kwargs.get("refusal") or None,
        validate=output_cls.model_validate,
        what=output_name(output_cls.__name__),
    )
    return parsed  # type: ignore[no-any-return]


class JsonSchemaProgram(BasePydanticProgram[BaseModel]):
    """A LlamaIndex pydantic program that asks SkillBoss for the schema directly."""

    def __init__(
        self, llm: LLM, output_cls: type[BaseModel], prompt: BasePromptTemplate, *, strict: bool
    ) -> None:
        self._llm = llm
        self._strict = strict
        self._output_cls = output_cls
        self._prompt = prompt

    @property
    def output_cls(self) -> type[BaseModel]:
        return self._output_cls

    def _messages(self, prompt_args: dict[str, Any]) -> list[ChatMessage]:
        messages = self._prompt.format_messages(llm=self._llm, **prompt_args)
        return list(self._llm._extend_messages(messages))

    def _kwargs(self, llm_kwargs: dict[str, Any] | None) -> dict[str, Any]:
        kwargs = {k: v for k, v in (llm_kwargs or {}).items() if k not in _TOOL_KEYS}
        kwargs["response_format"] = response_format(self._output_cls, strict=self._strict)
        return kwargs

    def __call__(
        self, *args: Any, llm_kwargs: dict[str, Any] | None = None, **prompt_args: Any
    ) -> BaseModel:
        response = self._llm.chat(self._messages(prompt_args), **self._kwargs(llm_kwargs))
        return parse_output(self._output_cls, response)

    async def acall(
        self, *args: Any, llm_kwargs: dict[str, Any] | None = None, **prompt_args: Any
    ) -> BaseModel:
        response = await self._llm.achat(self._messages(prompt_args), **self._kwargs(llm_kwargs))
        return parse_output(self._output_cls, response)

    def stream_call(
        self, *args: Any, llm_kwargs: dict[str, Any] | None = None, **prompt_args: Any
    ) -> Generator[Any, None, None]:
        """Partial objects as the JSON arrives; the last one is the complete object."""
        responses = self._llm.stream_chat(self._messages(prompt_args), **self._kwargs(llm_kwargs))
        last: ChatResponse | None = None
        for response in responses:
            last = response
            partial = self._partial(response)
            if partial is not None:
                yield partial
        yield self._whole(last)

    async def astream_call(
        self, *args: Any, llm_kwargs: dict[str, Any] | None = None, **prompt_args: Any
    ) -> AsyncGenerator[Any, None]:
        responses = await self._llm.astream_chat(
            self._messages(prompt_args), **self._kwargs(llm_kwargs)
        )

        async def generate() -> AsyncGenerator[Any, None]:
            last: ChatResponse | None = None
            async for response in responses:
                last = response
                partial = self._partial(response)
                if partial is not None:
                    yield partial
            yield self._whole(last)

        return generate()

    def _whole(self, last: ChatResponse | None) -> BaseModel:
        """The stream's closing response (the whole message and how it ended) must parse,
        or say why it cannot: cut, filtered, refused, bad JSON."""
        if last is None:
            raise StructuredOutputError("The stream ended without any response", text="")
        return parse_output(self._output_cls, last)

    def _partial(self, response: ChatResponse) -> Any:
        """The object so far: a flexible model (every field optional) of the JSON so far."""
        if not response.delta:
            return None
        data = partial_json(response.message.content or "")
        if not isinstance(data, dict):
            return None
        try:
            return self._flexible.model_validate(data)
        except ValidationError as exc:
            logger.debug("partial structured output not usable yet: %s", exc)
            return None

    @cached_property
    def _flexible(self) -> type[BaseModel]:
        return create_flexible_model(self._output_cls)
