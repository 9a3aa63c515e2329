"""May a practical session be held with this crane, these examiners and these candidates?
Pure: the centre's registry (``compliance.model.CentreRecord``) and plain values in, a list of
named refusals out (empty: allowed).

The rules, each with its source (labels as in ``shared/spec/domain.md``):

- **The crane** (``equipment_*``): the session names one machine of the registry's
  ``equipment``. It must be in service, and a crane's periodic inspection (定期检验) must be
  current on the exam day: ``next_inspection_due`` on or after it (the due day itself is still
  in date) [CONFIRMED: TSG Q7015 / 特种设备安全法 第四十条, a crane past its inspection may
  not be used; compliance rule R-EQUIP reads the same field]. A crane with no due date
  recorded cannot be shown to be in date and is refused too.
- **The examiners** (``examiner_*``): at least two per practical [INFERENCE: domain.md §10];
  each must be in the registry, listed for the item, and hold a filing (备案) for the item that
  is current on the exam day [CONFIRMED: the regulation 三(二)2 "专业考评人员…备案"; the same
  reading as rule R-EXAM-Q]. A staff account is matched to the registry's examiner by name:
  the registry, an exchange format shared with the authority, has no account ids.
- **Conflicts** (``examiner_conflict``): an examiner who declared a conflict with a candidate
  (own trainee, relative, same employer) may not examine in that session [CONFIRMED
  (principle): 回避 of examiners, domain.md §10; the three kinds are the issue's].
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from ..compliance.model import CentreRecord, EquipmentType
from ..compliance.rules import filing_is_current

MIN_EXAMINERS = 2  # INFERENCE, domain.md §10 (as practical.results.MIN_PRACTICAL_EXAMINERS)
CRANES = (EquipmentType.BRIDGE_CRANE, EquipmentType.JIB_CRANE)
CONFLICT_KINDS = ("own_trainee", "relative", "same_employer")
CONFLICT_ZH = {"own_trainee": "本人培训的学员", "relative": "亲属", "same_employer": "同一单位"}
CONFLICT_EN = {
    "own_trainee": "own trainee",
    "relative": "relative",
    "same_employer": "same employer",
}


@dataclass(frozen=True, slots=True)
class GateRefusal:
    """One named reason against the session; ``field`` is the form field it belongs to."""

    code: str
    field: str
    message_zh: str
    message_en: str


@dataclass(frozen=True, slots=True)
class Conflict:
    examiner: str  # the examiner's name
    candidate: str  # the candidate's name
    kind: str


def equipment_refusals(
    record: CentreRecord, equipment_id: str | None, on: date
) -> list[GateRefusal]:
    """The crane's refusals on the exam day ``on``."""
    if not equipment_id:
        return [GateRefusal("equipment_missing", "equipment", "未选择考试设备", "choose the crane")]
    machine = next((e for e in record.equipment if e.id == equipment_id), None)
    if machine is None:
        return [
            GateRefusal(
                "equipment_unknown",
                "equipment",
                f"设备 {equipment_id} 不在中心设备登记中",
                f"equipment {equipment_id} is not in the centre's records",
            )
        ]
    refusals = []
    if not machine.in_service:
        refusals.append(
            GateRefusal(
                "equipment_out_of_service",
                "equipment",
                f"设备 {machine.id} 已停用",
                f"equipment {machine.id} is out of service",
            )
        )
    if machine.type in CRANES:
        due = machine.next_inspection_due
        if due is None:
            refusals.append(
                GateRefusal(
                    "inspection_unknown",
                    "equipment",
                    f"设备 {machine.id} 未登记下次定期检验日期",
                    f"equipment {machine.id} has no next inspection date recorded",
                )
            )
        elif due < on:
            refusals.append(
                GateRefusal(
                    "inspection_overdue",
                    "equipment",
                    f"设备 {machine.id} 定期检验已于 {due.isoformat()} 到期",
                    f"equipment {machine.id}: its inspection was due on {due.isoformat()}",
                )
            )
    return refusals


def examiner_refusals(
    record: CentreRecord, item: str, names: Sequence[str], on: date
) -> list[GateRefusal]:
    """Each examiner (by name) must be in the registry, listed and filed for ``item`` on ``on``."""
    refusals = []
    if len(set(names)) < MIN_EXAMINERS:
        refusals.append(
            GateRefusal(
                "too_few_examiners",
                "examiners",
                f"实际操作考试至少需要 {MIN_EXAMINERS} 名考评人员",
                f"a practical exam needs at least {MIN_EXAMINERS} examiners",
            )
        )
    for name in names:
        examiner = next((e for e in record.examiners if e.name == name), None)
        if examiner is None:
            refusals.append(
                GateRefusal(
                    "examiner_not_in_records",
                    "examiners",
                    f"考评人员 {name} 不在中心考评人员登记中",
                    f"examiner {name} is not in the centre's examiner records",
                )
            )
        elif item not in examiner.items:
            refusals.append(
                GateRefusal(
                    "examiner_not_qualified",
                    "examiners",
                    f"考评人员 {name} 未登记为 {item} 项目考评人员",
                    f"examiner {name} is not listed for {item}",
                )
            )
        elif not any(f.item == item and filing_is_current(f, on) for f in examiner.filings):
            refusals.append(
                GateRefusal(
                    "examiner_not_filed",
                    "examiners",
                    f"考评人员 {name} 在 {on.isoformat()} 没有 {item} 项目的有效备案",
                    f"examiner {name} has no filing for {item} current on {on.isoformat()}",
                )
            )
    return refusals


def conflict_refusals(conflicts: Iterable[Conflict]) -> list[GateRefusal]:
    return [
        GateRefusal(
            "examiner_conflict",
            "examiners",
            f"考评人员 {c.examiner} 与考生 {c.candidate} 存在回避关系（{CONFLICT_ZH[c.kind]}）",
            f"examiner {c.examiner} declared a conflict with candidate {c.candidate}"
            f" ({CONFLICT_EN[c.kind]})",
        )
        for c in conflicts
    ]


def session_refusals(
    record: CentreRecord,
    *,
    item: str,
    on: date,
    equipment_id: str | None,
    examiners: Sequence[str],
    conflicts: Iterable[Conflict] = (),
) -> list[GateRefusal]:
    """Every refusal, crane first, then examiners, then conflicts."""
    return [
        *equipment_refusals(record, equipment_id, on),
        *examiner_refusals(record, item, examiners, on),
        *conflict_refusals(conflicts),
    ]


__all__ = [
    "CONFLICT_KINDS",
    "MIN_EXAMINERS",
    "Conflict",
    "GateRefusal",
    "conflict_refusals",
    "equipment_refusals",
    "examiner_refusals",
    "session_refusals",
]
