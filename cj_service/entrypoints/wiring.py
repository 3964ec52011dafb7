"""The assessment workflow wired to its adapters. Bootstrap builds one; the servicer, the
results consumer and the background loops hand it to the use cases, each of which reads it
through the protocol that names what it uses (service/workflow/contexts.py)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cj_service.adapters.clock import SystemClock
from cj_service.adapters.db import Database
from cj_service.config import BatchDefaults, Config, PipelineSettings
from cj_service.metrics import Metrics
from cj_service.service.admin.ports import AssignmentContextSource
from cj_service.service.workflow.batch_cache import BatchCache
from cj_service.service.workflow.ports import Clock, FetchTexts, JudgeClient, Store

T = TypeVar("T")


@dataclass
class Workflow:
    config: Config
    db: Database  # the store's engine, disposed when the app stops
    store: Store
    metrics: Metrics
    judge: JudgeClient
    fetch_texts: FetchTexts
    assignments: AssignmentContextSource
    kick: Callable[[str], None]  # Dispatcher.kick
    notify_outbox: Callable[[], None]  # OutboxRelay.notify
    cancel_group: Callable[[str, str], None]  # GroupCanceller.request
    # the largest message NATS takes (its INFO max_payload): every request must fit
    max_payload: int
    fit_pool: Executor | None = None  # where fits run; None = the loop's default executor
    clock: Clock = field(default_factory=SystemClock)
    cache: BatchCache = field(default_factory=BatchCache)  # CPU only; see batch_cache.py

    @property
    def pipeline(self) -> PipelineSettings:
        return self.config.pipeline

    @property
    def defaults(self) -> BatchDefaults:
        return self.config.defaults

    @property
    def default_judge(self) -> str:
        return self.config.default_judge

    async def off_loop(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a fit (CPU-bound, numpy) in the fit pool, off the event loop."""
        call = functools.partial(fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self.fit_pool, call)
