"""Optional TLS / mutual TLS for every gRPC server and client and for NATS connections.

One set of variables configures a process: `HULEEDU_TLS_CERT` + `HULEEDU_TLS_KEY` (its own
certificate, served by its gRPC server and presented as a client certificate), `HULEEDU_TLS_CA`
(the CA that signs the mesh's certificates; clients verify servers with it and, with
`HULEEDU_TLS_CLIENT_AUTH=true`, servers demand and verify client certificates: mTLS).
NATS uses `NATS_TLS_CA`, `NATS_TLS_CERT`, `NATS_TLS_KEY` the same way. No variables, no TLS.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc

TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class TlsConfig:
    cert_file: str = ""
    key_file: str = ""
    ca_file: str = ""
    client_auth: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, prefix: str = "HULEEDU_TLS_") -> TlsConfig:
        config = cls(
            cert_file=env.get(f"{prefix}CERT", ""),
            key_file=env.get(f"{prefix}KEY", ""),
            ca_file=env.get(f"{prefix}CA", ""),
            client_auth=env.get(f"{prefix}CLIENT_AUTH", "").lower() in TRUE,
        )
        config.validate()
        return config

    @property
    def enabled(self) -> bool:
        return bool(self.cert_file or self.ca_file)

    def validate(self) -> None:
        if bool(self.cert_file) != bool(self.key_file):
            raise ValueError("TLS needs both a certificate and its key")
        if self.client_auth and not self.ca_file:
            raise ValueError("client certificate checks (mTLS) need a CA file")
        for path in (self.cert_file, self.key_file, self.ca_file):
            if path and not Path(path).is_file():
                raise ValueError(f"TLS file not found: {path}")


def _read(path: str) -> bytes | None:
    return Path(path).read_bytes() if path else None


def server_credentials(tls: TlsConfig) -> grpc.ServerCredentials:
    if not tls.cert_file:
        raise ValueError("a TLS server needs HULEEDU_TLS_CERT and HULEEDU_TLS_KEY")
    pair = (_read(tls.key_file), _read(tls.cert_file))
    return grpc.ssl_server_credentials(
        [pair],  # type: ignore[list-item]
        root_certificates=_read(tls.ca_file),
        require_client_auth=tls.client_auth,
    )


def channel_credentials(tls: TlsConfig) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=_read(tls.ca_file),
        private_key=_read(tls.key_file),
        certificate_chain=_read(tls.cert_file),
    )


def add_port(server: grpc.aio.Server, address: str, tls: TlsConfig | None) -> int:
    """Bind `address` (port 0 allowed) with TLS when configured; returns the bound port."""
    if tls is not None and tls.enabled:
        return server.add_secure_port(address, server_credentials(tls))
    return server.add_insecure_port(address)


def nats_ssl_context(env: Mapping[str, str]) -> ssl.SSLContext | None:
    """An SSLContext for nats.connect(tls=...), or None when NATS TLS is not configured."""
    tls = TlsConfig.from_env(env, prefix="NATS_TLS_")
    if not tls.enabled:
        return None
    context = ssl.create_default_context(cafile=tls.ca_file or None)
    if tls.cert_file:
        context.load_cert_chain(tls.cert_file, tls.key_file)
    return context
