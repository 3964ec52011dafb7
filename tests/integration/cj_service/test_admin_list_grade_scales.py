"""ListGradeScales serves the grade scales as data."""

from __future__ import annotations

import pytest

from cj_service.domain.grade_scales import list_scales
from contracts.huleedu.cj.v1 import cj_admin_pb2 as pb
from tests.integration.cj_service.admin_fixtures import *  # noqa: F403
from tests.integration.cj_service.admin_fixtures import AdminMesh

pytestmark = pytest.mark.integration


async def test_every_scale_is_listed_with_its_grades_priors_and_below_lowest_grade(
    admin_mesh: AdminMesh,
) -> None:
    response = await admin_mesh.call("ListGradeScales", pb.ListGradeScalesRequest())
    served = {s.id: s for s in response.scales}
    assert set(served) == {"swedish_8_anchor", "eng5_np_legacy_9_step",
                           "eng5_np_national_9_step"}
    for scale in list_scales():
        wire = served[scale.id]
        assert tuple(wire.grades) == scale.grades
        assert tuple(wire.priors) == pytest.approx(scale.priors)
        assert wire.below_lowest_grade == (scale.below_lowest_grade or "")
    assert list(served["eng5_np_national_9_step"].grades) == [str(i) for i in range(1, 10)]
    assert served["swedish_8_anchor"].priors[4] == pytest.approx(0.25)
