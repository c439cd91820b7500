"""What ChatSkillBoss declares to langchain-tests, shared by the unit and replay suites.

The model's capabilities come from its profile, which the catalog derives
(langchain_skillboss/profile.py from skillboss_core's catalog): the standard suites test what
users are told, not a second hand-written list. Only what the adapter itself does, whatever
the model, is stated here.
"""

from __future__ import annotations

from langchain_skillboss.profile import model_profile
from skillboss_core.catalog.models import lookup

MODEL = "openai/gpt-5.4-mini"
OVERRIDE_MODEL = "openai/gpt-5.4"


class SkillBossCapabilities:
    """Capability flags for both standard suites: one model, one set of claims."""

    @property
    def _profile(self) -> dict[str, object]:
        return dict(model_profile(lookup(MODEL)))

    @property
    def supports_image_inputs(self) -> bool:
        return self._profile.get("image_inputs") is True

    @property
    def supports_image_urls(self) -> bool:
        return self._profile.get("image_url_inputs") is True

    @property
    def supports_image_tool_message(self) -> bool:
        return self._profile.get("image_tool_message") is True

    @property
    def supports_pdf_inputs(self) -> bool:
        return self._profile.get("pdf_inputs") is True

    @property
    def supports_pdf_tool_message(self) -> bool:
        return self._profile.get("pdf_tool_message") is True

    @property
    def supports_audio_inputs(self) -> bool:
        return self._profile.get("audio_inputs") is True

    @property
    def supports_anthropic_inputs(self) -> bool:
        # The adapter translates Anthropic-style content blocks for every model.
        return True

    @property
    def supports_json_mode(self) -> bool:
        # response_format json_object is a Chat Completions parameter the adapter sends.
        return self._profile.get("structured_output") is True

    @property
    def model_override_value(self) -> str:
        return OVERRIDE_MODEL
