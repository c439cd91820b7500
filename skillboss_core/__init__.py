"""skillboss_core: everything about the SkillBoss gateway, and nothing about any framework.

The LangChain and LlamaIndex adapters translate their messages to the wire dicts this
package sends and turn its neutral results and stream chunks back into framework objects.
"""

from skillboss_core._envnames import API_KEY_ENV, BASE_URL_ENV
from skillboss_core._version import __version__
from skillboss_core.catalog import (
    EmbeddingModelInfo,
    ModelInfo,
    catalog_source,
    known_embedding_models,
    known_models,
    lookup,
    lookup_embedding,
)
from skillboss_core.embeddings import (
    DEFAULT_EMBEDDING_MODEL,
    EmbeddingsRequest,
    EmbeddingsResult,
)
from skillboss_core.errors import (
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
from skillboss_core.gateway import Gateway
from skillboss_core.options import RequestOptions
from skillboss_core.params import ChatParams, InvalidParameterError
from skillboss_core.request import ChatRequest
from skillboss_core.results import ChatResult, StreamChunk, ToolCall, ToolCallDelta, Usage
from skillboss_core.settings import DEFAULT_BASE_URL, GatewaySettings
from skillboss_core.stream import AsyncChatStream, ChatStream, SSEDecoder, StreamAccumulator

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_EMBEDDING_MODEL",
    "AsyncChatStream",
    "ChatParams",
    "ChatRequest",
    "ChatResult",
    "ChatStream",
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
