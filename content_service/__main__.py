"""``python -m content_service`` serves; ``python -m content_service migrate`` only migrates.

SIGTERM/SIGINT: health NOT_SERVING -> server.stop(grace) -> dispose the engine.
"""

from __future__ import annotations

import os
import sys

import structlog

from content_service.adapters import migrate
from content_service.bootstrap import make_engine, migrate_when_reachable, start
from content_service.config import Config, ConfigError
from contracts.logs import configure_logging
from contracts.serving import wait_for_shutdown_signal
from contracts.startup import run_service

_USAGE = "usage: python -m content_service [migrate]"


async def serve(config: Config) -> None:
    app = await start(config)
    structlog.get_logger("content_service").info(
        "serving", address=app.address, metrics_port=app.metrics_port,
        instance_id=config.instance_id,
    )
    await wait_for_shutdown_signal()
    structlog.get_logger("content_service").info("shutting down", grace_s=config.shutdown_grace_s)
    await app.stop()


async def migrate_only(config: Config) -> None:
    engine = make_engine(config, pool_size=1, overflow=0)
    try:
        await migrate_when_reachable(engine, timeout_s=config.startup_timeout_s)
    finally:
        await engine.dispose()
    log = structlog.get_logger("content_service")
    log.info("migrated", script_location=str(migrate.MIGRATIONS))


def main(argv: list[str]) -> int:
    if argv not in ([], ["migrate"]):
        print(_USAGE, file=sys.stderr)
        return 2
    try:
        config = Config.from_env(os.environ)
    except ConfigError as error:
        print(f"content_service: {error}", file=sys.stderr)
        return 2
    configure_logging(config.log_level)
    return run_service("content_service", migrate_only(config) if argv else serve(config))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
