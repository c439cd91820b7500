"""Where requests go is a setting, never a body field.

A keyword the adapters do not know that names an endpoint (`api_url=`, `azure_endpoint=`,
`openai_api_host=`) or holds a URL would otherwise be sent in the request body, to the
default gateway, with the key. Both adapters refuse it here, naming their URL setting; the
value is never shown (a URL may carry credentials).
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from typing import Any

from skillboss_core.security.env_names import BASE_URL_ENV

_ENDPOINT_NAME = re.compile(r"(url|uri|endpoint|proxy|(^|_)(base|host))$")


def is_url(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def refuse_two_urls(values: Mapping[str, Any], names: tuple[str, ...], *, owner: str) -> None:
    """A ValueError when the gateway URL comes under more than one of its names: which one
    would win is not something to leave to alias order."""
    given = [name for name in names if values.get(name) is not None]
    if len(given) > 1:
        raise ValueError(
            f"{owner} got the gateway URL under {len(given)} names ({', '.join(given)}); "
            f"pass it once, as {names[0]}=..."
        )


def refuse_endpoints(
    values: Mapping[str, Any], known: Container[str], *, owner: str, url_field: str, body_hint: str
) -> None:
    """A ValueError for the first unknown keyword that names an endpoint or holds a URL."""
    for name, value in values.items():
        normal = name.lower().replace("-", "_")
        if name in known or not (is_url(value) or _ENDPOINT_NAME.search(normal)):
            continue
        if "proxy" in normal:
            raise ValueError(
                f"{name!r} is not a {owner} parameter. An HTTP proxy is taken from the "
                "HTTPS_PROXY / HTTP_PROXY environment variables; a proxy that speaks the "
                f"OpenAI API goes in {url_field}=... (or {BASE_URL_ENV})."
            )
        raise ValueError(
            f"{name!r} is not a {owner} parameter: it would be sent in the request body, not "
            f"used to reach the gateway. Pass the gateway's URL as {url_field}=... (or set "
            f"{BASE_URL_ENV}); a field meant for the request body goes in {body_hint}."
        )
