"""Helpers for llm_provider integration tests: request builders, a results reader, and a
scripted provider (a fake of the Provider port; NATS, workers and gRPC stay real)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import nats
from google.protobuf.duration_pb2 import Duration

from contracts import headers, subjects
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.events.v1 import events_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from contracts.streams import Namespace
from llm_provider.adapters.providers.base import Provider, ProviderCall, ProviderReply
from llm_provider.domain.errors import ProviderFailure
from llm_provider.domain.usage import Usage
from llm_provider.domain.verdict import Verdict
from tests.fixtures import wait_until

SMALL_MAX_PAYLOAD = 64 * 1024  # the max_payload of the `small_nats_url` server


def comparison(request_id: str, *, provider: str = "simulated", model: str = "simulated-judge",
               key: str = "cj", ttl_s: float = 0.0, essay_a: str = "A fine essay on rivers.",
               essay_b: str = "A weaker essay.", **judge: object) -> llm_pb2.ComparisonRequest:
    request = llm_pb2.ComparisonRequest(
        request_id=request_id, results_subject_key=key, metadata={"batch": "b1"},
        correlation_id=f"corr-{request_id}",
        prompt=llm_pb2.PromptParts(
            system_prompt="You are an experienced examiner.",
            context_blocks=[llm_pb2.ContextBlock(label="rubric", text="Judge argument quality.",
                                                 cacheable=True)],
            essay_a_text=essay_a, essay_b_text=essay_b),
        judge=common_pb2.JudgeConfig(provider=provider, model=model, **judge),  # type: ignore[arg-type]
    )
    if ttl_s:
        request.ttl.CopyFrom(Duration(seconds=int(ttl_s), nanos=int((ttl_s % 1) * 1e9)))
    return request


async def submit(stub, *requests: llm_pb2.ComparisonRequest) -> list[llm_pb2.SubmissionOutcome]:
    response = await stub.SubmitComparisons(llm_pb2.SubmitComparisonsRequest(requests=requests))
    return list(response.outcomes)


class ResultsReader:
    """Reads every message of the namespace's results stream (results and usage events)."""

    def __init__(self, nats_url: str, ns: Namespace):
        self._url, self._ns = nats_url, ns
        self._nc: nats.NATS | None = None

    async def _messages(self) -> list[tuple[str, object]]:
        if self._nc is None:
            self._nc = await nats.connect(self._url)
        js = self._nc.jetstream()
        stream = self._ns.name("HULEEDU_LLM_RESULTS")
        state = (await js.stream_info(stream)).state
        found = []
        for seq in range(state.first_seq, state.last_seq + 1) if state.messages else ():
            raw = await js.get_msg(stream, seq)
            found.append((raw.subject, headers.decode(raw.data, raw.headers)))
        return found

    async def results(self) -> list[llm_pb2.ComparisonResult]:
        return [m for _, m in await self._messages() if isinstance(m, llm_pb2.ComparisonResult)]

    async def usage_events(self) -> list[events_pb2.LLMUsageRecorded]:
        return [m for _, m in await self._messages() if isinstance(m, events_pb2.LLMUsageRecorded)]

    async def subjects_of_results(self) -> list[str]:
        return [s for s, m in await self._messages() if isinstance(m, llm_pb2.ComparisonResult)]

    async def wait_for(self, count: int, *,
                       timeout: float = 15.0) -> list[llm_pb2.ComparisonResult]:
        async def enough() -> list[llm_pb2.ComparisonResult] | None:
            found = await self.results()
            return found if len(found) >= count else None
        return await wait_until(enough, timeout=timeout, message=f"{count} results")

    async def close(self) -> None:
        if self._nc is not None:
            await self._nc.close()


def results_subject(ns: Namespace, key: str = "cj") -> str:
    return ns.subject(subjects.results_subject(key))


def once_each(results: list[llm_pb2.ComparisonResult]) -> bool:
    return all(n == 1 for n in Counter(r.request_id for r in results).values())


@dataclass
class ScriptedProvider(Provider):
    """Fails the first calls as scripted, then answers "Essay A"; records every call."""

    name: str = "simulated"
    per_request: dict[str, list[ProviderFailure]] = field(default_factory=dict)
    in_order: list[ProviderFailure] = field(default_factory=list)
    delay_s: float = 0.0
    hold: asyncio.Event | None = None
    calls: list[tuple[str, int, float]] = field(default_factory=list)

    def payload(self, call: ProviderCall) -> dict[str, object]:
        return {"model": call.spec.model_id, "user": call.prompt.user_text()}

    async def judge(self, call: ProviderCall) -> ProviderReply:
        self.calls.append((call.request_id, call.attempt, time.monotonic()))
        if self.hold is not None:
            await self.hold.wait()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        scripted = self.per_request.get(call.request_id)
        if scripted:
            raise scripted.pop(0)
        if self.in_order:
            raise self.in_order.pop(0)
        return ProviderReply(Verdict("A", 4, "A argues better."), Usage(100, 20))

    def calls_for(self, request_id: str) -> int:
        return sum(1 for rid, _, _ in self.calls if rid == request_id)


def provider_call(provider: str, model: str, *, temperature: float | None = None,
                  reasoning_effort: str = "", verbosity: str = "",
                  max_tokens: int = 800) -> ProviderCall:
    from llm_provider.domain.manifest import build_manifest
    from llm_provider.domain.prompt import Block, Prompt

    spec = build_manifest().get(provider, model)
    assert spec is not None
    prompt = Prompt("You are an examiner.",
                    (Block("Instructions: argue.", cacheable=True),
                     Block("Rubric: clarity.", True)),
                    "Essay text one.", "Essay text two.", "c0dec0dec0dec0de")
    return ProviderCall("req-1", spec, prompt, temperature, max_tokens,
                        reasoning_effort=reasoning_effort, verbosity=verbosity)


def http_settings(name: str, url: str, *, key: str = "sk-test", timeout_s: float = 5.0):
    from llm_provider.config import ProviderSettings

    return ProviderSettings(name, True, api_key=key, base_url=url, timeout_s=timeout_s)
