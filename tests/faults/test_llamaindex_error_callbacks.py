"""A gateway error reaches LlamaIndex's callback handlers as the typed error, then is raised.

(Which error each status becomes, for every call style, is in test_fault_matrix.py.)
"""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.callbacks import CallbackManager, CBEventType, LlamaDebugHandler

from llama_index_skillboss import SkillBoss
from skillboss_core import GatewayAuthenticationError
from tests.support.scripted_gateway import Fault, ScriptedGateway


def test_errors_reach_callback_handlers(gateway_server: ScriptedGateway) -> None:
    gateway_server.enqueue(Fault.status(401))  # the gateway's answer: a wrong key
    debug = LlamaDebugHandler()
    model = SkillBoss(
        api_key="sb-wholesale-test-0123456789abcdef",
        api_base=gateway_server.base_url,
        max_retries=0,
        callback_manager=CallbackManager([debug]),
    )
    with pytest.raises(GatewayAuthenticationError) as caught:
        model.chat([ChatMessage(role="user", content="Say hello.")])
    [(_, end)] = debug.get_event_pairs(CBEventType.LLM)
    assert end.payload is not None
    assert end.payload["exception"] is caught.value
    assert len(gateway_server.requests) == 1
