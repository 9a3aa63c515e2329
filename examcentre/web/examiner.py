"""The examiner's area: practical-exam scoring (score sheets arrive with the practical issue)."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..auth.roles import require_role
from ..models import Role

bp = Blueprint("examiner", __name__, url_prefix="/examiner")
bp.before_request(require_role(Role.EXAMINER))


@bp.route("/")
def home():
    return render_template("examiner/home.html")
