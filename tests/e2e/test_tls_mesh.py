"""The whole mesh over mutual TLS, from a CA the test generates: gRPC between every service
and the caller, and NATS (a TLS-only nats-server that demands client certificates).

A batch runs to completion through content -> cj -> llm_provider -> NATS -> cj, its events
arrive once, and a caller without a certificate from the CA is refused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import grpc
import nats
import pytest

from cj_service import bootstrap as cj_bootstrap
from cj_service.config import Config as CJConfig
from content_service import bootstrap as content_bootstrap
from content_service.config import Config as ContentConfig
from contracts import channels, subjects
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.streams import Namespace
from contracts.tls import TlsConfig, nats_ssl_context
from deploy.local.nats_infra import NatsServer, start_nats_server
from deploy.local.procs import poll, port_open
from llm_provider import bootstrap as llm_bootstrap
from llm_provider.config import Config as LLMConfig
from tests.e2e.chaos_support_client import Caller, cj_events, essay_text
from tests.fixtures import unique_name, wait_until
from tests.fixtures.pki import make_pki

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
LEAVES = ("content", "llm_provider", "cj", "nats", "caller", "stranger")


@pytest.fixture
def pki(tmp_path):
    return make_pki(tmp_path, leaves=LEAVES)


def _tls_env(pki: dict, leaf: str) -> dict[str, str]:
    cert, key = pki[leaf]
    return {
        "HULEEDU_TLS_CERT": cert, "HULEEDU_TLS_KEY": key, "HULEEDU_TLS_CA": pki["ca"],
        "HULEEDU_TLS_CLIENT_AUTH": "true",
        "NATS_TLS_CERT": cert, "NATS_TLS_KEY": key, "NATS_TLS_CA": pki["ca"],
    }


@pytest.fixture
def tls_nats(pki, tmp_path) -> Iterator[NatsServer]:
    """A JetStream nats-server that speaks TLS only and verifies client certificates."""
    cert, key = pki["nats"]
    tls_args = ("--tls", "--tlscert", cert, "--tlskey", key, "--tlscacert", pki["ca"],
                "--tlsverify")
    server = start_nats_server(tmp_path / "nats", extra_args=tls_args, wait=False)
    try:
        assert poll(lambda: port_open("127.0.0.1", server.port), timeout=20)
        yield server
    finally:
        server.stop(grace=5)


@pytest.fixture
async def tls_mesh(pki, tls_nats, database_url, fresh_database):
    ns = Namespace(unique_name("tls"))
    shared = {"NATS_URL": f"tls://127.0.0.1:{tls_nats.port}", "NATS_NAMESPACE": ns.prefix}
    content_tls = TlsConfig.from_env(_tls_env(pki, "content"))
    content = await content_bootstrap.start(ContentConfig(
        database_url=database_url, grpc_port=0, metrics_port=0, shutdown_grace_s=0.2,
        tls=content_tls,
    ))
    llm = await llm_bootstrap.start(LLMConfig.from_env({
        **shared, **_tls_env(pki, "llm_provider"),
        "LLM_PROVIDER_GRPC_PORT": "0", "LLM_PROVIDER_METRICS_PORT": "0",
    }))
    cj = await cj_bootstrap.start(CJConfig.from_env({
        **shared, **_tls_env(pki, "cj"), "CJ_DATABASE_URL": fresh_database(),
        "CJ_GRPC_PORT": "0", "CJ_METRICS_PORT": "0",
        "CONTENT_ADDR": content.address, "LLM_PROVIDER_ADDR": f"127.0.0.1:{llm.grpc_port}",
        "HULEEDU_INSTANCE_ID": unique_name("cj"),
    }))
    yield ns, shared["NATS_URL"], content, cj
    await cj.stop(grace=0)
    await llm.stop(grace=0)
    await content.stop(grace=0)


def _caller(pki: dict, content_addr: str, cj_addr: str, leaf: str | None) -> Caller:
    tls = TlsConfig.from_env(_tls_env(pki, leaf)) if leaf else TlsConfig(ca_file=pki["ca"])
    return Caller(
        channels.channel(content_addr, [channels.CONTENT_SERVICE], tls),
        channels.channel(cj_addr, [channels.CJ_ASSESSMENT_SERVICE], tls),
        rpc_timeout_s=10,
    )


async def test_a_batch_completes_over_mutual_tls_and_publishes_each_event_once(pki, tls_mesh):
    ns, nats_url, content, cj = tls_mesh
    caller = _caller(pki, content.address, cj.address, "caller")
    ids = await caller.upload([essay_text("tls", i) for i in range(8)])
    batch_id = await caller.submit(
        ids, stopping=cj_pb2.StoppingOptions(budget=30, target_reliability=0.99, max_in_flight=12)
    )
    done = await caller.wait_finished([batch_id], timeout_s=90)
    assert done[batch_id].state == cj_pb2.ASSESSMENT_STATE_COMPLETED, done[batch_id].detail
    assert done[batch_id].progress.comparisons_done > 0
    nc = await nats.connect(nats_url, tls=nats_ssl_context(_tls_env(pki, "caller")))
    try:
        async def relayed() -> Counter:
            kinds = Counter(s for s, _ in await cj_events(nc, ns))
            return kinds if len(kinds) >= 3 else Counter()

        kinds = await wait_until(relayed, timeout=20, interval=0.5, message="events relayed")
    finally:
        await nc.close()
    assert kinds == {
        ns.subject(subjects.CJ_ASSESSMENT_COMPLETED): 1,
        ns.subject(subjects.CJ_ASSESSMENT_RESULT): 1,
        ns.subject(subjects.CJ_RESOURCE_CONSUMPTION): 1,
    }
    await caller.content_channel.close()
    await caller.cj_channel.close()


@pytest.mark.parametrize("leaf", [None, "stranger"], ids=["no-certificate", "foreign-ca"])
async def test_a_caller_without_a_certificate_from_the_mesh_ca_is_refused(pki, tls_mesh, leaf):
    _, _, content, cj = tls_mesh
    caller = _caller(pki, content.address, cj.address, leaf)
    request = cj_pb2.GetAssessmentRequest(assessment_id="nope")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await caller.cj.GetAssessment(request, timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    await caller.content_channel.close()
    await caller.cj_channel.close()
