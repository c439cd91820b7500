"""skillboss_core: everything about the SkillBoss gateway, and nothing about any framework.

The LangChain and LlamaIndex adapters translate their messages to the wire dicts this
package sends and turn its neutral results and stream chunks back into framework objects.
"""

from skillboss_core._envnames import API_KEY_ENV, BASE_URL_ENV
from skillboss_core._version import __version__
from skillboss_core.catalog import ModelInfo, known_models, lookup
from skillboss_core.errors import (
    GatewayAuthenticationError,
    GatewayBadRequestError,
    GatewayCapacityError,
    GatewayNotFoundError,
    GatewayRateLimitError,
    GatewayServerError,
    IncompleteStreamError,
    InsufficientCreditsError,
    InvalidResponseError,
    MissingAPIKeyError,
    SkillBossError,
    StreamError,
    StreamInterruptedError,
)
from skillboss_core.gateway import FALLBACK_ERRORS, Gateway
from skillboss_core.params import ChatParams, InvalidParameterError
from skillboss_core.results import ChatResult, StreamChunk, ToolCall, ToolCallDelta, Usage
from skillboss_core.settings import DEFAULT_BASE_URL, GatewaySettings
from skillboss_core.stream import AsyncChatStream, ChatStream, SSEDecoder, StreamAccumulator

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "FALLBACK_ERRORS",
    "AsyncChatStream",
    "ChatParams",
    "ChatResult",
    "ChatStream",
    "Gateway",
    "GatewayAuthenticationError",
    "GatewayBadRequestError",
    "GatewayCapacityError",
    "GatewayNotFoundError",
    "GatewayRateLimitError",
    "GatewayServerError",
    "GatewaySettings",
    "IncompleteStreamError",
    "InsufficientCreditsError",
    "InvalidParameterError",
    "InvalidResponseError",
    "MissingAPIKeyError",
    "ModelInfo",
    "SSEDecoder",
    "SkillBossError",
    "StreamAccumulator",
    "StreamChunk",
    "StreamError",
    "StreamInterruptedError",
    "ToolCall",
    "ToolCallDelta",
    "Usage",
    "__version__",
    "known_models",
    "lookup",
]
