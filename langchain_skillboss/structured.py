"""with_structured_output: the request side (response_format or a forced tool) and the parsers.

Three methods, as in ChatOpenAI: `json_schema` (the default; the gateway's native structured
output), `function_calling` (a forced tool call) and `json_mode` (`{"type": "json_object"}`).
A refusal is never parsed as data: it raises `StructuredOutputRefusalError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.messages import BaseMessage
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.outputs import ChatGeneration, Generation
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_openai_function
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel

from langchain_skillboss.tools import format_tool
from skillboss_core.wire import json_schema_format

if TYPE_CHECKING:
    from langchain_core.language_models import LanguageModelInput

    from langchain_skillboss.chat_models import ChatSkillBoss

Method = Literal["json_schema", "function_calling", "json_mode"]
METHODS = ("json_schema", "function_calling", "json_mode")


class StructuredOutputRefusalError(ValueError):
    """The model refused to answer in the requested structure; `refusal` holds its words."""

    def __init__(self, refusal: str) -> None:
        super().__init__(f"The model refused to produce the structured output: {refusal}")
        self.refusal = refusal


def _message(result: list[Generation]) -> BaseMessage | None:
    generation = result[0] if result else None
    return generation.message if isinstance(generation, ChatGeneration) else None


def _check_refusal(result: list[Generation], *, partial: bool) -> bool:
    """Raise on a refusal once it is complete; True while a partial refusal is streaming."""
    message = _message(result)
    if message is None:
        return False
    refusal = message.additional_kwargs.get("refusal")
    if not refusal:
        return False
    if partial and not message.response_metadata.get("finish_reason"):
        return True
    raise StructuredOutputRefusalError(str(refusal))


class _JsonParser(JsonOutputParser):
    """JSON (partial while streaming) that raises on a refusal instead of parsing it."""

    # Re-declared so the pydantic mypy plugin can type this subclass (its base is generic).
    pydantic_object: Any = None

    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        if _check_refusal(result, partial=partial):
            return None
        return super().parse_result(result, partial=partial)


class _PydanticParser(PydanticOutputParser[BaseModel]):
    """A pydantic object (v1 or v2 model) that raises on a refusal instead of parsing it."""

    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        if _check_refusal(result, partial=partial):
            return None
        return super().parse_result(result, partial=partial)


def is_pydantic_schema(schema: Any) -> bool:
    return isinstance(schema, type) and is_basemodel_subclass(schema)


def response_format(schema: Mapping[str, Any] | type, strict: bool | None) -> dict[str, Any]:
    """`response_format` for the json_schema method (a ready response_format passes through)."""
    if isinstance(schema, Mapping) and schema.get("type") == "json_schema":
        spec = dict(schema.get("json_schema") or {})
        if strict is not None:
            spec["strict"] = strict
        return {"type": "json_schema", "json_schema": spec}
    function = convert_to_openai_function(schema, strict=strict)
    return json_schema_format(
        function["name"],
        function["parameters"],
        strict=strict,
        description=function.get("description"),
    )


def wire_response_format(value: Any, strict: bool | None) -> Any:
    """A `response_format` given per call or to bind(), in any form ChatOpenAI takes.

    Ready formats (`json_schema`, `json_object`, `text`) pass through (a given `strict` is
    applied to json_schema); a pydantic class, TypedDict or bare JSON schema becomes a
    json_schema format. Anything else is left for the core's validation to reject.
    """
    if isinstance(value, Mapping):
        kind = value.get("type")
        if kind == "json_schema":
            return response_format(value, strict) if strict is not None else value
        if kind in ("json_object", "text"):
            return value
        if "title" in value or ("name" in value and "parameters" in value):
            return response_format(value, strict)
        return value
    if isinstance(value, type):
        return response_format(value, strict)
    return value


def _data_parser(schema: Mapping[str, Any] | type | None) -> Runnable[Any, Any]:
    if schema is not None and is_pydantic_schema(schema):
        return _PydanticParser(pydantic_object=schema)
    return _JsonParser()


def structured_runnable(
    model: ChatSkillBoss,
    schema: Mapping[str, Any] | type | None,
    *,
    method: str,
    strict: bool | None,
    include_raw: bool,
) -> Runnable[LanguageModelInput, Any]:
    """The model bound for `method`, piped into the matching parser."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if schema is None and method != "json_mode":
        raise ValueError(f"method={method!r} needs a schema (only json_mode works without one)")
    trace = (
        {
            "ls_structured_output_format": {
                "kwargs": {"method": method, "strict": strict},
                "schema": schema,
            }
        }
        if schema is not None
        else {}
    )
    llm: Runnable[LanguageModelInput, Any]
    parser: Runnable[Any, Any]
    if method == "function_calling":
        assert schema is not None
        name = format_tool(schema, strict=strict)["function"]["name"]
        llm = model.bind_tools(
            [dict(schema) if isinstance(schema, Mapping) else schema],
            tool_choice=name,
            parallel_tool_calls=False,
            strict=strict,
            **trace,
        )
        if is_pydantic_schema(schema):
            parser = PydanticToolsParser(tools=[schema], first_tool_only=True)
        else:
            parser = JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
    elif method == "json_mode":
        llm = model.bind(response_format={"type": "json_object"}, **trace)
        parser = _data_parser(schema)
    else:
        assert schema is not None
        llm = model.bind(response_format=response_format(schema, strict), **trace)
        parser = _data_parser(schema)
    if not include_raw:
        return llm | parser
    parsed = RunnablePassthrough.assign(
        parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
    )
    failed = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=llm) | parsed.with_fallbacks([failed], exception_key="parsing_error")
