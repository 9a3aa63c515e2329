"""Web edges: one blueprint per user group, each gated as a whole by role."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from .. import api
    from . import (
        appeals,
        applications,
        authority,
        bank,
        candidates,
        centre,
        compliance,
        console,
        examiner,
        invigilator,
        labels,
        main,
        records,
        reports,
        results,
        sessions,
        stations,
        terminal,
        terminals,
    )

    del console  # its routes belong to the invigilator blueprint
    main.init_app(app)
    for module in (
        main,
        terminal,
        examiner,
        invigilator,
        centre,
        records,
        compliance,
        bank,
        sessions,
        candidates,
        terminals,
        stations,
        results,
        appeals,
        applications,
        reports,
        authority,
        api,
    ):
        app.register_blueprint(module.bp)
    app.jinja_env.globals.update(
        role_label=labels.role_label,
        action_label=labels.action_label,
        area_label=labels.area_label,
        type_label=labels.type_label,
        status_label=labels.status_label,
        difficulty_label=labels.difficulty_label,
        level_label=labels.level_label,
        item_label=labels.item_label,
    )
