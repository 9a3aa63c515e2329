"""Paper blueprints: what one item's theory paper contains (pure).

The default follows domain.md §7.2 (the closest published analogue, forklift N1, under the same
rule): 100 questions = 40 true/false + 40 single + 20 multiple, 1 point each, 90 minutes, pass
mark 70; area weights 30/50/20 are the 2009 syllabus weights (§7.1). A *cell* is one area x one
type; its draw count is the type's count split across areas by weight (largest remainder).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..bank.vocab import AREAS, DIFFICULTIES, TYPES

ALL_OR_NOTHING = "all_or_nothing"
PARTIAL = "partial"
SCORING_POLICIES = (ALL_OR_NOTHING, PARTIAL)
# R-BANK's DEFAULT reading (compliance-rules.md): live questions >= 3 x drawn, per cell.
DEFAULT_COVERAGE_FACTOR = 3


@dataclass(frozen=True, slots=True)
class Spec:
    """One blueprint version's settings (stored as JSON on ``blueprints.spec``)."""

    duration_minutes: int = 90
    pass_mark: int = 70
    counts: Mapping[str, int] = field(
        default_factory=lambda: {"true_false": 40, "single": 40, "multiple": 20}
    )
    points: Mapping[str, int] = field(
        default_factory=lambda: {"true_false": 1, "single": 1, "multiple": 1}
    )
    # Percent per syllabus area; they sum to 100.
    area_weights: Mapping[str, int] = field(
        default_factory=lambda: {"basics": 30, "operation": 50, "law": 20}
    )
    # Percent per difficulty 1/2/3 (keys are strings in JSON); they sum to 100.
    difficulty_mix: Mapping[str, int] = field(default_factory=lambda: {"1": 30, "2": 50, "3": 20})
    # At least this many critical-safety questions per paper; 0 switches the rule off.
    min_critical: int = 0
    # Multiple choice: all_or_nothing (default) or partial (see score_multiple).
    multiple_scoring: str = ALL_OR_NOTHING
    # The critical-question (veto) rule, applied by ``exams.grading``: when set, a paper FAILS
    # if more than this many critical questions are answered wrong (unanswered counts as
    # wrong), whatever its score; 0 = any wrong critical question fails. None switches it off,
    # and that is the default because the regulation (TSG Z6001-2019, domain.md §4) fixes only
    # the pass mark of 70. A veto rule ("否决项") is common practice (domain.md §8.2,
    # INFERENCE), so it must be the centre's or the authority's explicit choice. Blueprints
    # stored before the field existed read as None (``from_json`` ignores missing keys).
    critical_wrong_allowed: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: dict(v) if isinstance(v, Mapping) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Spec:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    @property
    def question_count(self) -> int:
        return sum(self.counts.values())

    @property
    def total_points(self) -> int:
        return sum(self.counts[t] * self.points[t] for t in TYPES)

    @property
    def target_difficulty(self) -> float:
        """The expected mean difficulty of a paper (1..3) the difficulty mix asks for."""
        return sum(int(d) * w for d, w in self.difficulty_mix.items()) / 100


def spec_problems(spec: Spec) -> list[tuple[str, str]]:
    """(field, reason) for every inconsistency in a blueprint's settings."""
    problems = []
    if spec.duration_minutes <= 0:
        problems.append(("duration_minutes", "the duration must be at least 1 minute"))
    if set(spec.counts) != set(TYPES) or any(c < 0 for c in spec.counts.values()):
        problems.append(("counts", "give a count of 0 or more for every question type"))
    elif spec.question_count == 0:
        problems.append(("counts", "a paper needs at least one question"))
    if set(spec.points) != set(TYPES) or any(p < 1 for p in spec.points.values()):
        problems.append(("points", "every question type is worth at least 1 point"))
    if set(spec.area_weights) != set(AREAS) or sum(spec.area_weights.values()) != 100:
        problems.append(("area_weights", "the area weights add up to 100"))
    if {int(d) for d in spec.difficulty_mix} != set(DIFFICULTIES) or sum(
        spec.difficulty_mix.values()
    ) != 100:
        problems.append(("difficulty_mix", "the difficulty mix adds up to 100"))
    if not problems and not 0 < spec.pass_mark <= spec.total_points:
        problems.append(("pass_mark", "the pass mark lies between 1 and the paper's total points"))
    if spec.min_critical < 0 or (not problems and spec.min_critical > spec.question_count):
        problems.append(("min_critical", "between 0 and the number of questions"))
    if spec.multiple_scoring not in SCORING_POLICIES:
        problems.append(("multiple_scoring", "all_or_nothing or partial"))
    allowed = spec.critical_wrong_allowed
    if allowed is not None and (
        isinstance(allowed, bool) or not isinstance(allowed, int) or allowed < 0
    ):
        problems.append(
            (
                "critical_wrong_allowed",
                "empty (no critical-question rule) or a whole number of 0 or more",
            )
        )
    return problems


