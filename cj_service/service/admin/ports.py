"""The ports the admin use cases depend on; adapters and test fakes subclass them.

Every method takes and returns the plain records of models.py. A command's state change and
the remembered answer to its request_id are written through one `AdminTx`, so they commit
together or not at all.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from cj_service.service.admin.models import (
    AnchorRecord,
    InstructionFields,
    InstructionRecord,
    NewAnchor,
    Scope,
)


class RequestAlreadyRecorded(Exception):
    """A concurrent call committed the same request_id first."""


@dataclass(frozen=True)
class StoredRequest:
    """The first answer to a request_id: which command it was, a hash of its body, and the
    answer as JSON-safe values."""

    method: str
    fingerprint: str
    result: Mapping[str, Any]


class AssignmentContextSource(abc.ABC):
    """What a submission reads of the admin side (assignment_context.py)."""

    @abc.abstractmethod
    async def get_instruction(self, scope: Scope) -> InstructionRecord | None: ...

    @abc.abstractmethod
    async def anchors_on_scale(
        self, assignment_id: str, grade_scale_id: str
    ) -> Sequence[AnchorRecord]:
        """The assignment's anchors registered on that scale, ordered by label."""


class AdminTx(abc.ABC):
    """Writes inside one transaction; the lock_* and upsert_* methods lock what they touch."""

    @abc.abstractmethod
    async def lock_instruction(self, scope: Scope) -> InstructionRecord | None: ...

    @abc.abstractmethod
    async def insert_instruction(self, scope: Scope, fields: InstructionFields) -> bool:
        """False when a concurrent call created the scope first (nothing written)."""

    @abc.abstractmethod
    async def update_instruction(self, scope: Scope, fields: InstructionFields) -> None:
        """Write the non-empty fields and touch updated_at."""

    @abc.abstractmethod
    async def anchor_scales(self, assignment_id: str) -> Sequence[str]:
        """The grade scales the assignment's anchors were registered on."""

    @abc.abstractmethod
    async def upsert_anchor(self, anchor: NewAnchor) -> tuple[AnchorRecord, bool]:
        """Insert, or change grade/content of the same assignment+label+scale; (row, created)."""

    @abc.abstractmethod
    async def save_request(self, request_id: str, *, method: str, fingerprint: str,
                           result: Mapping[str, Any]) -> None:
        """Remember the answer; RequestAlreadyRecorded when the request_id is taken."""


class AdminRepository(AssignmentContextSource):
    """Instructions, anchors and remembered requests. Reads stand alone; writes of one command
    go through `transaction()`."""

    @abc.abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[AdminTx]:
        """Commits when the block ends, rolls back when it raises."""

    @abc.abstractmethod
    async def list_instructions(
        self, *, after_key: str, limit: int, grade_scale_id: str
    ) -> tuple[Sequence[InstructionRecord], int]:
        """One page ordered by scope key (after `after_key`), and the total matching the
        filter (every scale when `grade_scale_id` is empty)."""

    @abc.abstractmethod
    async def delete_instruction(self, scope: Scope) -> bool: ...

    @abc.abstractmethod
    async def list_anchors(
        self, assignment_id: str, *, after: tuple[str, str, str] | None, limit: int
    ) -> Sequence[AnchorRecord]:
        """One page of the assignment's anchors (every scale) ordered by (label, scale, id),
        after the position `after`."""

    @abc.abstractmethod
    async def anchor_counts(self, assignment_id: str, grade_scale_id: str) -> Mapping[str, int]:
        """Anchors per grade on that scale (grades without anchors left out)."""

    @abc.abstractmethod
    async def delete_anchor(self, anchor_id: str) -> bool: ...

    @abc.abstractmethod
    async def find_request(self, request_id: str) -> StoredRequest | None: ...


class TextStore(abc.ABC):
    """The content service, for the admin texts (prompts, rubrics, anchors)."""

    @abc.abstractmethod
    async def put_text(self, text: str, *, request_id: str) -> str:
        """Store `text`; its content id (the same text always gets the same id)."""

    @abc.abstractmethod
    async def fetch_texts(self, content_ids: Sequence[str]) -> Mapping[str, str]:
        """The texts of the ids that are stored; missing ids are left out."""
