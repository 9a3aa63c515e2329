"""The audit log as a centre administrator or authority staff sees it (shared by both areas)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from sqlalchemy import func, select

from ..audit.operations import verify_chain
from ..auth.roles import get_in_centre_or_404, in_centre
from ..extensions import db
from ..models import AuditEntry, Centre

PAGE_SIZE = 50


def render_audit_list(actor: Any, area: str):
    page = max(request.args.get("page", 1, type=int), 1)
    action = request.args.get("action", "").strip()
    centre_id = request.args.get("centre", type=int)
    statement = in_centre(select(AuditEntry), AuditEntry, actor)
    if action:
        statement = statement.where(AuditEntry.action == action)
    if centre_id and area == "authority":
        statement = statement.where(AuditEntry.centre_id == centre_id)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    entries = db.session.scalars(
        statement.order_by(AuditEntry.seq.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    actions = db.session.scalars(
        in_centre(select(AuditEntry.action).distinct(), AuditEntry, actor).order_by(
            AuditEntry.action
        )
    ).all()
    centres = (
        db.session.scalars(select(Centre).order_by(Centre.code)).all()
        if area == "authority"
        else []
    )
    return render_template(
        "audit/list.html",
        area=area,
        entries=entries,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        total=total,
        action=action,
        actions=actions,
        centres=centres,
        centre_id=centre_id,
        centre_codes={c.id: c.code for c in centres},
    )


def render_audit_entry(actor: Any, entry_id: int, area: str):
    entry = get_in_centre_or_404(AuditEntry, entry_id, actor)
    return render_template("audit/entry.html", area=area, entry=entry)


def render_audit_verify(area: str):
    # The chain is one for the whole deployment, so verification always walks all of it;
    # the page reveals only whether it is intact and where it first breaks.
    return render_template("audit/verify.html", area=area, report=verify_chain())
