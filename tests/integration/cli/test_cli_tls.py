"""The CLI over mutual TLS: it trusts the mesh's CA and presents its client certificate from
the same HULEEDU_TLS_* variables the services read; without them the server refuses it."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from contracts import channels
from contracts.serving import add_standard_services
from contracts.tls import TlsConfig, add_port
from tests.fixtures.pki import make_pki
from tests.integration.cli.support import huleedu, one_line_error

pytestmark = pytest.mark.integration


@pytest.fixture
async def mtls_address(tmp_path):
    """One mTLS server answering health for every service; returns (address, pki)."""
    pki = make_pki(tmp_path)
    cert, key = pki["server"]
    server = grpc.aio.server()
    await add_standard_services(server, [channels.CONTENT_SERVICE, channels.CJ_ADMIN_SERVICE])
    tls = TlsConfig(cert_file=cert, key_file=key, ca_file=pki["ca"], client_auth=True)
    port = add_port(server, "127.0.0.1:0", tls)
    await server.start()
    yield f"localhost:{port}", pki
    await server.stop(None)


def _env(address: str, **tls: str) -> dict[str, str]:
    addresses = {key: address for key in ("CONTENT_ADDR", "LLM_PROVIDER_ADDR", "CJ_ADDR")}
    return {**addresses, **tls}


async def test_status_over_mtls_with_the_client_certificate(mtls_address) -> None:
    address, pki = mtls_address
    cert, key = pki["client"]
    env = _env(address, HULEEDU_TLS_CA=pki["ca"], HULEEDU_TLS_CERT=cert, HULEEDU_TLS_KEY=key)
    result = await asyncio.to_thread(huleedu, None, "status", env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("SERVING") == 3


async def test_status_without_a_client_certificate_is_refused(mtls_address) -> None:
    address, pki = mtls_address
    result = await asyncio.to_thread(huleedu, None, "status", env=_env(address))
    assert result.exit_code == 3
    assert result.stdout.count("SERVING") == 0


async def test_a_missing_tls_file_is_one_clear_line(mtls_address) -> None:
    address, _ = mtls_address
    env = _env(address, HULEEDU_TLS_CA="/nonexistent/ca.pem")
    result = await asyncio.to_thread(huleedu, None, "status", env=env)
    assert result.exit_code == 2
    assert "HULEEDU_TLS_" in one_line_error(result)
    assert "/nonexistent/ca.pem" in one_line_error(result)
