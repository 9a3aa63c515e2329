"""Builders for test records, going through the real operations (so they are audited)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from examcentre.audit.operations import Actor
from examcentre.auth.operations import create_user
from examcentre.extensions import db
from examcentre.idnumber import check_character
from examcentre.models import AdmissionTicket, Centre, ExamSession, Role, Terminal
from examcentre.sessions import operations as sessions

TEST_ACTOR = Actor("system", None, "tests")
_counter = itertools.count(1)


def valid_id_number(birth: str = "19900307", sequence: int = 451, region: str = "330106") -> str:
    first17 = f"{region}{birth}{sequence:03d}"
    return first17 + check_character(first17)


class Factory:
    PASSWORD = "correct horse battery"
    TIMEZONE = "Asia/Shanghai"

    def __init__(self) -> None:
        # Device tokens of the terminals registered here, by terminal id.
        self.tokens: dict[int, str] = {}

    def centre(self, code: str | None = None) -> Centre:
        n = next(_counter)
        centre = Centre(
            code=code or f"T-{n:04d}", name=f"测试考试中心{n}", name_en=f"Test centre {n}"
        )
        db.session.add(centre)
        db.session.commit()
        return centre

    def user(self, role: str, centre: Centre | None = None, username: str | None = None):
        role = Role(role)
        if role != Role.AUTHORITY and centre is None:
            centre = self.centre()
        user = create_user(
            TEST_ACTOR,
            username=username or f"{role.value}{next(_counter)}",
            display_name=f"Test {role.value}",
            role=role,
            password=self.PASSWORD,
            centre=None if role == Role.AUTHORITY else centre,
        )
        db.session.commit()
        return user

    def terminal(self, centre: Centre, code: str | None = None) -> Terminal:
        """A working terminal, registered (its device token is kept in ``self.tokens``)."""
        terminal = Terminal(centre_id=centre.id, code=code or f"T{next(_counter):03d}")
        db.session.add(terminal)
        db.session.flush()
        self.tokens[terminal.id] = sessions.register_terminal(TEST_ACTOR, terminal, None)
        db.session.commit()
        return terminal

    def session(
        self, centre: Centre | None = None, *, item: str = "Q2(限桥式起重机)", seats: int = 3,
        starts_at: datetime | None = None,
    ) -> ExamSession:
        """A scheduled session with ``seats`` registered terminals and one invigilator."""
        centre = centre or self.centre()
        starts_at = starts_at or datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
        plan = sessions.SessionPlan(
            item=item, room="201", starts_at=starts_at, ends_at=starts_at + timedelta(hours=2),
            capacity=seats, terminals=[self.terminal(centre) for _ in range(seats)],
            invigilators=[self.user("invigilator", centre=centre)],
        )
        session = sessions.create_session(TEST_ACTOR, centre, plan)
        db.session.commit()
        return session

    def ticket(self, centre: Centre | None = None, item: str = "Q2(限桥式起重机)",
               session: ExamSession | None = None, checked_in: bool = True):
        """A candidate enrolled in a session, which is then released (the compliance gate is
        not the subject here, so the state is set directly) and, by default, checked in."""
        session = session or self.session(centre, item=item)
        n = next(_counter)
        ticket = sessions.enrol(
            TEST_ACTOR, session, id_number=valid_id_number(sequence=n % 1000),
            name=f"考生{n}", timezone=self.TIMEZONE,
        )
        session.state = "released"
        db.session.flush()
        if checked_in:
            sessions.record_attendance(TEST_ACTOR, ticket, "checked_in")
        db.session.commit()
        return ticket

    def published_blueprint(self, centre: Centre, item: str = "Q2(限桥式起重机)", spec=None):
        """A synthetic bank for ``item`` (3 x every cell) and its published blueprint (the
        default unless ``spec`` is given), so that a session of that item can be released."""
        import tempfile
        from pathlib import Path

        from examcentre.papers.blueprint import Spec
        from examcentre.papers.operations import create_blueprint_version, publish_blueprint

        from .bankdata import load_synthetic

        load_synthetic(centre, Path(tempfile.mkdtemp(prefix="ec-bank-")), item=item)
        blueprint = create_blueprint_version(TEST_ACTOR, centre, item, spec or Spec())
        publish_blueprint(TEST_ACTOR, blueprint)
        db.session.commit()
        return blueprint

    # A short paper (10 questions, 10 minutes) keeps exam tests quick and hand-checkable.
    SHORT_PAPER: ClassVar[dict] = {
        "duration_minutes": 10, "pass_mark": 7,
        "counts": {"true_false": 4, "single": 4, "multiple": 2},
    }

    def exam_tickets(self, count: int = 1, *, centre: Centre | None = None, spec=None,
                     start: bool = True) -> list[AdmissionTicket]:
        """Checked-in candidates of one session with their papers drawn (as at release) and
        the session in progress (``start``): ready to sit the theory exam."""
        import secrets

        from examcentre.exams.operations import make_ready_attempts
        from examcentre.papers.blueprint import Spec
        from examcentre.papers.operations import generate_papers

        centre = centre or self.centre()
        spec = spec or Spec.from_json(self.SHORT_PAPER)
        blueprint = self.published_blueprint(centre, spec=spec)
        session = self.session(centre, seats=count)
        tickets = []
        for _ in range(count):
            n = next(_counter)
            tickets.append(sessions.enrol(
                TEST_ACTOR, session, id_number=valid_id_number(sequence=n % 1000),
                name=f"考生{n}", timezone=self.TIMEZONE,
            ))
        session.state = "released"
        for ticket in tickets:
            sessions.record_attendance(TEST_ACTOR, ticket, "checked_in")
        session.blueprint_version_id = blueprint.id
        paper_ids = generate_papers(
            TEST_ACTOR, centre, blueprint, [secrets.randbelow(2**62) for _ in tickets], tickets
        )
        make_ready_attempts(session, tickets, paper_ids, blueprint)
        session.state = "in_progress" if start else "released"
        db.session.commit()
        return tickets

    def at_terminal(self, client, terminal_id: int) -> None:
        """Make a test client's browser that registered terminal."""
        client.set_cookie("examcentre_terminal", self.tokens[terminal_id])
