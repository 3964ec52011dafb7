"""Prometheus metrics of cj_service, on a registry of their own (several instances per process)."""

from __future__ import annotations

from socketserver import ThreadingMixIn
from threading import Thread
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app

NS = "huleedu"
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600)
_DURATION_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400)
_REFIT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.batches = Gauge(
            "cj_batches",
            "Batches by state (from the database)",
            ["state"],
            namespace=NS,
            registry=r,
        )
        self.batch_transitions = Counter(
            "cj_batch_transitions_total",
            "Batches entering a state",
            ["state", "reason"],
            namespace=NS,
            registry=r,
        )
        self.comparisons = Counter(
            "cj_comparisons_total",
            "Comparison outcomes applied or ignored",
            ["outcome"],
            namespace=NS,
            registry=r,
        )
        self.callback_latency = Histogram(
            "cj_callback_latency_seconds",
            "From submission to llm_provider until the result is applied",
            namespace=NS,
            registry=r,
            buckets=_LATENCY_BUCKETS,
        )
        self.batch_duration = Histogram(
            "cj_batch_duration_seconds",
            "From submission to completion or failure",
            namespace=NS,
            registry=r,
            buckets=_DURATION_BUCKETS,
        )
        self.refit_duration = Histogram(
            "cj_refit_duration_seconds",
            "Bradley-Terry refits",
            ["kind"],
            namespace=NS,
            registry=r,
            buckets=_REFIT_BUCKETS,
        )
        self.top_ups = Counter(
            "cj_top_ups_total", "Waves/top-ups of new comparisons planned", namespace=NS, registry=r
        )
        self.planned = Counter(
            "cj_comparisons_planned_total",
            "Comparisons planned",
            ["kind"],
            namespace=NS,
            registry=r,
        )
        self.in_flight = Gauge(
            "cj_comparisons_in_flight",
            "Comparisons submitted and not yet answered",
            namespace=NS,
            registry=r,
        )
        self.messages = Counter(
            "cj_result_messages_total",
            "Result messages consumed",
            ["outcome"],
            namespace=NS,
            registry=r,
        )
        self.dispatched = Counter(
            "cj_comparisons_dispatched_total",
            "SubmitComparisons outcomes per request",
            ["outcome"],
            namespace=NS,
            registry=r,
        )
        self.outbox_published = Counter(
            "cj_outbox_published_total",
            "Outbox events relayed to JetStream",
            ["kind"],
            namespace=NS,
            registry=r,
        )
        self.outbox_dead_lettered = Counter(
            "cj_outbox_dead_lettered_total",
            "Outbox events that can never be published, set aside (docs/events.md)",
            ["kind"],
            namespace=NS,
            registry=r,
        )
        self.watchdog = Counter(
            "cj_watchdog_actions_total",
            "Watchdog finalizations and failures; error: a batch it could not check",
            ["action"],
            namespace=NS,
            registry=r,
        )

    def serve(self, port: int, host: str = "127.0.0.1") -> int:
        """Start the /metrics HTTP server on a thread; returns the bound port (0 picks one)."""
        app = make_wsgi_app(self.registry)
        self._httpd = make_server(host, port, app, _ThreadingServer, handler_class=_QuietHandler)
        # A short poll interval keeps shutdown (which waits for the poll) quick.
        self._thread = Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="cj-metrics",
        )
        self._thread.start()
        return int(self._httpd.server_port)

    def close(self) -> None:
        httpd = getattr(self, "_httpd", None)
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
            self._thread.join(timeout=5)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib name)
        """Scrapes are not worth a log line each."""


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
