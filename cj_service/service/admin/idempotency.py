"""request_id handling for mutating admin commands: a duplicate gets the original answer.

The answer is remembered as JSON in the same transaction as the state change, so a crash
between the two cannot make a retry answer differently. Failed commands are not remembered:
a retry after fixing the cause is evaluated afresh.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from cj_service.service import limits
from cj_service.service.admin.ports import AdminRepository, AdminTx, RequestAlreadyRecorded
from cj_service.service.validation import request_id_conflict
from contracts import text
from contracts.errors import invalid_argument

Result = Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class RequestKey:
    request_id: str
    method: str
    fingerprint: str


def key_for(method: str, command: Any) -> RequestKey:
    """The request_id plus a hash of everything else the command says."""
    fields = dataclasses.asdict(command)
    request_id = fields.pop("request_id")
    if not request_id:
        raise invalid_argument("INVALID_ARGUMENT", "request_id is required", field="request_id")
    text.check("request_id", request_id, limits.ID)  # before it reaches SQL
    body = json.dumps(fields, sort_keys=True, default=str).encode("utf-8")
    return RequestKey(request_id, method, hashlib.sha256(body).hexdigest())


async def replay_of(repo: AdminRepository, key: RequestKey) -> Result | None:
    """The remembered answer for this request_id, None when it is new."""
    stored = await repo.find_request(key.request_id)
    if stored is None:
        return None
    if stored.method != key.method or stored.fingerprint != key.fingerprint:
        raise request_id_conflict(
            key.request_id, f"request_id {text.clip(key.request_id)!r} was already used for "
            f"a different {stored.method} request", method=stored.method)
    return stored.result


async def commit_once(
    repo: AdminRepository, key: RequestKey, work: Callable[[AdminTx], Awaitable[Result]]
) -> Result:
    """Run `work` and remember its result in one transaction; on a race, the winner's answer."""
    try:
        async with repo.transaction() as tx:
            result = await work(tx)
            await tx.save_request(key.request_id, method=key.method,
                                  fingerprint=key.fingerprint, result=result)
        return result
    except RequestAlreadyRecorded:
        replay = await replay_of(repo, key)
        if replay is None:  # pragma: no cover - the unique violation proves a committed row
            raise
        return replay
