"""Account changes. Each flushes (never commits) and writes an audit entry."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from ..audit.operations import Actor, record
from ..extensions import db
from ..models import Centre, Role, User, utcnow


class AccountError(ValueError):
    """A change that cannot be made; ``field`` names the form field it concerns."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(str(message))
        self.field = field
        self.message = message


def hash_password(password: str) -> str:
    # Werkzeug's default is scrypt: memory-hard, and maintained with Werkzeug itself.
    return generate_password_hash(password)


def create_user(
    actor: Actor,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    centre: Centre | None,
) -> User:
    """Create a staff account. Authority accounts have no centre; all others need one."""
    username = username.strip()
    if role == Role.CANDIDATE:
        raise AccountError(
            "role", _l("Candidates sign in with an admission ticket, not an account.")
        )
    if (role == Role.AUTHORITY) != (centre is None):
        raise AccountError(
            "centre", _l("Authority accounts belong to no centre; all other accounts need one.")
        )
    taken = db.session.scalar(
        select(func.count()).select_from(User).where(func.lower(User.username) == username.lower())
    )
    if taken:
        raise AccountError(
            "username", _l("The username “%(name)s” is already taken.", name=username)
        )
    user = User(
        username=username,
        display_name=display_name.strip(),
        role=role.value,
        password_hash=hash_password(password),
        centre_id=centre.id if centre else None,
    )
    db.session.add(user)
    record(actor, "user.create", obj=user, details={"username": username, "role": role.value})
    return user


def set_user_enabled(actor: Actor, user: User, enabled: bool, reason: str) -> None:
    """Enable or disable an account; a disabled account is signed out at its next request."""
    if user.is_enabled == enabled:
        return
    if not enabled and actor.type == "user" and actor.id == user.id:
        raise AccountError("reason", _l("You cannot disable your own account."))
    user.is_enabled = enabled
    record(actor, "user.enable" if enabled else "user.disable", obj=user, reason=reason)


def reset_password(actor: Actor, user: User, password: str, reason: str) -> None:
    user.password_hash = hash_password(password)
    record(actor, "user.password_reset", obj=user, reason=reason)


def note_sign_in(actor: Actor, principal: Any) -> None:
    if isinstance(principal, User):
        principal.last_login_at = utcnow()
    record(actor, "auth.sign_in", obj=principal)


def note_failed_sign_in(attempted: str, area: str, address: str | None) -> None:
    """A refused sign-in, kept for the authority: repeated failures show up in the log."""
    record(
        Actor("system", None, "sign-in"),
        "auth.sign_in_failed",
        details={"attempted": attempted[:64], "area": area, "address": address},
    )
