"""Plain values for the compliance self-check: a centre's records, the settings, the report.

Everything here is a frozen dataclass or an enum, so the rules in ``rules.py`` can be pure
functions of their arguments. The shapes mirror the public exchange format
``examcentre.centre/1`` (``/work/shared/spec/compliance-input.md``); ``exchange.py`` converts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

# --- Item codes --------------------------------------------------------------------------------

SIGNALLER_ITEM = "Q1"
"""起重机指挥, crane signaller."""

DRIVER_ITEM_PREFIX = "Q2"
"""起重机司机, crane driver; the code always carries its limitation, e.g. ``Q2(限桥式起重机)``."""


def is_signaller_item(item: str) -> bool:
    """True for the crane signaller item ``Q1``."""
    return item == SIGNALLER_ITEM


def is_driver_item(item: str) -> bool:
    """True for any crane driver item: every code starting with ``Q2``, whatever its limitation."""
    return item.startswith(DRIVER_ITEM_PREFIX)


# --- Vocabularies ------------------------------------------------------------------------------


class Employment(StrEnum):
    FULL_TIME = "full_time"
    PART_TIME = "part_time"


class TerminalStatus(StrEnum):
    WORKING = "working"
    OUT_OF_SERVICE = "out_of_service"


class EquipmentType(StrEnum):
    BRIDGE_CRANE = "bridge_crane"
    JIB_CRANE = "jib_crane"
    SIMULATOR = "simulator"


class EquipmentStatus(StrEnum):
    IN_SERVICE = "in_service"
    OUT_OF_SERVICE = "out_of_service"


class Tenure(StrEnum):
    OWNED = "owned"
    LEASED = "leased"


class SimulatorModule(StrEnum):
    """The simulator functions 三(二)[三]2(1) names: 绕障搬运 and 定点落物."""

    OBSTACLE_RUN = "obstacle_run"
    FIXED_POINT_DROP = "fixed_point_drop"


class ExamSystemFunction(StrEnum):
    """The exam-system functions 三(二)[三]1(2) lists, in the order of the text."""

    RANDOM_PAPER_ASSEMBLY = "random_paper_assembly"  # 随机组卷
    AUTOMATIC_TIMING = "automatic_timing"  # 自动限时计时
    AUTOMATIC_MARKING = "automatic_marking"  # 自动判卷评分
    AUTOMATIC_RECORDING = "automatic_recording"  # 自动记录存档
    STATISTICS = "statistics"  # 统计
    QUERY = "query"  # 查询
    SUMMARY_REPORTS = "summary_reports"  # 汇总报表
    DATA_TRANSMISSION = "data_transmission"  # 数据传输
    FILING_AND_ARCHIVING = "filing_and_archiving"  # 建档存档

    @property
    def label_zh(self) -> str:
        return _SYSTEM_FUNCTION_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _SYSTEM_FUNCTION_LABELS[self][1]


_SYSTEM_FUNCTION_LABELS: dict[ExamSystemFunction, tuple[str, str]] = {
    ExamSystemFunction.RANDOM_PAPER_ASSEMBLY: ("随机组卷", "random paper assembly"),
    ExamSystemFunction.AUTOMATIC_TIMING: ("自动限时计时", "automatic time limit and timing"),
    ExamSystemFunction.AUTOMATIC_MARKING: ("自动判卷评分", "automatic marking and scoring"),
    ExamSystemFunction.AUTOMATIC_RECORDING: ("自动记录存档", "automatic recording and archiving"),
    ExamSystemFunction.STATISTICS: ("统计", "statistics"),
    ExamSystemFunction.QUERY: ("查询", "query"),
    ExamSystemFunction.SUMMARY_REPORTS: ("汇总报表", "summary reports"),
    ExamSystemFunction.DATA_TRANSMISSION: ("数据传输", "data transmission"),
    ExamSystemFunction.FILING_AND_ARCHIVING: ("建档存档", "filing and archiving"),
}


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a finding status, not a password
    WARN = "warn"  # passes today, will fail within the warning window
    FAIL = "fail"


# --- A centre's records (examcentre.centre/1) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Department:
    """The standing exam department of 三(一)."""

    name: str
    head: str | None = None
    established_on: date | None = None


@dataclass(frozen=True, slots=True)
class VolumeHistory:
    """Exams actually held: each (candidate, item) once, retakes not counted again."""

    examined_last_12_months: int


@dataclass(frozen=True, slots=True)
class StaffMember:
    name: str
    employment: Employment
    active: bool
    roles: tuple[str, ...] = ()
    started_on: date | None = None
    ended_on: date | None = None


@dataclass(frozen=True, slots=True)
class Period:
    """A dated stretch of experience; ``end`` None means ongoing (counted up to the check date)."""

    start: date
    end: date | None = None


@dataclass(frozen=True, slots=True)
class Filing:
    """An examiner's filing (备案) with the certificate-issuing authority for one item."""

    item: str
    reference: str
    filed_on: date
    expires_on: date | None = None


