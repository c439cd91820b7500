"""One chat call, ready to send: the only thing that becomes a request body.

Each adapter builds a `ChatRequest` from its own messages and keyword arguments; what goes
on the wire (the body, the fallback attempts, what "no tools" means) is decided here once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from skillboss_core.wire.options import NO_OPTIONS, RequestOptions
from skillboss_core.wire.params import IDLE_TOOL_CHOICES, ChatParams, InvalidParameterError
from skillboss_core.wire.results import ChatResult

DEFAULT_MODEL = "openai/gpt-5.4-mini"
# Chat Completions request fields the core does not model: given by name (per call, or in an
# adapter's extra parameters), they go into the body as they are, like ChatOpenAI sends them.
# Other unknown names are errors, so a typo is caught before a request. Not `n`: only the
# first choice is read back.
PASSTHROUGH_FIELDS = frozenset(
    {
        "audio",
        "logit_bias",
        "metadata",
        "modalities",
        "prediction",
        "prompt_cache_key",
        "reasoning",
        "safety_identifier",
        "service_tier",
        "store",
        "verbosity",
        "web_search_options",
    }
)


def without_idle_tool_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """Drop tool fields that have no tools to apply to.

    Chat Completions rejects an empty tool list, and `parallel_tool_calls` or a non-forcing
    `tool_choice` without tools; a forcing choice is kept, so its error names the problem.
    """
    clean = dict(values)
    if not clean.get("tools"):
        clean["tools"] = None
        clean["parallel_tool_calls"] = None
        if clean.get("tool_choice") in IDLE_TOOL_CHOICES:
            clean["tool_choice"] = None
    return clean


def request_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """An adapter's values in the core's shape, ready for ChatParams.parse: pass-through
    fields moved into extra_body (given by name, they win over extra_body's), idle tool
    fields dropped."""
    clean = dict(values)
    extra = dict(clean.pop("extra_body", None) or {})
    for name in [name for name in clean if name in PASSTHROUGH_FIELDS]:
        extra[name] = clean.pop(name)
    clean["extra_body"] = extra or None
    return without_idle_tool_fields(clean)


def split_values(values: Mapping[str, Any]) -> tuple[ChatParams, RequestOptions]:
    """The one place an adapter's values are split: how to send (timeouts, retries, headers,
    query: RequestOptions) and what to ask (ChatParams), both validated."""
    values = dict(values)
    options = RequestOptions.take(values)
    return ChatParams.parse(request_values(values)), options


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """Validated parameters, wire messages, the models to fall back to (in order) and how
    to send it (per-request timeout, retries, headers, query)."""

    params: ChatParams
    messages: tuple[Mapping[str, Any], ...]
    fallback_models: tuple[str, ...] = ()
    options: RequestOptions = NO_OPTIONS

    @classmethod
    def build(
        cls,
        values: Mapping[str, Any],
        messages: Sequence[Mapping[str, Any]],
        *,
        fallback_models: Sequence[str] = (),
    ) -> ChatRequest:
        """Validate everything that can be wrong before a request is sent; transport options
        (timeout, max_retries, extra_headers, extra_query) among `values` go to `options`."""
        if not messages:
            raise InvalidParameterError("messages must hold at least one message")
        params, options = split_values(values)
        return cls(params, tuple(messages), tuple(fallback_models), options)

    def body(self, *, stream: bool) -> dict[str, Any]:
        return self.params.to_body(self.messages, stream=stream)


def one_tool_call_only(body: Mapping[str, Any]) -> bool:
    """Whether an answer to this body keeps its first tool call only: `parallel_tool_calls`
    false with tools. A model that sends more anyway disobeyed the request; the extra calls
    are dropped for both adapters, bodies and streams alike (LlamaIndex's OpenAI class drops
    them too, and an agent would otherwise run tools the request ruled out)."""
    return body.get("parallel_tool_calls") is False and bool(body.get("tools"))


def answer_to(body: Mapping[str, Any], result: ChatResult) -> ChatResult:
    """A whole answer as the answer to `body`: the model asked for (and answering, when the
    answer does not say), and at most one tool call when the body asked for one."""
    result.requested_model = body["model"]
    if not result.model:
        result.model = body["model"]
    if one_tool_call_only(body):
        del result.tool_calls[1:]
    return result
