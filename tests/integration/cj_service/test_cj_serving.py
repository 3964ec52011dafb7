"""What every server carries: health, reflection, /metrics, `python -m cj_service`, SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.fixtures import unique_name, wait_until
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403

pytestmark = pytest.mark.integration


async def test_health_reports_serving_for_both_services(cj):
    stub = health_pb2_grpc.HealthStub(cj.channel)
    for service in ("", "huleedu.cj.v1.CJAssessmentService", "huleedu.cj.v1.CJAdminService"):
        response = await stub.Check(health_pb2.HealthCheckRequest(service=service))
        assert response.status == health_pb2.HealthCheckResponse.SERVING


async def test_reflection_lists_the_assessment_and_admin_services(cj):
    stub = reflection_pb2_grpc.ServerReflectionStub(cj.channel)

    async def requests():
        yield reflection_pb2.ServerReflectionRequest(list_services="")

    async for response in stub.ServerReflectionInfo(requests()):
        names = {s.name for s in response.list_services_response.service}
        assert {"huleedu.cj.v1.CJAssessmentService", "huleedu.cj.v1.CJAdminService"} <= names
        break


async def test_metrics_are_served_over_http(cj):
    await cj.submit(3)
    async with httpx.AsyncClient() as client:
        body = (await client.get(f"http://127.0.0.1:{cj.app.metrics_port}/metrics")).text
    for name in (
        "huleedu_cj_batch_transitions_total",
        "huleedu_cj_comparisons_planned_total",
        "huleedu_cj_callback_latency_seconds",
        "huleedu_cj_refit_duration_seconds",
        "huleedu_cj_batch_duration_seconds",
        "huleedu_cj_comparisons_in_flight",
    ):
        assert name in body


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_python_m_cj_service_serves_and_stops_on_sigterm(fresh_database, nats_url):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database(),
        "NATS_URL": nats_url,
        "NATS_NAMESPACE": unique_name("main"),
        "CJ_GRPC_PORT": str(port),
        "CJ_METRICS_PORT": "0",
        "CONTENT_ADDR": "127.0.0.1:1",
        "LLM_PROVIDER_ADDR": "127.0.0.1:1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "cj_service"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)

            async def serving():
                r = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                return r.status == health_pb2.HealthCheckResponse.SERVING

            await wait_until(serving, timeout=30, message="cj_service serving")
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 30)
        assert code == 0, proc.stderr.read().decode()[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()


async def test_python_m_cj_service_migrate_only_migrates(fresh_database):
    env = {**os.environ, "DATABASE_URL": fresh_database()}
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "cj_service", "migrate"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
