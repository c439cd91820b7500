"""skillboss_core: everything about the SkillBoss gateway, and nothing about any framework.

The LangChain and LlamaIndex adapters translate their messages to the wire dicts this
package sends and turn its neutral results and stream chunks back into framework objects.

Layers, top to bottom (a lower one never imports a higher one; tests/unit/test_layers.py):
`cli` (the setup check), `transport` (HTTP, pools, waits, retries, the gateway, the
adapter-facing settings object), `config` (settings and keyword checks), `wire` (sans-IO
requests, the decoder, the
accumulator, results), and at the bottom `errors`, `security` (keys, redaction) and
`catalog` (model facts, ids, tokens). The names below are the public surface.
"""

from skillboss_core import _moved
from skillboss_core._version import __version__
from skillboss_core.catalog.models import (
    EmbeddingModelInfo,
    ModelInfo,
    catalog_source,
    known_embedding_models,
    known_models,
    lookup,
    lookup_embedding,
)
from skillboss_core.config.budget import Budget
from skillboss_core.config.settings import DEFAULT_BASE_URL, GatewaySettings
from skillboss_core.errors import (
    BudgetExceededError,
    EmbeddingInputTooLongError,
    GatewayAuthenticationError,
    GatewayBadRequestError,
    GatewayCapacityError,
    GatewayConnectionError,
    GatewayContextOverflowError,
    GatewayNotFoundError,
    GatewayPermissionDeniedError,
    GatewayRateLimitError,
    GatewayServerError,
    GatewayStatusError,
    GatewayTimeoutError,
    GatewayUnprocessableEntityError,
    IncompleteStreamError,
    InsufficientCreditsError,
    InvalidResponseError,
    MissingAPIKeyError,
    ResponseTooLargeError,
    SkillBossError,
    StreamError,
    StreamInterruptedError,
    StreamStalledError,
    UpstreamError,
)
from skillboss_core.security.env_names import API_KEY_ENV, BASE_URL_ENV, DISCOUNT_ENV
from skillboss_core.transport.gateway import Gateway
from skillboss_core.wire.cost import Cost
from skillboss_core.wire.embeddings import (
    DEFAULT_EMBEDDING_MODEL,
    EmbeddingsRequest,
    EmbeddingsResult,
)
from skillboss_core.wire.options import RequestOptions
from skillboss_core.wire.params import ChatParams, InvalidParameterError
from skillboss_core.wire.request import ChatRequest
from skillboss_core.wire.results import ChatResult, StreamChunk, ToolCall, ToolCallDelta, Usage
from skillboss_core.wire.stream import AsyncChatStream, ChatStream, SSEDecoder, StreamAccumulator

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_EMBEDDING_MODEL",
    "DISCOUNT_ENV",
    "AsyncChatStream",
    "Budget",
    "BudgetExceededError",
    "ChatParams",
    "ChatRequest",
    "ChatResult",
    "ChatStream",
    "Cost",
    "EmbeddingInputTooLongError",
    "EmbeddingModelInfo",
    "EmbeddingsRequest",
    "EmbeddingsResult",
    "Gateway",
    "GatewayAuthenticationError",
    "GatewayBadRequestError",
    "GatewayCapacityError",
    "GatewayConnectionError",
    "GatewayContextOverflowError",
    "GatewayNotFoundError",
    "GatewayPermissionDeniedError",
    "GatewayRateLimitError",
    "GatewayServerError",
    "GatewaySettings",
    "GatewayStatusError",
    "GatewayTimeoutError",
    "GatewayUnprocessableEntityError",
    "IncompleteStreamError",
    "InsufficientCreditsError",
    "InvalidParameterError",
    "InvalidResponseError",
    "MissingAPIKeyError",
    "ModelInfo",
    "RequestOptions",
    "ResponseTooLargeError",
    "SSEDecoder",
    "SkillBossError",
    "StreamAccumulator",
    "StreamChunk",
    "StreamError",
    "StreamInterruptedError",
    "StreamStalledError",
    "ToolCall",
    "ToolCallDelta",
    "UpstreamError",
    "Usage",
    "__version__",
    "catalog_source",
    "known_embedding_models",
    "known_models",
    "lookup",
    "lookup_embedding",
]

_moved.install()  # the old flat module paths (CHANGELOG: the core in layers)
__getattr__ = _moved.old_module  # `skillboss_core.settings` and the like, as before
