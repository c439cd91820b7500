"""Status -> typed error mapping; the SDK's own except clauses keep matching."""

from __future__ import annotations

import errno
import os

import httpx
import openai
import pytest

from skillboss_core import errors
from skillboss_core.transport import failures
from skillboss_core.transport.failures import map_status_error

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
    assert error.body == body["error"]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({}, None),
        # An HTTP date (RFC 9110), here one long past: wait no more.
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
        ({"retry-after": "soon"}, None),
    ],
)
def test_rate_limit_carries_retry_after(headers: dict[str, str], expected: float | None) -> None:
    error = map_status_error("raw", body={}, response=response(429, headers))
    assert isinstance(error, errors.GatewayRateLimitError)
    assert error.retry_after == expected


def test_unknown_status_keeps_the_sdk_base_class() -> None:
    error = map_status_error("raw", body="teapot", response=response(418))
    assert type(error) is errors.GatewayStatusError and "418" in str(error)
    assert isinstance(error, openai.APIStatusError) and error.is_retryable is False


@pytest.mark.parametrize(
    ("status", "headers", "retryable"),
    [
        (408, {}, True),
        (409, {}, True),
        (418, {"x-should-retry": "true"}, True),
        (500, {"x-should-retry": "false"}, False),
        (402, {"x-should-retry": "true"}, False),
    ],
)
def test_the_retry_policy_decides_is_retryable_per_answer(
    status: int, headers: dict[str, str], retryable: bool
) -> None:
    error = map_status_error("raw", body={}, response=response(status, headers))
    assert error.is_retryable is retryable


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
        (errors.InvalidResponseError("not json"), False),
        (errors.MissingAPIKeyError("no key"), False),
        (errors.AnswerTruncatedError("cut"), False),
        (errors.RefusalError("no"), False),
    ],
)
def test_errors_raised_outside_the_status_mapping_say_whether_to_retry(
    error: errors.SkillBossError, retryable: bool
) -> None:
    assert error.is_retryable is retryable


# -- the whole message, the body kept, and where the provider's words are found ---------------

PROVIDER_SAID = {"error": {"message": "Provider said no.", "type": "x"}}


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (400, "SkillBoss rejected the request (400): Provider said no"),
        (
            402,
            "SkillBoss wholesale balance too low (402): Provider said no. Top up on the "
            "SkillBoss wholesale dashboard; this request was not retried.",
        ),
        (
            403,
            "SkillBoss: this key is not allowed to do that (403): Provider said no. Check the "
            "model's availability for your key on the SkillBoss wholesale dashboard.",
        ),
        (
            404,
            "SkillBoss: not found (404): Provider said no. Check the model id (list_models()) "
            "and the base URL.",
        ),
        (422, "SkillBoss rejected the request (422): Provider said no"),
        (
            429,
            "SkillBoss rate limit (429): Provider said no. Back off and retry, or raise "
            "max_retries.",
        ),
        (
            500,
            "SkillBoss server error (500): Provider said no. A transient upstream issue; safe "
            "to retry.",
        ),
        (
            503,
            "SkillBoss upstream unavailable (503): Provider said no. The lite-tier discount "
            "pool is out of capacity; retry later or fall back to a standard-tier model "
            "(fallback_models=[...]).",
        ),
        (418, "SkillBoss error (418): Provider said no"),
    ],
)
def test_each_status_reads_as_one_sentence_and_keeps_the_providers_error_object(
    status: int, message: str
) -> None:
    error = map_status_error("raw", body=PROVIDER_SAID, response=response(status))
    assert str(error) == message
    assert error.body == {"message": "Provider said no.", "type": "x"}


def test_context_overflow_message_and_body() -> None:
    body = {"error": {"message": "maximum context length is 8192 tokens!", "code": None}}
    error = map_status_error("raw", body=body, response=response(400))
    assert str(error) == (
        "The prompt does not fit the model's context window (400): maximum context length is "
        "8192 tokens. Shorten or summarise the conversation (or trim it with a token budget), "
        "or choose a model with a larger window."
    )
    assert error.body == body["error"]


def test_only_trailing_punctuation_is_dropped_from_the_providers_words() -> None:
    body = {"error": {"message": "Unknown model: acme/model-X."}}
    error = map_status_error("raw", body=body, response=response(404))
    assert str(error).startswith("SkillBoss: not found (404): Unknown model: acme/model-X. Check")


