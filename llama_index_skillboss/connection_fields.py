"""The connection fields SkillBoss and SkillBossEmbedding share, as LlamaIndex spells them.

LlamaIndex's OpenAI classes read `api_key=None` and `api_base=None` as "from the
environment"; the key never appears in a dump or a repr, and secret-looking default headers
are left out of dumps. Declared once here, as annotated types, so both classes hold exactly the
same rules (what the settings mean is `skillboss_core`'s: `AdapterSettings`). `discount`
(the core reads it with the other five) and `budget` (shared state, not a setting: never
dumped, and copies spend from the same one) are declared here for the same reason.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, Field, PlainSerializer, SecretStr
from pydantic.json_schema import SkipJsonSchema

from skillboss_core.config.budget import Budget
from skillboss_core.config.settings import DEFAULT_MAX_RETRIES, api_key_from_env, base_url_from_env
from skillboss_core.security.keys import public_headers


def _key_or_env(value: Any) -> Any:
    return api_key_from_env() if value is None else value


def _url_or_env(value: Any) -> Any:
    return base_url_from_env() if value is None else value


WholesaleKey = Annotated[
    SecretStr | None,
    BeforeValidator(_key_or_env),
    Field(
        default_factory=api_key_from_env,
        exclude=True,
        repr=False,
        description="SkillBoss wholesale key (default, or None: SKILLBOSS_WHOLESALE_KEY).",
    ),
]
GatewayUrl = Annotated[
    str,
    BeforeValidator(_url_or_env),
    Field(
        default_factory=base_url_from_env,
        # `base_url`: the OpenAI SDK's (and LangChain's) name for it.
        validation_alias=AliasChoices("api_base", "base_url"),
        description=(
            "Gateway URL, also accepted as base_url (default, or None: SKILLBOSS_BASE_URL, "
            "then the public gateway)."
        ),
    ),
]
SentHeaders = Annotated[
    dict[str, str] | None,
    PlainSerializer(public_headers),
    Field(
        default=None,
        repr=False,
        description="Sent with every request; secret-looking ones are left out of dumps.",
    ),
]
RetryCount = Annotated[
    int,
    Field(
        default=DEFAULT_MAX_RETRIES,
        ge=0,
        description="Retries of a transient failure (400, 401, 402, 403, 404, 422: never).",
    ),
]
PriceDiscount = Annotated[
    float | None,
    Field(
        default=None,
        # A bool or a text is refused rather than read as 1.0 or parsed: it is a typo.
        strict=True,
        description=(
            "The fraction of list price the account pays, in (0, 1] (0.8: 20% off); "
            "None: SKILLBOSS_DISCOUNT, else 1.0. Prices cost estimates; a cost the gateway "
            "reports is used as is."
        ),
    ),
]
SpendLimit = Annotated[
    SkipJsonSchema[Budget | None],
    Field(
        default=None,
        exclude=True,
        description=(
            "Spend limit of this object's calls: each call's worst case is reserved before it "
            "is sent (BudgetExceededError, nothing sent, when it does not fit). None: the "
            "budget of a CostHandler in the callback manager, if any."
        ),
    ),
]
