"""The core's model catalog as a LangChain `ModelProfile` (what `model.profile` reports)."""

from __future__ import annotations

from langchain_core.language_models import ModelProfile

from skillboss_core.catalog.models import ModelInfo


def model_profile(info: ModelInfo) -> ModelProfile:
    """The catalog's facts for one model (conservative defaults for unknown ids)."""
    profile = ModelProfile(
        max_input_tokens=info.context_window,
        max_output_tokens=info.max_output_tokens,
        text_inputs=True,
        text_outputs=True,
        image_inputs=info.supports_vision,
        image_url_inputs=info.supports_vision,
        pdf_inputs=info.supports_pdf,
        audio_inputs=info.supports_audio,
        video_inputs=False,
        image_tool_message=info.supports_vision,
        pdf_tool_message=info.supports_pdf,
        reasoning_output=info.supports_reasoning,
        tool_calling=info.supports_tools,
        tool_choice=info.supports_tools,
        tool_call_streaming=info.supports_tools,
        structured_output=info.supports_json_schema,
    )
    if info.supports_reasoning:
        profile["reasoning_effort_levels"] = ["minimal", "low", "medium", "high"]
    return profile
