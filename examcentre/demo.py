"""Demo data: two centres, one account of each role, a candidate with a ticket.

Idempotent: a second run finds what the first created and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from .audit.operations import Actor, record
from .auth.operations import create_user
from .extensions import db
from .idnumber import check_character
from .models import Centre, Role, User

DEMO_ACTOR = Actor("system", None, "demo")
# The shipped bank, beside the package in a source checkout (absent from a bare wheel).
BANK_ROOT = Path(__file__).resolve().parents[1] / "question_bank"


@dataclass(frozen=True)
class DemoCredential:
    role: str
    where: str
    login: str
    secret: str


def _demo_id_number(first17: str) -> str:
    return first17 + check_character(first17)


# Fixed, published passwords: the demo is for trying the platform, never for exams.
DEMO_CENTRES = (
    (
        "DEMO-HZ-001",
        "示范起重机械作业人员考试中心（杭州）",
        "Demo Crane Operator Exam Centre (Hangzhou)",
    ),
    (
        "DEMO-NB-002",
        "示范起重机械作业人员考试中心（宁波）",
        "Demo Crane Operator Exam Centre (Ningbo)",
    ),
)
DEMO_USERS = (
    ("admin", "演示管理员", Role.CENTRE_ADMIN, "demo-admin-pass", 0),
    # Examiner accounts carry the names of examiners on the centre's records (周建国 and
    # 吴海峰 are filed for Q2): that is how a practical session finds their qualifications.
    ("examiner", "周建国", Role.EXAMINER, "demo-examiner-pass", 0),
    ("examiner2", "吴海峰", Role.EXAMINER, "demo-examiner2-pass", 0),
    ("invigilator", "演示监考员", Role.INVIGILATOR, "demo-invigilator-pass", 0),
    ("admin2", "宁波演示管理员", Role.CENTRE_ADMIN, "demo-admin2-pass", 1),
    ("authority", "发证机关演示账号", Role.AUTHORITY, "demo-authority-pass", None),
)
DEMO_CANDIDATE = ("张伟", _demo_id_number("33010619900307451"), "ZK2026000001", "Q2(限桥式起重机)")


def demo_record(centre: Centre, on: date) -> dict:
    """A realistic centre that meets the regulation, with one examiner filing about to lapse."""

    def shifted(days: int) -> str:
        return (on + timedelta(days=days)).isoformat()

    def examiner(name: str, items: list[str], title: str, filing_days: int | None = None) -> dict:
        return {
            "name": name,
            "employment": "part_time",
            "items": items,
            "title": title,
            "practical_experience": [{"from": "2010-03-01", "to": "2019-12-31"}],
            "teaching_experience": [{"from": "2018-09-01", "to": None}],
            "filings": [
                {
                    "item": item,
                    "reference": f"ZJ-KP-2024-{name[-1]}{n}",
                    "filed_on": "2024-04-10",
                    "expires_on": shifted(filing_days) if filing_days else None,
                }
                for n, item in enumerate(items)
            ],
        }

    driver, signaller = "Q2(限桥式起重机)", "Q1"
    return {
        "format": "examcentre.centre/1",
        "centre": {
            "code": centre.code,
            "name": centre.name,
            "items": [signaller, driver],
            "department": {"name": "考试部", "head": "陈立新", "established_on": "2019-06-01"},
            "landline": "0571-88880000",
            "office_address": "杭州市西湖区示范路1号 考试楼201",
            "planned_annual_volume": 420,
        },
        "volume_history": {"examined_last_12_months": 386},
        "staff": [
            {"name": name, "employment": "full_time", "roles": ["exam_admin"], "active": True}
            for name in ("李敏", "王强", "赵丽")
        ],
        "examiners": [
            examiner("周建国", [driver], "工程师"),
            examiner("吴海峰", [driver], "技师"),
            examiner("郑晓燕", [signaller], "高级工程师", filing_days=60),
            examiner("孙卫东", [signaller], "高级技师"),
        ],
        "terminals": [
            {
                "id": f"T{n:02d}",
                "status": "out_of_service" if n == 12 else "working",
                "location": "机考室201",
            }
            for n in range(1, 13)
        ],
        "equipment": [
            {
                "id": "BC-1",
                "type": "bridge_crane",
                "has_cab": True,
                "status": "in_service",
                "registration_no": "起11浙A00001",
                "next_inspection_due": shifted(200),
            },
            {
                "id": "SIM-1",
                "type": "simulator",
                "status": "in_service",
                "modules": ["obstacle_run", "fixed_point_drop"],
            },
        ],
        "field_kit": {
            "bump_poles_with_signs": 8,
            "warning_lines": True,
            "safety_facilities": True,
            "signal_flags": 4,
            "whistles": 4,
            "signal_wall_chart": True,
            "ppe": {"helmets": 20, "gloves": 20, "vests": 20},
        },
        "site": {
            "tenure": "leased",
            "lease_start": "2022-01-01",
            "lease_end": "2031-12-31",
            "practical_fields": [{"name": "桥式起重机考场", "area_m2": 180}],
        },
    }


def _demo_session(centre: Centre, on: date):
    """Today's released theory session, 09:00-10:30, with the demo candidate seated at T01.

    The demo centre cannot pass R-SYS until the platform provides every exam-system
    function, so its session gate is switched off, with the reason on record.
    """
    from .compliance.operations import load_settings, update_settings
    from .models import ExamSession, Terminal, User
    from .sessions import operations as sessions

    existing = db.session.scalar(
        select(ExamSession).where(
            ExamSession.centre_id == centre.id, ExamSession.kind == "theory"
        )
    )
    if existing is not None:
        return sessions.tickets_of(existing)[0]
    settings, block = load_settings(centre)
    if block:
        update_settings(
            DEMO_ACTOR,
            centre,
            settings,
            False,
            "演示：平台尚未具备全部考试系统功能 / demo: the platform does not yet"
            " provide every exam-system function",
        )
    zone = ZoneInfo("Asia/Shanghai")
    starts = datetime(on.year, on.month, on.day, 9, 0, tzinfo=zone).astimezone(UTC)
    terminals = db.session.scalars(
        select(Terminal)
        .where(Terminal.centre_id == centre.id, Terminal.status == "working")
        .order_by(Terminal.code)
        .limit(10)
    ).all()
    invigilator = db.session.scalar(select(User).where(User.username == "invigilator"))
    session = sessions.create_session(
        DEMO_ACTOR,
        centre,
        sessions.SessionPlan(
            item=DEMO_CANDIDATE[3],
            room="机考室201",
            starts_at=starts,
            ends_at=starts + timedelta(minutes=90),
            capacity=len(terminals),
            terminals=terminals,
            invigilators=[invigilator],
        ),
    )
    db.session.flush()
    name, id_number, _number, _item = DEMO_CANDIDATE
    ticket = sessions.enrol(
        DEMO_ACTOR,
        session,
        id_number=id_number,
        name=name,
        timezone="Asia/Shanghai",
        employer="示范重工有限公司",
    )
    sessions.change_state(DEMO_ACTOR, session, "released", on=on)
    return ticket


def _demo_practical_session(centre: Centre, on: date) -> None:
    """Today's released practical session, 13:00-17:00 on crane BC-1, examined by 周建国
    (lead) and 吴海峰, with the demo candidate enrolled.

    The rule "theory before practical" (PRACTICAL_REQUIRES_THEORY_PASS) is waived here
    only: the demo candidate sits both today, so both can be tried at once.
    """
    from .models import ExamSession, User
    from .sessions import operations as sessions

    exists = db.session.scalar(
        select(ExamSession.id).where(
            ExamSession.centre_id == centre.id, ExamSession.kind == "practical"
        )
    )
    if exists is not None:
        return
    zone = ZoneInfo("Asia/Shanghai")
    starts = datetime(on.year, on.month, on.day, 13, 0, tzinfo=zone).astimezone(UTC)
    examiners = [
        db.session.scalar(select(User).where(User.username == username))
        for username in ("examiner", "examiner2")
    ]
    session = sessions.create_session(
        DEMO_ACTOR,
        centre,
        sessions.SessionPlan(
            item=DEMO_CANDIDATE[3],
            room="桥式起重机考场",
            starts_at=starts,
            ends_at=starts + timedelta(hours=4),
            capacity=10,
            terminals=[],
            invigilators=[],
            kind="practical",
            equipment="BC-1",
            examiners=examiners,
            lead=examiners[0],
        ),
    )
    db.session.flush()
    name, id_number, _number, _item = DEMO_CANDIDATE
    sessions.enrol(
        DEMO_ACTOR,
        session,
        id_number=id_number,
        name=name,
        timezone="Asia/Shanghai",
        employer="示范重工有限公司",
        requires_theory_pass=False,
    )
    sessions.change_state(DEMO_ACTOR, session, "released", on=on)


class RealDataPresent(RuntimeError):
    """The database holds centres that are not demo centres: refuse to mix demo data in."""


def load_demo(on: date) -> list[DemoCredential]:
    real = db.session.scalar(select(Centre).where(Centre.is_demo.is_(False)).limit(1))
    if real is not None:
        raise RealDataPresent(real.code)
    centres = []
    for code, name, name_en in DEMO_CENTRES:
        centre = db.session.scalar(select(Centre).where(Centre.code == code))
        if centre is None:
            centre = Centre(code=code, name=name, name_en=name_en, is_demo=True)
            db.session.add(centre)
            record(DEMO_ACTOR, "centre.create", obj=centre, details={"code": code})
        centres.append(centre)
    db.session.flush()

    credentials = []
    for username, display_name, role, password, centre_index in DEMO_USERS:
        centre = None if centre_index is None else centres[centre_index]
        if db.session.scalar(select(User).where(User.username == username)) is None:
            create_user(
                DEMO_ACTOR,
                username=username,
                display_name=display_name,
                role=role,
                password=password,
                centre=centre,
            )
        where = centre.code if centre else "—"
        credentials.append(DemoCredential(role.value, where, username, password))

    from .compliance.operations import latest_version, save_record_document

    if latest_version(centres[0]) is None:
        save_record_document(DEMO_ACTOR, centres[0], demo_record(centres[0], on), source="demo")

    _load_demo_bank(centres[0])  # before the session: releasing it draws the papers
    from .compliance.operations import latest_check, run_check

    if latest_check(centres[0]) is None:  # the authority's dashboard shows its status
        run_check(DEMO_ACTOR, centres[0], on, trigger="demo")
    ticket = _demo_session(centres[0], on)
    _demo_practical_session(centres[0], on)
    credentials.append(
        DemoCredential(
            Role.CANDIDATE.value, centres[0].code, ticket.number, ticket.candidate.id_number
        )
    )
    return credentials


def _load_demo_bank(centre: Centre) -> None:
    """The shipped question bank and a default blueprint per item, published where the bank
    covers it, so the first demo centre can run a realistic exam on day one (idempotent)."""
    from .bank.operations import load_bank
    from .bank.vocab import ITEMS
    from .papers.blueprint import Spec, can_publish
    from .papers.operations import (
        blueprint_coverage,
        blueprint_versions,
        create_blueprint_version,
        publish_blueprint,
    )

    if not (BANK_ROOT / "theory").is_dir():
        return
    load_bank(DEMO_ACTOR, centre, BANK_ROOT)
    for item in ITEMS:
        if blueprint_versions(centre, item):
            continue
        blueprint = create_blueprint_version(DEMO_ACTOR, centre, item, Spec())
        factor = current_app.config.get("BANK_COVERAGE_FACTOR", 3)
        if can_publish(blueprint_coverage(blueprint, factor)):
            publish_blueprint(DEMO_ACTOR, blueprint, factor)
