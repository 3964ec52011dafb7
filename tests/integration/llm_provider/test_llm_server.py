"""The running service: health, reflection, metrics, `python -m llm_provider` and SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from contracts import channels
from deploy.local.procs import free_port
from tests.fixtures import wait_until
from tests.integration.llm_provider.support import comparison, submit

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


async def test_health_reflection_and_metrics_are_served(start_service, stub_for, results):
    app = await start_service()
    await submit(stub_for(app), comparison("m1", model="simulated-priced"))
    await results.wait_for(1)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{app.grpc_port}") as channel:
        health = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=channels.LLM_PROVIDER_SERVICE))
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        async for reply in stub.ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")])):
            names = [s.name for s in reply.list_services_response.service]
            assert channels.LLM_PROVIDER_SERVICE in names
    text = urllib.request.urlopen(f"http://127.0.0.1:{app.metrics_port}/metrics").read().decode()
    assert 'huleedu_llm_results_total{outcome="verdict",provider="simulated"} 1.0' in text
    assert "huleedu_llm_cost_usd_total" in text and "huleedu_llm_provider_call_seconds" in text


def test_migrate_is_a_no_op_because_there_is_no_database():
    done = subprocess.run([sys.executable, "-m", "llm_provider", "migrate"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "nothing to migrate" in done.stderr


async def test_the_process_serves_and_stops_cleanly_on_sigterm(nats_url, namespace):
    port = free_port()
    env = {**os.environ, "NATS_URL": nats_url, "NATS_NAMESPACE": namespace.prefix,
           "LLM_PROVIDER_GRPC_PORT": str(port), "LLM_PROVIDER_METRICS_PORT": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "llm_provider"], cwd=ROOT, env=env)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)

            async def serving() -> bool:
                reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                return reply.status == health_pb2.HealthCheckResponse.SERVING

            await wait_until(serving, timeout=30, message="llm_provider SERVING")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
