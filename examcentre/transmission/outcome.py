"""A hub sitting's outcome flags (pure): what the overall pass rate needs of one sitting.

The period summary's overall pass rate (``reports.queries.overall_counts``) pairs a
candidate's theory and practical sittings of an item: decided = a decided result of each
subject in the period, passed = at least one pass of each (as
``practical.results.combined_result`` counts a retake that passes). Per sitting that is four
yes/no facts, which the hub keeps on ``hub_sittings`` when it ingests a batch, so the report
reads one table instead of grouping a million subject results:

- ``theory_decided``: the sitting has a theory result with ``passed`` not null;
- ``theory_passed``: it has a theory result with ``passed`` true;
- ``practical_decided`` / ``practical_passed``: the same over subjects ``practical`` and
  ``simulator``, except that a ``simulator`` result does not count when the sitting also
  has a ``practical`` result. The examiners' sheets start from the simulator exam run
  (``practical.operations.start_sheet``), so a batch lists both the run and the practical
  result the examiners signed from it: one exam, and the signed result is the one that
  stands (the ``settled`` rule of ``reports.queries._hub_results``, and of the local source).

``hub.MARK_OUTCOMES_SQL`` computes the same flags in SQL from ``hub_subject_results`` (the
migration's back-fill, and rows written by COPY); the tests check that the two agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple, Protocol


class Result(Protocol):
    subject: str
    passed: bool | None


class Outcome(NamedTuple):
    theory_decided: bool
    theory_passed: bool
    practical_decided: bool
    practical_passed: bool


def sitting_outcome(results: Iterable[Result]) -> Outcome:
    """The four flags of one sitting from its subject results (anything with ``subject`` and
    ``passed``: the parsed batch's rows, or ``HubSubjectResult``)."""
    results = list(results)
    signed = any(r.subject == "practical" for r in results)
    theory = [r.passed for r in results if r.subject == "theory"]
    # A simulator run the examiners signed a practical result from is that result's draft.
    practical = [
        r.passed
        for r in results
        if r.subject == "practical" or (r.subject == "simulator" and not signed)
    ]
    return Outcome(
        theory_decided=any(p is not None for p in theory),
        theory_passed=any(p is True for p in theory),
        practical_decided=any(p is not None for p in practical),
        practical_passed=any(p is True for p in practical),
    )
