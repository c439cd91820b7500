"""Status -> typed error mapping; the SDK's own except clauses keep matching."""

from __future__ import annotations

import httpx
import openai
import pytest

from skillboss_core import errors
from skillboss_core.errors import map_status_error

SECRET = "sk-live-this-must-never-appear-0000"


def response(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request(
        "POST",
        "https://api.skillboss.co/v1/chat/completions",
        headers={"Authorization": f"Bearer {SECRET}"},
    )
    return httpx.Response(status, headers=headers or {}, request=request)


@pytest.mark.parametrize(
    ("status", "ours", "sdk", "hint"),
    [
        (401, errors.GatewayAuthenticationError, openai.AuthenticationError, "wholesale key"),
        (402, errors.InsufficientCreditsError, openai.APIStatusError, "Top up"),
        (429, errors.GatewayRateLimitError, openai.RateLimitError, "Back off"),
        (503, errors.GatewayCapacityError, openai.InternalServerError, "fall back"),
        (500, errors.GatewayServerError, openai.InternalServerError, "safe to retry"),
        (502, errors.GatewayServerError, openai.InternalServerError, "safe to retry"),
        (400, errors.GatewayBadRequestError, openai.BadRequestError, "rejected the request"),
        (404, errors.GatewayNotFoundError, openai.NotFoundError, "model id"),
        (403, errors.GatewayPermissionDeniedError, openai.PermissionDeniedError, "not allowed"),
        (422, errors.GatewayUnprocessableEntityError, openai.UnprocessableEntityError, "rejected"),
    ],
)
def test_each_status_maps_to_a_typed_actionable_error(
    status: int, ours: type[Exception], sdk: type[Exception], hint: str
) -> None:
    body = {"error": {"message": "provider said no", "type": "x"}}
    error = map_status_error("raw", body=body, response=response(status))
    assert type(error) is ours
    assert isinstance(error, sdk) and isinstance(error, errors.SkillBossError)
    assert hint in str(error) and "provider said no" in str(error)
    assert SECRET not in str(error) and SECRET not in repr(error)
    assert error.status_code == status


def test_401_names_the_variable_console_keys_and_where_keys_come_from() -> None:
    body = {"error": {"message": "Incorrect API key provided.", "type": "auth"}}
    error = map_status_error("raw", body=body, response=response(401))
    text = str(error)
    assert "SKILLBOSS_WHOLESALE_KEY" in text and "console keys" in text
    assert "wholesale dashboard" in text and "admin@skillboss.co" in text
    assert "provided. " in text and ".." not in text


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({}, None),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),
    ],
)
def test_rate_limit_carries_retry_after(headers: dict[str, str], expected: float | None) -> None:
    error = map_status_error("raw", body={}, response=response(429, headers))
    assert isinstance(error, errors.GatewayRateLimitError)
    assert error.retry_after == expected


def test_unknown_status_keeps_the_sdk_base_class() -> None:
    error = map_status_error("raw", body="teapot", response=response(418))
    assert type(error) is openai.APIStatusError and "418" in str(error)


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (400, False),
        (401, False),
        (402, False),
        (403, False),
        (404, False),
        (422, False),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
    ],
)
def test_is_retryable_only_where_a_retry_can_help(status: int, retryable: bool) -> None:
    error = map_status_error("raw", body={}, response=response(status))
    assert isinstance(error, errors.SkillBossError)
    assert error.is_retryable is retryable


