"""Exam applications: the life cycle and the eligibility verdicts shown to the reviewer. Pure.

The centre's full-time staff accept and review the application material before anyone is
scheduled (受理并审查考试申请资料: 附件2 三(二)1, shared/spec/regulation-zh.md).

Life cycle::

    submitted --accept--> accepted --enrol--> enrolled --close--> closed
        |  ^                  |
        |  +--resubmit--+     +--withdraw--> withdrawn
        |               |
        +--request_more--> more_requested --reject / withdraw-->
        +--reject--> rejected

A rejection and a request for more material need a reason (the applicant is told it).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ..idnumber import InvalidIdNumber, parse_id_number
from ..sessions.eligibility import ReasonCode, Sitting, check_eligibility


class ApplicationState(StrEnum):
    SUBMITTED = "submitted"
    MORE_REQUESTED = "more_requested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ENROLLED = "enrolled"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


S = ApplicationState
# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[ApplicationState], ApplicationState]] = {
    "accept": (frozenset({S.SUBMITTED}), S.ACCEPTED),
    "reject": (frozenset({S.SUBMITTED, S.MORE_REQUESTED}), S.REJECTED),
    "request_more": (frozenset({S.SUBMITTED}), S.MORE_REQUESTED),
    "resubmit": (frozenset({S.MORE_REQUESTED}), S.SUBMITTED),
    "enrol": (frozenset({S.ACCEPTED}), S.ENROLLED),
    "withdraw": (frozenset({S.SUBMITTED, S.MORE_REQUESTED, S.ACCEPTED}), S.WITHDRAWN),
    "close": (frozenset({S.ENROLLED}), S.CLOSED),
}
NEEDS_REASON = frozenset({"reject", "request_more", "withdraw", "close"})
# An application in one of these states blocks another for the same person and item.
ACTIVE_STATES = frozenset({S.SUBMITTED, S.MORE_REQUESTED, S.ACCEPTED, S.ENROLLED})


class TransitionError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def next_state(state: str, action: str, reason: str | None = None) -> ApplicationState:
    """The state ``action`` leads to from ``state``, or ``TransitionError``."""
    if action not in TRANSITIONS:
        raise TransitionError("unknown_action", f"unknown action {action!r}")
    sources, target = TRANSITIONS[action]
    if state not in sources:
        raise TransitionError("not_allowed", f"cannot {action} an application that is {state}")
    if action in NEEDS_REASON and not (reason or "").strip():
        raise TransitionError("reason_required", f"{action} needs a reason")
    return target


def actions_from(state: str) -> list[str]:
    return [action for action, (sources, _t) in TRANSITIONS.items() if state in sources]


# --- Items -----------------------------------------------------------------------------------
# The operation items of crane work and the Q2 limitations, as the provincial platforms
# code them (shared/spec/domain.md §2.1).
Q2_LIMITATIONS = (
    "桥式起重机",
    "门式起重机",
    "塔式起重机",
    "门座式起重机",
    "缆索式起重机",
    "流动式起重机",
)
KNOWN_ITEMS = ("Q1", *(f"Q2(限{limitation})" for limitation in Q2_LIMITATIONS))


class Check(StrEnum):
    IDENTITY = "identity"
    AGE = "age"
    ITEM = "item"
    RETAKE = "retake"
    ACTIVE = "active"
    EDUCATION = "education"
    HEALTH = "health"
    TRAINING = "training"


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's verdict for the reviewer: ``ok`` or not, with the reason in both languages."""

    check: Check
    ok: bool
    message_zh: str
    message_en: str


@dataclass(frozen=True, slots=True)
class ApplicationFacts:
    id_number: str
    item: str
    health_declared: bool
    training_hours: int | None
    training_completed_on: datetime.date | None
    education: str | None = None


# Junior secondary school (初中) at least [REPORTED: domain.md §3.1, the Shanxi platform's
# per-item education check]. The form's codes, lowest first.
EDUCATION_LEVELS = ("primary", "junior", "senior", "college")
MIN_EDUCATION = "junior"


def item_findings(item: str, examined_items: Sequence[str]) -> Finding:
    """The item and its limitation: a known code, a Q2 with its limitation, examined here."""
    if item == "Q2" or (item.startswith("Q2") and item not in KNOWN_ITEMS):
        return Finding(
            Check.ITEM,
            False,
            f"起重机司机须注明限定范围（{'、'.join(Q2_LIMITATIONS)}），“{item}”无效",
            f"A crane driver item needs a valid limitation; {item} is not one",
        )
    if item not in KNOWN_ITEMS:
        return Finding(Check.ITEM, False, f"未知的作业项目“{item}”", f"Unknown item {item}")
    if item not in examined_items:
        return Finding(
            Check.ITEM, False, f"本机构不考核 {item}", f"This centre does not examine {item}"
        )
    return Finding(Check.ITEM, True, f"作业项目 {item} 有效", f"Item {item} is valid")


