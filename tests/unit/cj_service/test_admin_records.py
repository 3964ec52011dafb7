"""Remembered answers round-trip through JSON; request fingerprints see every field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cj_service.entrypoints.admin_servicer import AdminSettings
from cj_service.service.admin.idempotency import key_for
from cj_service.service.admin.models import (
    AnchorRecord,
    ContextOrigin,
    InstructionRecord,
    RegisterAnchor,
    Scope,
    anchor_from_json,
    instruction_from_json,
    to_json,
)
from contracts.errors import ServiceError

NOW = datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=UTC)


def test_an_instruction_survives_the_json_round_trip() -> None:
    record = InstructionRecord(
        Scope(course_id="c1"),
        "text",
        "swedish_8_anchor",
        ContextOrigin.CANONICAL_NATIONAL,
        "p",
        "r",
        NOW,
        NOW,
    )
    assert instruction_from_json(to_json(record)) == record


def test_an_anchor_survives_the_json_round_trip() -> None:
    record = AnchorRecord("id", "a1", "label", "7", "eng5_np_national_9_step", "c", NOW, NOW)
    assert anchor_from_json(to_json(record)) == record


def test_the_fingerprint_changes_with_any_field_but_not_with_the_request_id() -> None:
    base = RegisterAnchor("r1", "a1", "label", "C", text="essay")
    same = key_for("RegisterAnchor", RegisterAnchor("r2", "a1", "label", "C", text="essay"))
    other = key_for("RegisterAnchor", RegisterAnchor("r1", "a1", "label", "C", text="essay!"))
    assert key_for("RegisterAnchor", base).fingerprint == same.fingerprint
    assert key_for("RegisterAnchor", base).fingerprint != other.fingerprint


def test_a_command_without_request_id_is_refused() -> None:
    with pytest.raises(ServiceError) as caught:
        key_for("RegisterAnchor", RegisterAnchor("", "a1", "label", "C", text="essay"))
    assert caught.value.metadata == {"field": "request_id"}


@pytest.mark.parametrize("env,expected", [({}, 200), ({"CJ_ANCHOR_MIN_CHARS": "50"}, 50)])
def test_the_anchor_minimum_is_read_from_the_environment(env: dict, expected: int) -> None:
    assert AdminSettings.from_env(env).anchor_min_chars == expected


def test_a_non_positive_anchor_minimum_is_refused() -> None:
    with pytest.raises(ValueError):
        AdminSettings.from_env({"CJ_ANCHOR_MIN_CHARS": "0"})
