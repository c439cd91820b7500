"""Structured output with `response_format: json_schema`, for models the catalog says take it.

One request, the schema enforced by the provider, no tool round trip; models without
json_schema support go through LlamaIndex's function-calling program instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from llama_index.core.program.utils import process_streaming_objects
from llama_index.core.prompts import BasePromptTemplate
from llama_index.core.types import BasePydanticProgram
from pydantic import BaseModel, ValidationError

from llama_index_skillboss.streaming import is_final
from llama_index_skillboss.tools import strict_schema
from skillboss_core import wire

if TYPE_CHECKING:
    from llama_index_skillboss.base import SkillBoss

logger = logging.getLogger(__name__)
# Keys meant for a function-calling program; they make no sense next to response_format.
_TOOL_KEYS = ("tools", "tool_choice", "tool_required", "allow_parallel_tool_calls")


def response_format(output_cls: type[BaseModel], *, strict: bool) -> dict[str, Any]:
    """The json_schema response_format for a pydantic class (name sanitised for the API)."""
    schema = output_cls.model_json_schema()
    name = re.sub(r"[^A-Za-z0-9_-]", "_", output_cls.__name__)[:64] or "output"
    return wire.json_schema_format(
        name,
        strict_schema(schema) if strict else schema,
        strict=True if strict else None,
        description=schema.get("description"),
    )


def parse_output(output_cls: type[BaseModel], response: ChatResponse) -> BaseModel:
    """The answer as `output_cls`, or a ValueError saying why not (refusal, bad JSON)."""
    refusal = response.message.additional_kwargs.get("refusal")
    if refusal:
        raise ValueError(f"The model refused to produce a {output_cls.__name__}: {refusal}")
    text = response.message.content or ""
    try:
        return output_cls.model_validate_json(text)
    except ValidationError as exc:
        raise ValueError(
            f"The model's answer is not a valid {output_cls.__name__} ({exc.error_count()} "
            f"errors: {exc.errors()[0]['msg']}); answer: {text[:200]!r}"
        ) from None


class JsonSchemaProgram(BasePydanticProgram[BaseModel]):
    """A LlamaIndex pydantic program that asks SkillBoss for the schema directly."""

    def __init__(
        self, llm: SkillBoss, output_cls: type[BaseModel], prompt: BasePromptTemplate
    ) -> None:
        self._llm = llm
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
        kwargs["response_format"] = response_format(self._output_cls, strict=self._llm.strict)
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
        current: list[Any] | None = None
        for response in responses:
            objects = self._partial(response, current)
            if objects is not None:
                current = objects if isinstance(objects, list) else [objects]
                yield objects

    async def astream_call(
        self, *args: Any, llm_kwargs: dict[str, Any] | None = None, **prompt_args: Any
    ) -> AsyncGenerator[Any, None]:
        responses = await self._llm.astream_chat(
            self._messages(prompt_args), **self._kwargs(llm_kwargs)
        )

        async def generate() -> AsyncGenerator[Any, None]:
            current: list[Any] | None = None
            async for response in responses:
                objects = self._partial(response, current)
                if objects is not None:
                    current = objects if isinstance(objects, list) else [objects]
                    yield objects

        return generate()

    def _partial(self, response: ChatResponse, current: list[Any] | None) -> Any:
        if is_final(response):
            # The whole answer must parse (or say why it cannot: refusal, bad JSON).
            return parse_output(self._output_cls, response)
        if not response.delta:
            return None
        try:
            return process_streaming_objects(
                response, self._output_cls, cur_objects=current, flexible_mode=True
            )
        except (ValidationError, ValueError) as exc:
            logger.debug("partial structured output not parseable yet: %s", exc)
            return None
