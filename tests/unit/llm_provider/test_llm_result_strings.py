"""Provider-supplied strings leave llm_provider clean (issue 20, D2's provider side): no NUL
or other refused control, and no lone surrogate (which protobuf cannot even encode)."""

from __future__ import annotations

import json

from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.domain import errors
from llm_provider.domain.errors import ProviderFailure
from llm_provider.domain.verdict import Verdict
from llm_provider.service import outcomes

DIRTY = "Clear\x00er\x07 argument\x1b[31m, ok\ttab\r\nnext" + json.loads('"\\ud800"') + "."


def test_a_justification_with_nul_controls_and_a_lone_surrogate_is_published_clean():
    state = llm_pb2.ComparisonResult(request_id="r")
    outcomes.record_verdict(state, Verdict("A", 4, DIRTY))
    text = state.verdict.justification
    assert text == "Clearer argument[31m, ok\ttab\r\nnext\ufffd."
    assert state.SerializeToString()  # encodable: a lone surrogate would raise here


def test_a_provider_error_message_is_published_clean():
    state = llm_pb2.ComparisonResult(request_id="r")
    outcomes.record_error(state, ProviderFailure(errors.CONTENT_FILTERED, f"refused: {DIRTY}"))
    assert "\x00" not in state.error.message and "\x07" not in state.error.message
    assert state.SerializeToString()
