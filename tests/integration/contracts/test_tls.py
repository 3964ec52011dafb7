"""TLS and mutual TLS between a real aio server and client, with a CA the test generates."""

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from contracts.channels import channel
from contracts.serving import add_standard_services
from contracts.tls import TlsConfig, add_port, nats_ssl_context
from tests.fixtures.pki import make_pki

pytestmark = pytest.mark.integration
SERVICE = "huleedu.test.v1.TestService"


@pytest.fixture
def pki(tmp_path):
    """A CA, a server certificate for 127.0.0.1/localhost, and a client certificate."""
    return make_pki(tmp_path)


async def _serve(tls):
    server = grpc.aio.server()
    await add_standard_services(server, [SERVICE])
    port = add_port(server, "127.0.0.1:0", tls)
    await server.start()
    return server, f"localhost:{port}"


async def _check(address, tls):
    async with channel(address, [SERVICE], tls) as chan:
        stub = health_pb2_grpc.HealthStub(chan)
        reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
        return reply.status


async def test_a_client_trusting_the_ca_talks_to_a_tls_server(pki):
    server_cert, server_key = pki["server"]
    server, address = await _serve(TlsConfig(cert_file=server_cert, key_file=server_key))
    try:
        status = await _check(address, TlsConfig(ca_file=pki["ca"]))
        assert status == health_pb2.HealthCheckResponse.SERVING
    finally:
        await server.stop(None)


async def test_mtls_admits_a_client_certificate_signed_by_the_ca_and_refuses_others(pki):
    server_cert, server_key = pki["server"]
    server_tls = TlsConfig(
        cert_file=server_cert, key_file=server_key, ca_file=pki["ca"], client_auth=True
    )
    server, address = await _serve(server_tls)
    client_cert, client_key = pki["client"]
    stranger_cert, stranger_key = pki["stranger"]
    try:
        ok = TlsConfig(cert_file=client_cert, key_file=client_key, ca_file=pki["ca"])
        assert await _check(address, ok) == health_pb2.HealthCheckResponse.SERVING
        for refused in (
            TlsConfig(ca_file=pki["ca"]),
            TlsConfig(cert_file=stranger_cert, key_file=stranger_key, ca_file=pki["ca"]),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await _check(address, refused)
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await server.stop(None)


async def test_a_plaintext_client_cannot_talk_to_a_tls_server(pki):
    server_cert, server_key = pki["server"]
    server, address = await _serve(TlsConfig(cert_file=server_cert, key_file=server_key))
    try:
        with pytest.raises(grpc.aio.AioRpcError):
            await _check(address, None)
    finally:
        await server.stop(None)


def test_half_configured_tls_is_refused_with_a_reason(pki, tmp_path):
    with pytest.raises(ValueError, match="both a certificate and its key"):
        TlsConfig.from_env({"HULEEDU_TLS_CERT": pki["server"][0]})
    with pytest.raises(ValueError, match="need a CA"):
        TlsConfig.from_env({"HULEEDU_TLS_CLIENT_AUTH": "true"})
    with pytest.raises(ValueError, match="not found"):
        TlsConfig.from_env({"HULEEDU_TLS_CA": str(tmp_path / "missing.pem")})


def test_nats_gets_an_ssl_context_only_when_configured(pki):
    assert nats_ssl_context({}) is None
    cert, key = pki["client"]
    context = nats_ssl_context(
        {"NATS_TLS_CA": pki["ca"], "NATS_TLS_CERT": cert, "NATS_TLS_KEY": key}
    )
    assert context is not None and context.verify_mode.name == "CERT_REQUIRED"


async def test_a_nats_connection_uses_tls_against_a_tls_only_server(pki, tmp_path):
    import subprocess

    import nats

    from deploy.local.nats_infra import wheel_binary
    from deploy.local.procs import free_port, poll, port_open

    cert, key = pki["server"]
    port = free_port()
    proc = subprocess.Popen(
        [
            str(wheel_binary()),
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
            "-js",
            "-sd",
            str(tmp_path / "js"),
            "--tls",
            "--tlscert",
            cert,
            "--tlskey",
            key,
            "--tlscacert",
            pki["ca"],
            "--tlsverify",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert poll(lambda: port_open("127.0.0.1", port), timeout=10)
        client_cert, client_key = pki["client"]
        env = {"NATS_TLS_CA": pki["ca"], "NATS_TLS_CERT": client_cert, "NATS_TLS_KEY": client_key}
        nc = await nats.connect(
            f"tls://localhost:{port}",
            tls=nats_ssl_context(env),
            connect_timeout=5,
            max_reconnect_attempts=0,
        )
        info = await nc.jetstream().account_info()
        assert info is not None
        await nc.close()
        with pytest.raises(Exception):  # noqa: B017 - any refusal will do: no client cert
            plain = nats_ssl_context({"NATS_TLS_CA": pki["ca"]})
            await nats.connect(
                f"tls://localhost:{port}",
                tls=plain,
                connect_timeout=3,
                max_reconnect_attempts=0,
                allow_reconnect=False,
            )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
