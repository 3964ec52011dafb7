"""Prometheus metrics of one llm_provider instance, in a registry of its own."""

from __future__ import annotations

import threading
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

NS = "huleedu"
_CALL_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120)
_TIMEOUT_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1200)


class Metrics:
    def __init__(self) -> None:
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        self._tally: dict[tuple[int, tuple[str, ...]], float] = {}
        self._owners: dict[tuple[int, tuple[str, ...]], Any] = {}
        self._lock = threading.Lock()
        self.registry = CollectorRegistry()
        r = self.registry
        r.register(_FlushFirst(self))  # registered first, so collected (flushed) first
        self.submissions = Counter(
            "llm_submissions_total", "Submitted comparison requests by outcome.",
            ["outcome", "reason"], namespace=NS, registry=r)
        self.provider_calls = Counter(
            "llm_provider_calls_total", "Provider calls by outcome (ok or failure kind).",
            ["provider", "model", "outcome"], namespace=NS, registry=r)
        self.call_seconds = Histogram(
            "llm_provider_call_seconds", "Provider call duration.", ["provider"],
            namespace=NS, registry=r, buckets=_CALL_BUCKETS)
        self.results = Counter(
            "llm_results_total", "Published results by outcome (verdict or error reason).",
            ["provider", "outcome"], namespace=NS, registry=r)
        self.retries = Counter(
            "llm_retries_total", "Retries scheduled with nak(delay), by failure kind.",
            ["provider", "reason"], namespace=NS, registry=r)
        self.deferrals = Counter(
            "llm_deferrals_total", "Deliveries handed back without a call (breaker, budget).",
            ["provider", "reason"], namespace=NS, registry=r)
        self.tokens = Counter(
            "llm_tokens_total", "Tokens billed, by kind.", ["provider", "model", "kind"],
            namespace=NS, registry=r)
        self.cost = Counter(
            "llm_cost_usd_total", "US dollars billed, from manifest prices.",
            ["provider", "model"], namespace=NS, registry=r)
        self.rate_limit_wait = Histogram(
            "llm_rate_limit_wait_seconds", "Time a call waited for its provider budget.",
            ["provider"], namespace=NS, registry=r, buckets=_CALL_BUCKETS)
        self.undecodable = Counter(
            "llm_undecodable_messages_total",
            "Work-queue messages terminated: undecodable, or breaking intake's limits.",
            namespace=NS, registry=r)
        self.unreadable_records = Counter(
            "llm_unreadable_records_total", "KV records skipped as unreadable, by bucket.",
            ["bucket"], namespace=NS, registry=r)
        self.in_flight = Gauge(
            "llm_worker_in_flight", "Messages a worker is processing.", namespace=NS, registry=r)
        self.breaker_opened = Counter(
            "llm_circuit_opened_total", "Times a provider circuit opened.", ["provider"],
            namespace=NS, registry=r)
        self.slot_wait = Histogram(
            "llm_model_slot_wait_seconds",
            "Time a call waited for a free slot of its model (max_concurrency).",
            ["provider", "model"], namespace=NS, registry=r, buckets=_CALL_BUCKETS)
        self.call_timeout = Histogram(
            "llm_call_timeout_seconds", "Timeout given to each provider call (adaptive).",
            ["provider", "model"], namespace=NS, registry=r, buckets=_TIMEOUT_BUCKETS)
        self.estimated_tokens = Counter(
            "llm_estimated_tokens_total",
            "Tokens counted by estimate: timed-out or cancelled calls that reported none.",
            ["provider", "model", "kind"], namespace=NS, registry=r)
        self.cancelled = Counter(
            "llm_cancelled_total", "Requests ended by CancelComparisons, by stage.",
            ["provider", "stage"], namespace=NS, registry=r)

    def add(self, metric: Any, labels: tuple[str, ...], amount: float = 1.0) -> None:
        """Count on the hot path without touching prometheus_client (its inc() takes a lock
        and validates labels every call); totals are applied whenever metrics are read."""
        key = (id(metric), labels)
        with self._lock:
            self._tally[key] = self._tally.get(key, 0.0) + amount
            self._owners[key] = metric

    def flush(self) -> None:
        with self._lock:
            tally, self._tally = self._tally, {}
        for key, amount in tally.items():
            self.child(self._owners[key], *key[1]).inc(amount)

    def child(self, metric: Any, *labels: str) -> Any:
        """`metric.labels(*labels)`, memoised: the worker's hot path asks for the same few."""
        key = (id(metric), labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found


class _FlushFirst:
    """A collector with no metrics of its own: collecting it applies the pending tallies."""

    def __init__(self, metrics: Metrics):
        self._metrics = metrics

    def collect(self) -> list[Any]:
        self._metrics.flush()
        return []
