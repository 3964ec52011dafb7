"""In-memory fakes of the admin ports (cj_service/service/admin/ports.py) for unit tests.

They keep the contract the PostgreSQL adapter keeps: a transaction that raises leaves nothing
behind, a request_id is remembered once, an upsert of an unchanged anchor changes nothing.
`writes` counts the transactions that committed, so a test can see what reached storage.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from cj_service.service.admin.models import (
    AnchorRecord,
    ContextOrigin,
    InstructionFields,
    InstructionRecord,
    NewAnchor,
    Scope,
)
from cj_service.service.admin.ports import (
    AdminRepository,
    AdminTx,
    RequestAlreadyRecorded,
    StoredRequest,
    TextStore,
)
from contracts import ids

START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclasses.dataclass
class State:
    instructions: dict[str, InstructionRecord] = dataclasses.field(default_factory=dict)
    anchors: dict[str, AnchorRecord] = dataclasses.field(default_factory=dict)
    requests: dict[str, StoredRequest] = dataclasses.field(default_factory=dict)
    ticks: int = 0

    def now(self) -> datetime:
        self.ticks += 1
        return START + timedelta(seconds=self.ticks)


def _anchor_order(anchor: AnchorRecord) -> tuple[str, str, str]:
    return anchor.label, anchor.grade_scale_id, anchor.anchor_id


class InMemoryAdminRepository(AdminRepository):
    def __init__(self) -> None:
        self.state = State()
        self.writes = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AdminTx]:
        before = copy.deepcopy(self.state)
        try:
            yield InMemoryAdminTx(self.state)
        except BaseException:
            self.state.__dict__.update(before.__dict__)  # roll back
            raise
        self.writes += 1

    async def get_instruction(self, scope: Scope) -> InstructionRecord | None:
        return self.state.instructions.get(scope.key)

    async def anchors_on_scale(self, assignment_id: str,
                               grade_scale_id: str) -> Sequence[AnchorRecord]:
        return sorted((a for a in self.state.anchors.values()
                       if (a.assignment_id, a.grade_scale_id) == (assignment_id, grade_scale_id)),
                      key=_anchor_order)

    async def list_instructions(self, *, after_key: str, limit: int,
                                grade_scale_id: str) -> tuple[Sequence[InstructionRecord], int]:
        matching = sorted((r for r in self.state.instructions.values()
                           if not grade_scale_id or r.grade_scale_id == grade_scale_id),
                          key=lambda r: r.scope.key)
        page = [r for r in matching if r.scope.key > after_key][:limit]
        return page, len(matching)

    async def delete_instruction(self, scope: Scope) -> bool:
        return self.state.instructions.pop(scope.key, None) is not None

    async def list_anchors(self, assignment_id: str, *, after: tuple[str, str, str] | None,
                           limit: int) -> Sequence[AnchorRecord]:
        mine = sorted((a for a in self.state.anchors.values() if a.assignment_id == assignment_id),
                      key=_anchor_order)
        return [a for a in mine if after is None or _anchor_order(a) > after][:limit]

    async def anchor_counts(self, assignment_id: str, grade_scale_id: str) -> Mapping[str, int]:
        counts: dict[str, int] = {}
        for anchor in await self.anchors_on_scale(assignment_id, grade_scale_id):
            counts[anchor.grade] = counts.get(anchor.grade, 0) + 1
        return counts

    async def delete_anchor(self, anchor_id: str) -> bool:
        return self.state.anchors.pop(anchor_id, None) is not None

    async def find_request(self, request_id: str) -> StoredRequest | None:
        return self.state.requests.get(request_id)


class InMemoryAdminTx(AdminTx):
    def __init__(self, state: State) -> None:
        self._state = state

    async def lock_instruction(self, scope: Scope) -> InstructionRecord | None:
        return self._state.instructions.get(scope.key)

    async def insert_instruction(self, scope: Scope, fields: InstructionFields) -> bool:
        if scope.key in self._state.instructions:
            return False
        now = self._state.now()
        self._state.instructions[scope.key] = InstructionRecord(
            scope=scope, instructions_text="", grade_scale_id="",
            context_origin=ContextOrigin.UNSPECIFIED, student_prompt_content_id="",
            judge_rubric_content_id="", created_at=now, updated_at=now)
        await self.update_instruction(scope, fields)
        return True

    async def update_instruction(self, scope: Scope, fields: InstructionFields) -> None:
        stored = self._state.instructions.get(scope.key)
        if stored is None:
            return
        changes = {k: v for k, v in dataclasses.asdict(fields).items() if v}
        self._state.instructions[scope.key] = dataclasses.replace(
            stored, **changes, updated_at=self._state.now())

    async def anchor_scales(self, assignment_id: str) -> Sequence[str]:
        return sorted({a.grade_scale_id for a in self._state.anchors.values()
                       if a.assignment_id == assignment_id})

    async def upsert_anchor(self, anchor: NewAnchor) -> tuple[AnchorRecord, bool]:
        stored = self._state.anchors.get(anchor.anchor_id)
        if stored is not None and (stored.grade, stored.content_id) == (anchor.grade,
                                                                         anchor.content_id):
            return stored, False
        now = self._state.now()
        record = AnchorRecord(**dataclasses.asdict(anchor),
                              created_at=stored.created_at if stored else now, updated_at=now)
        self._state.anchors[anchor.anchor_id] = record
        return record, stored is None

    async def save_request(self, request_id: str, *, method: str, fingerprint: str,
                           result: Mapping[str, Any]) -> None:
        if request_id in self._state.requests:
            raise RequestAlreadyRecorded(request_id)
        self._state.requests[request_id] = StoredRequest(method, fingerprint, dict(result))


class InMemoryTextStore(TextStore):
    """Texts addressed by their sha256, as the content service stores them."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.puts = 0

    def add(self, text: str) -> str:
        content_id = ids.content_id_for(text.encode())
        self.texts[content_id] = text
        return content_id

    async def put_text(self, text: str, *, request_id: str) -> str:
        self.puts += 1
        return self.add(text)

    async def fetch_texts(self, content_ids: Sequence[str]) -> Mapping[str, str]:
        return {i: self.texts[i] for i in content_ids if i in self.texts}
