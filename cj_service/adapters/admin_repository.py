"""The admin ports on PostgreSQL (SQLAlchemy Core): instructions, anchors, remembered requests.

Reads run on their own short connections. Writes go through `transaction()`, which yields a
`PostgresAdminTx` whose methods lock what they change, so an admin command is one
transaction: state change and the remembered answer to its request_id commit together.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any

from sqlalchemy import and_, delete, func, literal_column, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import Label

from cj_service.adapters.admin_tables import anchors, instructions, requests
from cj_service.service.admin import ports
from cj_service.service.admin.models import (
    AnchorRecord,
    ContextOrigin,
    InstructionFields,
    InstructionRecord,
    NewAnchor,
    Scope,
)


def _scope_of(row: Any) -> Scope:
    return Scope(assignment_id=row.assignment_id or "", course_id=row.course_id or "")


def _instruction(row: Any) -> InstructionRecord:
    return InstructionRecord(
        scope=_scope_of(row), instructions_text=row.instructions_text,
        grade_scale_id=row.grade_scale_id, context_origin=ContextOrigin(row.context_origin),
        student_prompt_content_id=row.student_prompt_content_id,
        judge_rubric_content_id=row.judge_rubric_content_id,
        created_at=row.created_at, updated_at=row.updated_at,
    )


def _anchor(row: Any) -> AnchorRecord:
    return AnchorRecord(
        anchor_id=row.anchor_id, assignment_id=row.assignment_id, label=row.label,
        grade=row.grade, grade_scale_id=row.grade_scale_id, content_id=row.content_id,
        created_at=row.created_at, updated_at=row.updated_at,
    )


def _columns(fields: InstructionFields) -> dict[str, str]:
    """The fields a change sets (empty = keep), as column values."""
    return {name: str(value) for name, value in asdict(fields).items() if value}


# xmax is 0 only on a row this statement inserted (not one ON CONFLICT updated).
_INSERTED: Label[Any] = literal_column("(xmax = 0)").label("inserted")
_ANCHOR_ORDER = (anchors.c.label, anchors.c.grade_scale_id, anchors.c.anchor_id)


class PostgresAdminRepository(ports.AdminRepository):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[ports.AdminTx]:
        async with self._engine.begin() as conn:
            yield PostgresAdminTx(conn)

    async def get_instruction(self, scope: Scope) -> InstructionRecord | None:
        query = select(instructions).where(instructions.c.scope_key == scope.key)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _instruction(row)

    async def list_instructions(
        self, *, after_key: str, limit: int, grade_scale_id: str
    ) -> tuple[list[InstructionRecord], int]:
        where = [instructions.c.grade_scale_id == grade_scale_id] if grade_scale_id else []
        page = select(instructions).where(*where, instructions.c.scope_key > after_key)
        page = page.order_by(instructions.c.scope_key).limit(limit)
        total = select(func.count()).select_from(instructions).where(*where)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(page)).all()
            count = (await conn.execute(total)).scalar_one()
        return [_instruction(r) for r in rows], int(count)

    async def delete_instruction(self, scope: Scope) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(instructions).where(instructions.c.scope_key == scope.key))
        return result.rowcount > 0

    async def anchors_on_scale(
        self, assignment_id: str, grade_scale_id: str
    ) -> list[AnchorRecord]:
        query = select(anchors).where(anchors.c.assignment_id == assignment_id,
                                      anchors.c.grade_scale_id == grade_scale_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.order_by(*_ANCHOR_ORDER))).all()
        return [_anchor(r) for r in rows]

    async def list_anchors(
        self, assignment_id: str, *, after: tuple[str, str, str] | None, limit: int
    ) -> list[AnchorRecord]:
        query = select(anchors).where(anchors.c.assignment_id == assignment_id)
        if after is not None:
            query = query.where(tuple_(*_ANCHOR_ORDER) > tuple_(*after))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.order_by(*_ANCHOR_ORDER).limit(limit))).all()
        return [_anchor(r) for r in rows]

    async def anchor_counts(self, assignment_id: str, grade_scale_id: str) -> dict[str, int]:
        query = (select(anchors.c.grade, func.count())
                 .where(anchors.c.assignment_id == assignment_id,
                        anchors.c.grade_scale_id == grade_scale_id)
                 .group_by(anchors.c.grade))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {grade: int(count) for grade, count in rows}

    async def delete_anchor(self, anchor_id: str) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(anchors).where(anchors.c.anchor_id == anchor_id))
        return result.rowcount > 0

    async def find_request(self, request_id: str) -> ports.StoredRequest | None:
        query = select(requests).where(requests.c.request_id == request_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else ports.StoredRequest(row.method, row.fingerprint, row.result)


class PostgresAdminTx(ports.AdminTx):
    """Writes inside one transaction (see PostgresAdminRepository.transaction)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def lock_instruction(self, scope: Scope) -> InstructionRecord | None:
        query = select(instructions).where(instructions.c.scope_key == scope.key)
        row = (await self._conn.execute(query.with_for_update())).first()
        return None if row is None else _instruction(row)

    async def insert_instruction(self, scope: Scope, fields: InstructionFields) -> bool:
        statement = insert(instructions).values(
            scope_key=scope.key, assignment_id=scope.assignment_id or None,
            course_id=scope.course_id or None, **_columns(fields),
        ).on_conflict_do_nothing()
        return (await self._conn.execute(statement)).rowcount > 0

    async def update_instruction(self, scope: Scope, fields: InstructionFields) -> None:
        statement = (update(instructions).where(instructions.c.scope_key == scope.key)
                     .values(**_columns(fields), updated_at=func.now()))
        await self._conn.execute(statement)

    async def anchor_scales(self, assignment_id: str) -> list[str]:
        query = (select(anchors.c.grade_scale_id).distinct()
                 .where(anchors.c.assignment_id == assignment_id))
        return list((await self._conn.execute(query)).scalars())

    async def upsert_anchor(self, anchor: NewAnchor) -> tuple[AnchorRecord, bool]:
        values = insert(anchors).values(**asdict(anchor))
        changed = or_(anchors.c.grade != values.excluded.grade,
                      anchors.c.content_id != values.excluded.content_id)
        statement = values.on_conflict_do_update(
            constraint="uq_cj_admin_anchors_assignment_label_scale",
            set_={"grade": values.excluded.grade,
                  "content_id": values.excluded.content_id, "updated_at": func.now()},
            where=changed,
        ).returning(*anchors.c, _INSERTED)
        row = (await self._conn.execute(statement)).first()
        if row is not None:
            return _anchor(row), bool(row.inserted)
        return await self._unchanged_anchor(anchor), False

    async def _unchanged_anchor(self, anchor: NewAnchor) -> AnchorRecord:
        query = select(anchors).where(and_(
            anchors.c.assignment_id == anchor.assignment_id,
            anchors.c.label == anchor.label,
            anchors.c.grade_scale_id == anchor.grade_scale_id))
        return _anchor((await self._conn.execute(query)).one())

    async def save_request(self, request_id: str, *, method: str, fingerprint: str,
                           result: Mapping[str, Any]) -> None:
        statement = insert(requests).values(request_id=request_id, method=method,
                                            fingerprint=fingerprint, result=dict(result))
        try:
            await self._conn.execute(statement)
        except IntegrityError as err:
            raise ports.RequestAlreadyRecorded(request_id) from err
