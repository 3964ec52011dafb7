"""cj_service configuration, read once from a Mapping (os.environ in __main__, a dict in tests)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from contracts.streams import Namespace


@dataclass(frozen=True)
class BatchDefaults:
    """Stopping options a submission gets when it leaves a field at 0/unset."""

    comparisons_per_essay: int = 10  # budget = this × essays (k = 2 × budget / N = 20)
    target_reliability: float = 0.9
    min_comparisons_per_essay: int = 4
    max_in_flight: int = 100
    min_judge_success_rate: float = 0.5
    stall_timeout_s: float = 900.0
    # Fail with PROVIDER_UNAVAILABLE after this long without a verdict and only provider-health
    # failures (5xx, timeouts, connection errors, open circuit, expiry) since the last one.
    provider_patience_s: float = 300.0


@dataclass(frozen=True)
class PipelineSettings:
    """How the continuous pipeline paces refits, retries and background loops."""

    refit_fraction: float = 0.1  # stopping check when new verdicts >= 10% of those at the last
    # Chain fits plan pairs; reuse them until the verdicts they miss reach this share of the
    # in-flight window (whose verdicts the planner cannot see anyway) or of all verdicts.
    # Offline (100 essays, budget 3000, window 200, 12 seeds) 1.0/0.2 refits 16 times a
    # batch instead of 56 with Spearman 0.978 vs 0.977 (se 0.002).
    chain_refit_fraction: float = 1.0
    chain_stale_fraction: float = 0.2
    top_up_fraction: float = 0.25  # refill the window in chunks of this share of it
    snapshots_per_budget: int = 10  # fit snapshots (SSR, full fit) per budget spent
    fit_threads: int = 1  # threads for fits (bootstrap._fit_pool says why so few)
    max_pair_attempts: int = 3
    min_results_for_failure_rate: int = 10
    # Results per fetch: bigger fetches make fewer, larger steps per batch (fewer round trips,
    # top-ups and refits); the mesh bench's cj CPU went 0.76 -> 0.52 ms/verdict from 256.
    fetch_batch: int = 1024
    fetch_timeout_s: float = 1.0
    ack_wait_s: float = 30.0
    watchdog_interval_s: float = 10.0
    recovery_interval_s: float = 5.0
    pending_grace_s: float = 5.0  # PENDING rows younger than this belong to a live dispatcher
    relay_interval_s: float = 0.5
    submit_chunk: int = 200
    models_cache_ttl_s: float = 300.0
    providers_cache_ttl_s: float = 30.0  # ListProviders: whether a judge has credentials
    comparison_ttl_s: float = 0.0  # 0 = llm_provider default


def asyncpg_url(url: str) -> str:
    """SQLAlchemy needs the asyncpg driver named; accept the plain libpq spellings too."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme in {"postgres", "postgresql"}:
        return f"postgresql+asyncpg://{rest}"
    return url


def _get(env: Mapping[str, str], key: str, default: str) -> str:
    value = env.get(key, "")
    return value if value != "" else default


def judge_spec(value: str) -> str:
    """CJ_DEFAULT_JUDGE as given ("" or "provider/model"); anything else is a startup error."""
    provider, sep, model = value.partition("/")
    if value and not (sep and provider and model):
        raise ValueError(f"CJ_DEFAULT_JUDGE {value!r}: expected provider/model")
    return value


