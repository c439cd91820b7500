"""Who answered a call: the request id and the vendor behind a model id, read one way for
both adapters' metadata."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from skillboss_core.catalog.models import lookup
from skillboss_core.wire.decode import header_value

# Where gateways and vendors put their id for one request, most common first.
REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-litellm-call-id")


def request_id_of(headers: Mapping[str, str] | None) -> str | None:
    """The id the gateway gave this request (for a support ticket or its logs), from the
    answer's headers; None when it sent none. (The body's `id` is the completion's id.)"""
    for name in REQUEST_ID_HEADERS:
        value = header_value(headers, name)
        if value:
            return value
    return None


@lru_cache(maxsize=1024)  # every answer names its vendor; the catalog's answer never changes
def vendor_of(model_id: str | None) -> str | None:
    """The vendor serving a model: the prefix of a routed id (`openai/gpt-5.4-mini` ->
    "openai"), else the catalog's vendor for it; None when neither says."""
    if not model_id:
        return None
    prefix, slash, _ = model_id.partition("/")
    if slash and prefix:
        return prefix
    return lookup(model_id).vendor
