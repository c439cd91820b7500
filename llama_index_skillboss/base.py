"""SkillBoss: a LlamaIndex FunctionCallingLLM for the SkillBoss gateway.

Built on skillboss_core (not on llama-index-llms-openai) so none of OpenAILike's traps
apply: any model id is accepted, it is always a chat model (no /completions), function
calling is on unless the catalog knows better, and streams always report usage.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.instrumentation.events.llm import (
    LLMStructuredPredictEndEvent,
    LLMStructuredPredictStartEvent,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.prompts import BasePromptTemplate
from llama_index.core.tools.types import BaseTool
from llama_index.core.types import PydanticProgramMode
from llama_index_instrumentation import get_dispatcher
from pydantic import (
    ConfigDict,
    Field,
    SecretStr,
    model_validator,
)

from llama_index_skillboss.connection_fields import (
    GatewayUrl,
    PriceDiscount,
    RetryCount,
    SentHeaders,
    SpendLimit,
    WholesaleKey,
)
from llama_index_skillboss.cost_handler import LLM_CLASS_NAME, budget_for
from llama_index_skillboss.messages import to_wire_messages
from llama_index_skillboss.outputs import chat_response, completion_response, finish_reason_of
from llama_index_skillboss.streaming import (
    achat_stream,
    acompletion_stream,
    chat_stream,
    completion_stream,
)
from llama_index_skillboss.structured import JsonSchemaProgram
from llama_index_skillboss.tools import (
    resolve_tool_choice,
    tool_selections,
    tool_specs,
)
from skillboss_core import (
    Budget,
    ModelInfo,
)
from skillboss_core.config.field_names import accepted_names
from skillboss_core.config.settings import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
)
from skillboss_core.transport.adapter_settings import AdapterSettings, ConnectedAdapter
from skillboss_core.wire.answer import judge_end, output_name
from skillboss_core.wire.request import DEFAULT_MODEL, ChatRequest, split_values

if TYPE_CHECKING:
    from llama_index.core.callbacks import CallbackManager
    from llama_index.core.llms.llm import CompletionToPromptType, MessagesToPromptType
    from llama_index.core.rate_limiter import BaseRateLimiter
    from llama_index.core.types import BaseOutputParser

logger = logging.getLogger(__name__)
dispatcher = get_dispatcher(__name__)


class SkillBoss(FunctionCallingLLM, ConnectedAdapter):
    """Any SkillBoss gateway chat model as a LlamaIndex LLM (a `FunctionCallingLLM`).

    Query engines, chat engines, structured programs and agents work with it as with
    OpenAI's LLM. Built on `skillboss_core`, not on llama-index-llms-openai, so OpenAILike's
    traps do not apply: any model id is accepted, it is always a chat model, function calling
    is on unless the catalog knows better, and streams always report usage. The key comes
    from SKILLBOSS_WHOLESALE_KEY unless passed; it never appears in repr, dumps, payloads or
    validation errors. When the LLM is built, a value out of range raises
    `InvalidParameterError` naming the parameter, and an unknown keyword a ValidationError.

    Examples:
        Until the first release on PyPI, install from a clone of the repository:
        `pip install ".[llama-index]"` (afterwards:
        `pip install "skillboss-integrations[llama-index]"`). Then set
        SKILLBOSS_WHOLESALE_KEY.

        ```python
        from llama_index.core import Settings
        from llama_index.core.llms import ChatMessage
        from llama_index.llms.skillboss import SkillBoss
        # or: from llama_index_skillboss import SkillBoss

        llm = SkillBoss(model="openai/gpt-5.4-mini", temperature=0)
        Settings.llm = llm  # query engines, chat engines and agents now use it

        print(llm.complete("Paul Graham is ").text)

        messages = [
            ChatMessage(role="system", content="You are a pirate."),
            ChatMessage(role="user", content="What is your name?"),
        ]
        print(llm.chat(messages).message.content)

        for chunk in llm.stream_complete("Tell me a short story."):
            print(chunk.delta, end="")

        llm.list_models()  # the model ids the gateway serves to this key
        ```

        Tools and agents:

        ```python
        from llama_index.core.agent.workflow import FunctionAgent
        from llama_index.core.tools import FunctionTool


        def multiply(a: int, b: int) -> int:
            '''Multiply two integers.'''
            return a * b


        tool = FunctionTool.from_defaults(fn=multiply)
        print(llm.predict_and_call([tool], "What is 6 times 7?"))

        agent = FunctionAgent(tools=[tool], llm=llm)
        print(await agent.run("What is 6 times 7?"))
        ```

        Structured output: the gateway's json_schema where the catalog says the model
        supports it (with `strict=True` for schema-exact answers), LlamaIndex's tool-calling
        program otherwise.

        ```python
        from llama_index.core.prompts import PromptTemplate
        from pydantic import BaseModel


        class Song(BaseModel):
            title: str
            length_seconds: int


        prompt = PromptTemplate("Write a song about {topic}.")
        song = llm.structured_predict(Song, prompt, topic="the sea")
        ```

    Every response (streamed: the last one) says what the call cost in
    `additional_kwargs["cost"]` (USD; `cost_source`: "gateway" when the gateway reported it,
    else "estimate": list price times `discount`; absent when unknown) and who answered
    (`model`, `vendor`, `request_id`). `budget=Budget(usd=...)` refuses, unsent, a call that
    could cost more than is left; `CostHandler` adds up what the calls cost.

    `close()` / `aclose()` (or `with` / `async with`) release the pooled connections, which
    instances with equal settings share; the next call reconnects.
    """

    # Validation errors must never echo the constructor's input: it may hold the key.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)
    _connection: ClassVar[AdapterSettings] = AdapterSettings(
        owner="SkillBoss",
        url_names=("api_base", "base_url"),
        body_hint='additional_kwargs={"extra_body": {...}}',
    )

    model: str = Field(
        default=DEFAULT_MODEL,
        description="Gateway model id, e.g. 'openai/gpt-5.4-mini'; any id it serves works.",
    )
    api_key: WholesaleKey
    api_base: GatewayUrl
    temperature: float | None = Field(default=None, description="0 to 2; None: the default.")
    max_tokens: int | None = Field(
        default=None, description="Cap on generated tokens (also what prompts leave room for)."
    )
    top_p: float | None = Field(default=None, description="0 to 1; None: the default.")
    seed: int | None = Field(
        default=None, description="Asks for repeatable sampling, where the model supports it."
    )
    stop: str | list[str] | None = Field(default=None, description="Up to 4 stop strings.")
    logprobs: bool | None = Field(
        default=None, description="Return the answer's token log probabilities (`logprobs`)."
    )
    top_logprobs: int | None = Field(default=None, description="0 to 20; needs logprobs.")
    reasoning_effort: str | None = Field(
        default=None, description="minimal, low, medium or high (reasoning models)."
    )
    strict: bool = Field(default=False, description="Strict schemas for tools and outputs.")
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description="More request parameters for every call (e.g. user, extra_body).",
    )
    max_retries: RetryCount
    timeout: float | None = Field(
        default=DEFAULT_TIMEOUT,
        description=(
            "Seconds each wait for progress may take (connect, first byte, between stream "
            "events); a progressing answer is never cut. Default 600, the openai SDK's."
        ),
    )
    stream_chunk_timeout: float | None = Field(
        default=None,
        description="Longest wait between two stream events; None: only `timeout` applies.",
    )
    total_timeout: float | None = Field(
        default=None,
        description="Seconds the whole call may take, retries and their waits included.",
    )
    default_headers: SentHeaders
    context_window: int | None = Field(default=None, gt=0, description="Overrides the catalog.")
    is_function_calling_model: bool | None = Field(
        default=None, description="Overrides the catalog (which says True unless known not)."
    )
    is_chat_model: bool = Field(
        default=True, description="Accepted for OpenAILike compatibility; always a chat model."
    )
    fallback_models: list[str] = Field(
        default_factory=list,
        description="Models to try, in order, when the model is over capacity or failing.",
    )
    discount: PriceDiscount
    # Shared state, not a setting: never dumped, copies share it (one limit for them all).
    budget: SpendLimit
    include_response_headers: bool = Field(
        default=False,
        description="Put the gateway's response headers in additional_kwargs['headers'].",
    )

    if TYPE_CHECKING:
        # What type checkers and IDEs see: every keyword, typed, so a misspelt or mistyped
        # one is flagged (the pydantic mypy plugin alone would accept any value, untyped).
        # At run time the __init__ below runs. Keep in step with the fields above:
        # tests/unit/test_constructor_typing.py compares the two.
        def __init__(
            self,
            *,
            model: str = DEFAULT_MODEL,
            api_key: SecretStr | str | None = None,
            api_base: str | None = None,
            base_url: str | None = None,
            temperature: float | None = None,
            max_tokens: int | None = None,
            top_p: float | None = None,
            seed: int | None = None,
            stop: str | list[str] | None = None,
            logprobs: bool | None = None,
            top_logprobs: int | None = None,
            reasoning_effort: str | None = None,
            strict: bool = False,
            additional_kwargs: dict[str, Any] = ...,
            max_retries: int = DEFAULT_MAX_RETRIES,
            timeout: float | None = DEFAULT_TIMEOUT,
            stream_chunk_timeout: float | None = None,
            total_timeout: float | None = None,
            default_headers: dict[str, str] | None = None,
            context_window: int | None = None,
            is_function_calling_model: bool | None = None,
            is_chat_model: bool = True,
            fallback_models: list[str] = ...,
            discount: float | None = None,
            budget: Budget | None = None,
            include_response_headers: bool = False,
            # LlamaIndex's LLM fields.
            callback_manager: CallbackManager | None = None,
            rate_limiter: BaseRateLimiter | None = None,
            system_prompt: str | None = None,
            messages_to_prompt: MessagesToPromptType | None = None,
            completion_to_prompt: CompletionToPromptType | None = None,
            output_parser: BaseOutputParser | None = None,
            pydantic_program_mode: PydanticProgramMode = PydanticProgramMode.DEFAULT,
            query_wrapper_prompt: BasePromptTemplate | None = None,
        ) -> None:
            """An LLM on the gateway; each argument is the field of that name (or the field
            it is another name for): see the class docstring and field descriptions."""
            ...

    else:

        def __init__(self, **data: Any) -> None:
            super().__init__(**data)
            self._check_now()

    def _check_now(self) -> None:
        """Fail on bad values now, naming them, rather than at the first request. Here, not
        in a model validator, so the error stays an InvalidParameterError (pydantic would
        wrap it in a ValidationError)."""
        self._gateway()  # the connection settings, validated once per distinct set
        values = self._param_values({})
        split_values(values)  # parameters and per-request options, validated now
        if not self.is_chat_model:
            logger.warning("SkillBoss always uses /chat/completions; is_chat_model is ignored")

    @model_validator(mode="before")
    @classmethod
    def _refuse_keys_under_other_names(cls, values: Any) -> Any:
        """`openai_api_key=...` and the like: say where the key goes, without showing it;
        `azure_endpoint="https://..."` and the like: say where the URL goes."""
        if isinstance(values, dict):
            cls._connection.refuse_misplaced(values, accepted_names(cls.model_fields))
        return values

    @classmethod
    def class_name(cls) -> str:
        return LLM_CLASS_NAME

    @property
    def metadata(self) -> LLMMetadata:
        """From the catalog, with overrides. Without max_tokens, num_output (what prompt
        helpers reserve for the answer) is at most half the window, so a smaller
        `context_window` override still leaves room for the prompt."""
        info = self.model_info
        calling = self.is_function_calling_model
        window = self.context_window or info.context_window
        return LLMMetadata(
            context_window=window,
            num_output=self.max_tokens or min(info.max_output_tokens, window // 2),
            is_chat_model=True,
            is_function_calling_model=info.supports_tools if calling is None else calling,
            model_name=self.model,
        )

    @property
    def model_info(self) -> ModelInfo:
        """What the gateway's /models list said of `model` (once `list_models()` fetched it
        with these settings), else the catalog's facts (conservative defaults if nothing)."""
        return self._gateway().lookup(self.model)

    # -- gateway plumbing ----------------------------------------------------------------

    def list_models(self) -> list[str]:
        """The model ids the gateway serves to this key (GET /models), with the current
        settings."""
        return self._ready_gateway().list_models()

    async def alist_models(self) -> list[str]:
        """`list_models`, without blocking the event loop."""
        return await self._ready_gateway().alist_models()

    def _param_values(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "seed": self.seed,
            "stop": self.stop,
            "logprobs": self.logprobs,
            "top_logprobs": self.top_logprobs,
            "reasoning_effort": self.reasoning_effort,
            "stream_chunk_timeout": self.stream_chunk_timeout,
            "total_timeout": self.total_timeout,
            **self.additional_kwargs,
            **kwargs,
        }

    def _budget(self) -> tuple[Budget, ...]:
        return budget_for(self.budget, self.callback_manager)

    def _shown_headers(self) -> list[str] | None:
        """With include_response_headers, the values to scrub from the headers shown."""
        if not self.include_response_headers:
            return None
        return self._gateway().settings.values_to_hide()

    def _request(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> ChatRequest:
        """The core's validated request for these messages and per-call parameters."""
        values = self._param_values(kwargs)
        return ChatRequest.build(
            values, to_wire_messages(messages), fallback_models=self.fallback_models
        )

    # -- chat ------------------------------------------------------------------------------

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        request = self._request(messages, kwargs)
        result = self._ready_gateway().complete(request, budget=self._budget())
        return chat_response(result, show_headers=self._shown_headers())

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        request = self._request(messages, kwargs)
        result = await self._ready_gateway().acomplete(request, budget=self._budget())
        return chat_response(result, show_headers=self._shown_headers())

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        request = self._request(messages, kwargs)
        chunks = self._ready_gateway().stream(request, budget=self._budget())
        return chat_stream(chunks, show_headers=self._shown_headers())

    def _astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        request = self._request(messages, kwargs)
        chunks = self._ready_gateway().astream(request, budget=self._budget())
        return achat_stream(chunks, show_headers=self._shown_headers())

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._chat(messages, **kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return await self._achat(messages, **kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._stream_chat(messages, **kwargs)

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        return self._astream_chat(messages, **kwargs)

    # -- completion (a chat with one user message; no nested chat events) ------------------

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return completion_response(self._chat(_prompt_messages(prompt), **kwargs))

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        return completion_response(await self._achat(_prompt_messages(prompt), **kwargs))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        request = self._request(_prompt_messages(prompt), kwargs)
        chunks = self._ready_gateway().stream(request, budget=self._budget())
        return completion_stream(chunks, show_headers=self._shown_headers())

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        request = self._request(_prompt_messages(prompt), kwargs)
        chunks = self._ready_gateway().astream(request, budget=self._budget())
        return acompletion_stream(chunks, show_headers=self._shown_headers())

    # -- tools -----------------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: Any = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Chat kwargs for a tool turn; the caller's chat_history is copied, never changed."""
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
        if user_msg is not None:
            messages.append(user_msg)
        specs = tool_specs(tools, strict=self.strict if strict is None else strict)
        chat_kwargs: dict[str, Any] = {"messages": messages, **kwargs}
        if specs:
            names = [spec["function"]["name"] for spec in specs]
            chat_kwargs["tools"] = specs
            chat_kwargs["tool_choice"] = resolve_tool_choice(tool_choice, tool_required, names)
            if not allow_parallel_tool_calls:
                # Sent to the gateway; the core keeps one call of an answer that has more.
                chat_kwargs["parallel_tool_calls"] = False
        return chat_kwargs

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """The calls to run. A call cut at the token cap or stopped by a content filter cannot
        be run: that raises the core's typed error (as does a program's missing call)."""
        calls = response.message.additional_kwargs.get("tool_calls")
        if calls or error_on_no_tool_call:
            arguments = "".join(
                str((call.get("function") or {}).get("arguments") or "")
                for call in calls or []
                if isinstance(call, dict)
            )
            judge_end(
                finish_reason=finish_reason_of(response),
                refusal=response.message.additional_kwargs.get("refusal") or None,
                partial=arguments or (response.message.content or ""),
                what=output_name("a tool call"),
            )
        return tool_selections(response, error_on_no_tool_call=error_on_no_tool_call)

    # -- structured output -----------------------------------------------------------------

    def _uses_json_schema(self) -> bool:
        return (
            self.pydantic_program_mode == PydanticProgramMode.DEFAULT
            and self.model_info.supports_json_schema
        )

    def structured_predict(
        self,
        output_cls: Any,
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Any:
        """json_schema where the catalog says so; LlamaIndex's tool-calling program otherwise."""
        if not self._uses_json_schema():
            return super().structured_predict(output_cls, prompt, llm_kwargs, **prompt_args)
        dispatcher.event(
            LLMStructuredPredictStartEvent(
                output_cls=output_cls, template=prompt, template_args=prompt_args
            )
        )
        program = JsonSchemaProgram(self, output_cls, prompt, strict=self.strict)
        result = program(llm_kwargs=llm_kwargs, **prompt_args)
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    async def astructured_predict(
        self,
        output_cls: Any,
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Any:
        if not self._uses_json_schema():
            return await super().astructured_predict(output_cls, prompt, llm_kwargs, **prompt_args)
        dispatcher.event(
            LLMStructuredPredictStartEvent(
                output_cls=output_cls, template=prompt, template_args=prompt_args
            )
        )
        program = JsonSchemaProgram(self, output_cls, prompt, strict=self.strict)
        result = await program.acall(llm_kwargs=llm_kwargs, **prompt_args)
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    def _structured_stream_call(
        self,
        output_cls: Any,
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Any:
        """The program behind stream_structured_predict (and StructuredLLM.stream_chat)."""
        program = self._structured_program(output_cls, prompt)
        return program.stream_call(llm_kwargs=llm_kwargs, **prompt_args)

    async def _structured_astream_call(
        self,
        output_cls: Any,
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Any:
        program = self._structured_program(output_cls, prompt)
        return await program.astream_call(llm_kwargs=llm_kwargs, **prompt_args)

    def _structured_program(self, output_cls: Any, prompt: BasePromptTemplate) -> Any:
        if self._uses_json_schema():
            return JsonSchemaProgram(self, output_cls, prompt, strict=self.strict)
        from llama_index.core.program.function_program import get_function_tool
        from llama_index.core.program.utils import get_program_for_llm

        extra: dict[str, Any] = {}
        calling_mode = self.pydantic_program_mode in (
            PydanticProgramMode.DEFAULT,
            PydanticProgramMode.FUNCTION,
        )
        if calling_mode and self.metadata.is_function_calling_model:
            # Streaming programs do not pass tool_required: force the one tool instead.
            tool = get_function_tool(output_cls).metadata.to_openai_tool(skip_length_check=True)
            extra["tool_choice"] = tool["function"]["name"]
        return get_program_for_llm(
            output_cls, prompt, self, pydantic_program_mode=self.pydantic_program_mode, **extra
        )


def _prompt_messages(prompt: str) -> list[ChatMessage]:
    return [ChatMessage(role=MessageRole.USER, content=prompt)]
