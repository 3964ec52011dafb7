"""Settings, read once from a mapping (os.environ in __main__, a dict in tests)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from content_service.domain.content import Limits
from contracts.tls import TlsConfig

PREFIX = "CONTENT"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def to_asyncpg_url(url: str) -> str:
    """SQLAlchemy wants ``postgresql+asyncpg://``; accept the plain libpq spellings too."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigError(f"DATABASE_URL is not a URL: {url!r}")
    if scheme in {"postgres", "postgresql", "postgresql+asyncpg"}:
        return f"postgresql+asyncpg://{rest}"
    raise ConfigError(f"DATABASE_URL must be a PostgreSQL URL, got scheme {scheme!r}")


@dataclass(frozen=True)
class Config:
    database_url: str
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50051
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9101
    limits: Limits = field(default_factory=Limits)
    pool_size: int = 10
    pool_overflow: int = 20
    statement_timeout_s: float = 10.0
    probe_interval_s: float = 1.0
    probe_timeout_s: float = 2.0
    startup_timeout_s: float = 30.0
    shutdown_grace_s: float = 5.0
    instance_id: str = "content-0"
    log_level: str = "INFO"
    tls: TlsConfig = field(default_factory=TlsConfig)  # HULEEDU_TLS_*: off when unset

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        url = env.get(f"{PREFIX}_DATABASE_URL") or env.get("DATABASE_URL")
        if not url:
            raise ConfigError("set DATABASE_URL (or CONTENT_DATABASE_URL) to a PostgreSQL URL")
        read = _Reader(env)
        return cls(
            database_url=to_asyncpg_url(url),
            grpc_host=env.get(f"{PREFIX}_GRPC_HOST", cls.grpc_host),
            grpc_port=read.int(f"{PREFIX}_GRPC_PORT", cls.grpc_port),
            metrics_host=env.get(f"{PREFIX}_METRICS_HOST", cls.metrics_host),
            metrics_port=read.int(f"{PREFIX}_METRICS_PORT", cls.metrics_port),
            limits=Limits(
                max_content_bytes=read.int(f"{PREFIX}_MAX_BYTES", Limits.max_content_bytes),
                max_batch_ids=read.int(f"{PREFIX}_MAX_BATCH_IDS", Limits.max_batch_ids),
                max_batch_bytes=read.int(f"{PREFIX}_MAX_BATCH_BYTES", Limits.max_batch_bytes),
            ),
            pool_size=read.int(f"{PREFIX}_DB_POOL_SIZE", cls.pool_size),
            probe_interval_s=read.float(f"{PREFIX}_PROBE_INTERVAL_S", cls.probe_interval_s),
            shutdown_grace_s=read.float(f"{PREFIX}_SHUTDOWN_GRACE_S", cls.shutdown_grace_s),
            instance_id=env.get("HULEEDU_INSTANCE_ID", cls.instance_id),
            log_level=env.get("LOG_LEVEL", cls.log_level),
            tls=_tls(env),
        )


def _tls(env: Mapping[str, str]) -> TlsConfig:
    try:
        return TlsConfig.from_env(env)
    except ValueError as error:
        raise ConfigError(str(error)) from None


@dataclass(frozen=True)
class _Reader:
    env: Mapping[str, str]

    def int(self, name: str, default: int) -> int:
        return self._parse(name, default, int)

    def float(self, name: str, default: float) -> float:
        return self._parse(name, default, float)

    def _parse(self, name: str, default, kind):  # type: ignore[no-untyped-def]
        raw = self.env.get(name, "")
        if not raw.strip():
            return default
        try:
            value = kind(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None
        if value < 0:
            raise ConfigError(f"{name} must not be negative, got {raw!r}")
        return value
