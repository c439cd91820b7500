"""skillboss_core.catalog.listing: a gateway's /models entry turned into model facts (no I/O).

Fetching, caching and both adapters seeing the facts over HTTP are in
tests/integration/test_model_listing.py.
"""

from __future__ import annotations

from skillboss_core.catalog.listing import listed_facts

# OpenRouter's shape: a window, an output cap, parameters and modalities.
DESCRIBED = {
    "context_length": 12_345,
    "top_provider": {"max_completion_tokens": 678},
    "supported_parameters": ["tools", "response_format"],
    "architecture": {"input_modalities": ["text"]},
}


def test_a_described_model_turns_into_facts() -> None:
    assert listed_facts(DESCRIBED) == {
        "context_window": 12_345,
        "max_output_tokens": 678,
        "supports_tools": True,
        "supports_parallel_tool_calls": False,
        "supports_json_schema": False,  # response_format without structured_outputs
        "supports_reasoning": False,
        "supports_vision": False,
        "supports_audio": False,
        "supports_pdf": False,
    }
    assert listed_facts({"id": "x", "object": "model", "owned_by": "openai"}) == {}
    assert listed_facts({"capabilities": {"vision": True}, "max_model_len": 8192}) == {
        "context_window": 8192,
        "supports_vision": True,
    }
