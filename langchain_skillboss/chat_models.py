"""ChatSkillBoss: a LangChain chat model for the SkillBoss gateway, a drop-in for ChatOpenAI.

The class only translates: LangChain messages and keyword arguments go through
`skillboss_core` (validation, request body, HTTP, stream reading, errors, fallbacks) and the
core's neutral results come back as LangChain messages. Nothing here speaks HTTP.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import (
    BaseChatModel,
    LangSmithParams,
    LanguageModelInput,
    ModelProfile,
)
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
    model_validator,
)
from typing_extensions import Self

from langchain_skillboss.cost_fields import Discount, SharedBudget, budget_for
from langchain_skillboss.errors import model_errors
from langchain_skillboss.messages import to_wire_messages
from langchain_skillboss.outputs import (
    NO_PROVENANCE,
    ChunkTranslator,
    Provenance,
    to_chat_result,
)
from langchain_skillboss.profile import model_profile
from langchain_skillboss.serialization import SerializableWithoutSecrets
from langchain_skillboss.structured import (
    is_pydantic_schema,
    structured_runnable,
    wire_response_format,
)
from langchain_skillboss.tokens import count_messages, count_text, token_ids
from langchain_skillboss.tools import format_tools, wire_tool_choice
from skillboss_core import API_KEY_ENV, Budget, ChatParams, Gateway
from skillboss_core.config.field_names import accepted_names
from skillboss_core.config.settings import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, base_url_from_env
from skillboss_core.transport.adapter_settings import AdapterSettings, ConnectedAdapter
from skillboss_core.wire.options import OPTION_NAMES
from skillboss_core.wire.request import (
    DEFAULT_MODEL,
    PASSTHROUGH_FIELDS,
    ChatRequest,
    split_values,
)

if TYPE_CHECKING:
    from langchain_core.caches import BaseCache
    from langchain_core.callbacks import Callbacks
    from langchain_core.rate_limiters import BaseRateLimiter

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
    budget: tuple[Budget, ...]
    provenance: Provenance


# Names that are request fields whatever they hold (`user` may well be a URL).
_REQUEST_FIELDS = _CHAT_PARAMS | OPTION_NAMES | PASSTHROUGH_FIELDS


def _is_wire_tool(tool: Any) -> bool:
    return isinstance(tool, Mapping) and tool.get("type") == "function"


class ChatSkillBoss(SerializableWithoutSecrets, BaseChatModel, ConnectedAdapter):
    """SkillBoss gateway chat model (OpenAI-compatible): a drop-in for `ChatOpenAI`.

    Replace `ChatOpenAI(model=..., ...)` with `ChatSkillBoss(model=..., ...)`: the same
    parameters, tools, structured output, streaming and usage reporting, plus reasoning
    text (which ChatOpenAI drops) and model fallbacks.

    Setup:
        Install the `langchain` extra and set `SKILLBOSS_WHOLESALE_KEY` (a wholesale key;
        the gateway rejects console keys). Until the first release on PyPI, install from a
        clone of the repository, or from a wheel built in one.

        .. code-block:: bash

            pip install ".[langchain]"  # in a clone
            # after the first release: pip install "skillboss-integrations[langchain]"
            export SKILLBOSS_WHOLESALE_KEY="your-wholesale-key"

    Key init args — completion params:
        model: str
            Gateway model id, e.g. "openai/gpt-5.4-mini".
        temperature: float | None
            Sampling temperature, 0 to 2.
        max_tokens: int | None
            Cap on generated tokens.
        reasoning_effort: str | None
            "minimal", "low", "medium" or "high" (reasoning models).
        fallback_models: list[str]
            Models to try in turn when the model is over capacity, rate limited or failing.
        budget: Budget | None
            A spend limit the calls count against (see "Cost and budgets").

    Key init args — client params:
        api_key: SecretStr | None
            Wholesale key; read from SKILLBOSS_WHOLESALE_KEY when not passed.
        base_url: str
            Gateway URL (also `api_base`, `openai_api_base`); read from SKILLBOSS_BASE_URL,
            else https://api.skillboss.co/v1.
        timeout: float | None
            Seconds each wait for progress may take: connecting, the first byte, the gap
            between two stream events (also `request_timeout`); a long answer that keeps
            coming is never cut. Default 600, the openai SDK's.
        total_timeout: float | None
            Seconds the whole call may take, retries and their waits included (off).
        max_retries: int | None
            Retries of a failed request; 400, 401, 402, 403, 404 and 422 are never retried.

    Every field below is documented; ChatOpenAI's names `model_name`, `openai_api_key`,
    `openai_api_base`, `request_timeout` and `stop_sequences` are accepted too. Bad values
    raise a ValueError when the model is built, and again (merged with per-call overrides)
    before every request: nothing is sent.

    Instantiate:
        .. code-block:: python

            from langchain_skillboss import ChatSkillBoss

            llm = ChatSkillBoss(
                model="openai/gpt-5.4-mini",
                temperature=0,
                max_tokens=None,
                timeout=600,  # each wait for progress
                # total_timeout=120,  # the whole call, retries included
                max_retries=2,
                # api_key="...",  # else SKILLBOSS_WHOLESALE_KEY
                # base_url="http://my-proxy/v1",  # else SKILLBOSS_BASE_URL
            )
            llm.list_models()  # the model ids the gateway serves to this key

    Invoke:
        .. code-block:: python

            messages = [
                ("system", "Translate the user's sentence to French."),
                ("human", "I love programming."),
            ]
            ai_msg = llm.invoke(messages)
            ai_msg.content  # "J'adore la programmation."

    Stream:
        .. code-block:: python

            for chunk in llm.stream(messages):
                print(chunk.text, end="")

            # The chunks add up to the whole message (usage included).
            full = None
            for chunk in llm.stream(messages):
                full = chunk if full is None else full + chunk

    Async:
        .. code-block:: python

            await llm.ainvoke(messages)

            async for chunk in llm.astream(messages):
                print(chunk.text, end="")

            await llm.abatch([messages, messages])

    Tool calling:
        .. code-block:: python

            from pydantic import BaseModel, Field

            class GetWeather(BaseModel):
                '''Get the current weather in a given city.'''

                location: str = Field(description="The city, e.g. Paris")

            llm_with_tools = llm.bind_tools([GetWeather])
            ai_msg = llm_with_tools.invoke("What is the weather in Paris?")
            ai_msg.tool_calls
            # [{'name': 'GetWeather', 'args': {'location': 'Paris'}, 'id': 'call_...',
            #   'type': 'tool_call'}]

        `tool_choice` may be "auto", "none", "required" (or "any"), a tool name or True;
        `strict=True` asks for schema-exact arguments.

    Structured output:
        .. code-block:: python

            class Joke(BaseModel):
                setup: str
                punchline: str

            structured_llm = llm.with_structured_output(Joke)
            structured_llm.invoke("Tell me a joke about cats")
            # Joke(setup='...', punchline='...')

        The default method is the gateway's native "json_schema"; "function_calling" and
        "json_mode" are the others. With `include_raw=True` the result is a dict with
        "raw", "parsed" and "parsing_error". As with ChatOpenAI,
        `llm.invoke(..., response_format=Joke)` puts the parsed object in
        `additional_kwargs["parsed"]`.

    Token usage:
        .. code-block:: python

            ai_msg = llm.invoke(messages)
            ai_msg.usage_metadata
            # {'input_tokens': 28, 'output_tokens': 9, 'total_tokens': 37}

        `input_token_details` ({'cache_read': ...}) and `output_token_details`
        ({'reasoning': ...}) are added when the gateway reports them. Streams report usage
        on their last chunk (`stream_usage=False` leaves it out). `get_num_tokens()` and
        `get_num_tokens_from_messages()` estimate offline.

    Response metadata:
        .. code-block:: python

            ai_msg.response_metadata
            # {'model_name': 'openai/gpt-5.4-mini',
            #  'token_usage': {'prompt_tokens': 28, 'completion_tokens': 9, ...},
            #  'finish_reason': 'stop', 'id': 'chatcmpl-...', 'model_provider': 'skillboss'}

        `token_usage` is the gateway's own usage report (not on streamed chunks);
        `system_fingerprint`, `service_tier` and `logprobs` (with `logprobs=True`) are added
        when the gateway sends them. `request_id` (for a support ticket) and `vendor`
        ("openai") are added when known, `headers` with `include_response_headers=True`.
        A reasoning model's thinking is in `ai_msg.additional_kwargs["reasoning_content"]`.

    Cost and budgets:
        .. code-block:: python

            ai_msg.response_metadata["cost"]  # 0.000123 (USD)
            ai_msg.response_metadata["cost_source"]  # "gateway" or "estimate"

            from skillboss_core import Budget
            from langchain_skillboss import get_skillboss_callback

            with get_skillboss_callback(budget=Budget(usd=1.0)) as cb:
                llm.invoke(messages)
            cb.total_cost, cb.by_model

        The cost is the gateway's own figure when it reports one, else the list price of
        the usage times `discount` (SKILLBOSS_DISCOUNT); a model without a list price has no
        `cost` key. Streams carry it on the usage chunk. A `budget` (on the model, else the
        enclosing callback block's) refuses, unsent, a call whose worst case does not fit:
        `SkillBossBudgetExceededError`.

    `close()` / `aclose()` (or `with` / `async with`) release the pooled connections, which
    instances with equal settings share; the next call from any of them reconnects.
    """

    # Validation errors must never echo the constructor's input: it may hold the key.
    model_config = ConfigDict(hide_input_in_errors=True)
    _connection: ClassVar[AdapterSettings] = AdapterSettings(
        owner="ChatSkillBoss",
        url_names=("base_url", "api_base", "openai_api_base"),
        body_hint="extra_body",
    )

    model: str = Field(default=DEFAULT_MODEL, validation_alias=AliasChoices("model", "model_name"))
    """Gateway model id, e.g. "openai/gpt-5.4-mini"; any id the gateway serves is accepted.
    Also `model_name` (ChatOpenAI's name)."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env(API_KEY_ENV, default=None),
        validation_alias=AliasChoices("api_key", "openai_api_key"),
        repr=False,
    )
    """SkillBoss wholesale key, from SKILLBOSS_WHOLESALE_KEY; a missing key fails at the first
    call, naming the variable. Never shown in repr, dumps or errors. Also `openai_api_key`."""
    base_url: str = Field(
        default_factory=base_url_from_env,
        validation_alias=AliasChoices("base_url", "openai_api_base", "api_base"),
    )
    """Gateway URL: SKILLBOSS_BASE_URL, else https://api.skillboss.co/v1 (never
    OPENAI_BASE_URL). Also `api_base` and `openai_api_base`. Another keyword named like a URL
    (`azure_endpoint`, `api_host`...) or holding one is refused, not sent in the request body."""
    temperature: float | None = None
    """Sampling temperature, 0 to 2; None leaves it to the model."""
    top_p: float | None = None
    """Nucleus sampling, 0 to 1; None leaves it to the model."""
    max_tokens: int | None = None
    """Cap on generated tokens (a positive integer); None: the model's own limit."""
    max_completion_tokens: int | None = None
    """Chat Completions' newer cap on generated tokens, reasoning tokens included; sent as is
    for models that want it instead of max_tokens."""
    stop: list[str] | str | None = Field(
        default=None, validation_alias=AliasChoices("stop", "stop_sequences")
    )
    """Up to 4 strings that end the answer (also `stop_sequences`); a per-call `stop` wins."""
    seed: int | None = None
    """Asks for repeatable sampling, where the model supports it."""
    frequency_penalty: float | None = None
    """-2 to 2; positive values make repeated tokens less likely."""
    presence_penalty: float | None = None
    """-2 to 2; positive values make tokens already used less likely."""
    logprobs: bool | None = None
    """Return the log probabilities of the answer's tokens (in response_metadata)."""
    top_logprobs: int | None = None
    """0 to 20 likeliest alternatives per token; needs logprobs=True."""
    reasoning_effort: str | None = None
    """How hard a reasoning model thinks: minimal, low, medium or high."""
    streaming: bool = False
    """Stream under the hood even for invoke (callbacks then see every token)."""
    stream_usage: bool = True
    """Report usage_metadata (on one chunk) when streaming; the gateway is always asked for
    it, so streamed calls are counted either way."""
    timeout: float | None = Field(
        default=DEFAULT_TIMEOUT, validation_alias=AliasChoices("timeout", "request_timeout")
    )
    """Seconds each wait for progress may take (alias `request_timeout`): connecting, the
    first byte, the gap between two stream events or body pieces; keep-alive bytes do not
    count, and a progressing answer is never cut. Default 600 s, the openai SDK's. None
    waits for ever."""
    stream_chunk_timeout: float | None = None
    """Longest wait between two stream events, when shorter than `timeout` (keep-alive bytes
    do not count); None: `timeout` alone."""
    total_timeout: float | None = None
    """Seconds the whole call may take: every attempt, the waits between them and fallback
    models (aiohttp's `total`); a retry wait that would pass it fails at once. None: no
    bound."""
    max_retries: int | None = DEFAULT_MAX_RETRIES
    """Retries of a transient failure (429, 5xx, connection, timeout) before any of the
    answer arrived; the core's retry policy is the only retry layer (402 is never retried).
    None: the default, 2."""
    default_headers: dict[str, str] | None = None
    """Sent with every request. Secret-looking ones (Authorization, X-Api-Key...) are masked in
    repr and model_dump and left out of dumpd/dumps."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Further request parameters. Unknown constructor keywords land here (with a warning),
    except key-like or URL-like ones, which are refused."""
    extra_body: dict[str, Any] | None = None
    """Fields merged into the request body as-is, for gateway features not modelled here."""
    fallback_models: list[str] = Field(default_factory=list)
    """Models to try in order when the model is over capacity, rate limited or failing."""
    discount: Discount = None
    """The fraction of list price this account pays, in (0, 1] (0.8: 20% off), for the cost
    estimate when the gateway reports no cost itself. None: SKILLBOSS_DISCOUNT, else 1.0."""
    budget: SharedBudget = None
    """A spend limit (`skillboss_core.Budget`) every call of this model counts against: a
    call whose worst case does not fit raises SkillBossBudgetExceededError unsent. None: the
    budget of the enclosing `get_skillboss_callback(budget=...)` block, if any. Shared, not
    copied: never serialized."""
    include_response_headers: bool = False
    """Put the answer's HTTP headers in response_metadata["headers"] (as ChatOpenAI does),
    with the key and secret header values scrubbed."""

    if TYPE_CHECKING:
        # What type checkers and IDEs see: every keyword, typed, so a misspelt or mistyped
        # one is flagged (the pydantic mypy plugin alone would accept any keyword, untyped).
        # At run time pydantic's own __init__ runs. Keep in step with the fields above:
        # tests/unit/test_constructor_typing.py compares the two.
        def __init__(
            self,
            *,
            model: str = DEFAULT_MODEL,
            model_name: str = ...,
            api_key: SecretStr | str | None = ...,
            openai_api_key: SecretStr | str | None = ...,
            base_url: str = ...,
            api_base: str = ...,
            openai_api_base: str = ...,
            temperature: float | None = None,
            top_p: float | None = None,
            max_tokens: int | None = None,
            max_completion_tokens: int | None = None,
            stop: list[str] | str | None = None,
            stop_sequences: list[str] | str | None = ...,
            seed: int | None = None,
            frequency_penalty: float | None = None,
            presence_penalty: float | None = None,
            logprobs: bool | None = None,
            top_logprobs: int | None = None,
            reasoning_effort: str | None = None,
            streaming: bool = False,
            stream_usage: bool = True,
            timeout: float | None = DEFAULT_TIMEOUT,
            request_timeout: float | None = ...,
            stream_chunk_timeout: float | None = None,
            total_timeout: float | None = None,
            max_retries: int | None = DEFAULT_MAX_RETRIES,
            default_headers: dict[str, str] | None = None,
            model_kwargs: dict[str, Any] = ...,
            extra_body: dict[str, Any] | None = None,
            fallback_models: list[str] = ...,
            discount: float | None = None,
            budget: Budget | None = None,
            include_response_headers: bool = False,
            # BaseChatModel's fields.
            name: str | None = None,
            cache: BaseCache | bool | None = None,
            verbose: bool = ...,
            callbacks: Callbacks = None,
            tags: list[str] | None = None,
            metadata: dict[str, Any] | None = None,
            custom_get_token_ids: Callable[[str], list[int]] | None = None,
            rate_limiter: BaseRateLimiter | None = None,
            disable_streaming: bool | Literal["tool_calling"] = False,
            output_version: str | None = ...,
            profile: ModelProfile | None = None,
        ) -> None:
            """A chat model on the gateway; each argument is the field of that name (or the
            field it is another name for): see the class and field docstrings."""
            ...

    # -- construction ----------------------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _collect_model_kwargs(cls, values: Any) -> Any:
        """Move unknown keyword arguments into model_kwargs, as LangChain users expect."""
        if not isinstance(values, dict):
            return values
        known = accepted_names(cls.model_fields)
        values = dict(values)
        extra = dict(values.get("model_kwargs") or {})
        # A key under another name is refused, not moved to model_kwargs (sent in the body,
        # shown by repr); so is a URL, which would be sent rather than used. The errors never
        # show the value.
        cls._connection.refuse_misplaced(values, known | _REQUEST_FIELDS, more=[extra])
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
        _ = self.gateway  # the connection settings, validated once per distinct set
        return self

    @property
    def gateway(self) -> Gateway:
        """The core gateway for the current settings: a changed URL, key, timeout, header or
        retry count (assigned, or via `model_copy(update=...)`) is used by the next call;
        instances with equal settings share one connection pool."""
        return self._gateway()

    def list_models(self) -> list[str]:
        """The model ids the gateway serves to this key (GET /models), with the current
        settings; failures are the same LangChain errors as a chat call's."""
        with model_errors():
            return self.gateway.list_models()

    async def alist_models(self) -> list[str]:
        """`list_models`, without blocking the event loop."""
        with model_errors():
            return await self.gateway.alist_models()

    def _resolve_model_profile(self) -> ModelProfile | None:
        """The catalog's facts, or the gateway's own if its /models list was fetched with
        these settings (`list_models()`) before the model was built."""
        return model_profile(self.gateway.lookup(self.model))

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
        costs = [(output or {}).get("cost") for output in llm_outputs]
        if costs and all(isinstance(cost, float) for cost in costs):
            # A sum with a part missing would be a wrong number: then no cost at all.
            combined["cost"] = sum(costs)
        return combined

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_skillboss", "chat_models"]

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
        if self.total_timeout is not None:
            values["total_timeout"] = self.total_timeout
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
        return split_values(values)[0]  # the options are validated too, sent per request

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
            # Looked up now, in the caller's context: a cost callback's budget applies to
            # the calls made inside its block, in whatever thread or task.
            budget=budget_for(self.budget),
            provenance=self._provenance(),
        )

    def _provenance(self) -> Provenance:
        """What of the answer's headers goes into response_metadata, for this call."""
        if not self.include_response_headers:
            return NO_PROVENANCE
        return Provenance(include_headers=True, hide=self.gateway.settings.values_to_hide())

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with model_errors():
            call = self._prepare(messages, stop, kwargs)
            result = self.gateway.complete(call.request, budget=call.budget)
            return to_chat_result(result, parse_into=call.parse_into, provenance=call.provenance)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with model_errors():
            call = self._prepare(messages, stop, kwargs)
            result = await self.gateway.acomplete(call.request, budget=call.budget)
            return to_chat_result(result, parse_into=call.parse_into, provenance=call.provenance)

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
            translate = ChunkTranslator(
                stream_usage=call.stream_usage,
                parse_into=call.parse_into,
                provenance=call.provenance,
            )
            stream = self.gateway.stream(call.request, budget=call.budget)
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
            translate = ChunkTranslator(
                stream_usage=call.stream_usage,
                parse_into=call.parse_into,
                provenance=call.provenance,
            )
            stream = self.gateway.astream(call.request, budget=call.budget)
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
