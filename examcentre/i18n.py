"""Language choice: the switcher's choice, else the browser's, else Chinese.

The interface speaks of "zh_CN" (config, session, switcher). Babel's CLDR name for it is
zh_Hans_CN, which is also the catalogue's folder under translations/, so that gettext finds it.
"""

from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_babel import get_translations, refresh
from jinja2.ext import _make_new_gettext, _make_new_ngettext

LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}
BABEL_LOCALES = {"zh_CN": "zh_Hans_CN", "en": "en"}


def select_locale() -> str:
    return BABEL_LOCALES.get(interface_language(), "zh_Hans_CN")


def interface_language() -> str:
    """ "zh_CN" or "en" for the current request."""
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    # Browsers send zh-CN, zh-Hans, zh-TW, zh...; all of them are best served by zh_CN here.
    best = request.accept_languages.best_match(["zh-CN", "zh", "zh-Hans", "en"])
    if best is None:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return "en" if best == "en" else "zh_CN"


def init_app(app: Flask) -> None:
    @app.before_request
    def _choose_language_afresh() -> None:
        # Flask-Babel caches the locale on `g`, which lives as long as the app context; when
        # an app context outlives one request (tests, embedded callers), the cache would carry
        # one person's language into the next request.
        refresh()

    @app.context_processor
    def _languages() -> dict:
        current = interface_language()
        # The page's translations, looked up once per render. Flask-Babel's own template
        # callables look the catalogue up again for every string (about 40 us each through
        # its context proxies); the exam page has ninety strings, rendered for a whole room
        # at once (bench/request_cost.py). Jinja's own wrappers keep the newstyle semantics
        # (autoescape, %-formatting). Macros imported without context still use Flask-Babel's.
        translations = get_translations()
        return {
            "current_language": current,
            "html_lang": "zh-CN" if current == "zh_CN" else "en",
            "language_names": LANGUAGE_NAMES,
            "gettext": _make_new_gettext(translations.ugettext),
            "ngettext": _make_new_ngettext(translations.ungettext),
        }