@pytest.mark.parametrize(
    ("body", "detail", "kept"),
    [
        # No `error` wrapper: the body is the error object.
        (
            {"message": "Bad field.", "type": "x"},
            "Bad field",
            {"message": "Bad field.", "type": "x"},
        ),
        # A wrapper without words of its own: the top-level message is the one to show.
        (
            {"error": {"type": "upstream_error"}, "message": "Upstream timed out"},
            "Upstream timed out",
            {"type": "upstream_error"},
        ),
        # No words at all: the SDK's text.
        ({"error": {"type": "x"}}, "raw", {"type": "x"}),
        ("plain text answer", "raw", "plain text answer"),
    ],
)
def test_the_providers_words_are_found_where_providers_put_them(
    body: object, detail: str, kept: object
) -> None:
    error = map_status_error("raw", body=body, response=response(400))
    assert str(error) == f"SkillBoss rejected the request (400): {detail}"
    assert error.body == kept


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"message": "Invalid request", "code": "context_length_exceeded"}},
        {"message": "Invalid request", "code": "model_max_prompt_tokens_exceeded"},
        {
            "message": "Provider returned error",
            "metadata": {"raw": "prompt is too long: 250000 tokens > 200000 maximum"},
        },
    ],
    ids=["code in the error object", "code in an unwrapped body", "upstream words, unwrapped"],
)
def test_context_overflow_is_recognised_by_code_alone_and_in_unwrapped_bodies(
    body: dict[str, object],
) -> None:
    error = map_status_error("raw", body=body, response=response(400))
    assert isinstance(error, errors.GatewayContextOverflowError)
    assert failures.says_context_overflow(body, "Invalid request")


def test_retry_after_falls_back_to_seconds_when_milliseconds_are_unreadable() -> None:
    headers = {"retry-after-ms": "soon", "retry-after": "3"}
    error = map_status_error("raw", body={}, response=response(429, headers))
    assert isinstance(error, errors.GatewayRateLimitError)
    assert error.retry_after == 3.0


# -- errors about a 200 answer, and the answer errors -------------------------------------------


def test_errors_about_an_answer_keep_its_body_and_have_no_request() -> None:
    error = errors.InvalidResponseError("not a completion", body={"a": 1}, code="bad")
    assert (str(error), error.message, error.body, error.code) == (
        "not a completion",
        "not a completion",
        {"a": 1},
        "bad",
    )
    assert error.request is None
    cut = errors.IncompleteStreamError("cut short")
    assert (str(cut), cut.partial_text, cut.body) == ("cut short", "", None)


def test_answer_errors_read_as_their_message_with_nothing_partial_by_default() -> None:
    truncated = errors.AnswerTruncatedError("cut at the cap")
    assert (str(truncated), truncated.message, truncated.partial) == (
        "cut at the cap",
        "cut at the cap",
        "",
    )
    assert truncated.args == ("cut at the cap",) and truncated.completion is None
    filtered = errors.ContentFilteredError("filtered")
    assert (str(filtered), filtered.partial) == ("filtered", "")
    refused = errors.RefusalError("I can't help with that")
    assert (
        str(refused) == "The model refused to produce the structured output: I can't help with that"
    )
    assert refused.refusal == "I can't help with that"
    assert str(errors.RefusalError("no", what="a tool call")) == (
        "The model refused to produce a tool call: no"
    )
    invalid = errors.StructuredOutputError("not JSON")
    assert (str(invalid), invalid.text) == ("not JSON", "")


def test_timeout_errors_say_what_timed_out() -> None:
    request = httpx.Request("POST", "https://api.skillboss.co/v1/chat/completions")
    error = errors.StreamStalledError("No stream event for 5s", request=request)
    assert isinstance(error, openai.APITimeoutError)
    assert (str(error), error.message, error.args) == (
        "No stream event for 5s",
        "No stream event for 5s",
        ("No stream event for 5s",),
    )
    assert error.request is request


# -- a connection failure names the URL and the innermost reason ------------------------------

URL = "https://gateway.example/v1"


REQUEST = httpx.Request("POST", URL)