@dataclass(frozen=True, slots=True)
class Examiner:
    """A professional examiner (专业考评人员); part-time examiners count (三(二)2)."""

    name: str
    items: tuple[str, ...]
    employment: Employment | None = None
    title: str | None = None
    practical_experience: tuple[Period, ...] = ()
    teaching_experience: tuple[Period, ...] = ()
    filings: tuple[Filing, ...] = ()


@dataclass(frozen=True, slots=True)
class Terminal:
    id: str
    status: TerminalStatus
    location: str | None = None


@dataclass(frozen=True, slots=True)
class Equipment:
    """A practical-exam machine; which optional facts matter depends on ``type``."""

    id: str
    type: EquipmentType
    status: EquipmentStatus
    has_cab: bool | None = None  # bridge crane: a pendant-only crane has no cab
    registration_no: str | None = None
    next_inspection_due: date | None = None
    luffing: bool | None = None  # jib crane
    slewing: bool | None = None  # jib crane
    modules: tuple[str, ...] = ()  # simulator, see SimulatorModule

    @property
    def in_service(self) -> bool:
        return self.status is EquipmentStatus.IN_SERVICE


@dataclass(frozen=True, slots=True)
class FieldKit:
    """Practical-field articles; None means not recorded, which fails the rule needing it."""

    bump_poles_with_signs: int | None = None
    warning_lines: bool | None = None
    safety_facilities: bool | None = None
    signal_flags: int | None = None
    whistles: int | None = None
    signal_wall_chart: bool | None = None
    # (kind, count) pairs in record order; a tuple keeps the record hashable.
    ppe: tuple[tuple[str, int], ...] = ()

    def ppe_count(self, kind: str) -> int:
        """How many of one kind of protective equipment the centre holds (0 when not listed)."""
        return sum(count for listed, count in self.ppe if listed == kind)


@dataclass(frozen=True, slots=True)
class PracticalField:
    name: str
    area_m2: float


@dataclass(frozen=True, slots=True)
class Site:
    tenure: Tenure
    lease_start: date | None = None
    lease_end: date | None = None  # the last day of the lease
    practical_fields: tuple[PracticalField, ...] = ()


@dataclass(frozen=True, slots=True)
class CentreRecord:
    """Everything the self-check knows about one centre (the ``examcentre.centre/1`` document)."""

    code: str
    name: str
    items: tuple[str, ...]
    department: Department | None = None
    landline: str | None = None
    office_address: str | None = None
    planned_annual_volume: int | None = None
    volume_history: VolumeHistory | None = None
    staff: tuple[StaffMember, ...] = ()
    examiners: tuple[Examiner, ...] = ()
    terminals: tuple[Terminal, ...] = ()
    equipment: tuple[Equipment, ...] = ()
    field_kit: FieldKit | None = None
    site: Site | None = None

    @property
    def driver_items(self) -> tuple[str, ...]:
        return tuple(item for item in self.items if is_driver_item(item))

    @property
    def offers_driver_item(self) -> bool:
        return any(is_driver_item(item) for item in self.items)

    @property
    def offers_signaller_item(self) -> bool:
        return any(is_signaller_item(item) for item in self.items)


# --- Facts from outside the record ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BlueprintCell:
    """One syllabus point of one item's paper blueprint, with the bank's stock for it."""

    item: str
    point: str
    drawn_per_paper: int
    live_questions: int


@dataclass(frozen=True, slots=True)
class BankCoverage:
    """What R-BANK needs to know about the question bank, summarised by the bank package."""

    cells: tuple[BlueprintCell, ...]
    untagged_live_questions: int  # live questions missing their item or syllabus-point tag


# --- Settings: every DEFAULT reading of compliance-rules.md -----------------------------------

DEFAULT_ACCEPTED_TITLES: tuple[str, ...] = (
    "工程师",
    "高级工程师",
    "正高级工程师",
    "技师",
    "高级技师",
)
DEFAULT_PPE_REQUIRED: tuple[str, ...] = ("helmets", "gloves", "vests")


