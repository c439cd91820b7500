"""Which names hold secrets, and what a usable key looks like: one rule for both adapters.

Used to refuse a key passed under a wrong name (rather than sending it in the body or showing
it in a repr), to mask secret header values wherever settings are shown, and to reject a key
pasted with a newline before it reaches an HTTP header, a debug log or a traceback.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping

from skillboss_core.security.env_names import API_KEY_ENV

MASK = "**********"  # what pydantic's SecretStr shows

# Substrings of parameter names that only credentials use. A bare "key" suffix is not enough:
# `prompt_cache_key` is a real request parameter.
_SECRET_WORDS = (
    "api_key",
    "apikey",
    "secret",
    "password",
    "passwd",
    "credential",
    "authorization",
    "access_token",
    "auth_token",
    "bearer",
    "cookie",
)
_SECRET_NAMES = frozenset({"key", "token", "auth"})
# Header names are not request parameters: any *-Key or *-Token header carries a credential.
_SECRET_HEADER_ENDINGS = ("_key", "_token", "_secret")


def _normal(name: str) -> str:
    return name.lower().replace("-", "_")


def looks_secret(name: str) -> bool:
    """Whether a parameter of this name would hold a credential."""
    normal = _normal(name)
    return normal in _SECRET_NAMES or any(word in normal for word in _SECRET_WORDS)


def looks_secret_header(name: str) -> bool:
    """Whether an HTTP header of this name carries a credential (Authorization, X-Api-Key...)."""
    return looks_secret(name) or _normal(name).endswith(_SECRET_HEADER_ENDINGS)


def masked_headers(headers: Mapping[str, str] | None) -> dict[str, str] | None:
    """The headers to show (repr): secret values replaced by the mask, names kept."""
    if headers is None:
        return None
    return {name: MASK if looks_secret_header(name) else value for name, value in headers.items()}


def public_headers(headers: Mapping[str, str] | None) -> dict[str, str] | None:
    """The headers to write out (dumps): secret ones left out, as an excluded key is."""
    if headers is None:
        return None
    kept = {name: value for name, value in headers.items() if not looks_secret_header(name)}
    return kept or None


def refuse_secret_names(names: Iterable[str], known: Container[str], *, owner: str) -> None:
    """A ValueError naming (never showing) the first unknown parameter that looks like a key."""
    for name in names:
        if name not in known and looks_secret(name):
            raise ValueError(
                f"{name!r} is not a {owner} parameter. Pass the SkillBoss key as api_key=... "
                f"or set {API_KEY_ENV}."
            )


def key_problem(key: str) -> str | None:
    """Why this key cannot be sent as a header value, without quoting it; None if it can."""
    if key.endswith(("\n", "\r")):
        return "The SkillBoss key has a trailing newline (pasted from a file?); strip it."
    if key != key.strip():
        return "The SkillBoss key has whitespace before or after it; strip it."
    if not (key.isascii() and key.isprintable()) or " " in key:
        return (
            "The SkillBoss key has a line break, space, control or non-ASCII character inside "
            "it; a key is one unbroken token. Copy it again from the dashboard."
        )
    return None
