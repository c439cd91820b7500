"""Anything LangChain calls a tool -> OpenAI tool dicts, plus the tool_choice forms users pass."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from skillboss_core import InvalidParameterError
from skillboss_core.wire.builders import normalize_tool_choice, strict_tool
from skillboss_core.wire.params import TOOL_CHOICE_SYNONYMS, TOOL_CHOICE_WORDS

ToolLike = Mapping[str, Any] | type | Callable[..., Any] | BaseTool
ToolChoice = str | bool | Mapping[str, Any] | None


def format_tool(tool: ToolLike, *, strict: bool | None = None) -> dict[str, Any]:
    """One OpenAI tool dict; `strict` is applied to dicts already in OpenAI form too."""
    try:
        formatted = convert_to_openai_tool(tool, strict=strict)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"Cannot use {tool!r} as a tool: {exc}") from None
    function = formatted.get("function")
    if strict and isinstance(function, Mapping):
        return strict_tool(formatted)
    if strict is not None and isinstance(function, Mapping) and function.get("strict") != strict:
        formatted = {**formatted, "function": {**function, "strict": strict}}
    return formatted


def format_tools(tools: Sequence[ToolLike], *, strict: bool | None = None) -> list[dict[str, Any]]:
    return [format_tool(tool, strict=strict) for tool in tools]


def tool_names(tools: Sequence[Mapping[str, Any]]) -> list[str]:
    names = []
    for tool in tools:
        function = tool.get("function")
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            names.append(function["name"])
    return names


def wire_tool_choice(choice: ToolChoice, tools: Sequence[Mapping[str, Any]]) -> Any:
    """auto/none/required/"any"/True/a tool name/a dict -> the gateway's tool_choice.

    Anthropic-style dicts are understood too: {"type": "any"|"auto"|"none"|"required"} and
    {"type": "tool", "name": ...}.
    """
    if isinstance(choice, Mapping) and "name" not in choice and "function" not in choice:
        kind = choice.get("type")
        if kind in TOOL_CHOICE_WORDS or kind in TOOL_CHOICE_SYNONYMS:
            choice = str(kind)
    return normalize_tool_choice(choice, tool_names(tools))
