"""Drawing randomised papers from a blueprint (pure, numpy).

Method (documented in ARCHITECTURE.md):

1. The item's live question versions form a ``Pool``, sorted by the stable key (type, area,
   difficulty, question id), so database row order never matters and every stratum
   (area x type x difficulty) is a contiguous slice.
2. ``make_plan`` fixes how many questions each stratum gives: each cell's (area x type) draw
   count is split across difficulties by the blueprint's difficulty mix (largest remainder,
   overflow moved to the nearest difficulty that has questions). Every paper therefore has
   the same difficulty composition: parallel forms, no candidate gets a harder paper.
3. Within a stratum the draw is without replacement, weighted by the inverse of past exposure
   (1 / (1 + times drawn before)) with the Efraimidis-Spirakis method: key = E / w with E
   exponential, take the k smallest keys. Over many papers every question in a stratum is
   drawn about equally often, and an over-exposed question is drawn less until the others
   catch up. Excluded questions (a retaker's earlier paper) get an enormous key, so they are
   used only when the stratum has nothing else left: "where the bank allows".
4. Questions are shuffled within each type section; options are shuffled (not true/false).

Randomness is ``numpy.random.Generator(PCG64(seed))`` only, consumed in a fixed order, so the
same seed, pool, plan and exposure always give the identical paper.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.random import PCG64, Generator

from ..bank.vocab import AREAS, DIFFICULTIES, LETTERS, TYPES
from .blueprint import Spec, cells, largest_remainder

_EXCLUDED = 1e12  # added to an excluded question's key: last resort only
MAX_OPTIONS = len(LETTERS)


@dataclass(frozen=True, slots=True)
class PoolQuestion:
    """One live question version, as the drawing needs it."""

    question_id: int
    version_id: int
    version: int
    area: str
    type: str
    difficulty: int
    critical: bool = False
    option_count: int = 0
    content_hash: str = ""


@dataclass(frozen=True, slots=True)
class Pool:
    """Parallel arrays over the pool, sorted by (type, area, difficulty, question id)."""

    questions: tuple[PoolQuestion, ...]
    question_ids: np.ndarray
    type_index: np.ndarray
    area_index: np.ndarray
    difficulty: np.ndarray
    critical: np.ndarray
    option_count: np.ndarray

    def __len__(self) -> int:
        return len(self.questions)


def build_pool(questions: Iterable[PoolQuestion]) -> Pool:
    """The pool in its stable order, whatever order ``questions`` came in."""
    ordered = tuple(
        sorted(
            questions,
            key=lambda q: (TYPES.index(q.type), AREAS.index(q.area), q.difficulty, q.question_id),
        )
    )
    return Pool(
        questions=ordered,
        question_ids=np.array([q.question_id for q in ordered], dtype=np.int64),
        type_index=np.array([TYPES.index(q.type) for q in ordered], dtype=np.int8),
        area_index=np.array([AREAS.index(q.area) for q in ordered], dtype=np.int8),
        difficulty=np.array([q.difficulty for q in ordered], dtype=np.int8),
        critical=np.array([q.critical for q in ordered], dtype=bool),
        option_count=np.array([q.option_count for q in ordered], dtype=np.int8),
    )


def bank_version(questions: Iterable[PoolQuestion]) -> str:
    """A stable content hash of an item's live question versions.

    SHA-256 over the sorted lines ``question_id:version:content_hash``: it changes exactly when
    a question goes live, is revised or is retired, and not with database row order.
    """
    lines = sorted(f"{q.question_id}:{q.version}:{q.content_hash}" for q in questions)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


class BankTooSmall(ValueError):
    """A cell has fewer live questions than one paper draws from it."""

    def __init__(self, shortfalls: dict[tuple[str, str], tuple[int, int]]):
        self.shortfalls = shortfalls  # (area, type) -> (needed, available)
        text = ", ".join(f"{a}/{t}: {n} needed, {h} live" for (a, t), (n, h) in shortfalls.items())
        super().__init__(f"the bank is too small for this blueprint: {text}")


@dataclass(frozen=True, slots=True)
class Stratum:
    """One area x type x difficulty slice of the pool and its share of the cell's draws."""

    type_index: int
    start: int
    stop: int
    take: int  # drawn from it in every paper
    extra: float = 0.0  # chance (0..1) of one more, decided per paper (randomised rounding)


@dataclass(frozen=True, slots=True)
class Plan:
    """What every paper draws from the pool: per cell, its strata (slices of the pool)."""

    cells: tuple[tuple[Stratum, ...], ...]  # in type order, then area order
    min_critical: int
    size: int

    @property
    def strata(self) -> tuple[Stratum, ...]:
        return tuple(s for cell in self.cells for s in cell)


