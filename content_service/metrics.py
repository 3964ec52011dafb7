"""Prometheus metrics of one service instance, on a registry of its own.

Built in bootstrap (never at import), so several instances can live in one test process.
Labels are bounded: operation and outcome names, never content ids.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from threading import Thread
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app

NAMESPACE = "huleedu"
SUBSYSTEM = "content"
_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@dataclass
class Observation:
    """Filled in by the code being timed; ``outcome`` labels the operation's counter."""

    outcome: str = "ok"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        common: dict[str, Any] = {
            "namespace": NAMESPACE, "subsystem": SUBSYSTEM, "registry": self.registry
        }
        self.operations = Counter(
            "operations", "Content operations by outcome (ok, created, deduplicated, replayed, "
            "or the lower-case error reason).", ["operation", "outcome"], **common,
        )
        self.latency = Histogram(
            "operation_duration_seconds", "Time spent serving one content operation.",
            ["operation"], buckets=_LATENCY_BUCKETS, **common,
        )
        self.bytes_stored = Counter(
            "stored_bytes", "Bytes of content newly stored (deduplicated uploads add nothing).",
            **common,
        )
        self.bytes_served = Counter(
            "served_bytes", "Bytes of content returned by Get and BatchGet.", **common
        )
        self.missing_ids = Counter(
            "batch_missing_ids", "Ids asked for by BatchGet that are not stored.", **common
        )
        self.database_up = Gauge(
            "database_up", "1 while the last database probe succeeded, else 0.", **common
        )

    @contextmanager
    def observe(self, operation: str) -> Iterator[Observation]:
        """Time the block and count it under the outcome it sets (``error`` if it raises)."""
        observation = Observation()
        started = time.perf_counter()
        try:
            yield observation
        except BaseException:
            if observation.outcome == "ok":
                observation.outcome = "error"
            raise
        finally:
            self.latency.labels(operation).observe(time.perf_counter() - started)
            self.operations.labels(operation, observation.outcome).inc()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib name)
        """Scrapes are not worth a log line each."""


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@dataclass
class MetricsServer:
    """The /metrics HTTP endpoint on a thread of its own."""

    httpd: WSGIServer
    thread: Thread

    @property
    def port(self) -> int:
        return int(self.httpd.server_port)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def serve_metrics(metrics: Metrics, *, host: str, port: int) -> MetricsServer:
    app = make_wsgi_app(metrics.registry)
    httpd = make_server(host, port, app, _ThreadingServer, handler_class=_QuietHandler)
    # A short poll interval keeps shutdown (which waits for the poll) quick.
    thread = Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                    name="content-metrics")
    thread.start()
    return MetricsServer(httpd, thread)
