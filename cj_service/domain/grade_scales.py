"""Grade scales as data: ordered grades, population priors and the optional below-lowest grade.

Grades are strings everywhere (numeric national grades such as "1".."9" included), so a
grade never changes type between the database, the projection and the result event.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

_PRIOR_SUM_TOLERANCE = 1e-6


class UnknownGradeScale(KeyError):
    """Raised by get_scale for an id that is not a registered scale."""

    def __init__(self, scale_id: str, known: tuple[str, ...]) -> None:
        super().__init__(scale_id)
        self.scale_id = scale_id
        self.known = known

    def __str__(self) -> str:
        return f"unknown grade scale {self.scale_id!r}; known scales: {', '.join(self.known)}"


@dataclass(frozen=True)
class GradeScale:
    """One grade scale. `grades` run from lowest to highest; `priors` align with them."""

    id: str
    display_name: str
    grades: tuple[str, ...]
    priors: tuple[float, ...]
    below_lowest_grade: str | None = None

    def __post_init__(self) -> None:
        if len(self.grades) < 2 or len(set(self.grades)) != len(self.grades):
            raise ValueError(f"scale {self.id!r}: needs >= 2 distinct grades")
        if len(self.priors) != len(self.grades):
            raise ValueError(f"scale {self.id!r}: one prior per grade required")
        if any(not (p > 0.0) for p in self.priors):
            raise ValueError(f"scale {self.id!r}: priors must be positive")
        if abs(math.fsum(self.priors) - 1.0) > _PRIOR_SUM_TOLERANCE:
            raise ValueError(f"scale {self.id!r}: priors must sum to 1")
        if self.below_lowest_grade is not None and self.below_lowest_grade in self.grades:
            raise ValueError(f"scale {self.id!r}: below-lowest grade must not be a listed grade")

    @property
    def labels(self) -> tuple[str, ...]:
        """Every grade an essay can receive, lowest first (below-lowest grade included)."""
        if self.below_lowest_grade is None:
            return self.grades
        return (self.below_lowest_grade, *self.grades)

    def prior_of(self, grade: str) -> float:
        """Population prior of a listed grade (KeyError for anything else)."""
        try:
            return self.priors[self.grades.index(grade)]
        except ValueError:
            raise KeyError(grade) from None


def _uniform(n: int) -> tuple[float, ...]:
    return tuple(1.0 / n for _ in range(n))


_SWEDISH_GRADES = ("F", "E", "D", "D+", "C", "C+", "B", "A")
_LEGACY_GRADES = ("F+", "E-", "E+", "D-", "D+", "C-", "C+", "B", "A")
_NATIONAL_GRADES = tuple(str(i) for i in range(1, 10))

_SCALES: tuple[GradeScale, ...] = (
    GradeScale(
        id="swedish_8_anchor",
        display_name="Swedish national exam (8 grades)",
        grades=_SWEDISH_GRADES,
        priors=(0.02, 0.08, 0.15, 0.20, 0.25, 0.15, 0.10, 0.05),
    ),
    GradeScale(
        id="eng5_np_legacy_9_step",
        display_name="ENG5 NP legacy (9-step, F+ to A)",
        grades=_LEGACY_GRADES,
        priors=_uniform(len(_LEGACY_GRADES)),
        below_lowest_grade="F",
    ),
    GradeScale(
        id="eng5_np_national_9_step",
        display_name="ENG5 NP national (9-step, 1 to 9)",
        grades=_NATIONAL_GRADES,
        priors=_uniform(len(_NATIONAL_GRADES)),
        below_lowest_grade="0",
    ),
)


def list_scales() -> tuple[GradeScale, ...]:
    """All registered scales, in a stable order."""
    return _SCALES


def get_scale(scale_id: str) -> GradeScale:
    """The scale with this id; UnknownGradeScale (a KeyError) names the known ids otherwise."""
    for scale in _SCALES:
        if scale.id == scale_id:
            return scale
    raise UnknownGradeScale(scale_id, tuple(s.id for s in _SCALES))


def is_valid_grade(scale: GradeScale, grade: str) -> bool:
    """True for a listed grade or the scale's below-lowest grade (exact string match)."""
    return isinstance(grade, str) and grade in scale.labels
