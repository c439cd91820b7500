"""The gateway's documented request parameters, validated before any request is sent.

Ranges come from the gateway docs (../shared/gateway-docs). A bad value raises
`InvalidParameterError` (a ValueError) naming the parameter and its allowed range.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

# InvalidParameterError lives with the other errors; imported here for the old import path.
from skillboss_core.errors import InvalidParameterError as InvalidParameterError

ReasoningEffort = Literal["minimal", "low", "medium", "high"]
MAX_STOP_STRINGS = 4
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
# The tool_choice words the wire takes, the other spellings users bring for them (LangChain's
# and Anthropic's "any"), and the words that mean nothing without tools (dropped then).
TOOL_CHOICE_WORDS = ("auto", "none", "required")
TOOL_CHOICE_SYNONYMS = {"any": "required"}
IDLE_TOOL_CHOICES = ("auto", "none")

# name -> (low, high, human description) for the numeric ranges the gateway documents.
RANGES: dict[str, tuple[float | None, float | None, str]] = {
    "temperature": (0.0, 2.0, "a number from 0 to 2"),
    "top_p": (0.0, 1.0, "a number from 0 to 1"),
    "frequency_penalty": (-2.0, 2.0, "a number from -2 to 2"),
    "presence_penalty": (-2.0, 2.0, "a number from -2 to 2"),
    "top_logprobs": (0, 20, "an integer from 0 to 20"),
    "max_tokens": (1, None, "a positive integer"),
    "max_completion_tokens": (1, None, "a positive integer"),
}


class ChatParams(BaseModel):
    """One validated set of Chat Completions parameters (everything but the messages)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    temperature: float | None = None
    top_p: float | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    reasoning_effort: ReasoningEffort | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    response_format: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    user: str | None = None
    extra_body: dict[str, Any] | None = None

    @classmethod
    def parse(cls, values: Mapping[str, Any]) -> ChatParams:
        """Validate `values`, raising InvalidParameterError with a readable message."""
        clean = {key: value for key, value in values.items() if value is not None}
        _check_ranges(clean)
        try:
            params = cls.model_validate(clean)
        except ValidationError as exc:
            raise InvalidParameterError(_describe(exc)) from None
        params._check_consistency()
        return params

    def _check_consistency(self) -> None:
        if not self.model or not self.model.strip():
            raise InvalidParameterError(
                "model must be a non-empty model id, e.g. 'openai/gpt-5.4-mini'"
            )
        stops = [self.stop] if isinstance(self.stop, str) else (self.stop or [])
        if len(stops) > MAX_STOP_STRINGS:
            raise InvalidParameterError(
                f"stop accepts at most {MAX_STOP_STRINGS} strings, got {len(stops)}"
            )
        if self.top_logprobs is not None and not self.logprobs:
            raise InvalidParameterError("top_logprobs needs logprobs=True")
        names = [_check_tool(tool, position) for position, tool in enumerate(self.tools or [])]
        if self.tool_choice is not None:
            _check_tool_choice(self.tool_choice, names)

    def to_body(self, messages: Sequence[Mapping[str, Any]], *, stream: bool) -> dict[str, Any]:
        """The JSON request body; `extra_body` fields are merged last (they win)."""
        if not messages:
            raise InvalidParameterError("messages must hold at least one message")
        body = self.model_dump(exclude_none=True, exclude={"extra_body"})
        body["messages"] = list(messages)
        if stream:
            body["stream"] = True
            # Always ask for usage: without it streamed calls would go uncounted.
            body["stream_options"] = {"include_usage": True}
        if self.extra_body:
            body.update(self.extra_body)
        return body


def _check_ranges(values: Mapping[str, Any]) -> None:
    for name, (low, high, allowed) in RANGES.items():
        value = values.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidParameterError(f"{name} must be {allowed}, got {value!r}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise InvalidParameterError(f"{name} must be {allowed}, got {value!r}")
        if allowed.startswith(("an integer", "a positive integer")) and not isinstance(value, int):
            raise InvalidParameterError(f"{name} must be {allowed}, got {value!r}")


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        # parse() always validates a dict, so every error has a location.
        name = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            parts.append(f"unknown parameter {name!r} (pass gateway-specific fields in extra_body)")
        elif name == "reasoning_effort":
            parts.append(
                "reasoning_effort must be one of minimal, low, medium, high; "
                f"got {error['input']!r}"
            )
        else:
            parts.append(f"{name}: {error['msg']} (got {error['input']!r})")
    return "; ".join(parts)


def _check_tool(tool: Mapping[str, Any], position: int) -> str:
    """A tool must be {"type": "function", "function": {"name": ..., "parameters": {...}}}."""
    if tool.get("type") != "function" or not isinstance(tool.get("function"), Mapping):
        raise InvalidParameterError(
            f"tools[{position}] must look like {{'type': 'function', 'function': {{...}}}}"
        )
    function = tool["function"]
    name = function.get("name")
    if not isinstance(name, str) or not _TOOL_NAME.match(name):
        raise InvalidParameterError(
            f"tools[{position}].function.name must be 1-64 letters, digits, '_', '-' or '.', "
            f"got {name!r}"
        )
    parameters = function.get("parameters")
    if parameters is not None and (
        not isinstance(parameters, Mapping) or parameters.get("type", "object") != "object"
    ):
        raise InvalidParameterError(
            f"tools[{position}] ({name}): parameters must be a JSON schema of type 'object'"
        )
    return name


def _check_tool_choice(choice: str | Mapping[str, Any], names: list[str]) -> None:
    if isinstance(choice, str):
        if choice not in TOOL_CHOICE_WORDS:
            raise InvalidParameterError(
                f"tool_choice must be 'auto', 'none', 'required' or "
                f"{{'type': 'function', 'function': {{'name': ...}}}}, got {choice!r}"
            )
        if choice == "required" and not names:
            raise InvalidParameterError("tool_choice='required' needs at least one tool")
        return
    function = choice.get("function")
    name = function.get("name") if isinstance(function, Mapping) else None
    if choice.get("type") != "function" or not isinstance(name, str):
        raise InvalidParameterError(
            f"tool_choice dict must be {{'type': 'function', 'function': {{'name': ...}}}}, "
            f"got {dict(choice)!r}"
        )
    if name not in names:
        raise InvalidParameterError(
            f"tool_choice names {name!r}, which is not among the tools: {names}"
        )
