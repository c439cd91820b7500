"""What a gateway's own `GET /models` says about each model, as catalog facts.

Some OpenAI-compatible gateways describe each model in their list (OpenRouter, Together,
vLLM, LiteLLM's proxy): a window, an output cap, supported parameters, input modalities.
Where the gateway says so it knows best (it serves the model), so these facts take
precedence over the catalog's; where it says nothing, nothing is assumed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_WINDOW_KEYS = ("context_length", "context_window", "max_context_length", "max_model_len")
_INPUT_KEYS = ("max_input_tokens",)
_OUTPUT_KEYS = ("max_output_tokens", "max_completion_tokens")
# `supported_parameters` entries (OpenRouter's vocabulary) -> ModelInfo fields.
_PARAMETERS = {
    "tools": "supports_tools",
    "parallel_tool_calls": "supports_parallel_tool_calls",
    "structured_outputs": "supports_json_schema",
    "reasoning": "supports_reasoning",
}
_MODALITIES = {"image": "supports_vision", "audio": "supports_audio", "file": "supports_pdf"}
# `capabilities` flags (LiteLLM proxy and others) -> ModelInfo fields.
_FLAGS = {
    "function_calling": "supports_tools",
    "tools": "supports_tools",
    "parallel_function_calling": "supports_parallel_tool_calls",
    "response_schema": "supports_json_schema",
    "json_schema": "supports_json_schema",
    "vision": "supports_vision",
    "audio_input": "supports_audio",
    "pdf_input": "supports_pdf",
    "reasoning": "supports_reasoning",
}


def _positive_int(*candidates: Any) -> int | None:
    for value in candidates:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def listed_facts(entry: Mapping[str, Any]) -> dict[str, Any]:
    """ModelInfo fields one /models entry states; empty when it states none."""
    facts: dict[str, Any] = {}
    provider = entry.get("top_provider")
    provider = provider if isinstance(provider, Mapping) else {}
    window = _positive_int(
        *(entry.get(key) for key in _INPUT_KEYS + _WINDOW_KEYS), provider.get("context_length")
    )
    if window:
        facts["context_window"] = window
    output = _positive_int(
        *(entry.get(key) for key in _OUTPUT_KEYS), provider.get("max_completion_tokens")
    )
    if output:
        facts["max_output_tokens"] = output
    parameters = entry.get("supported_parameters")
    if isinstance(parameters, list):
        for name, field in _PARAMETERS.items():
            facts[field] = name in parameters
        if "response_format" in parameters and "structured_outputs" not in parameters:
            facts["supports_json_schema"] = False  # JSON mode only
    architecture = entry.get("architecture")
    modalities = architecture.get("input_modalities") if isinstance(architecture, Mapping) else None
    if isinstance(modalities, list):
        for name, field in _MODALITIES.items():
            facts[field] = name in modalities
    capabilities = entry.get("capabilities")
    if isinstance(capabilities, Mapping):
        for name, field in _FLAGS.items():
            if isinstance(capabilities.get(name), bool):
                facts[field] = capabilities[name]
    return facts