def connection_error(*chain: BaseException, implicit: bool = False) -> BaseException:
    """A transport failure over `chain` (outermost first), as `raise ... from` links it (or
    as an exception raised while handling another links it, with `implicit`)."""
    error = httpx.ConnectError("")
    for outer, inner in zip((error, *chain), chain, strict=False):
        if implicit:
            outer.__context__ = inner
        else:
            outer.__cause__ = inner
    return error


def unreachable_message(reason: str) -> str:
    return (
        f"Could not reach the SkillBoss gateway at {URL} ({reason}). Check the URL "
        "(SKILLBOSS_BASE_URL, or the model's base_url / api_base), the network and any "
        "proxy settings; `skillboss check` tells which."
    )


@pytest.mark.parametrize("implicit", [False, True], ids=["raise from", "raised while handling"])
def test_unreachable_names_the_url_and_the_innermost_reason(implicit: bool) -> None:
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('10.0.0.1', 443)")
    error = connection_error(
        httpx.ConnectError("All connection attempts failed"), refused, implicit=implicit
    )
    told = failures.unreachable(error, URL, (), request=REQUEST)
    assert type(told) is errors.GatewayConnectionError
    assert str(told) == unreachable_message(os.strerror(errno.ECONNREFUSED))
    assert told.request is REQUEST and told.is_retryable is True


@pytest.mark.parametrize(
    ("chain", "reason"),
    [
        # An errno is worded by the OS, whatever words the raiser chose.
        ((OSError(errno.EPERM, "Connect call failed"),), os.strerror(errno.EPERM)),
        # errno 0 is no errno: the error's own words.
        ((OSError(0, "TLS handshake failed"),), "TLS handshake failed"),
        # An innermost error without words does not hide the words around it.
        (
            (httpx.ConnectError("Name or service not known"), Exception()),
            "Name or service not known",
        ),
        ((), "no reason given"),
    ],
    ids=["errno", "errno 0", "wordless innermost", "no cause"],
)
def test_unreachable_reason(chain: tuple[BaseException, ...], reason: str) -> None:
    told = failures.unreachable(connection_error(*chain), URL, (), request=REQUEST)
    assert str(told) == unreachable_message(reason)


def test_a_cause_chain_that_loops_still_gives_a_reason() -> None:
    first, second = httpx.ConnectError("first"), httpx.ConnectError("second")
    first.__cause__, second.__cause__ = second, first
    told = failures.unreachable(connection_error(first), URL, (), request=REQUEST)
    assert str(told) == unreachable_message("second")


def test_unreachable_hides_the_key() -> None:
    error = connection_error(httpx.ConnectError(f"proxy refused Bearer {SECRET}"))
    assert SECRET not in str(failures.unreachable(error, URL, (SECRET,), request=REQUEST))


@pytest.mark.parametrize(
    ("content", "detail", "body"),
    [
        (b'{"error": {"message": "Bad key"}}', "Bad key", {"message": "Bad key"}),
        (b"  upstream down  ", "upstream down", "upstream down"),
        (b"", "Error code: 401", None),
    ],
    ids=["json", "text", "empty"],
)
def test_status_error_reads_json_text_or_nothing(content: bytes, detail: str, body: object) -> None:
    """A non-2xx body may be JSON, plain text or empty: the error quotes what there is,
    and keeps the JSON's inner error as `body` (the SDK's shape)."""
    error = failures.status_error(response(401), content, [SECRET])
    assert isinstance(error, errors.GatewayAuthenticationError)
    assert str(error).startswith(f"SkillBoss rejected the key (401): {detail}. ")
    assert error.body == body


def test_status_error_redacts_an_echoed_key() -> None:
    """The key the request carried, even where no `Bearer` marks it."""
    content = f'{{"error": {{"message": "unknown key {SECRET} for this model"}}}}'.encode()
    error = failures.status_error(response(400), content, [SECRET])
    assert SECRET not in str(error) and SECRET not in str(error.body)
    assert "unknown key" in str(error)


def test_status_error_reads_a_body_that_is_not_utf8() -> None:
    error = failures.status_error(response(502), b"\xff upstream \xfe down", [SECRET])
    assert isinstance(error, errors.GatewayServerError)
    assert "\ufffd upstream \ufffd down" in str(error)


def test_embedding_input_too_long_keeps_its_message_and_place() -> None:
    error = errors.EmbeddingInputTooLongError("text 3 is too long", position=3, limit=8191)
    assert (str(error), error.position, error.limit) == ("text 3 is too long", 3, 8191)
