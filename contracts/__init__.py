"""The HuleEdu CJ mesh contract: generated protobuf/gRPC code plus small helpers.

Generated code lives under `contracts.huleedu.<area>.v1` and is never edited by hand
(`make proto` rewrites it from `proto/`). Hand-written helpers sit beside it:
`errors` (rich gRPC status), `headers` (NATS headers + protobuf codec), `subjects`,
`streams` (JetStream declarations), `ids`, `channels` (client retry policy),
`serving` (health, reflection, logging interceptor), `logs` (structlog setup), `text`
(the character and size rules every service applies at its door) and `startup` (retry a
dependency until a start-up deadline).
"""

PUBLIC_MODULES = (
    "channels",
    "errors",
    "headers",
    "ids",
    "logs",
    "serving",
    "startup",
    "streams",
    "subjects",
    "text",
)
