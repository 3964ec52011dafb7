"""Configuration, read once from a Mapping (os.environ in __main__, a dict in tests)."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field

from contracts.tls import TlsConfig, nats_ssl_context
from llm_provider.domain.simulation import JudgeParams

OPENAI, ANTHROPIC, GOOGLE, SIMULATED, OPENAI_COMPATIBLE = (
    "openai", "anthropic", "google", "simulated", "openai_compatible",
)
# (provider, API key variables in order of preference, base URL variable, default base URL)
_HTTP_PROVIDERS = (
    (OPENAI, ("OPENAI_API_KEY",), "OPENAI_BASE_URL", "https://api.openai.com/v1"),
    (ANTHROPIC, ("ANTHROPIC_API_KEY",), "ANTHROPIC_BASE_URL", "https://api.anthropic.com"),
    (GOOGLE, ("GEMINI_API_KEY", "GOOGLE_API_KEY"), "GEMINI_BASE_URL",
     "https://generativelanguage.googleapis.com"),
    (OPENAI_COMPATIBLE, ("OPENAI_COMPATIBLE_API_KEY",), "OPENAI_COMPATIBLE_BASE_URL",
     "http://127.0.0.1:11434/v1"),
)
_P = "LLM_PROVIDER_"


@dataclass(frozen=True)
class ProviderSettings:
    name: str
    enabled: bool
    api_key: str = ""
    base_url: str = ""
    rpm: int = 0
    tpm: int = 0
    timeout_s: float = 120.0
    requires_key: bool = True
    key_variables: tuple[str, ...] = ()  # where the API key is read from, first found wins

    @property
    def configured(self) -> bool:
        return self.enabled and (bool(self.api_key) or not self.requires_key)


@dataclass(frozen=True)
class WorkerSettings:
    concurrency: int = 64
    ack_wait_s: float = 60.0
    max_ack_pending: int = 1_000
    max_attempts: int = 5
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    max_local_wait_s: float = 30.0
    breaker_threshold: int = 5
    breaker_cooldown_s: float = 30.0
    burst_s: float = 1.0
    default_ttl_s: float = 3_600.0
    fetch_batch: int = 128


@dataclass(frozen=True)
class Config:
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50052
    metrics_port: int = 9102
    nats_url: str = "nats://127.0.0.1:4222"
    nats_namespace: str = ""
    instance_id: str = "llm_provider-0"
    queue_max_depth: int = 100_000
    stream_replicas: int = 1
    manifest_path: str = ""
    providers: tuple[ProviderSettings, ...] = ()
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    simulated: JudgeParams = field(default_factory=JudgeParams)
    simulated_seed: int = 0
    simulated_truth_file: str = ""
    workers_enabled: bool = True
    tls: TlsConfig = field(default_factory=TlsConfig)  # HULEEDU_TLS_*: gRPC server, off when unset
    nats_tls: ssl.SSLContext | None = None  # NATS_TLS_*: None = plaintext

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        return cls(
            grpc_host=env.get(f"{_P}GRPC_HOST", "127.0.0.1"),
            grpc_port=int(env.get(f"{_P}GRPC_PORT", "50052")),
            metrics_port=int(env.get(f"{_P}METRICS_PORT", "9102")),
            nats_url=env.get("NATS_URL", "nats://127.0.0.1:4222"),
            nats_namespace=env.get("NATS_NAMESPACE", ""),
            instance_id=env.get("HULEEDU_INSTANCE_ID", "llm_provider-0"),
            queue_max_depth=int(env.get(f"{_P}QUEUE_MAX_DEPTH", "100000")),
            stream_replicas=int(env.get(f"{_P}STREAM_REPLICAS")
                                or env.get("HULEEDU_STREAM_REPLICAS") or "1"),
            manifest_path=env.get(f"{_P}MANIFEST_PATH", ""),
            providers=_providers(env),
            worker=_worker(env),
            simulated=_judge_params(env),
            simulated_seed=int(env.get(f"{_P}SIMULATED_SEED", "0")),
            simulated_truth_file=env.get(f"{_P}SIMULATED_TRUTH_FILE", ""),
            workers_enabled=_flag(env, f"{_P}WORKERS_ENABLED", True),
            tls=TlsConfig.from_env(env),
            nats_tls=nats_ssl_context(env),
        )

    @property
    def nats_servers(self) -> list[str]:
        """NATS_URL may list a cluster's nodes, comma-separated."""
        return [url.strip() for url in self.nats_url.split(",") if url.strip()]

    def provider(self, name: str) -> ProviderSettings | None:
        return next((p for p in self.providers if p.name == name), None)


def _flag(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = env.get(key)
    return default if raw is None else raw.strip().lower() in {"1", "true", "yes", "on"}


def _limits(env: Mapping[str, str], name: str) -> dict[str, float]:
    up = name.upper()
    return {
        "rpm": int(env.get(f"{_P}{up}_RPM", "0")),
        "tpm": int(env.get(f"{_P}{up}_TPM", "0")),
        "timeout_s": float(env.get(f"{_P}{up}_TIMEOUT_S", "120")),
    }


def _providers(env: Mapping[str, str]) -> tuple[ProviderSettings, ...]:
    found = []
    for name, key_vars, url_var, default_url in _HTTP_PROVIDERS:
        key = next((env[k] for k in key_vars if env.get(k)), "")
        local = name == OPENAI_COMPATIBLE
        found.append(ProviderSettings(
            name, _flag(env, f"{_P}{name.upper()}_ENABLED", not local), api_key=key,
            base_url=env.get(url_var, default_url).rstrip("/"), requires_key=not local,
            key_variables=() if local else key_vars,
            **_limits(env, name),  # type: ignore[arg-type]
        ))
    found.append(ProviderSettings(
        SIMULATED, _flag(env, f"{_P}SIMULATED_ENABLED", True), base_url="in-process",
        requires_key=False, **_limits(env, SIMULATED),  # type: ignore[arg-type]
    ))
    return tuple(found)


def _worker(env: Mapping[str, str]) -> WorkerSettings:
    defaults = WorkerSettings()
    values = {}
    for name, default in vars(defaults).items():
        raw = env.get(f"{_P}{name.upper()}")
        values[name] = default if raw is None else type(default)(raw)
    return WorkerSettings(**values)


def _judge_params(env: Mapping[str, str]) -> JudgeParams:
    defaults = JudgeParams()
    values = {}
    for name, default in vars(defaults).items():
        raw = env.get(f"{_P}SIMULATED_{name.upper()}")
        values[name] = default if raw is None else float(raw)
    return JudgeParams(**values)