def largest_remainder(total: int, weights: Mapping[Any, float]) -> dict[Any, int]:
    """Split ``total`` in proportion to ``weights`` (Hamilton's method; ties by key order)."""
    weight_sum = sum(weights.values())
    if total == 0 or weight_sum == 0:
        return dict.fromkeys(weights, 0)
    exact = {k: total * w / weight_sum for k, w in weights.items()}
    shares = {k: int(v) for k, v in exact.items()}
    left = total - sum(shares.values())
    order = sorted(weights, key=lambda k: -(exact[k] - shares[k]))
    for k in order[:left]:
        shares[k] += 1
    return shares


def cells(spec: Spec) -> dict[tuple[str, str], int]:
    """Draws per (area, type) cell: each type's count split across areas by weight."""
    result = {}
    for qtype in TYPES:
        split = largest_remainder(spec.counts[qtype], {a: spec.area_weights[a] for a in AREAS})
        for area in AREAS:
            result[(area, qtype)] = split[area]
    return result


@dataclass(frozen=True, slots=True)
class CellCoverage:
    """One cell's stock of live questions against what publishing needs."""

    item: str
    area: str
    type: str
    drawn_per_paper: int
    live_questions: int
    required: int

    @property
    def cell(self) -> str:
        """The cell's name, e.g. ``operation/single`` (BlueprintCell.point in R-BANK)."""
        return f"{self.area}/{self.type}"

    @property
    def shortfall(self) -> int:
        return max(0, self.required - self.live_questions)


def coverage(
    item: str,
    spec: Spec,
    live_counts: Mapping[tuple[str, str], int],
    factor: int = DEFAULT_COVERAGE_FACTOR,
) -> list[CellCoverage]:
    """Per cell: (item, cell, drawn_per_paper, live_questions) and the ``factor`` x draw needed.

    ``live_counts`` maps (area, type) to the number of live questions. Each result maps onto
    ``compliance.model.BlueprintCell(item, point=cell.cell, drawn_per_paper, live_questions)``.
    """
    return [
        CellCoverage(item, area, qtype, drawn, live_counts.get((area, qtype), 0), factor * drawn)
        for (area, qtype), drawn in cells(spec).items()
    ]


def can_publish(cover: list[CellCoverage]) -> bool:
    """Publishing is allowed when no cell falls short (R-BANK, 三(二)[三]1(3))."""
    return all(c.shortfall == 0 for c in cover)


def score_multiple(answer: str, response: str, points: int, policy: str) -> float:
    """Score one multiple-choice response.

    all_or_nothing: full points for exactly the right letters, else 0.
    partial: any wrong letter scores 0; otherwise points x (right letters chosen / right
    letters), so choosing some of the right options earns a share.
    """
    right, chosen = set(answer), set(response)
    if chosen == right:
        return float(points)
    if policy != PARTIAL or not chosen or chosen - right:
        return 0.0
    return points * len(chosen) / len(right)


def to_bank_coverage(cover: list[CellCoverage], untagged_live_questions: int):
    """R-BANK's input (``compliance.model.BankCoverage``) from the cells of the published
    blueprints; a cell (``operation/single``) stands where the rule says "point"."""
    from ..compliance.model import BankCoverage, BlueprintCell

    return BankCoverage(
        cells=tuple(
            BlueprintCell(c.item, c.cell, c.drawn_per_paper, c.live_questions) for c in cover
        ),
        untagged_live_questions=untagged_live_questions,
    )
