"""ChatSkillBoss: a LangChain chat model for the SkillBoss gateway, a drop-in for ChatOpenAI.

The class only translates: LangChain messages and keyword arguments go through
`skillboss_core` (validation, request body, HTTP, stream reading, errors, fallbacks) and the
core's neutral results come back as LangChain messages. Nothing here speaks HTTP.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import (
    BaseChatModel,
    LangSmithParams,
    LanguageModelInput,
    ModelProfile,
)
from langchain_core.load.serializable import SerializedConstructor, SerializedNotImplemented
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils import secret_from_env
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_serializer,
    model_validator,
)
from pydantic.fields import FieldInfo
from typing_extensions import Self

from langchain_skillboss.errors import model_errors
from langchain_skillboss.messages import to_wire_messages
from langchain_skillboss.outputs import ChunkTranslator, to_chat_result
from langchain_skillboss.profile import model_profile
from langchain_skillboss.structured import (
    is_pydantic_schema,
    structured_runnable,
    wire_response_format,
)
from langchain_skillboss.tokens import count_messages, count_text, token_ids
from langchain_skillboss.tools import format_tools, wire_tool_choice
from skillboss_core import API_KEY_ENV, ChatParams, Gateway, GatewaySettings
from skillboss_core.clients import ClientPool
from skillboss_core.closing import ClosesConnections
from skillboss_core.options import OPTION_NAMES, RequestOptions
from skillboss_core.request import DEFAULT_MODEL, ChatRequest, request_values
from skillboss_core.reuse import shared_gateway
from skillboss_core.secrets import masked_headers, public_headers, refuse_secret_names
from skillboss_core.settings import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, base_url_from_env

# Instance fields that are request parameters, in the gateway's names.
PARAM_FIELDS = (
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "seed",
    "frequency_penalty",
    "presence_penalty",
    "logprobs",
    "top_logprobs",
    "reasoning_effort",
)
_CHAT_PARAMS = frozenset(ChatParams.model_fields)
# Per-call keyword arguments that steer the adapter rather than the request body.
_CALL_OPTIONS = (
    "stream",
    "stream_usage",
    "fallback_models",
    "strict",
    "ls_structured_output_format",
    "structured_output_format",
)


@dataclass(slots=True)
class _Call:
    """The core's request, plus what only this adapter does with the answer."""

    request: ChatRequest
    stream_usage: bool
    parse_into: type[BaseModel] | None


def _is_wire_tool(tool: Any) -> bool:
    return isinstance(tool, Mapping) and tool.get("type") == "function"


def _accepted_names(fields: Mapping[str, FieldInfo]) -> set[str]:
    """Field names and their aliases (ChatOpenAI's names among them)."""
    names = set(fields)
    for info in fields.values():
        alias = info.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names.update(choice for choice in alias.choices if isinstance(choice, str))
    return names


