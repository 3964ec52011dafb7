"""A model's answer is text from outside: its justification leaves llm_provider without NUL,
other refused controls or lone surrogates (issue 20, D2's provider side)."""

from __future__ import annotations

import json

import pytest

from tests.integration.llm_provider.fake_vendor import Reply, chat_completion
from tests.integration.llm_provider.slow_server import LOCAL, local_model_env
from tests.integration.llm_provider.support import comparison, submit

pytestmark = pytest.mark.integration


async def test_a_justification_with_nul_and_a_lone_surrogate_is_published_clean(
    start_service, stub_for, results, vendor, tmp_path
):
    answer = json.dumps({"winner": "Essay A", "confidence": 4,
                         "justification": "Clear\u0000er\u0007 and \ud800 tidy.\tOK"})
    vendor.replies.append(Reply(200, chat_completion(answer)))
    app = await start_service(local_model_env(tmp_path, vendor.url, timeout_s=5.0))
    await submit(stub_for(app), comparison("r", **LOCAL))
    [result] = await results.wait_for(1)
    assert result.HasField("verdict"), result.error.message
    assert result.verdict.justification == "Clearer and \ufffd tidy.\tOK"
    assert result.attempts == 1 and len(vendor.received) == 1
