"""with_structured_output: the request side (response_format or a forced tool) and its parser.

Three methods, as in ChatOpenAI: `json_schema` (the default; the gateway's native structured
output), `function_calling` (a forced tool call) and `json_mode` (`{"type": "json_object"}`).
The parsers (langchain_skillboss.parsers) apply the core's rules for the end of an answer: a
cut, filtered, refused, empty or invalid answer is a typed error, never a half object or None.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap
from langchain_core.utils.function_calling import convert_to_openai_function
from langchain_core.utils.pydantic import is_basemodel_subclass

from langchain_skillboss.parsers import AnswerParser, ToolCallParser
from langchain_skillboss.tools import format_tool
from skillboss_core.wire.builders import json_schema_format

Method = Literal["json_schema", "function_calling", "json_mode"]
METHODS = ("json_schema", "function_calling", "json_mode")


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


def _pydantic_or_none(schema: Mapping[str, Any] | type | None) -> Any:
    return schema if schema is not None and is_pydantic_schema(schema) else None


def _with_raw(parser: Runnable[Any, Any]) -> Runnable[dict[str, Any], dict[str, Any]]:
    """include_raw=True: the raw message always, and either `parsed` or `parsing_error`."""

    def parse(inputs: dict[str, Any]) -> dict[str, Any]:
        raw = inputs["raw"]
        try:
            return {"raw": raw, "parsed": parser.invoke(raw), "parsing_error": None}
        except Exception as exc:  # what ChatOpenAI's include_raw catches too
            return {"raw": raw, "parsed": None, "parsing_error": exc}

    return RunnableLambda(parse)


def structured_runnable(
    model: BaseChatModel,
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
        parser = ToolCallParser(tool_name=name, pydantic_schema=_pydantic_or_none(schema))
    elif method == "json_mode":
        llm = model.bind(response_format={"type": "json_object"}, **trace)
        parser = AnswerParser(pydantic_schema=_pydantic_or_none(schema))
    else:
        assert schema is not None
        llm = model.bind(response_format=response_format(schema, strict), **trace)
        parser = AnswerParser(pydantic_schema=_pydantic_or_none(schema))
    if not include_raw:
        return llm | parser
    return RunnableMap(raw=llm) | _with_raw(parser)
