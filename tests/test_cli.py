"""The examcentre command."""

from __future__ import annotations

from sqlalchemy import func, select

from examcentre.extensions import db
from examcentre.models import AdmissionTicket, AuditEntry, Centre, User


def counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Centre, User, AuditEntry)
    )


def test_demo_loads_one_account_per_role_and_is_idempotent(runner, client):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    after_first = counts()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert counts() == after_first
    assert first.output == second.output
    roles = {line.split()[0] for line in first.output.splitlines() if line.startswith("  ")}
    assert {"candidate", "examiner", "invigilator", "centre_admin", "authority"} <= roles
    # The printed credentials work.
    for line in first.output.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] in ("examiner", "centre_admin", "authority", "invigilator"):
            response = client.post("/auth/login", data={"username": parts[2], "password": parts[3]})
            assert response.status_code == 302, line
            client.post("/auth/logout")
        if len(parts) == 4 and parts[0] == "candidate":
            # The candidate holds a ticket for today's released session, seated at T01.
            ticket = db.session.scalar(
                select(AdmissionTicket).where(AdmissionTicket.number == parts[2])
            )
            assert ticket.candidate.id_number == parts[3]
            assert (ticket.session.state, ticket.terminal.code) == ("released", "T01")


def test_demo_refuses_a_database_with_a_real_centre(runner, make):
    make.centre("ZJ-REAL-1")
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 1
    assert "ZJ-REAL-1" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_users_create_makes_an_audited_account(runner):
    assert (
        runner.invoke(
            args=["centre", "create", "--code", "ZJ-1", "--name", "某考试中心"]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "examiner",
            "--centre",
            "ZJ-1",
            "--username",
            "wangwu",
            "--name",
            "王五",
            "--password",
            "long enough pw",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "wangwu"))
    assert user.centre.code == "ZJ-1" and user.role == "examiner"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.create")).one()
    assert entry.actor_label.startswith("cli:")


def test_users_create_names_the_bad_option(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "examiner",
            "--centre",
            "NOPE",
            "--username",
            "x1x",
            "--name",
            "X",
            "--password",
            "long enough pw",
        ]
    )
    assert result.exit_code == 2 and "--centre" in result.output
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "authority",
            "--username",
            "auth1",
            "--name",
            "A",
            "--password",
            "short",
        ]
    )
    assert result.exit_code == 2 and "--password" in result.output
