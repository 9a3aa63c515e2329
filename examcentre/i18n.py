"""Language choice: the switcher's choice, else the browser's, else Chinese.

The interface speaks of "zh_CN" (config, session, switcher). Babel's CLDR name for it is
zh_Hans_CN, which is also the catalogue's folder under translations/, so that gettext finds it.
"""

from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_babel import get_translations, refresh
from jinja2.ext import _make_new_gettext, _make_new_ngettext
from markupsafe import Markup

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

    app.jinja_env.globals["rendered_per_language"] = rendered_per_language

    @app.context_processor
    def _languages() -> dict:
        current = interface_language()
        # The page's translations, looked up once per render. Flask-Babel's own template
        # callables look the catalogue up again for every string (about 40 us each through
        # its context proxies); the exam page has ninety strings, rendered for a whole room
        # at once (bench/request_cost.py). Jinja's own wrappers keep the newstyle semantics
        # (autoescape, %-formatting). Macros imported without context still use Flask-Babel's.
        return {
            "current_language": current,
            "html_lang": "zh-CN" if current == "zh_CN" else "en",
            "language_names": LANGUAGE_NAMES,
            **_template_gettext(),
        }


def _template_gettext() -> dict:
    """The template callables for the current language's catalogue, looked up once."""
    translations = get_translations()
    return {
        "gettext": _make_new_gettext(translations.ugettext),
        "ngettext": _make_new_ngettext(translations.ungettext),
    }


def _per_request_data_refused(*_args, **_kwargs):
    raise RuntimeError(
        "a part rendered once per language (rendered_per_language) must not hold per-request "
        "data such as a CSRF token"
    )


def rendered_per_language(template_name: str) -> Markup:
    """A template part that depends only on the interface language, rendered once per
    language and kept for the life of the app (process).

    The exam page is mostly such text: its screens, dialogs and script strings are the same
    for every candidate, and rendering them was about a third of the page's server time at
    the start of an exam, when the whole room gets the page at once (bench/request_cost.py).
    The part is rendered without the request's context (no current_user, request, session,
    and csrf_token() refuses), so nothing of one candidate can be kept and shown to another.
    Not kept while templates reload (development), so an edited part shows at once.
    """
    app = current_app
    language = interface_language()
    key = (template_name, language)
    cache = app.extensions.setdefault("examcentre.rendered_per_language", {})
    html = cache.get(key)
    if html is None:
        html = Markup(  # noqa: S704 (an autoescaped template's output, as render_template)
            app.jinja_env.get_template(template_name).render(
                **_template_gettext(),
                current_language=language,
                csrf_token=_per_request_data_refused,
            )
        )
        if not app.jinja_env.auto_reload:
            cache[key] = html
    return html
