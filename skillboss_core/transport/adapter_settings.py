"""The connection settings as an adapter class names them, and everything done with them.

All four adapter classes (ChatSkillBoss, SkillBossEmbeddings, SkillBoss, SkillBossEmbedding)
carry the same five settings (key, URL, `timeout`, `max_retries`, `default_headers`) under
their framework's names, and those that price calls a sixth (`discount`). Each holds one
`AdapterSettings`, saying only how it names them; the checks of its keywords and the gateway
for its current values are decided here, once, and `ConnectedAdapter` gives each class the
gateway plumbing and `close()` / `aclose()`.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, cast

from pydantic import SecretStr

from skillboss_core.config.endpoints import refuse_endpoints, refuse_two_urls
from skillboss_core.config.settings import DEFAULT_MAX_RETRIES
from skillboss_core.errors import InvalidParameterError
from skillboss_core.security.keys import refuse_secret_names
from skillboss_core.transport.clients import ClientPool
from skillboss_core.transport.closing import ClosesConnections
from skillboss_core.transport.gateway import Gateway
from skillboss_core.transport.reuse import shared_gateway

# The core's name for the gateway URL, as its messages say it.
_CORE_URL_NAME = "base_url"


class ConnectionFields(Protocol):
    """What every adapter instance has (its URL field's name varies: `AdapterSettings`)."""

    @property
    def api_key(self) -> SecretStr | None: ...
    @property
    def timeout(self) -> float | None: ...
    @property
    def max_retries(self) -> int | None: ...
    @property
    def default_headers(self) -> Mapping[str, str] | None: ...


@dataclass(frozen=True, slots=True)
class AdapterSettings:
    """How one adapter class names its connection settings.

    `owner` is the class's name in messages; `url_names` the URL's field name first, then its
    other accepted names; `body_hint` where a field meant for the request body goes instead
    (None: the class refuses every unknown keyword itself, so none reaches a body).
    """

    owner: str
    url_names: tuple[str, ...]
    body_hint: str | None

    @property
    def url_field(self) -> str:
        return self.url_names[0]

    def refuse_misplaced(
        self,
        values: Mapping[str, Any],
        known: Container[str],
        *,
        more: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """A ValueError, never showing the value, for a key under another name, the URL
        under two names, or an endpoint or URL under a name that is not a setting (it would
        be sent in the body, to the default gateway, with the key). `more`: other keyword
        collections that end up in the request (ChatSkillBoss's `model_kwargs`)."""
        others = list(more)
        names = [*values, *(name for given in others for name in given)]
        refuse_secret_names(names, known, owner=self.owner)
        refuse_two_urls(values, self.url_names, owner=self.owner)
        if self.body_hint is None:
            return
        for given in (values, *others):
            refuse_endpoints(
                given, known, owner=self.owner, url_field=self.url_field, body_hint=self.body_hint
            )

    def gateway(self, model: ConnectionFields) -> Gateway:
        """The shared gateway for the model's current settings (built and validated the first
        time they are seen); a bad one is an InvalidParameterError in the adapter's names."""
        retries = model.max_retries
        try:
            return shared_gateway(
                api_key=model.api_key,
                base_url=getattr(model, self.url_field),
                timeout=model.timeout,
                max_retries=DEFAULT_MAX_RETRIES if retries is None else retries,
                default_headers=model.default_headers,
                discount=getattr(model, "discount", None),
            )
        except InvalidParameterError as exc:
            if self.url_field == _CORE_URL_NAME:
                raise
            # The field's name leads the message; a URL quoted after it stays as it was given.
            message = str(exc).replace(_CORE_URL_NAME, self.url_field, 1)
            raise InvalidParameterError(message) from None

    def ready_gateway(self, model: ConnectionFields) -> Gateway:
        """`gateway`, once a key is known (else the MissingAPIKeyError saying where to set it)."""
        gateway = self.gateway(model)
        gateway.settings.require_api_key()
        return gateway


class ConnectedAdapter(ClosesConnections):
    """Mixin of the four adapter classes: each sets `_connection` to say how it names its
    settings, and asks for the gateway at each call, so a changed setting (assigned, or via
    `model_copy(update=...)`) is used by the next call and equal settings share one pool."""

    _connection: ClassVar[AdapterSettings]

    def _gateway(self) -> Gateway:
        return self._connection.gateway(cast("ConnectionFields", self))

    def _ready_gateway(self) -> Gateway:
        return self._connection.ready_gateway(cast("ConnectionFields", self))

    def _client_pool(self) -> ClientPool:
        return self._gateway().clients
