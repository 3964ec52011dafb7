"""Per-model runtime state of one replica: the slots its server has, and its latency.

A one-slot llama.cpp server given five requests at once queues four of them; the mesh
then measures the queueing as call time and times calls out that the server finishes
anyway. So each (provider, model) gets a semaphore of `max_concurrency` slots (0 = no
limit), held around the provider call only, and a latency model the call timeout follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from llm_provider.domain.latency import LatencyModel
from llm_provider.domain.manifest import ModelSpec


@dataclass
class ModelRuntime:
    spec: ModelSpec
    gate: asyncio.Semaphore | None
    latency: LatencyModel = field(default_factory=LatencyModel)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[float]:
        """Hold one of the model's slots; yields the seconds spent waiting for it."""
        started = time.monotonic()
        if self.gate is None:
            yield 0.0
            return
        async with self.gate:
            yield time.monotonic() - started


@dataclass
class ModelRuntimes:
    _by_model: dict[tuple[str, str], ModelRuntime] = field(default_factory=dict)

    def of(self, spec: ModelSpec) -> ModelRuntime:
        key = (spec.provider, spec.model_id)
        runtime = self._by_model.get(key)
        if runtime is None:
            gate = asyncio.Semaphore(spec.max_concurrency) if spec.max_concurrency > 0 else None
            runtime = self._by_model[key] = ModelRuntime(spec, gate)
        return runtime
