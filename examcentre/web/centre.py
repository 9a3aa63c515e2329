"""The centre administrator's area: the centre's accounts and its audit log."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..audit.operations import actor_from
from ..auth.forms import ReasonForm, UserCreateForm
from ..auth.operations import AccountError, create_user, set_user_enabled
from ..auth.roles import get_in_centre_or_404, in_centre, require_role
from ..extensions import db
from ..models import AuditEntry, Role, User
from . import audit_pages

bp = Blueprint("centre", __name__, url_prefix="/centre")
bp.before_request(require_role(Role.CENTRE_ADMIN))


@bp.route("/")
def home():
    counts = dict(
        db.session.execute(
            in_centre(select(User.role, func.count()), User, current_user)
            .where(User.is_enabled.is_(True))
            .group_by(User.role)
        ).all()
    )
    recent = db.session.scalars(
        in_centre(select(AuditEntry), AuditEntry, current_user)
        .order_by(AuditEntry.seq.desc())
        .limit(8)
    ).all()
    return render_template("centre/home.html", counts=counts, recent=recent)


@bp.route("/users")
def users():
    rows = db.session.scalars(
        in_centre(select(User), User, current_user).order_by(User.role, User.username)
    ).all()
    return render_template("centre/users.html", users=rows)


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = create_user(
                actor_from(current_user),
                username=form.username.data,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                password=form.password.data,
                centre=current_user.centre,
            )
        except AccountError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Account %(name)s created.", name=user.username), "success")
            return redirect(url_for("centre.user_detail", user_id=user.id))
    return render_template("centre/user_new.html", form=form)


@bp.route("/users/<int:user_id>")
def user_detail(user_id: int):
    user = get_in_centre_or_404(User, user_id, current_user)
    history = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "users", AuditEntry.object_id == str(user.id))
        .order_by(AuditEntry.seq.desc())
        .limit(20)
    ).all()
    return render_template("centre/user_detail.html", user=user, history=history)


@bp.route("/users/<int:user_id>/<any(enable, disable):change>", methods=["GET", "POST"])
def user_set_enabled(user_id: int, change: str):
    """Ask for confirmation and a reason, then enable or disable the account."""
    user = get_in_centre_or_404(User, user_id, current_user)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            set_user_enabled(
                actor_from(current_user), user, change == "enable", form.reason.data.strip()
            )
        except AccountError as error:
            db.session.rollback()
            form.reason.errors.append(error.message)
        else:
            db.session.commit()
            message = _("Account enabled.") if change == "enable" else _("Account disabled.")
            flash(message, "success")
            return redirect(url_for("centre.user_detail", user_id=user.id))
    return render_template("centre/user_set_enabled.html", user=user, change=change, form=form)


@bp.route("/audit")
def audit():
    return audit_pages.render_audit_list(current_user, "centre")


@bp.route("/audit/<int:entry_id>")
def audit_entry(entry_id: int):
    return audit_pages.render_audit_entry(current_user, entry_id, "centre")


@bp.route("/audit/verify")
def audit_verify():
    return audit_pages.render_audit_verify("centre")