def allocate_difficulty(
    take: int, mix: Mapping[int, int], available: Mapping[int, int]
) -> dict[int, int]:
    """Split one cell's draws across difficulties by ``mix``, within what is ``available``.

    What a difficulty cannot supply moves to the nearest difficulty with questions to spare
    (ties to the easier), which keeps the paper's mean difficulty as close as the bank allows.
    """
    share = largest_remainder(take, {d: mix.get(d, 0) for d in DIFFICULTIES})
    for d in DIFFICULTIES:
        excess = share[d] - available.get(d, 0)
        if excess <= 0:
            continue
        share[d] -= excess
        for other in sorted(DIFFICULTIES, key=lambda o: (abs(o - d), o)):
            room = available.get(other, 0) - share[other]
            moved = min(room, excess) if other != d else 0
            share[other] += moved
            excess -= moved
            if excess == 0:
                break
    return share


def _cell_strata(
    t: int, take: int, mix: Mapping[int, int], bounds: Mapping[int, tuple[int, int]]
) -> tuple[Stratum, ...]:
    """A cell's strata. Exact shares ``take x mix`` are kept as whole draws plus a chance of
    one more (randomised rounding), so over many papers each difficulty gets exactly its
    share and no stratum is favoured by rounding; where the bank cannot supply the exact
    shares, the fixed ``allocate_difficulty`` split is used instead."""
    available = {d: stop - start for d, (start, stop) in bounds.items()}
    total = sum(mix.get(d, 0) for d in DIFFICULTIES) or 1
    exact = {d: take * mix.get(d, 0) / total for d in DIFFICULTIES}
    if all(available[d] >= -(-exact[d] // 1) for d in DIFFICULTIES):
        return tuple(
            Stratum(t, *bounds[d], int(exact[d]), exact[d] - int(exact[d]))
            for d in DIFFICULTIES
            if exact[d] > 0
        )
    fixed = allocate_difficulty(take, mix, available)
    return tuple(Stratum(t, *bounds[d], n) for d, n in fixed.items() if n)


def make_plan(pool: Pool, spec: Spec) -> Plan:
    """The per-stratum draw counts for ``spec``; raises BankTooSmall naming short cells."""
    mix = {int(d): w for d, w in spec.difficulty_mix.items()}
    plan_cells: list[tuple[int, int, tuple[Stratum, ...]]] = []
    shortfalls = {}
    keys = pool.type_index.astype(np.int64) * 100 + pool.area_index * 10 + pool.difficulty
    for (area, qtype), take in cells(spec).items():
        if take == 0:
            continue
        t, a = TYPES.index(qtype), AREAS.index(area)
        bounds = {}
        for d in DIFFICULTIES:
            key = t * 100 + a * 10 + d
            start = int(np.searchsorted(keys, key, side="left"))
            stop = int(np.searchsorted(keys, key, side="right"))
            bounds[d] = (start, stop)
        available = sum(stop - start for start, stop in bounds.values())
        if available < take:
            shortfalls[(area, qtype)] = (take, available)
            continue
        plan_cells.append((t, a, _cell_strata(t, take, mix, bounds)))
    if shortfalls:
        raise BankTooSmall(shortfalls)
    plan_cells.sort(key=lambda c: (c[0], c[1]))
    return Plan(tuple(c[2] for c in plan_cells), spec.min_critical, spec.question_count)


def exposure_scale(pool: Pool, exposure: Mapping[int, int] | None = None) -> np.ndarray:
    """1 + times each pool question was drawn before (the inverse of its draw weight)."""
    scale = np.ones(len(pool), dtype=np.float64)
    if exposure:
        for i, qid in enumerate(pool.question_ids.tolist()):
            scale[i] += exposure.get(qid, 0)
    return scale


@dataclass(frozen=True, slots=True)
class DrawnPaper:
    """A drawn paper: pool indices in paper order and each question's option order."""

    seed: int
    order: np.ndarray  # pool indices, in the order the candidate sees them
    option_orders: np.ndarray  # (questions, 5): original option indices in display order, -1 pad


def draw_paper(
    pool: Pool,
    plan: Plan,
    seed: int,
    scale: np.ndarray | None = None,
    exclude: Iterable[int] = (),
) -> DrawnPaper:
    """Draw one paper. ``scale`` from ``exposure_scale``; ``exclude`` holds question ids."""
    rng = Generator(PCG64(seed))
    keys = rng.standard_exponential(len(pool), dtype=np.float32)
    if scale is not None:
        keys *= scale
    excluded = np.fromiter(exclude, dtype=np.int64)
    if excluded.size:
        keys[np.isin(pool.question_ids, excluded)] += np.float32(_EXCLUDED)
    rounding = rng.random(len(plan.cells))
    chosen_by_stratum = []
    type_of = []
    argpartition = np.argpartition
    for cell, u in zip(plan.cells, rounding.tolist(), strict=True):
        takes = _rounded_takes(cell, u)
        if excluded.size:
            takes = _avoid_excluded(cell, takes, keys)
        for s, take in zip(cell, takes, strict=True):
            start, stop = s.start, s.stop
            if take >= stop - start:
                chosen_by_stratum.append(np.arange(start, stop))
            elif take == 0:
                chosen_by_stratum.append(np.empty(0, dtype=np.int64))
            else:
                chosen_by_stratum.append(start + argpartition(keys[start:stop], take - 1)[:take])
            type_of.append(s.type_index)
    if plan.min_critical:
        _enforce_critical(pool, plan, keys, chosen_by_stratum)
    sections = []
    first = 0
    for i in range(1, len(type_of) + 1):
        if i == len(type_of) or type_of[i] != type_of[first]:
            section = np.concatenate(chosen_by_stratum[first:i])
            sections.append(section[rng.permutation(section.size)])
            first = i
    order = np.concatenate(sections) if sections else np.empty(0, dtype=np.int64)
    counts = pool.option_count[order]
    absent = np.arange(MAX_OPTIONS)[None, :] >= counts[:, None]
    noise = rng.random((order.size, MAX_OPTIONS), dtype=np.float32)
    noise[absent] = 2.0  # absent options sort last
    option_orders = np.argsort(noise, axis=1).astype(np.int8)
    option_orders[absent] = -1
    return DrawnPaper(seed, order, option_orders)


def _rounded_takes(cell: tuple[Stratum, ...], u: float) -> list[int]:
    """Each stratum's whole draws, plus one more for the strata systematic sampling picks
    (the point u, u+1, ... falling in a stratum's stretch of the extras): each stratum gets its
    extra with probability exactly ``extra``, and the cell's total is always its draw count."""
    takes = []
    point, cumulative = u, 0.0
    for s in cell:
        take = s.take
        if s.extra:
            if cumulative <= point < cumulative + s.extra:
                take += 1
                point += 1.0
            cumulative += s.extra
        takes.append(take)
    return takes


def _avoid_excluded(cell: tuple[Stratum, ...], takes: list[int], keys: np.ndarray) -> list[int]:
    """Move draws from a stratum that has too few non-excluded questions to the nearest
    difficulty of the same cell that has some: a retaker sees no repeated question before
    the difficulty mix is bent, and the mix before a question is repeated."""
    spare = [int(np.count_nonzero(keys[s.start : s.stop] < _EXCLUDED / 2)) for s in cell]
    takes = list(takes)
    for i in range(len(cell)):
        excess = takes[i] - spare[i]
        if excess <= 0:
            continue
        for j in sorted(range(len(cell)), key=lambda j: (abs(j - i), j)):
            room = spare[j] - takes[j] if j != i else 0
            moved = max(0, min(room, excess))
            takes[i] -= moved
            takes[j] += moved
            excess -= moved
            if excess == 0:
                break
    return takes


def _enforce_critical(pool: Pool, plan: Plan, keys: np.ndarray, chosen: list[np.ndarray]) -> None:
    """Swap in critical questions until the paper has ``plan.min_critical`` (where possible).

    A swap stays inside one stratum (same area, type and difficulty), so the blueprint and
    the difficulty composition are untouched: the unchosen critical question with the smallest
    key replaces the chosen non-critical question with the largest key.
    """
    have = sum(int(pool.critical[c].sum()) for c in chosen)
    for i, s in enumerate(plan.strata):
        while have < plan.min_critical:
            picked = chosen[i]
            in_stratum = np.arange(s.start, s.stop)
            spare = in_stratum[~np.isin(in_stratum, picked) & pool.critical[s.start : s.stop]]
            plain = picked[~pool.critical[picked]]
            if not spare.size or not plain.size:
                break
            incoming = spare[np.argmin(keys[spare])]
            outgoing = plain[np.argmax(keys[plain])]
            chosen[i] = np.where(picked == outgoing, incoming, picked)
            have += 1
        if have >= plan.min_critical:
            return


def option_letters(row: np.ndarray) -> str:
    """A displayed option order as letters, e.g. ``CADB`` (empty for true/false)."""
    return "".join(LETTERS[i] for i in row.tolist() if i >= 0)


def paper_difficulty(pool: Pool, paper: DrawnPaper) -> float:
    """The paper's mean difficulty (1..3), to compare with ``Spec.target_difficulty``."""
    return float(pool.difficulty[paper.order].mean()) if paper.order.size else 0.0
