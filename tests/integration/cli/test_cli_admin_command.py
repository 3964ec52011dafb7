"""`huleedu admin ...` and `huleedu token dev` against the real cj service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures import unique_name
from tests.integration.cli.mesh_support import SAMPLES, MeshHandle
from tests.integration.cli.support import batch_id_in, huleedu, one_line_error, small_sample

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def token() -> str:
    result = huleedu(None, "token", "dev")
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def admin(mesh: MeshHandle, token: str, *args: str):  # type: ignore[no-untyped-def]
    return huleedu(mesh, "admin", *args, env={"HULEEDU_ADMIN_TOKEN": token})


def test_dev_tokens_are_refused_in_production() -> None:
    result = huleedu(None, "token", "dev", env={"HULEEDU_ENV": "production"})
    assert result.exit_code == 2
    assert "production" in one_line_error(result)


def test_admin_without_a_token_says_how_to_get_one(cli_mesh: MeshHandle) -> None:
    result = huleedu(cli_mesh, "admin", "scales", env={"HULEEDU_ADMIN_TOKEN": ""})
    assert result.exit_code == 2
    assert "huleedu token dev" in one_line_error(result)


def test_a_bad_token_is_refused_with_the_reason(cli_mesh: MeshHandle) -> None:
    result = admin(cli_mesh, "not.a.jwt", "scales")
    assert result.exit_code == 2
    assert "INVALID_TOKEN" in one_line_error(result)


def test_scales_lists_every_grade_scale(cli_mesh: MeshHandle, token: str) -> None:
    result = admin(cli_mesh, token, "scales")
    assert result.exit_code == 0, result.output
    for scale in ("swedish_8_anchor", "eng5_np_legacy_9_step", "eng5_np_national_9_step"):
        assert scale in result.stdout


def test_an_assignment_is_set_up_and_assessed_with_its_registered_context(
    cli_mesh: MeshHandle, token: str, tmp_path: Path
) -> None:
    assignment = unique_name("phones")
    _ok(admin(cli_mesh, token, "instructions", "upsert", str(SAMPLES / "instructions.txt"),
              "--assignment", assignment, "--scale", "swedish_8_anchor"))
    got = json.loads(_ok(admin(cli_mesh, token, "instructions", "get", "--assignment", assignment)))
    assert got["grade_scale_id"] == "swedish_8_anchor"
    _ok(admin(cli_mesh, token, "prompt", "upload", str(SAMPLES / "prompt.txt"),
              "--assignment", assignment))
    assert "mobile phones" in _ok(admin(cli_mesh, token, "prompt", "get", "--assignment",
                                        assignment))
    _ok(admin(cli_mesh, token, "rubric", "upload", str(SAMPLES / "rubric.txt"),
              "--assignment", assignment))
    assert "Judge rubric" in _ok(admin(cli_mesh, token, "rubric", "get", "--assignment",
                                       assignment))
    for grade in ("F", "C", "A"):
        anchor = SAMPLES / "anchors" / f"{grade}_anchor.txt"
        _ok(admin(cli_mesh, token, "anchor", "register", str(anchor),
                  "--assignment", assignment, "--grade", grade))
    listing = _ok(admin(cli_mesh, token, "anchor", "list", "--assignment", assignment))
    assert "per grade:" in listing and "A=1" in listing and "F=1" in listing
    essays, _ = small_sample(tmp_path)
    run = huleedu(cli_mesh, "assess", str(essays), "--assignment", assignment, "--budget", "12",
                  "--judge", "simulated/simulated-judge")
    assert run.exit_code == 0, run.output
    assert "[anchor A]" in run.stdout  # the registered anchors joined the batch
    assert batch_id_in(run.stderr)


def test_an_anchor_with_a_grade_off_the_scale_is_refused(
    cli_mesh: MeshHandle, token: str
) -> None:
    assignment = unique_name("grades")
    _ok(admin(cli_mesh, token, "instructions", "upsert", str(SAMPLES / "instructions.txt"),
              "--assignment", assignment, "--scale", "eng5_np_national_9_step"))
    result = admin(cli_mesh, token, "anchor", "register", str(SAMPLES / "anchors/A_anchor.txt"),
                   "--assignment", assignment, "--grade", "A")
    assert result.exit_code == 2
    assert "INVALID_GRADE" in one_line_error(result)


def test_instructions_list_and_delete(cli_mesh: MeshHandle, token: str) -> None:
    course = unique_name("course")
    _ok(admin(cli_mesh, token, "instructions", "upsert", str(SAMPLES / "instructions.txt"),
              "--course", course, "--scale", "swedish_8_anchor"))
    assert course in _ok(admin(cli_mesh, token, "instructions", "list", "--page-size", "500"))
    deleted = json.loads(_ok(admin(cli_mesh, token, "instructions", "delete", "--course", course)))
    assert deleted == {"deleted": True}
    missing = admin(cli_mesh, token, "instructions", "get", "--course", course)
    assert missing.exit_code == 2
    assert "INSTRUCTION_NOT_FOUND" in one_line_error(missing)


def _ok(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return result.stdout
