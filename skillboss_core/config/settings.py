"""Connection settings for the SkillBoss gateway: key, base URL, timeouts, retries, headers,
and the account's discount on list prices."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator

from skillboss_core._version import __version__
from skillboss_core.errors import InvalidParameterError, MissingAPIKeyError
from skillboss_core.security.env_names import API_KEY_ENV, BASE_URL_ENV, DISCOUNT_ENV
from skillboss_core.security.help_texts import CONSOLE_KEY_ENV, WHERE_TO_GET_A_KEY, WHOLESALE_ONLY
from skillboss_core.security.keys import key_problem, looks_secret_header, masked_headers
from skillboss_core.wire.cost import check_discount, discount_problem
from skillboss_core.wire.options import check_headers, check_seconds

DEFAULT_BASE_URL = "https://api.skillboss.co/v1"
# Each wait for progress, as the openai SDK's: a thinking model may be silent for minutes
# before its first token, and a progressing answer is never cut by it.
DEFAULT_TIMEOUT = 600.0
DEFAULT_MAX_RETRIES = 2
USER_AGENT = f"skillboss-integrations/{__version__}"


def api_key_from_env() -> SecretStr | None:
    """The wholesale key from the environment, or None (missing keys fail at call time)."""
    value = os.environ.get(API_KEY_ENV)
    return SecretStr(value) if value else None


def base_url_from_env() -> str:
    """`SKILLBOSS_BASE_URL`, else the public gateway. Never `OPENAI_BASE_URL`."""
    return os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL


def discount_from_env() -> float:
    """`SKILLBOSS_DISCOUNT`, the fraction of list price the account pays, else 1.0 (list
    price). A value that is not a number in (0, 1] is an InvalidParameterError naming the
    variable."""
    value = os.environ.get(DISCOUNT_ENV, "").strip()
    if not value:
        return 1.0
    try:
        return check_discount(float(value), DISCOUNT_ENV)
    except ValueError:  # not a number, or not one in (0, 1]: said with the variable's text
        raise InvalidParameterError(discount_problem(DISCOUNT_ENV, value)) from None


def missing_key_message() -> str:
    """What to do without a key; names a console key found under SkillBoss's other name."""
    if os.environ.get(CONSOLE_KEY_ENV):
        why = (
            f"{CONSOLE_KEY_ENV} is set, but it is not read: that name usually holds a console "
            f"key, which this gateway rejects (401). If it holds a wholesale key, set "
            f"{API_KEY_ENV} to it."
        )
    else:
        why = WHOLESALE_ONLY
    return (
        f"No SkillBoss wholesale key: set the {API_KEY_ENV} environment variable or pass "
        f"api_key=... {why} {WHERE_TO_GET_A_KEY}"
    )


class GatewaySettings(BaseModel):
    """Everything needed to reach the gateway; built eagerly, validated lazily for the key.

    The key may be absent at construction so that models can be created in tests and docs;
    `require_api_key` raises a clear error at the first call instead. A key that is present
    must be one unbroken token (no pasted newline), and no error may quote it.
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_default=True, hide_input_in_errors=True
    )

    api_key: SecretStr | None = Field(default_factory=api_key_from_env, repr=False)
    base_url: str = Field(default_factory=base_url_from_env)
    timeout: float | None = Field(default=DEFAULT_TIMEOUT)
    """Each wait for progress (connect, first byte, between stream events); None: no limit."""
    total_timeout: float | None = None
    """The whole call, retries, their waits and fallbacks included; None: no bound."""
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0)
    default_headers: Mapping[str, str] | None = None
    max_event_bytes: int | None = Field(default=None, gt=0)
    """Cap on one stream event (None: wire.stream.DEFAULT_MAX_EVENT_BYTES, 64 MiB)."""
    max_body_bytes: int | None = Field(default=None, gt=0)
    """Cap on a whole answer body (None: skillboss_core.wire.decode.DEFAULT_MAX_BODY_BYTES)."""
    discount: float = Field(default_factory=discount_from_env)
    """The fraction of each vendor's list price this account pays, in (0, 1]: 1.0 (the
    default, or `SKILLBOSS_DISCOUNT`) is list price, 0.8 is 20% off. Cost estimates are the
    list price times this (`skillboss_core.wire.cost`); a cost the gateway reports is used
    as is."""

    @field_validator("default_headers")
    @classmethod
    def _sendable_headers(cls, value: Mapping[str, str] | None) -> Mapping[str, str] | None:
        if value:
            check_headers(value, "default_headers")  # an InvalidParameterError is a ValueError
        return value

    @field_validator("api_key")
    @classmethod
    def _sendable_key(cls, value: SecretStr | None) -> SecretStr | None:
        problem = None if value is None else key_problem(value.get_secret_value())
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("timeout", "total_timeout")
    @classmethod
    def _positive_timeout(cls, value: float | None, info: ValidationInfo) -> float | None:
        return check_seconds(str(info.field_name), value)

    @field_validator("discount", mode="before")
    @classmethod
    def _discount_multiplier(cls, value: Any) -> float:
        return check_discount(value, "discount")  # an InvalidParameterError is a ValueError

    @field_validator("base_url")
    @classmethod
    def _http_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    def require_api_key(self) -> str:
        """The key's plain value, or a MissingAPIKeyError naming the variable to set."""
        if self.api_key is None or not self.api_key.get_secret_value():
            raise MissingAPIKeyError(missing_key_message())
        return self.api_key.get_secret_value()

    def values_to_hide(self) -> list[str]:
        """What no error or log may repeat: the key and the values of the default headers that
        carry credentials (Proxy-Authorization, X-Api-Key, ...)."""
        key = [self.api_key.get_secret_value()] if self.api_key else []
        headers = self.default_headers or {}
        return key + [value for name, value in headers.items() if looks_secret_header(name)]

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, masked_headers(value) if name == "default_headers" else value

    def headers(self) -> dict[str, str]:
        """Default headers plus a User-Agent naming this integration and its version."""
        merged = {"User-Agent": USER_AGENT}
        if self.default_headers:
            merged.update(self.default_headers)
        return merged
