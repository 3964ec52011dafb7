"""JetStream streams and durable consumers of the mesh, declared once with a full config.

A `Namespace` prefixes every subject and stream name so tests (and tenants) can run side by
side on one NATS server without seeing each other's messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError

from contracts import subjects

DAY = 86_400.0


@dataclass(frozen=True)
class Namespace:
    """Prefix for subjects (`<prefix>.huleedu...`) and stream names (`<PREFIX>_HULEEDU...`)."""

    prefix: str = ""

    def subject(self, subject: str) -> str:
        return f"{self.prefix}.{subject}" if self.prefix else subject

    def name(self, name: str) -> str:
        return f"{self.prefix.upper()}_{name}" if self.prefix else name


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    retention: RetentionPolicy
    max_age: float
    duplicate_window: float
    max_msgs: int = -1
    replicas: int = 1
    discard: DiscardPolicy = DiscardPolicy.OLD

    def config(self) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            subjects=list(self.subjects),
            retention=self.retention,
            max_age=self.max_age,
            duplicate_window=self.duplicate_window,
            max_msgs=self.max_msgs,
            num_replicas=self.replicas,
            discard=self.discard,
            storage=StorageType.FILE,
        )


@dataclass(frozen=True)
class ConsumerSpec:
    stream: str
    durable: str
    filter_subject: str
    ack_wait: float
    max_deliver: int
    max_ack_pending: int
    backoff: tuple[float, ...] = field(default=())

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            filter_subject=self.filter_subject,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_deliver=self.max_deliver,
            max_ack_pending=self.max_ack_pending,
            backoff=list(self.backoff) or None,
        )


def llm_requests_stream(ns: Namespace, *, max_msgs: int = 100_000, replicas: int = 1) -> StreamSpec:
    """Work queue: each accepted request is delivered to exactly one worker until acked.

    The hour-long duplicate window makes a resubmitted request_id a no-op.
    """
    return StreamSpec(
        name=ns.name("HULEEDU_LLM_REQUESTS"),
        subjects=(ns.subject(subjects.LLM_REQUESTS),),
        retention=RetentionPolicy.WORK_QUEUE,
        max_age=DAY,
        duplicate_window=3_600.0,
        max_msgs=max_msgs,
        replicas=replicas,
        discard=DiscardPolicy.NEW,
    )


def llm_results_stream(ns: Namespace, *, replicas: int = 1) -> StreamSpec:
    return StreamSpec(
        name=ns.name("HULEEDU_LLM_RESULTS"),
        subjects=(ns.subject(subjects.LLM_RESULTS_ALL), ns.subject(subjects.LLM_USAGE)),
        retention=RetentionPolicy.LIMITS,
        max_age=7 * DAY,
        duplicate_window=3_600.0,
        replicas=replicas,
    )


def cj_events_stream(ns: Namespace, *, replicas: int = 1) -> StreamSpec:
    return StreamSpec(
        name=ns.name("HULEEDU_CJ_EVENTS"),
        subjects=(ns.subject(subjects.CJ_EVENTS_ALL),),
        retention=RetentionPolicy.LIMITS,
        max_age=30 * DAY,
        duplicate_window=3_600.0,
        replicas=replicas,
    )


def llm_workers_consumer(
    ns: Namespace, *, ack_wait: float = 60.0, max_ack_pending: int = 1_000
) -> ConsumerSpec:
    """Shared by every llm_provider replica; retries are paced by the worker's nak(delay)."""
    return ConsumerSpec(
        stream=ns.name("HULEEDU_LLM_REQUESTS"),
        durable="llm-workers",
        filter_subject=ns.subject(subjects.LLM_REQUESTS),
        ack_wait=ack_wait,
        max_deliver=-1,
        max_ack_pending=max_ack_pending,
    )


def cj_results_consumer(
    ns: Namespace, *, ack_wait: float = 30.0, max_ack_pending: int = 5_000
) -> ConsumerSpec:
    """JetStream uses backoff[i] as the ack wait of delivery i+1, so the first step is ack_wait
    itself: a shorter one would redeliver results that are still being applied."""
    return ConsumerSpec(
        stream=ns.name("HULEEDU_LLM_RESULTS"),
        durable="cj-results",
        filter_subject=ns.subject(subjects.results_subject(subjects.CJ_RESULTS_KEY)),
        ack_wait=ack_wait,
        max_deliver=50,
        max_ack_pending=max_ack_pending,
        backoff=(ack_wait, 2 * ack_wait, 4 * ack_wait, 10 * ack_wait),
    )


_COMPARED = (
    "subjects",
    "retention",
    "max_age",
    "duplicate_window",
    "max_msgs",
    "num_replicas",
    "discard",
)


def drift(actual: StreamConfig, wanted: StreamConfig) -> list[str]:
    """Names of the fields where a live stream differs from its declaration."""
    return [f for f in _COMPARED if _norm(getattr(actual, f)) != _norm(getattr(wanted, f))]


def _norm(value: object) -> object:
    return sorted(value) if isinstance(value, list) else value


async def ensure_stream(js: JetStreamContext, spec: StreamSpec) -> str:
    """Create the stream, or fix config drift; returns 'created', 'updated' or 'unchanged'.

    Retention cannot change on a live stream; that drift raises so an operator decides.
    """
    wanted = spec.config()
    try:
        info = await js.stream_info(spec.name)
    except NotFoundError:
        await js.add_stream(wanted)
        return "created"
    changed = drift(info.config, wanted)
    if not changed:
        return "unchanged"
    if "retention" in changed:
        raise RuntimeError(
            f"stream {spec.name} has retention {info.config.retention}, want {spec.retention}"
        )
    await js.update_stream(replace_config(info.config, wanted))
    return "updated"


def replace_config(actual: StreamConfig, wanted: StreamConfig) -> StreamConfig:
    updates = {f: getattr(wanted, f) for f in _COMPARED}
    return replace(actual, **updates)


async def ensure_consumer(js: JetStreamContext, spec: ConsumerSpec) -> str:
    """Create the durable consumer or update its mutable settings."""
    try:
        await js.consumer_info(spec.stream, spec.durable)
        existed = True
    except NotFoundError:
        existed = False
    await js.add_consumer(spec.stream, spec.config())
    return "updated" if existed else "created"
