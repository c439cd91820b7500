"""SkillBossEmbeddings: LangChain embeddings through the SkillBoss gateway (POST /embeddings).

The class only translates: its fields become the core's `EmbeddingsRequest` (validation,
batching, concurrency, base64 decoding, order by index) and the core's gateway sends it
(retries, timeouts, typed errors). Nothing here speaks HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from langchain_core.embeddings import Embeddings
from langchain_core.utils import secret_from_env
from pydantic import (
    AliasChoices,
    ConfigDict,
    Field,
    SecretStr,
    model_validator,
)
from typing_extensions import Self

from langchain_skillboss.cost_fields import Discount, SharedBudget, budget_for
from langchain_skillboss.errors import model_errors
from langchain_skillboss.serialization import SerializableWithoutSecrets
from skillboss_core import API_KEY_ENV, BASE_URL_ENV, Budget, Gateway
from skillboss_core.config.endpoints import is_url
from skillboss_core.config.field_names import accepted_names
from skillboss_core.config.settings import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, base_url_from_env
from skillboss_core.transport.adapter_settings import AdapterSettings, ConnectedAdapter
from skillboss_core.wire.embeddings import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_CONCURRENCY,
    DEFAULT_EMBEDDING_MODEL,
    MAX_BATCH_SIZE,
    MAX_CONCURRENCY,
    EmbeddingsRequest,
)

_OWNER = "SkillBossEmbeddings"
_URL_NAMES = ("base_url", "api_base", "openai_api_base")
_NO_OTHER_FIELDS = (
    "the embeddings endpoint takes no other request fields: model, dimensions, "
    "encoding_format and user are parameters of their own"
)
_TOO_LONG = (
    "a text longer than the model's input window (from the catalog) is refused before "
    "anything is sent, naming the text: split long texts first"
)
# Why a keyword that other embeddings classes take is not one here, and what to use instead.
_HINTS = {
    "model_kwargs": _NO_OTHER_FIELDS,
    "extra_body": _NO_OTHER_FIELDS,
    "batch_size": "the texts per request are chunk_size=...",
    "embed_batch_size": "the texts per request are chunk_size=...",
    "num_workers": "the batches in flight at once are max_concurrency=...",
    "embedding_ctx_length": _TOO_LONG,
    "check_embedding_ctx_length": _TOO_LONG,
    "tiktoken_enabled": _TOO_LONG,
}


def _refuse_unknown(values: Mapping[str, Any], known: set[str]) -> None:
    """A ValueError naming the first keyword that is no field (never showing its value: it
    may be a key or a URL with credentials)."""
    for name, value in values.items():
        if name in known:
            continue
        normal = name.lower()
        if name in _HINTS:
            why = _HINTS[name]
        elif "proxy" in normal:
            why = (
                "an HTTP proxy is taken from the HTTPS_PROXY / HTTP_PROXY environment "
                f"variables; a proxy that speaks the OpenAI API goes in base_url=... (or "
                f"{BASE_URL_ENV})"
            )
        elif is_url(value) or any(word in normal for word in ("url", "endpoint", "host", "base")):
            why = f"the gateway's URL goes in base_url=... (or {BASE_URL_ENV})"
        else:
            why = "it takes " + ", ".join(_PUBLIC_NAMES)
        raise ValueError(f"{name!r} is not a {_OWNER} parameter: {why}.")


class SkillBossEmbeddings(SerializableWithoutSecrets, Embeddings, ConnectedAdapter):
    """SkillBoss gateway embeddings (OpenAI-compatible `/embeddings`): for vector stores and
    retrievers, a drop-in for `OpenAIEmbeddings`.

    Setup:
        Install the `langchain` extra and set `SKILLBOSS_WHOLESALE_KEY` (a wholesale key).

    Instantiate:
        .. code-block:: python

            from langchain_skillboss import SkillBossEmbeddings

            embeddings = SkillBossEmbeddings(
                model="openai/text-embedding-3-small",
                # dimensions=256,  # shorter vectors, for models that can shorten them
                # chunk_size=512,  # texts per request
                # max_concurrency=4,  # requests in flight for one call
            )

    Embed:
        .. code-block:: python

            vector = embeddings.embed_query("What is the capital of France?")
            vectors = embeddings.embed_documents(["Paris is in France.", "Rome is in Italy."])
            vector = await embeddings.aembed_query("...")
            vectors = await embeddings.aembed_documents([...])

    Texts are sent `chunk_size` to a request, up to `max_concurrency` requests at once, each
    retried by the core's retry policy; the vectors come back in the order of the texts. The
    first batch to fail is raised (the batches not sent yet are cancelled) as the same typed
    errors as ChatSkillBoss's (core class, openai SDK class and langchain-core class at once).
    Bad values raise a ValueError when the object is built; an empty text, a non-string or a
    text too long for the model's input window raise one before anything is sent.

    `close()` / `aclose()` (or `with` / `async with`) release the pooled connections, which
    every model and embeddings object with equal connection settings shares.
    """

    # Unknown keywords are refused (by _refuse_unknown, with a clear message), and validation
    # errors never echo the constructor's input: it may hold the key.
    model_config = ConfigDict(
        extra="forbid", hide_input_in_errors=True, arbitrary_types_allowed=True
    )
    # No body_hint: every unknown keyword is refused (`_refuse_unknown`), none is sent.
    _connection: ClassVar[AdapterSettings] = AdapterSettings(
        owner=_OWNER, url_names=_URL_NAMES, body_hint=None
    )

    model: str = Field(
        default=DEFAULT_EMBEDDING_MODEL, validation_alias=AliasChoices("model", "model_name")
    )
    """Gateway embedding model id, e.g. "openai/text-embedding-3-small". Also `model_name`."""
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
    OPENAI_BASE_URL). Also `api_base` and `openai_api_base`."""
    dimensions: int | None = Field(default=None, strict=True)
    """Length of the vectors, for models that can shorten theirs (OpenAI's text-embedding-3
    family); None: the model's own length."""
    chunk_size: int = Field(default=DEFAULT_BATCH_SIZE, ge=1, le=MAX_BATCH_SIZE, strict=True)
    """Texts per request (OpenAIEmbeddings' name), 1 to 2048."""
    max_concurrency: int = Field(default=DEFAULT_CONCURRENCY, ge=1, le=MAX_CONCURRENCY, strict=True)
    """Requests in flight at once for one call, 1 to 64 (threads sharing one connection pool
    for the sync methods, tasks for the async ones)."""
    encoding_format: Literal["float", "base64"] | None = None
    """How vectors travel: "base64" (None's default, a quarter of the bytes) or "float"; the
    vectors returned are lists of floats either way."""
    user: str | None = None
    """An end-user id sent with each request, for the provider's abuse monitoring."""
    timeout: float | None = Field(
        default=DEFAULT_TIMEOUT, validation_alias=AliasChoices("timeout", "request_timeout")
    )
    """Seconds each wait for progress may take (connecting, the first byte, the gap between
    two pieces of the answer); also `request_timeout`. Default 600 s, the openai SDK's; None
    waits for ever."""
    total_timeout: float | None = None
    """Seconds one call (`embed_documents`, `embed_query`...) may take: every batch, retry
    and wait before a retry included. None: no bound."""
    max_retries: int | None = DEFAULT_MAX_RETRIES
    """Retries of a transient failure (429, 5xx, connection, timeout) per batch; 400, 401,
    402, 403, 404 and 422 are never retried. None: the default, 2."""
    default_headers: dict[str, str] | None = None
    """Sent with every request. Secret-looking ones (X-Api-Key...) are masked in repr and
    model_dump and left out of dumpd/dumps."""
    discount: Discount = None
    """The fraction of list price this account pays, in (0, 1], for the estimate a budget is
    charged when the gateway reports no cost. None: SKILLBOSS_DISCOUNT, else 1.0."""
    budget: SharedBudget = None
    """A spend limit (`skillboss_core.Budget`, shareable with chat models): the worst case of
    a call's texts is reserved before its first batch is sent (SkillBossBudgetExceededError,
    nothing sent, when it does not fit) and the batches' cost charged. None: the budget of
    the enclosing `get_skillboss_callback(budget=...)` block, if any. Never serialized."""

    if TYPE_CHECKING:
        # What type checkers and IDEs see: every keyword, typed (see ChatSkillBoss). Keep in
        # step with the fields above: tests/unit/test_langchain_embeddings.py compares them.
        def __init__(
            self,
            *,
            model: str = DEFAULT_EMBEDDING_MODEL,
            model_name: str = ...,
            api_key: SecretStr | str | None = ...,
            openai_api_key: SecretStr | str | None = ...,
            base_url: str = ...,
            api_base: str = ...,
            openai_api_base: str = ...,
            dimensions: int | None = None,
            chunk_size: int = DEFAULT_BATCH_SIZE,
            max_concurrency: int = DEFAULT_CONCURRENCY,
            encoding_format: Literal["float", "base64"] | None = None,
            user: str | None = None,
            timeout: float | None = DEFAULT_TIMEOUT,
            request_timeout: float | None = ...,
            total_timeout: float | None = None,
            max_retries: int | None = DEFAULT_MAX_RETRIES,
            default_headers: dict[str, str] | None = None,
            discount: float | None = None,
            budget: Budget | None = None,
        ) -> None:
            """Embeddings on the gateway; each argument is the field of that name (or the
            field it is another name for): see the class and field docstrings."""
            ...

    # -- construction ----------------------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown_keywords(cls, values: Any) -> Any:
        """Embeddings have nowhere to put an unknown keyword: refuse it, saying why."""
        if isinstance(values, dict):
            known = accepted_names(cls.model_fields)
            cls._connection.refuse_misplaced(values, known)
            _refuse_unknown(values, known)
        return values

    @model_validator(mode="after")
    def _validate_now(self) -> Self:
        """Fail on bad parameters and settings now, not at the first call."""
        self._request(None)
        _ = self.gateway  # the connection settings, validated once per distinct set
        return self

    @property
    def gateway(self) -> Gateway:
        """The core gateway for the current settings, shared with every ChatSkillBoss and
        SkillBossEmbeddings of equal settings (one connection pool)."""
        return self._gateway()

    @property
    def model_name(self) -> str:
        """The model id (OpenAIEmbeddings' attribute name)."""
        return self.model

    def _request(self, chunk_size: int | None) -> EmbeddingsRequest:
        """The core's request for the current fields; every check but the texts' is here."""
        return EmbeddingsRequest.build(
            {
                "model": self.model,
                "dimensions": self.dimensions,
                "encoding_format": self.encoding_format,
                "user": self.user,
                "total_timeout": self.total_timeout,
            },
            batch_size=self.chunk_size if chunk_size is None else chunk_size,
            concurrency=self.max_concurrency,
        )

    # -- embedding ---------------------------------------------------------------------------

    def embed_documents(self, texts: list[str], chunk_size: int | None = None) -> list[list[float]]:
        """One vector per text, in the order of the texts; `chunk_size` overrides the texts
        per request for this call. No texts: no request, []."""
        with model_errors():
            return self.gateway.embed(
                self._request(chunk_size), texts, budget=budget_for(self.budget)
            ).vectors

    def embed_query(self, text: str) -> list[float]:
        """The vector of one text."""
        with model_errors():
            return self.gateway.embed(
                self._request(None), [text], budget=budget_for(self.budget)
            ).vectors[0]

    async def aembed_documents(
        self, texts: list[str], chunk_size: int | None = None
    ) -> list[list[float]]:
        """`embed_documents` on the running event loop (the batches as tasks)."""
        with model_errors():
            result = await self.gateway.aembed(
                self._request(chunk_size), texts, budget=budget_for(self.budget)
            )
            return result.vectors

    async def aembed_query(self, text: str) -> list[float]:
        """`embed_query` on the running event loop."""
        with model_errors():
            result = await self.gateway.aembed(
                self._request(None), [text], budget=budget_for(self.budget)
            )
            return result.vectors[0]

    # -- display and serialization -----------------------------------------------------------

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_skillboss", "embeddings"]


# The names a user may pass, for the unknown-keyword error (field names; aliases work too).
_PUBLIC_NAMES = tuple(SkillBossEmbeddings.model_fields)
