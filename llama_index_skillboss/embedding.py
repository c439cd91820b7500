"""SkillBossEmbedding: a LlamaIndex embedding model for the SkillBoss gateway's /embeddings.

Translating only: skillboss_core validates the parameters and the texts, batches them, sends
up to `num_workers` batches at once (threads for sync calls, tasks for async ones), keeps the
input order, retries what is transient and raises its typed errors. This module maps
LlamaIndex's fields and methods onto that, and hands the core groups large enough to keep
`num_workers` requests in flight (see `SkillBossEmbedding.get_text_embedding_batch`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.callbacks.schema import CBEventType, EventPayload
from llama_index.core.instrumentation.events.embedding import (
    EmbeddingEndEvent,
    EmbeddingStartEvent,
)
from llama_index.core.utils import get_tqdm_iterable
from llama_index_instrumentation import get_dispatcher
from pydantic import (
    AliasChoices,
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
from llama_index_skillboss.cost_handler import budget_for
from skillboss_core import Budget, InvalidParameterError
from skillboss_core.config.field_names import accepted_names
from skillboss_core.config.settings import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
)
from skillboss_core.transport.adapter_settings import AdapterSettings, ConnectedAdapter
from skillboss_core.wire.embeddings import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_EMBEDDING_MODEL,
    MAX_BATCH_SIZE,
    MAX_CONCURRENCY,
    EmbeddingsRequest,
)

if TYPE_CHECKING:
    from llama_index.core.callbacks import CallbackManager
    from llama_index.core.rate_limiter import BaseRateLimiter
    from llama_index.core.storage.kvstore.types import BaseKVStore

dispatcher = get_dispatcher(__name__)

_PROGRESS = "Generating embeddings"
# Other libraries' names for these settings (LangChain's among them): said, not guessed.
_OTHER_NAMES = {
    "chunk_size": "the texts per request are embed_batch_size=...",
    "batch_size": "the texts per request are embed_batch_size=...",
    "max_concurrency": "the requests in flight at once are num_workers=...",
    "model_kwargs": "request parameters go in additional_kwargs={...}",
}


class SkillBossEmbedding(BaseEmbedding, ConnectedAdapter):
    """Any SkillBoss gateway embedding model as a LlamaIndex embedding model (`BaseEmbedding`).

    `VectorStoreIndex`, `IngestionPipeline`, retrievers and `Settings.embed_model` use it as
    they use OpenAI's. The key comes from SKILLBOSS_WHOLESALE_KEY unless passed; it never
    appears in repr, dumps, payloads or validation errors. When the model is built, a request
    parameter the gateway would refuse raises `InvalidParameterError` naming it; an unknown
    keyword, or `embed_batch_size` / `num_workers` out of range, a ValidationError.

    Batching: `embed_batch_size` texts per request (512 by default, at most 2048), up to
    `num_workers` requests in flight at once (the core's 4 when None), in sync calls as in
    async ones; vectors always come back in input order. A text that cannot be sent (empty,
    not a string, longer than the model's input window when the catalog knows it) fails the
    call before the first request. Errors are the core's typed ones (`GatewayAuthenticationError`,
    `InsufficientCreditsError`, `GatewayRateLimitError`, ...), as the LLM's are; LlamaIndex's
    callback handlers see them in the EMBEDDING event's end payload first.

    Examples:
        Until the first release on PyPI, install from a clone of the repository:
        `pip install ".[llama-index]"` (afterwards:
        `pip install "skillboss-integrations[llama-index]"`). Then set
        SKILLBOSS_WHOLESALE_KEY.

        ```python
        from llama_index.core import Settings, VectorStoreIndex
        from llama_index.embeddings.skillboss import SkillBossEmbedding
        # or: from llama_index_skillboss import SkillBossEmbedding

        Settings.embed_model = SkillBossEmbedding(model="openai/text-embedding-3-small")
        index = VectorStoreIndex.from_documents(documents)
        nodes = index.as_retriever(similarity_top_k=2).retrieve("What does a 402 mean?")

        embed_model = Settings.embed_model
        vector = embed_model.get_query_embedding("What does a 402 mean?")
        vectors = embed_model.get_text_embedding_batch(chunks)  # 512 a request, 4 at once
        vectors = await embed_model.aget_text_embedding_batch(chunks)
        ```

    `close()` / `aclose()` (or `with` / `async with`) release the pooled connections, which
    instances with equal settings share (with the LLM too); the next call reconnects.
    """

    # Validation errors must never echo the constructor's input: it may hold the key.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)
    _connection: ClassVar[AdapterSettings] = AdapterSettings(
        owner="SkillBossEmbedding",
        url_names=("api_base", "base_url"),
        body_hint='additional_kwargs={"user": ...}',
    )

    model_name: str = Field(
        default=DEFAULT_EMBEDDING_MODEL,
        # `model`: OpenAIEmbedding's keyword (and the LLM's field name).
        validation_alias=AliasChoices("model_name", "model"),
        description=(
            "Gateway embedding model id, also accepted as model, e.g. "
            "'openai/text-embedding-3-small' (the default); any id it serves works."
        ),
    )
    api_key: WholesaleKey
    api_base: GatewayUrl
    dimensions: int | None = Field(
        default=None,
        description=(
            "Length of the vectors, for models that can shorten theirs (OpenAI's "
            "text-embedding-3); None: the model's own."
        ),
    )
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "More parameters for every request: user, encoding_format (base64 unless set), "
            "extra_headers, extra_query."
        ),
    )
    embed_batch_size: int = Field(
        default=DEFAULT_BATCH_SIZE,
        gt=0,
        le=MAX_BATCH_SIZE,
        description="Texts per request: 1 to 2048 (OpenAI's cap), default 512.",
    )
    num_workers: int | None = Field(
        default=None,
        ge=1,
        le=MAX_CONCURRENCY,
        description=(
            "Requests in flight at once, in sync and async calls alike: 1 to 64; None: 4."
        ),
    )
    max_retries: RetryCount
    timeout: float | None = Field(
        default=DEFAULT_TIMEOUT,
        description=(
            "Seconds each wait for progress may take (connect, first byte, reading); a "
            "progressing answer is never cut. Default 600, the openai SDK's."
        ),
    )
    total_timeout: float | None = Field(
        default=None,
        description=(
            "Seconds one call may take, retries and their waits included (a batch call: "
            "each group of embed_batch_size x num_workers texts)."
        ),
    )
    default_headers: SentHeaders
    discount: PriceDiscount
    budget: SpendLimit

    if TYPE_CHECKING:
        # What type checkers and IDEs see: every keyword, typed (see SkillBoss in base.py).
        # Keep in step with the fields above: tests/unit/test_llamaindex_embedding.py
        # compares the two.
        def __init__(
            self,
            *,
            model_name: str = DEFAULT_EMBEDDING_MODEL,
            model: str = DEFAULT_EMBEDDING_MODEL,
            api_key: SecretStr | str | None = None,
            api_base: str | None = None,
            base_url: str | None = None,
            dimensions: int | None = None,
            additional_kwargs: dict[str, Any] = ...,
            embed_batch_size: int = DEFAULT_BATCH_SIZE,
            num_workers: int | None = None,
            max_retries: int = DEFAULT_MAX_RETRIES,
            timeout: float | None = DEFAULT_TIMEOUT,
            total_timeout: float | None = None,
            default_headers: dict[str, str] | None = None,
            discount: float | None = None,
            budget: Budget | None = None,
            # LlamaIndex's BaseEmbedding fields.
            callback_manager: CallbackManager | None = None,
            embeddings_cache: BaseKVStore | None = None,
            rate_limiter: BaseRateLimiter | None = None,
        ) -> None:
            """An embedding model on the gateway; each argument is the field of that name
            (or the field it is another name for): see the class docstring and fields."""
            ...

    else:

        def __init__(self, **data: Any) -> None:
            super().__init__(**data)
            self._check_now()

    def _check_now(self) -> None:
        """Fail on bad values now, naming them, rather than at the first request (an
        InvalidParameterError: pydantic would wrap it in a ValidationError)."""
        self._gateway()  # the connection settings, validated once per distinct set
        self._request()

    @model_validator(mode="before")
    @classmethod
    def _refuse_ambiguous_or_misplaced(cls, values: Any) -> Any:
        """A key or an endpoint under another name is refused without showing it; so is the
        model or the URL under two names (which one wins is not left to alias order)."""
        if isinstance(values, dict):
            cls._connection.refuse_misplaced(values, accepted_names(cls.model_fields))
            for name, hint in _OTHER_NAMES.items():
                if name in values:
                    raise ValueError(f"{name!r} is not a SkillBossEmbedding parameter: {hint}")
            if values.get("model_name") is not None and values.get("model") is not None:
                raise ValueError(
                    "SkillBossEmbedding got the model under 2 names (model_name, model); "
                    "pass it once, as model_name=... or model=..."
                )
        return values

    @classmethod
    def class_name(cls) -> str:
        return "SkillBossEmbedding"

    # -- the request ---------------------------------------------------------------------

    def _request(self) -> EmbeddingsRequest:
        """The core's validated request for the current fields (the core looks up the
        model's input window in the catalog, to refuse an over-long text unsent). A field
        given again in additional_kwargs is refused: it would silently win over the field."""
        fields = {"model", "model_name", "dimensions", "total_timeout", "timeout", "max_retries"}
        again = sorted(fields & self.additional_kwargs.keys())
        if again:
            raise InvalidParameterError(
                f"additional_kwargs may not hold {again[0]!r}: it is a SkillBossEmbedding field "
                f"of its own; pass {again[0]}=... instead"
            )
        return EmbeddingsRequest.build(
            {
                "model": self.model_name,
                "dimensions": self.dimensions,
                "total_timeout": self.total_timeout,
                **self.additional_kwargs,
            },
            batch_size=self.embed_batch_size,
            concurrency=self.num_workers,
        )

    # -- what BaseEmbedding calls --------------------------------------------------------

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._get_text_embeddings([query])[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return (await self._aget_text_embeddings([query]))[0]

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._get_text_embeddings([text])[0]

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return (await self._aget_text_embeddings([text]))[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        """All `texts`, in order: batches of embed_batch_size, num_workers in flight."""
        budget = budget_for(self.budget, self.callback_manager)
        return self._ready_gateway().embed(self._request(), texts, budget=budget).vectors

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        budget = budget_for(self.budget, self.callback_manager)
        result = await self._ready_gateway().aembed(self._request(), texts, budget=budget)
        return result.vectors

    # -- batching --------------------------------------------------------------------------

    @dispatcher.span
    def get_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False, **kwargs: Any
    ) -> list[Embedding]:
        """Embeddings of `texts`, in order, with `num_workers` requests in flight.

        Why this override: BaseEmbedding cuts `texts` into groups of `embed_batch_size` and
        calls `_get_text_embeddings` once per group, one after another (its async variant
        runs the groups through `run_jobs`, or all at once when `num_workers` is None or 1),
        so 10,000 chunks would be 20 requests in a row. Here each group is
        `embed_batch_size * num_workers` texts, and `_get_text_embeddings` hands the group
        to the core, which sends its `num_workers` batches at once, in order, cancelling the
        rest on the first failure. Each group is then exactly what BaseEmbedding makes of one
        of its groups: an EmbeddingStartEvent, a CBEventType.EMBEDDING callback event (ended
        with the chunks and embeddings, or with the exception), the rate limiter (acquired
        once per request the group sends), `embeddings_cache` (per group, as BaseEmbedding
        does, so a failure keeps the groups done before it cached), then an
        EmbeddingEndEvent. Grouping rather than one call for all the texts keeps those events
        (and the progress bar) a bounded size and a failure's loss to one group.

        Not done by calling BaseEmbedding's method with a larger grouping: it reads the group
        size from `embed_batch_size`, which is also the request size the core needs, and
        changing a field for the duration of a call would leak into concurrent calls. Every
        text is checked before the first request: one that cannot be sent fails the call
        before anything is sent (InvalidParameterError naming its position in `texts`).
        """
        request = self._request()
        request.check_texts(texts)
        model_dict = self.to_payload()
        result: list[Embedding] = []
        for group in get_tqdm_iterable(self._groups(texts, request), show_progress, _PROGRESS):
            dispatcher.event(EmbeddingStartEvent(model_dict=model_dict))
            with self.callback_manager.event(
                CBEventType.EMBEDDING, payload={EventPayload.SERIALIZED: model_dict}
            ) as event:
                if self.rate_limiter is not None:
                    for _ in range(_requests(group, request)):
                        self.rate_limiter.acquire()
                if self.embeddings_cache is None:
                    embeddings = self._get_text_embeddings(group)
                else:
                    embeddings = self._get_text_embeddings_cached(group)
                event.on_end(
                    payload={EventPayload.CHUNKS: group, EventPayload.EMBEDDINGS: embeddings}
                )
            dispatcher.event(EmbeddingEndEvent(chunks=group, embeddings=embeddings))
            result.extend(embeddings)
        return result

    @dispatcher.span
    async def aget_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False, **kwargs: Any
    ) -> list[Embedding]:
        """`get_text_embedding_batch` without blocking the event loop: the same groups and
        events; the core runs each group's batches as `num_workers` tasks at most (never
        unbounded, as BaseEmbedding's would be with num_workers None), and a failure or the
        caller's cancellation cancels the group's other requests."""
        request = self._request()
        request.check_texts(texts)
        model_dict = self.to_payload()
        result: list[Embedding] = []
        for group in get_tqdm_iterable(self._groups(texts, request), show_progress, _PROGRESS):
            dispatcher.event(EmbeddingStartEvent(model_dict=model_dict))
            with self.callback_manager.event(
                CBEventType.EMBEDDING, payload={EventPayload.SERIALIZED: model_dict}
            ) as event:
                if self.rate_limiter is not None:
                    for _ in range(_requests(group, request)):
                        await self.rate_limiter.async_acquire()
                if self.embeddings_cache is None:
                    embeddings = await self._aget_text_embeddings(group)
                else:
                    embeddings = await self._aget_text_embeddings_cached(group)
                event.on_end(
                    payload={EventPayload.CHUNKS: group, EventPayload.EMBEDDINGS: embeddings}
                )
            dispatcher.event(EmbeddingEndEvent(chunks=group, embeddings=embeddings))
            result.extend(embeddings)
        return result

    @staticmethod
    def _groups(texts: list[str], request: EmbeddingsRequest) -> list[list[str]]:
        """Consecutive groups of as many texts as the core sends at once."""
        size = request.batch_size * request.concurrency
        return [texts[start : start + size] for start in range(0, len(texts), size)]


def _requests(group: list[str], request: EmbeddingsRequest) -> int:
    """How many requests the core makes of `group`."""
    return math.ceil(len(group) / request.batch_size)