def assess(
    facts: ApplicationFacts,
    on: datetime.date,
    *,
    examined_items: Sequence[str],
    history: Sequence[Sitting] = (),
    other_active: Sequence[str] = (),
    min_age: int = 18,
) -> list[Finding]:
    """Every verdict, in a fixed order, for the application as of ``on`` (the review date).

    - identity: the resident ID number (GB 11643-1999, ``idnumber``);
    - age 18 or over [REPORTED: domain.md §3.1, ``sessions.eligibility``];
    - item and limitation valid (the code table of domain.md §2.1);
    - retake rules (one retake, its window, not after a no-show: ``sessions.eligibility``),
      from ``history``, the person's sittings of the item;
    - no other active application for the same item (``other_active``: their numbers);
    - education junior secondary (初中) or above (domain.md §3.1);
    - the health declaration and proof of training, as material present [REPORTED: domain.md
      §3.1 lists both among the application material; whether a health report is required in
      this province is open (§9 q.7), so a declaration is what is checked].
    """
    findings: list[Finding] = []
    try:
        resident = parse_id_number(facts.id_number, on=on)
    except InvalidIdNumber as error:
        findings.append(
            Finding(
                Check.IDENTITY,
                False,
                f"身份证号码无效：{error}",
                f"Invalid resident ID number: {error}",
            )
        )
        resident = None
    else:
        findings.append(Finding(Check.IDENTITY, True, "身份证号码有效", "Resident ID number valid"))
    if resident is not None:
        age = resident.age_on(on)
        verdict = check_eligibility(resident, facts.item, on, history)
        age_reasons = [r for r in verdict.reasons if r.code == ReasonCode.UNDER_AGE]
        if age < min_age or age_reasons:
            findings.append(
                Finding(
                    Check.AGE,
                    False,
                    age_reasons[0].message_zh if age_reasons else f"未满 {min_age} 周岁",
                    age_reasons[0].message_en if age_reasons else f"Under {min_age}",
                )
            )
        else:
            findings.append(
                Finding(
                    Check.AGE,
                    True,
                    f"{age} 周岁，已满 {min_age} 周岁",
                    f"Aged {age}: {min_age} or over",
                )
            )
    findings.append(item_findings(facts.item, examined_items))
    if resident is not None:
        others = [
            r for r in verdict.reasons if r.code not in (ReasonCode.UNDER_AGE, ReasonCode.OVER_AGE)
        ]
        if others:
            findings.extend(
                Finding(Check.RETAKE, False, r.message_zh, r.message_en) for r in others
            )
        else:
            retake = "（补考）" if verdict.is_retake else ""
            findings.append(
                Finding(
                    Check.RETAKE,
                    True,
                    f"考试记录无障碍{retake}",
                    "No earlier sitting stands in the way"
                    + (" (this would be a retake)" if verdict.is_retake else ""),
                )
            )
    if other_active:
        numbers = ", ".join(other_active)
        findings.append(
            Finding(
                Check.ACTIVE,
                False,
                f"同一项目已有在办申请：{numbers}",
                f"Another application for this item is active: {numbers}",
            )
        )
    else:
        findings.append(
            Finding(
                Check.ACTIVE, True, "无同项目在办申请", "No other active application for this item"
            )
        )
    if facts.education in EDUCATION_LEVELS and EDUCATION_LEVELS.index(
        facts.education
    ) >= EDUCATION_LEVELS.index(MIN_EDUCATION):
        findings.append(
            Finding(
                Check.EDUCATION,
                True,
                "文化程度符合要求",
                "Education sufficient (junior secondary or above)",
            )
        )
    elif facts.education in EDUCATION_LEVELS:
        findings.append(
            Finding(Check.EDUCATION, False, "文化程度低于初中", "Education below junior secondary")
        )
    else:
        findings.append(Finding(Check.EDUCATION, False, "未填写文化程度", "Education not given"))
    findings.append(
        Finding(Check.HEALTH, True, "已作健康声明", "Health declared")
        if facts.health_declared
        else Finding(Check.HEALTH, False, "未作健康声明", "No health declaration")
    )
    trained = facts.training_completed_on is not None and (facts.training_hours or 0) > 0
    findings.append(
        Finding(Check.TRAINING, True, "已提供培训证明", "Proof of training given")
        if trained
        else Finding(
            Check.TRAINING,
            False,
            "缺少培训证明（学时、结业日期）",
            "No proof of training (hours and completion date)",
        )
    )
    return findings


def all_ok(findings: Sequence[Finding]) -> bool:
    return all(f.ok for f in findings)
