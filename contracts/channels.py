"""gRPC client channel settings: retry UNAVAILABLE only, and only for idempotent calls.

Every mutating RPC in the mesh carries a request_id, which makes it idempotent, so the
retry policy may cover whole services.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import grpc

from contracts.tls import TlsConfig, channel_credentials

MAX_MESSAGE_BYTES = 64 * 1024 * 1024


def retry_service_config(services: Sequence[str], *, attempts: int = 5) -> str:
    policy = {
        "maxAttempts": attempts,
        "initialBackoff": "0.1s",
        "maxBackoff": "2s",
        "backoffMultiplier": 2,
        "retryableStatusCodes": ["UNAVAILABLE"],
    }
    # round_robin spreads calls over every replica of an `ipv4:a,b` or `dns:///` target.
    config = {
        "loadBalancingConfig": [{"round_robin": {}}],
        "methodConfig": [{"name": [{"service": s} for s in services], "retryPolicy": policy}],
    }
    return json.dumps(config)


def channel_options(services: Sequence[str]) -> list[tuple[str, object]]:
    return [
        ("grpc.enable_retries", 1),
        ("grpc.service_config", retry_service_config(services)),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ]


def insecure_channel(address: str, services: Sequence[str]) -> grpc.aio.Channel:
    """An aio channel to `address` with the mesh's retry policy for `services`."""
    return grpc.aio.insecure_channel(address, options=channel_options(services))


def channel(
    address: str, services: Sequence[str], tls: TlsConfig | None = None
) -> grpc.aio.Channel:
    """A TLS channel when `tls` is configured (mTLS when it carries a cert), else plaintext."""
    if tls is None or not tls.enabled:
        return insecure_channel(address, services)
    return grpc.aio.secure_channel(
        address, channel_credentials(tls), options=channel_options(services)
    )


CONTENT_SERVICE = "huleedu.content.v1.ContentService"
LLM_PROVIDER_SERVICE = "huleedu.llm.v1.LLMProviderService"
CJ_ASSESSMENT_SERVICE = "huleedu.cj.v1.CJAssessmentService"
CJ_ADMIN_SERVICE = "huleedu.cj.v1.CJAdminService"