# Context-length errors as real providers word them (status, body). Reproduces, among
# others, the DeepSeek recording in ../shared/wire-samples/23_deepseek_error_400_context_length.yml.
OVERFLOWS = {
    "openai code": (
        400,
        {
            "error": {
                "message": "This model's maximum context length is 128000 tokens. However, "
                "your messages resulted in 130512 tokens. Please reduce the length of the "
                "messages.",
                "type": "invalid_request_error",
                "param": "messages",
                "code": "context_length_exceeded",
            }
        },
    ),
    "deepseek wording, generic code": (
        400,
        {
            "error": {
                "message": "This model's maximum context length is 1048565 tokens. However, "
                "you requested 1250025 tokens (1250025 in the messages, 0 in the "
                "completion). Please reduce the length of the messages or completion.",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_request_error",
            }
        },
    ),
    "anthropic wording": (
        400,
        {
            "type": "error",
            "error": {
                "type": "invalid_request_error",
                "message": "prompt is too long: 210344 tokens > 200000 maximum",
            },
        },
    ),
    "gemini wording": (
        400,
        {
            "error": {
                "code": 400,
                "status": "INVALID_ARGUMENT",
                "message": "The input token count "
                "(1210000) exceeds the maximum number of tokens allowed (1048576).",
            }
        },
    ),
    "bedrock wording": (
        400,
        {"message": "Input is too long for requested model."},
    ),
    "mistral wording, 422": (
        422,
        {
            "object": "error",
            "message": "Prompt contains 40000 tokens and 0 draft tokens, too large "
            "for model with 32768 maximum context length",
            "type": "invalid_request_error",
        },
    ),
    "proxy 413": (413, {"error": {"message": "Request too large: exceeds the context window"}}),
    "anthropic max_tokens wording": (
        400,
        {
            "error": {
                "message": "input length and `max_tokens` exceed context limit: 195000 + "
                "8192 > 200000, decrease input length or `max_tokens` and try again"
            }
        },
    ),
    "vllm wording": (
        400,
        {
            "object": "error",
            "message": "This model's maximum context length is 32768 tokens. "
            "However, you requested 40000 tokens",
            "type": "BadRequestError",
        },
    ),
    "vllm longer than": (
        400,
        {
            "message": "The decoder prompt (length 40000) is longer than the maximum model length "
            "of 32768."
        },
    ),
    "openrouter upstream raw": (
        400,
        {
            "error": {
                "message": "Provider returned error",
                "code": 400,
                "metadata": {
                    "raw": '{"error": "prompt is too long: 250000 tokens > 200000 maximum"}',
                    "provider_name": "Anthropic",
                },
            }
        },
    ),
    "plain text body": (400, "context_length_exceeded"),
}


@pytest.mark.parametrize("case", sorted(OVERFLOWS))
def test_context_overflow_is_recognised_in_every_provider_wording(case: str) -> None:
    status, body = OVERFLOWS[case]
    error = map_status_error("raw", body=body, response=response(status))
    assert isinstance(error, errors.GatewayContextOverflowError), type(error)
    assert isinstance(error, openai.BadRequestError if status == 400 else openai.APIStatusError)
    assert error.is_retryable is False
    assert "shorten" in str(error) or "trim" in str(error)


@pytest.mark.parametrize(
    "message",
    [
        "Unsupported parameter: 'max_tokens' is not supported with this model.",
        "Invalid value for 'temperature': must be at most 2.",
        "max_tokens is too large: 999999. This model supports at most 16384 completion tokens.",
        "Invalid 'messages[0].content': string too long.",
        "max_tokens must be at most the model's context window (8192)",
        "Invalid image: input is too long to decode",
    ],
)
def test_an_ordinary_400_is_not_a_context_overflow(message: str) -> None:
    body = {"error": {"message": message, "type": "invalid_request_error"}}
    error = map_status_error("raw", body=body, response=response(400))
    assert type(error) is errors.GatewayBadRequestError


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (errors.StreamInterruptedError(message="broke", request=httpx.Request("POST", "/x")), True),
        (errors.IncompleteStreamError("no finish"), True),
        (errors.InvalidResponseError("not json"), True),
        (errors.MissingAPIKeyError("no key"), False),
        (errors.AnswerTruncatedError("cut"), False),
        (errors.RefusalError("no"), False),
    ],
)
def test_errors_raised_outside_the_status_mapping_say_whether_to_retry(
    error: errors.SkillBossError, retryable: bool
) -> None:
    assert error.is_retryable is retryable
