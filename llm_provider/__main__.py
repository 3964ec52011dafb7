"""`python -m llm_provider` serves; `python -m llm_provider migrate` is a no-op (no database)."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys

import structlog

from contracts.logs import configure_logging
from contracts.startup import run_service
from llm_provider import bootstrap
from llm_provider.config import Config

GRACE_S = 10.0


async def serve() -> None:
    config = Config.from_env(os.environ)
    app = await bootstrap.start(config)
    # Everything built so far lives as long as the process: keep it out of the collector's
    # scans, and collect young objects less often (each message makes many short-lived ones).
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    structlog.get_logger("llm_provider").info("shutting down", grace_s=GRACE_S)
    await app.stop(GRACE_S)


def main(argv: list[str]) -> int:
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    if argv[1:2] == ["migrate"]:
        # JetStream streams are declared on start; there is no database to migrate.
        structlog.get_logger("llm_provider").info("no database; nothing to migrate")
        return 0
    return run_service("llm_provider", serve())


if __name__ == "__main__":
    sys.exit(main(sys.argv))