@dataclass(frozen=True, slots=True)
class ComplianceSettings:
    """The administrator-changeable readings of the regulation's vague phrases.

    Each field is one DEFAULT of compliance-rules.md; the report echoes them all so a check
    can be reproduced, and each finding names the reading it applied.
    """

    # R-TERM: "至少10台" is the text; "适当增加" at 500 is read as +terminal_step per threshold.
    terminal_base: int = 10
    # R-TERM: terminals added per full volume_threshold of annual volume.
    terminal_step: int = 5
    # R-VOL, R-EXAM-D/S, R-TERM: "500人以上" read as V >= 500 (以上 includes the number).
    volume_threshold: int = 500
    # R-EXAM-Q: "工程师或技师以上职称" read as this list.
    accepted_titles: tuple[str, ...] = DEFAULT_ACCEPTED_TITLES
    # R-EXAM-Q: True = one person may count for only one item (driver and signaller sets disjoint).
    strict_examiner_overlap: bool = False
    # R-EXAM-Q: "3年以上相关实际经验" in whole months.
    min_practical_months: int = 36
    # R-EXAM-Q: "2年以上教学经历" in whole months.
    min_teaching_months: int = 24
    # R-SITE-1: "长期租赁" read as an original lease term of at least this many years.
    long_lease_years: int = 3
    # R-SITE-1: a lease must still have at least this many whole months to run.
    lease_min_months_remaining: int = 12
    # R-SITE-1, R-EXAM-D/S/Q, R-CRANE: warn this many days before a pass turns into a fail.
    warning_days: int = 90
    # R-BANK: "符合考核大纲" read as live questions >= factor x questions drawn, per point.
    coverage_factor: int = 3
    # R-SITE-2: "约不小于150平方米" applied as a hard minimum per practical field.
    min_field_area_m2: float = 150
    # R-PPE: "劳动保护用品" read as these kinds, at least one of each.
    ppe_required: tuple[str, ...] = DEFAULT_PPE_REQUIRED
    # R-ORG-2: "固定通讯设施": a mobile number alone is not fixed unless this is True.
    mobile_counts_as_landline: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.accepted_titles, str) or isinstance(self.ppe_required, str):
            raise ValueError(
                "accepted_titles and ppe_required are sequences of names, not one string"
            )
        # Settings often come from config files as lists; keep them hashable and immutable.
        object.__setattr__(self, "accepted_titles", tuple(self.accepted_titles))
        object.__setattr__(self, "ppe_required", tuple(self.ppe_required))
        counts = {
            "terminal_base": self.terminal_base,
            "terminal_step": self.terminal_step,
            "min_practical_months": self.min_practical_months,
            "min_teaching_months": self.min_teaching_months,
            "long_lease_years": self.long_lease_years,
            "lease_min_months_remaining": self.lease_min_months_remaining,
            "warning_days": self.warning_days,
            "coverage_factor": self.coverage_factor,
        }
        for name, value in counts.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")
        if isinstance(self.volume_threshold, bool) or not isinstance(self.volume_threshold, int):
            raise ValueError(
                f"volume_threshold must be a whole number, not {self.volume_threshold!r}"
            )
        if self.volume_threshold < 1:
            raise ValueError(f"volume_threshold must be >= 1, not {self.volume_threshold!r}")
        if isinstance(self.min_field_area_m2, bool) or self.min_field_area_m2 < 0:
            raise ValueError(f"min_field_area_m2 must be >= 0, not {self.min_field_area_m2!r}")


# --- The report (examcentre.compliance/1) -----------------------------------------------------

Value = int | float | str | bool | tuple[str, ...] | None
"""A finding's ``required`` or ``actual``: JSON-ready (a tuple becomes a list)."""


@dataclass(frozen=True, slots=True)
class Detail:
    """One line under a finding: who or what, and what about it (e.g. an unqualified examiner)."""

    subject: str
    message: str
    message_en: str


@dataclass(frozen=True, slots=True)
class Finding:
    """The outcome of one rule for one centre on one date."""

    rule: str
    clause: str
    status: Status
    required: Value
    actual: Value
    message: str  # zh
    message_en: str
    action: str | None = None  # what to do (zh); None when nothing needs doing
    action_en: str | None = None
    reading: str | None = None  # the DEFAULT reading applied; None for a rule that is pure TEXT
    details: tuple[Detail, ...] = ()


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    centre: str
    evaluated_on: date
    annual_volume: int | None
    settings: ComplianceSettings
    findings: tuple[Finding, ...] = ()

    @property
    def compliant(self) -> bool:
        """Compliant exactly when no finding fails (warnings do not break compliance)."""
        return all(finding.status is not Status.FAIL for finding in self.findings)

    def finding(self, rule: str) -> Finding | None:
        """The finding for one rule ID, or None when the rule did not apply."""
        return next((f for f in self.findings if f.rule == rule), None)
