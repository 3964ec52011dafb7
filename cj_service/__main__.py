"""``python -m cj_service`` serves; ``python -m cj_service migrate`` only migrates.

SIGTERM/SIGINT: health NOT_SERVING -> server.stop(grace) -> drain NATS -> dispose the engine.
"""

from __future__ import annotations

import os
import sys

import structlog

from cj_service.bootstrap import migrate_when_reachable, start
from cj_service.config import Config
from contracts.logs import configure_logging
from contracts.serving import wait_for_shutdown_signal
from contracts.startup import run_service

USAGE = "usage: python -m cj_service [migrate]"
GRACE_S = 10.0


async def serve(config: Config) -> None:
    app = await start(config)
    structlog.get_logger("cj_service").info(
        "serving", address=app.address, metrics_port=app.metrics_port
    )
    await wait_for_shutdown_signal()
    structlog.get_logger("cj_service").info("shutting_down", grace_s=GRACE_S)
    await app.stop(GRACE_S)


def main(argv: list[str]) -> int:
    if argv not in ([], ["migrate"]):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        config = Config.from_env(os.environ)
    except ValueError as err:
        print(f"cj_service: {err}", file=sys.stderr)
        return 2
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    main = migrate_when_reachable(config.database_url) if argv else serve(config)
    return run_service("cj_service", main)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