@dataclass(frozen=True)
class Config:
    database_url: str
    nats_url: str = "nats://127.0.0.1:4222"
    nats_namespace: str = ""
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50053
    metrics_port: int = 9103
    content_addr: str = "127.0.0.1:50051"
    llm_provider_addr: str = "127.0.0.1:50052"
    instance_id: str = "cj-0"
    stream_replicas: int = 1
    # "provider/model" a submission without a judge gets (CJ_DEFAULT_JUDGE); "" = refuse it
    default_judge: str = ""
    defaults: BatchDefaults = field(default_factory=BatchDefaults)
    pipeline: PipelineSettings = field(default_factory=PipelineSettings)
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def namespace(self) -> Namespace:
        return Namespace(self.nats_namespace)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        """Read the ENV CONTRACT (deploy/local/services.py) plus CJ_* tuning knobs."""
        url = env.get("CJ_DATABASE_URL") or env.get("DATABASE_URL")
        if not url:
            raise ValueError("DATABASE_URL (or CJ_DATABASE_URL) is required")
        return cls(
            database_url=asyncpg_url(url),
            nats_url=_get(env, "NATS_URL", cls.nats_url),
            nats_namespace=_get(env, "NATS_NAMESPACE", ""),
            grpc_host=_get(env, "CJ_GRPC_HOST", cls.grpc_host),
            grpc_port=int(_get(env, "CJ_GRPC_PORT", str(cls.grpc_port))),
            metrics_port=int(_get(env, "CJ_METRICS_PORT", str(cls.metrics_port))),
            content_addr=_get(env, "CONTENT_ADDR", cls.content_addr),
            llm_provider_addr=_get(env, "LLM_PROVIDER_ADDR", cls.llm_provider_addr),
            instance_id=_get(env, "HULEEDU_INSTANCE_ID", cls.instance_id),
            stream_replicas=int(_get(env, "HULEEDU_STREAM_REPLICAS", "1")),
            default_judge=judge_spec(env.get("CJ_DEFAULT_JUDGE", "").strip()),
            defaults=_defaults(env),
            pipeline=_pipeline(env),
            env=MappingProxyType(dict(env)),
        )


def _defaults(env: Mapping[str, str]) -> BatchDefaults:
    d = BatchDefaults()
    return BatchDefaults(
        comparisons_per_essay=int(
            _get(env, "CJ_COMPARISONS_PER_ESSAY", str(d.comparisons_per_essay))
        ),
        target_reliability=float(_get(env, "CJ_TARGET_RELIABILITY", str(d.target_reliability))),
        min_comparisons_per_essay=int(
            _get(env, "CJ_MIN_COMPARISONS_PER_ESSAY", str(d.min_comparisons_per_essay))
        ),
        max_in_flight=int(_get(env, "CJ_MAX_IN_FLIGHT", str(d.max_in_flight))),
        min_judge_success_rate=float(
            _get(env, "CJ_MIN_JUDGE_SUCCESS_RATE", str(d.min_judge_success_rate))
        ),
        stall_timeout_s=float(_get(env, "CJ_STALL_TIMEOUT_S", str(d.stall_timeout_s))),
        provider_patience_s=float(
            _get(env, "CJ_PROVIDER_PATIENCE_S", str(d.provider_patience_s))
        ),
    )


def _pipeline(env: Mapping[str, str]) -> PipelineSettings:
    p = PipelineSettings()
    return PipelineSettings(
        refit_fraction=float(_get(env, "CJ_REFIT_FRACTION", str(p.refit_fraction))),
        chain_refit_fraction=float(
            _get(env, "CJ_CHAIN_REFIT_FRACTION", str(p.chain_refit_fraction))
        ),
        top_up_fraction=float(_get(env, "CJ_TOP_UP_FRACTION", str(p.top_up_fraction))),
        fit_threads=int(_get(env, "CJ_FIT_THREADS", str(p.fit_threads))),
        fetch_batch=int(_get(env, "CJ_FETCH_BATCH", str(p.fetch_batch))),
        max_pair_attempts=int(_get(env, "CJ_MAX_PAIR_ATTEMPTS", str(p.max_pair_attempts))),
        watchdog_interval_s=float(_get(env, "CJ_WATCHDOG_INTERVAL_S", str(p.watchdog_interval_s))),
        recovery_interval_s=float(_get(env, "CJ_RECOVERY_INTERVAL_S", str(p.recovery_interval_s))),
        comparison_ttl_s=float(_get(env, "CJ_COMPARISON_TTL_S", str(p.comparison_ttl_s))),
    )
