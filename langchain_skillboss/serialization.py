"""What ChatSkillBoss and SkillBossEmbeddings show and write out: never the key, never the
value of a secret-looking default header.

The key is a `SecretStr` declared in `lc_secrets` (dumps write a reference to its environment
variable, as ChatOpenAI's do); secret headers are masked in repr and `model_dump`, and left
out of `dumpd` / `dumps` (langchain-core escapes nested secret references, so they could not be
restored on load anyway: pass them again after loading).
"""

from __future__ import annotations

from typing import Any

from langchain_core.load.serializable import (
    Serializable,
    SerializedConstructor,
    SerializedNotImplemented,
)
from pydantic import field_serializer

from skillboss_core import API_KEY_ENV
from skillboss_core.security.keys import masked_headers, public_headers


class SerializableWithoutSecrets(Serializable):
    """Base of both LangChain classes (before langchain-core's own in their bases)."""

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": API_KEY_ENV}

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, masked_headers(value) if name == "default_headers" else value

    @field_serializer("default_headers", check_fields=False)
    def _masked_headers(self, headers: dict[str, str] | None) -> dict[str, str] | None:
        return masked_headers(headers)

    def to_json(self) -> SerializedConstructor | SerializedNotImplemented:
        serialized = super().to_json()
        kwargs = serialized.get("kwargs")
        if isinstance(kwargs, dict) and kwargs.get("default_headers"):
            kwargs["default_headers"] = public_headers(kwargs["default_headers"])
            if kwargs["default_headers"] is None:
                del kwargs["default_headers"]
        return serialized
