"""Container healthcheck: exit 0 when the local gRPC server reports SERVING.

Used by compose (Kubernetes uses its native gRPC probe instead).
"""

from __future__ import annotations

import os
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

PORT_VARS = ("CONTENT_GRPC_PORT", "LLM_PROVIDER_GRPC_PORT", "CJ_GRPC_PORT")


def main() -> int:
    port = next((os.environ[v] for v in PORT_VARS if v in os.environ), "")
    if not port:
        print("no *_GRPC_PORT in the environment", file=sys.stderr)
        return 2
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            stub = health_pb2_grpc.HealthStub(channel)
            reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=2)
        except grpc.RpcError as err:
            print(f"health check failed: {err.code().name}", file=sys.stderr)
            return 1
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1


if __name__ == "__main__":
    sys.exit(main())