class ChatSkillBoss(BaseChatModel, ClosesConnections):
    """Chat model on the SkillBoss gateway (OpenAI-compatible), built on `skillboss_core`.

    Replace `ChatOpenAI(model=..., ...)` with `ChatSkillBoss(model=..., ...)`: the same
    parameters, tools, structured output, streaming and usage reporting, plus reasoning
    text (which ChatOpenAI drops) and model fallbacks.

    ```python
    from langchain_skillboss import ChatSkillBoss

    llm = ChatSkillBoss(model="openai/gpt-5.4-mini", temperature=0)  # key: SKILLBOSS_WHOLESALE_KEY
    llm.invoke("Hello").content
    ```

    Parameters are validated when the model is built and again, merged with per-call
    overrides, before every request: a bad value is a ValueError and nothing is sent.
    ChatOpenAI's names `openai_api_key`, `openai_api_base`, `request_timeout` and
    `stop_sequences` are accepted, and so is `response_format=<pydantic class>` per call
    (the parsed object lands in `additional_kwargs["parsed"]`).

    `close()` / `aclose()` (or `with` / `async with`) release the pooled connections, which
    instances with equal settings share; the next call from any of them reconnects.
    """

    # Validation errors must never echo the constructor's input: it may hold the key.
    model_config = ConfigDict(hide_input_in_errors=True)

    model: str = Field(default=DEFAULT_MODEL, validation_alias=AliasChoices("model", "model_name"))
    """Gateway model id, e.g. 'openai/gpt-5.4-mini' (also accepted as `model_name`)."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env(API_KEY_ENV, default=None),
        validation_alias=AliasChoices("api_key", "openai_api_key"),
        repr=False,
    )
    """SkillBoss wholesale key, from SKILLBOSS_WHOLESALE_KEY; a missing key fails at call time.
    (ChatOpenAI's `openai_api_key` name is accepted too.)"""
    base_url: str = Field(
        default_factory=base_url_from_env,
        validation_alias=AliasChoices("base_url", "openai_api_base"),
    )
    """SKILLBOSS_BASE_URL, else https://api.skillboss.co/v1 (alias `openai_api_base`)."""
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    stop: list[str] | str | None = Field(
        default=None, validation_alias=AliasChoices("stop", "stop_sequences")
    )
    seed: int | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    reasoning_effort: str | None = None
    """One of minimal, low, medium, high."""
    streaming: bool = False
    """Stream under the hood even for invoke (callbacks then see every token)."""
    stream_usage: bool = True
    """Report usage_metadata (on one chunk) when streaming."""
    timeout: float | None = Field(
        default=DEFAULT_TIMEOUT, validation_alias=AliasChoices("timeout", "request_timeout")
    )
    """Seconds one call may take, from connect to last byte, retry waits included (alias
    `request_timeout`); each fallback model gets its own. None waits for ever."""
    stream_chunk_timeout: float | None = None
    """Longest wait between two stream events (keep-alive bytes do not count); None: only
    `timeout` bounds a stream. ChatOpenAI's name."""
    max_retries: int | None = DEFAULT_MAX_RETRIES
    """Retries by the openai SDK, the only retry layer (402 is never retried)."""
    default_headers: dict[str, str] | None = None
    """Sent with every request. Secret-looking ones (Authorization, X-Api-Key...) are masked in
    repr and model_dump and left out of dumpd/dumps."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Further request parameters. Unknown constructor keywords land here (with a warning)."""
    extra_body: dict[str, Any] | None = None
    """Fields merged into the request body as-is, for gateway features not modelled here."""
    fallback_models: list[str] = Field(default_factory=list)
    """Models to try in order when the model is over capacity, rate limited or failing."""

    # -- construction ----------------------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _collect_model_kwargs(cls, values: Any) -> Any:
        """Move unknown keyword arguments into model_kwargs, as LangChain users expect."""
        if not isinstance(values, dict):
            return values
        known = _accepted_names(cls.model_fields)
        values = dict(values)
        extra = dict(values.get("model_kwargs") or {})
        # A key under another name is refused, not moved to model_kwargs (sent in the body,
        # shown by repr); the error never shows the value.
        refuse_secret_names([*values, *extra], known, owner="ChatSkillBoss")
        for name in [name for name in values if name not in known]:
            warnings.warn(
                f"{name!r} is not a ChatSkillBoss parameter; it was moved to model_kwargs and "
                "will be sent in the request body.",
                UserWarning,
                stacklevel=4,
            )
            extra[name] = values.pop(name)
        for name in [name for name in extra if name in known and name not in values]:
            warnings.warn(
                f"{name!r} should be passed as ChatSkillBoss({name}=...), not in model_kwargs.",
                UserWarning,
                stacklevel=4,
            )
            values[name] = extra.pop(name)
        values["model_kwargs"] = extra
        return values

    @model_validator(mode="after")
    def _validate_now(self) -> Self:
        """Fail on bad parameters and settings now, not at the first call."""
        self._params(None, {})
        GatewaySettings(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self._max_retries,
            default_headers=self.default_headers,
        )
        return self

    @property
    def _max_retries(self) -> int:
        return DEFAULT_MAX_RETRIES if self.max_retries is None else self.max_retries

    @property
    def gateway(self) -> Gateway:
        """The core gateway for the current settings: a changed URL, key, timeout, header or
        retry count (assigned, or via `model_copy(update=...)`) is used by the next call;
        instances with equal settings share one connection pool."""
        return shared_gateway(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self._max_retries,
            default_headers=self.default_headers,
        )

    def _client_pool(self) -> ClientPool:
        return self.gateway.clients

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, masked_headers(value) if name == "default_headers" else value

    @field_serializer("default_headers")
    def _masked_headers(self, headers: dict[str, str] | None) -> dict[str, str] | None:
        return masked_headers(headers)

    def _resolve_model_profile(self) -> ModelProfile | None:
        return model_profile(self.model)

    @property
    def model_name(self) -> str:
        """The model id (ChatOpenAI's attribute name)."""
        return self.model

    # -- LangChain metadata ----------------------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return "skillboss-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        params = {name: getattr(self, name) for name in PARAM_FIELDS}
        return {
            "model_name": self.model,
            "base_url": self.base_url,
            **{name: value for name, value in params.items() if value is not None},
            **self.model_kwargs,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="skillboss",
            ls_model_name=str(kwargs.get("model") or self.model),
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if isinstance(temperature, (int, float)):
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens) or kwargs.get(
            "max_completion_tokens", self.max_completion_tokens
        )
        if isinstance(max_tokens, int):
            params["ls_max_tokens"] = max_tokens
        stops = stop or kwargs.get("stop") or self.stop
        if stops:
            params["ls_stop"] = [stops] if isinstance(stops, str) else list(stops)
        return params

    def _combine_llm_outputs(self, llm_outputs: list[dict[str, Any] | None]) -> dict[str, Any]:
        usage: dict[str, int] = {}
        fingerprint = None
        for output in llm_outputs:
            for name, value in ((output or {}).get("token_usage") or {}).items():
                if isinstance(value, int):
                    usage[name] = usage.get(name, 0) + value
            fingerprint = fingerprint or (output or {}).get("system_fingerprint")
        combined: dict[str, Any] = {"token_usage": usage, "model_name": self.model}
        if fingerprint:
            combined["system_fingerprint"] = fingerprint
        return combined

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_skillboss", "chat_models"]

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": API_KEY_ENV}

    def to_json(self) -> SerializedConstructor | SerializedNotImplemented:
        """Secret headers are left out: langchain-core escapes nested secret references, so
        they could not be restored on load anyway; pass them again after loading."""
        serialized = super().to_json()
        kwargs = serialized.get("kwargs")
        if isinstance(kwargs, dict) and kwargs.get("default_headers"):
            kwargs["default_headers"] = public_headers(kwargs["default_headers"])
            if kwargs["default_headers"] is None:
                del kwargs["default_headers"]
        return serialized

    # -- requests ----------------------------------------------------------------------------

    def _param_values(
        self,
        stop: list[str] | str | None,
        overrides: Mapping[str, Any],
        *,
        strict: bool | None = None,
    ) -> dict[str, Any]:
        """Instance parameters, model_kwargs and per-call overrides in the core's names.

        Tools and `response_format` may be given in any form bind_tools and
        with_structured_output take (as ChatOpenAI allows); they are converted here.
        """
        values: dict[str, Any] = {"model": self.model}
        if self.stream_chunk_timeout is not None:
            values["stream_chunk_timeout"] = self.stream_chunk_timeout
        for name in PARAM_FIELDS:
            values[name] = getattr(self, name)
        extra: dict[str, Any] = {}
        for name, value in self.model_kwargs.items():
            (values if name in _CHAT_PARAMS or name in OPTION_NAMES else extra)[name] = value
        if self.extra_body:
            extra.update(self.extra_body)
        for name, value in overrides.items():
            if name == "extra_body":
                extra.update(value or {})
            else:
                # The core sends known body fields it does not model (logit_bias, ...) as
                # they are; other unknown names (typos) fail in ChatParams.parse.
                values[name] = value
        if stop is not None:
            values["stop"] = stop
        if not values.get("stop"):
            values["stop"] = None  # [] means "no stop sequences", not an empty list on the wire
        tools = values.get("tools")
        if tools and (strict is not None or not all(_is_wire_tool(tool) for tool in tools)):
            values["tools"] = tools = format_tools(tools, strict=strict)
        if values.get("tool_choice") is not None:
            values["tool_choice"] = wire_tool_choice(values["tool_choice"], tools or [])
        if values.get("response_format") is not None:
            values["response_format"] = wire_response_format(values["response_format"], strict)
        values["extra_body"] = extra or None
        return values

    def _params(
        self,
        stop: list[str] | str | None,
        overrides: Mapping[str, Any],
        *,
        strict: bool | None = None,
    ) -> ChatParams:
        """The validated parameters alone (construction-time checks, bind_tools)."""
        values = self._param_values(stop, overrides, strict=strict)
        RequestOptions.take(values)  # validated here, sent per request (see ChatRequest)
        return ChatParams.parse(request_values(values))

    def _prepare(
        self,
        messages: Sequence[BaseMessage],
        stop: list[str] | None,
        kwargs: dict[str, Any],
    ) -> _Call:
        """Everything that can fail on bad input happens here, before any request."""
        options = {name: kwargs.pop(name) for name in _CALL_OPTIONS if name in kwargs}
        schema = kwargs.get("response_format", self.model_kwargs.get("response_format"))
        fallbacks = options.get("fallback_models")
        request = ChatRequest.build(
            self._param_values(stop, kwargs, strict=options.get("strict")),
            to_wire_messages(messages),
            fallback_models=self.fallback_models if fallbacks is None else fallbacks,
        )
        return _Call(
            request=request,
            stream_usage=bool(options.get("stream_usage", self.stream_usage)),
            parse_into=schema if is_pydantic_schema(schema) else None,
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with model_errors():
            call = self._prepare(messages, stop, kwargs)
            result = self.gateway.complete(call.request)
            return to_chat_result(result, parse_into=call.parse_into)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with model_errors():
            call = self._prepare(messages, stop, kwargs)
            result = await self.gateway.acomplete(call.request)
            return to_chat_result(result, parse_into=call.parse_into)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        # LangChain reports each chunk to the callbacks itself: no on_llm_new_token here.
        with model_errors():
            call = self._prepare(messages, stop, kwargs)
            translate = ChunkTranslator(stream_usage=call.stream_usage, parse_into=call.parse_into)
            stream = self.gateway.stream(call.request)
            try:
                for chunk in stream:
                    generation = translate(chunk)
                    if generation is not None:
                        yield generation
            finally:
                stream.close()  # at once when the caller stops early, not at garbage collection
            yield translate.last_chunk(stream.answer)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        with model_errors():
            call = self._prepare(messages, stop, kwargs)
            translate = ChunkTranslator(stream_usage=call.stream_usage, parse_into=call.parse_into)
            stream = self.gateway.astream(call.request)
            try:
                async for chunk in stream:
                    generation = translate(chunk)
                    if generation is not None:
                        yield generation
            finally:
                await stream.aclose()
            yield translate.last_chunk(stream.answer)

    # -- tools and structured output ---------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (dicts, pydantic models, TypedDicts, functions, BaseTools).

        `tool_choice`: "auto", "none", "required", "any" (= required), True (the only tool,
        or required), a tool name, or a dict; `strict` asks for schema-exact arguments.
        The tools and choice are checked now, so a mistake fails here, not at the gateway.
        """
        with model_errors():
            formatted = format_tools(tools, strict=strict)
            bound: dict[str, Any] = {"tools": formatted}
            choice = wire_tool_choice(tool_choice, formatted)
            if choice is not None:
                bound["tool_choice"] = choice
            if parallel_tool_calls is not None:
                bound["parallel_tool_calls"] = parallel_tool_calls
            ChatParams.parse({"model": self.model, **bound})
        return super().bind(**bound, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """Answers parsed into `schema` (pydantic class, TypedDict or JSON schema).

        `method`: "json_schema" (default, the gateway's native structured output),
        "function_calling" (a forced tool call) or "json_mode". An answer cut at the token
        cap raises `AnswerTruncatedError`, a filtered one `ContentFilteredError`, a refusal
        `StructuredOutputRefusalError` and an empty or invalid one `StructuredOutputParseError`,
        streamed or not; with include_raw they are returned as `parsing_error` instead.
        """
        if kwargs:
            raise ValueError(f"Unsupported arguments for with_structured_output: {sorted(kwargs)}")
        return structured_runnable(
            self, schema, method=method, strict=strict, include_raw=include_raw
        )

    # -- token counting ----------------------------------------------------------------------

    def get_token_ids(self, text: str) -> list[int]:
        """Approximate token ids, computed offline (see langchain_skillboss.tokens)."""
        if self.custom_get_token_ids is not None:
            return self.custom_get_token_ids(text)
        return token_ids(text)

    def get_num_tokens(self, text: str) -> int:
        """Approximate tokens in `text`, offline, without building the ids."""
        if self.custom_get_token_ids is not None:
            return len(self.custom_get_token_ids(text))
        return count_text(text)

    def get_num_tokens_from_messages(
        self,
        messages: list[BaseMessage],
        tools: Sequence[Any] | None = None,
    ) -> int:
        """Approximate prompt tokens, offline; the exact count is in usage_metadata."""
        return count_messages(messages, tools)
