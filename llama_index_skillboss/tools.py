"""Function calling between LlamaIndex tools and the gateway's OpenAI tool format."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatResponse, ToolCallBlock
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json
from llama_index.core.tools.types import BaseTool

from skillboss_core.wire import builders as wire


def tool_specs(tools: Sequence[BaseTool], *, strict: bool) -> list[dict[str, Any]]:
    """OpenAI tool dicts; `strict` also closes every object schema, as strict mode needs."""
    specs = [tool.metadata.to_openai_tool(skip_length_check=True) for tool in tools]
    return [wire.strict_tool(spec) for spec in specs] if strict else specs


def resolve_tool_choice(
    tool_choice: Any, tool_required: bool, names: Sequence[str]
) -> str | dict[str, Any] | None:
    """The wire tool_choice: an explicit choice wins, else `required` or `auto`."""
    if tool_choice is not None:
        return wire.normalize_tool_choice(tool_choice, names)
    return "required" if tool_required else "auto"


def tool_selections(response: ChatResponse, *, error_on_no_tool_call: bool) -> list[ToolSelection]:
    """The tool calls of a response, also mid-stream (arguments may be partial JSON then)."""
    blocks = [block for block in response.message.blocks if isinstance(block, ToolCallBlock)]
    if not blocks:
        blocks = _legacy_blocks(response.message.additional_kwargs.get("tool_calls"))
    if not blocks and error_on_no_tool_call:
        raise ValueError(
            "Expected the model to call a tool, but the response has no tool calls "
            f"(content: {(response.message.content or '')[:200]!r})"
        )
    return [
        ToolSelection(
            tool_id=block.tool_call_id or wire.default_call_id(position),
            tool_name=block.tool_name,
            tool_kwargs=_arguments(block, strict=error_on_no_tool_call),
        )
        for position, block in enumerate(blocks)
    ]


def _legacy_blocks(calls: Any) -> list[ToolCallBlock]:
    """Tool calls kept only in additional_kwargs (messages from other integrations)."""
    blocks = []
    for call in calls if isinstance(calls, list) else []:
        data = call.model_dump() if hasattr(call, "model_dump") else call
        function = data.get("function") if isinstance(data, dict) else None
        if isinstance(function, dict) and function.get("name"):
            arguments = function.get("arguments")
            blocks.append(
                ToolCallBlock(
                    tool_call_id=data.get("id"),
                    tool_name=function["name"],
                    tool_kwargs=arguments if isinstance(arguments, (dict, str)) else {},
                )
            )
    return blocks


def _arguments(block: ToolCallBlock, *, strict: bool) -> dict[str, Any]:
    """Parsed arguments. Lenient callers (agents mid-stream) get partial JSON repaired."""
    arguments = block.tool_kwargs
    if isinstance(arguments, dict):
        return arguments
    try:
        parsed = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        if strict:
            raise ValueError(
                f"The arguments the model wrote for tool {block.tool_name!r} are not valid "
                f"JSON: {arguments[:200]!r}"
            ) from None
        try:
            parsed = parse_partial_json(arguments)
        except ValueError:
            parsed = {}
    return parsed if isinstance(parsed, dict) else {}
