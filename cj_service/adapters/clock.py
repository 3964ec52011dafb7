"""The system clock (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

from cj_service.service.workflow.ports import Clock


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)
