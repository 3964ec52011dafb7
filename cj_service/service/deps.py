"""What the use cases need from the outside world, wired once in bootstrap."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cj_service.adapters.db import Database
from cj_service.adapters.llm_client import LLMClient
from cj_service.config import Config
from cj_service.metrics import Metrics
from cj_service.service.batch_cache import BatchCache

T = TypeVar("T")
FetchTexts = Callable[[Sequence[str]], Awaitable[Mapping[str, str]]]


@dataclass
class Deps:
    config: Config
    db: Database
    metrics: Metrics
    llm: LLMClient
    fetch_texts: FetchTexts  # any number of ids, fetched in chunks: {id: text}, missing left out
    admin_source: Any = None  # AssignmentContextSource (admin repository), None until wired
    kick: Callable[[str], None] = lambda batch_id: None  # dispatch a batch's PENDING rows
    notify_outbox: Callable[[], None] = lambda: None  # wake the outbox relay
    # tell llm_provider a batch ended (group id, reason): provider_cancel.GroupCanceller
    cancel_group: Callable[[str, str], None] = lambda group_id, reason: None
    cache: BatchCache = field(default_factory=BatchCache)  # CPU only; see batch_cache.py
    fit_pool: Executor | None = None  # where fits run; None = the loop's default executor
    # the largest message NATS takes (its INFO max_payload): every request and event must fit
    max_payload: int = 1024 * 1024

    async def off_loop(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a fit (CPU-bound, numpy) in the fit pool, off the event loop."""
        call = functools.partial(fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self.fit_pool, call)
