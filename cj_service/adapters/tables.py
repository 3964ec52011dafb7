"""SQLAlchemy Core tables of cj_service (the admin tables live in admin_tables.py).

States, statuses and reasons are stored as the proto enum names without their prefix
(e.g. 'RUNNING', 'JUDGED') so rows read well in psql. Unique constraints carry the
exactly-once guarantees: one outbox row per (batch, kind), one comparison per id.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)


def _now() -> Column:
    return Column(
        "created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")
    )


def _tokens() -> list[Column]:
    return [
        Column(name, BigInteger, nullable=False, server_default="0")
        for name in (
            "prompt_tokens",
            "completion_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
        )
    ]


def _judge_health() -> list[Column]:
    """0006: what the judge's calls did (migration 0006_judge_health says what each holds)."""
    empty = text("'{}'::jsonb")
    return [
        Column("failed_attempts", JSONB, nullable=False, server_default=empty),  # kind -> n
        Column("failed_since_verdict", JSONB, nullable=False, server_default=empty),
        Column("probability_a_dropped", Integer, nullable=False, server_default="0"),
        Column("a_wins", Integer, nullable=False, server_default="0"),  # verdicts for Essay A
        Column("tokens_estimated", Boolean, nullable=False, server_default="false"),
        Column("provider_patience_s", Float, nullable=False, server_default="300"),
        Column("verdict_at", DateTime(timezone=True), nullable=True),  # the last verdict
        Column("last_error", Text, nullable=False, server_default=""),  # "KIND: message"
        Column("position_bias", Float, nullable=True),
        Column("position_bias_se", Float, nullable=True),
        Column("llm_cancelled", Boolean, nullable=False, server_default="false"),
        # 0007: texts (batch_essays.idx) the simulated judge said it had no truth for
        Column("no_truth_texts", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    ]


batches = Table(
    "batches",
    metadata,
    Column("id", Text, primary_key=True),
    Column("state", Text, nullable=False),
    Column("version", BigInteger, nullable=False, server_default="0"),
    Column("completion_reason", Text, nullable=False, server_default=""),
    Column("failure_reason", Text, nullable=False, server_default=""),
    Column("detail", Text, nullable=False, server_default=""),
    Column("request_id", Text, nullable=False),
    Column("assignment_id", Text, nullable=False, server_default=""),
    Column("grade_scale_id", Text, nullable=False, server_default=""),
    Column("context_origin", Text, nullable=False, server_default=""),
    Column("judge_provider", Text, nullable=False),
    Column("judge_model", Text, nullable=False),
    Column("judge_config", LargeBinary, nullable=False),  # serialized common.v1.JudgeConfig
    Column("budget", Integer, nullable=False),
    Column("target_reliability", Float, nullable=False),
    Column("min_comparisons_per_essay", Integer, nullable=False),
    Column("max_in_flight", Integer, nullable=False),
    Column("min_judge_success_rate", Float, nullable=False),
    Column("stall_timeout_s", Float, nullable=False),
    Column("instructions_text", Text, nullable=False, server_default=""),
    Column("student_prompt_text", Text, nullable=False, server_default=""),
    Column("rubric_text", Text, nullable=False, server_default=""),
    Column("seed", BigInteger, nullable=False),
    Column("essay_count", Integer, nullable=False),
    Column("anchor_count", Integer, nullable=False),
    Column("comparisons_created", Integer, nullable=False, server_default="0"),
    Column("comparisons_done", Integer, nullable=False, server_default="0"),
    Column("comparisons_failed", Integer, nullable=False, server_default="0"),
    Column("comparisons_in_flight", Integer, nullable=False, server_default="0"),
    Column("verdicts_at_last_fit", Integer, nullable=False, server_default="0"),
    # the fewest judged comparisons of any text at that fit (stopping waits for the minimum)
    Column("fewest_comparisons", Integer, nullable=False, server_default="0"),
    Column("top_ups", Integer, nullable=False, server_default="0"),
    Column("reliability", Float, nullable=False, server_default="0"),
    Column("ssr", Float, nullable=False, server_default="0"),
    Column("cost_usd", Float, nullable=False, server_default="0"),
    *_tokens(),
    Column("correlation_id", Text, nullable=False, server_default=""),
    Column("metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("results", LargeBinary, nullable=True),  # serialized GetAssessmentResultsResponse
    *_judge_health(),
    _now(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("progress_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Index("ix_batches_state_created", "state", "created_at"),
    Index("ix_batches_created", "created_at", "id"),
)

batch_essays = Table(
    "batch_essays",
    metadata,
    Column("batch_id", Text, ForeignKey("batches.id", ondelete="CASCADE"), nullable=False),
    Column("idx", Integer, nullable=False),  # position in the batch's score vector
    Column("essay_id", Text, nullable=False),
    Column("display_name", Text, nullable=False, server_default=""),
    Column("content_id", Text, nullable=False, server_default=""),
    Column("text", Text, nullable=False),
    Column("is_anchor", Boolean, nullable=False, server_default="false"),
    Column("anchor_grade", Text, nullable=False, server_default=""),
    Column("times_a", Integer, nullable=False, server_default="0"),
    Column("times_b", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("batch_id", "idx"),
    UniqueConstraint("batch_id", "essay_id", name="uq_batch_essays_batch_essay"),
)

comparisons = Table(
    "comparisons",
    metadata,
    Column("id", Text, primary_key=True),  # also the llm_provider request_id
    Column("seq", BigInteger, Identity(), nullable=False, unique=True),
    Column("batch_id", Text, ForeignKey("batches.id", ondelete="CASCADE"), nullable=False),
    Column("idx_a", Integer, nullable=False),
    Column("idx_b", Integer, nullable=False),
    Column("pair_attempt", Integer, nullable=False, server_default="1"),
    Column("chain", SmallInteger, nullable=True),  # design half 0/1; NULL before 0004
    Column("status", Text, nullable=False),
    Column("requeued", Boolean, nullable=False, server_default="false"),
    Column("winner", SmallInteger, nullable=False, server_default="0"),
    Column("probability_a", Float, nullable=True),
    Column("confidence", Integer, nullable=False, server_default="0"),
    Column("justification", Text, nullable=False, server_default=""),
    Column("provider", Text, nullable=False, server_default=""),
    Column("model", Text, nullable=False, server_default=""),
    *_tokens(),
    Column("cost_usd", Float, nullable=False, server_default="0"),
    Column("prompt_sha256", Text, nullable=False, server_default=""),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("error", LargeBinary, nullable=True),  # serialized llm.v1.ComparisonError
    Column("error_retryable", Boolean, nullable=False, server_default="false"),
    _now(),
    Column("submitted_at", DateTime(timezone=True), nullable=True),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Index("ix_comparisons_batch_status", "batch_id", "status"),
    Index("ix_comparisons_batch_seq", "batch_id", "seq"),
    Index("ix_comparisons_pending", "created_at", postgresql_where=text("status = 'PENDING'")),
)

fit_snapshots = Table(
    "fit_snapshots",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("batch_id", Text, ForeignKey("batches.id", ondelete="CASCADE"), nullable=False),
    Column("comparisons", Integer, nullable=False),
    Column("reliability", Float, nullable=False),
    Column("ssr", Float, nullable=False),
    Column("position_bias", Float, nullable=False),
    Column("position_bias_se", Float, nullable=False),
    Column("scores", ARRAY(Float), nullable=False),  # aligned with batch_essays.idx
    Column("ses", ARRAY(Float), nullable=False),
    Column("prior_sd", Float, nullable=False, server_default="1.0"),  # fitted prior width
    _now(),
    Index("ix_fit_snapshots_batch", "batch_id", "id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Text, primary_key=True),  # also the Nats-Msg-Id
    # 0007: insertion order, the order the relay publishes in (docs/events.md)
    Column("seq", BigInteger, Identity(), nullable=False, unique=True),
    Column("batch_id", Text, nullable=False),
    # completed | result | failed | cancelled | consumption; result.2, result.3... for the
    # further parts of a result too large for one message
    Column("kind", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("schema", Text, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("headers", JSONB, nullable=False),
    _now(),
    Column("published_at", DateTime(timezone=True), nullable=True),
    # 0008: a row the relay can never publish is dead-lettered, never retried (docs/events.md)
    Column("dead_at", DateTime(timezone=True), nullable=True),
    Column("dead_reason", Text, nullable=False, server_default=""),
    UniqueConstraint("batch_id", "kind", name="uq_outbox_batch_kind"),
    Index("ix_outbox_unpublished", "created_at", postgresql_where=text("published_at IS NULL")),
    Index("ix_outbox_unpublished_seq", "seq", postgresql_where=text("published_at IS NULL")),
)

request_ids = Table(
    "request_ids",
    metadata,
    Column("operation", Text, nullable=False),  # submit | cancel
    Column("request_id", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("batch_id", Text, nullable=False),
    _now(),
    PrimaryKeyConstraint("operation", "request_id"),
)
