"""Chinese and English throughout: every string translated, chosen from the browser, switchable."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "examcentre/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None, "ngettext": (1, 2)}
METHOD_MAP = [("**.py", "python"), ("templates/**.html", "jinja2")]


def ui_strings() -> set[str]:
    found = extract_from_dir(
        ROOT / "examcentre",
        METHOD_MAP,
        keywords=KEYWORDS,
        options_map={"templates/**.html": {"extensions": "jinja2.ext.do"}},
    )
    return {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in found
    }


def singular(value):
    """A message id or translation; for a plural entry (a tuple), its first form."""
    return value[0] if isinstance(value, tuple | list) else value


def test_every_ui_string_has_a_chinese_translation():
    catalog = {singular(m.id): singular(m.string) for m in read_po(PO.open("rb")) if m.id}
    untranslated = sorted(s for s in ui_strings() if not catalog.get(s))
    assert untranslated == [], (
        "run: pybabel extract -F babel.cfg -k _l -o examcentre/translations/messages.pot . && "
        "pybabel update -i examcentre/translations/messages.pot -d examcentre/translations, "
        f"then translate: {untranslated}"
    )


def test_translations_keep_every_placeholder():
    for message in read_po(PO.open("rb")):
        if message.id:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            wanted = set(re.findall(r"%\(\w+\)s", ids[0]))
            for string in strings:
                assert set(re.findall(r"%\(\w+\)s", string)) == wanted, ids[0]


def test_compiled_catalog_is_up_to_date_with_the_po_file():
    def forms(string):  # .po gives a tuple of plural forms, .mo a list
        return tuple(string) if isinstance(string, tuple | list) else string

    po = {singular(m.id): forms(m.string) for m in read_po(PO.open("rb")) if m.id}
    mo = {singular(m.id): forms(m.string) for m in read_mo(MO.open("rb")) if m.id}
    assert mo == po, "run: pybabel compile -d examcentre/translations"


def test_language_follows_the_browser(client):
    zh = client.get("/auth/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(
        as_text=True
    )
    en = client.get("/auth/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(
        as_text=True
    )
    assert "工作人员登录" in zh and '<html lang="zh-CN">' in zh
    assert "Staff sign-in" in en and '<html lang="en">' in en


def test_chinese_is_the_default_for_other_languages(client):
    page = client.get("/auth/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "工作人员登录" in page


def test_switcher_overrides_the_browser_and_returns_to_the_page(client):
    response = client.get("/lang/en?next=/auth/login", headers={"Accept-Language": "zh-CN"})
    assert response.headers["Location"] == "/auth/login"
    page = client.get("/auth/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Staff sign-in" in page
    client.get("/lang/zh_CN")
    assert "工作人员登录" in client.get("/auth/login").get_data(as_text=True)


def test_switcher_refuses_off_site_targets(client):
    assert client.get("/lang/en?next=//evil.example").headers["Location"] == "/"


def test_switcher_ignores_unknown_languages(client):
    client.get("/lang/fr")
    assert "工作人员登录" in client.get("/auth/login").get_data(as_text=True)


def test_id_number_errors_are_translated(client, make):
    ticket = make.ticket()
    make.at_terminal(client, ticket.terminal_id)
    page = client.post(
        "/auth/terminal",
        data={"ticket_number": ticket.number, "id_number": "12345"},
        headers={"Accept-Language": "zh-CN"},
    ).get_data(as_text=True)
    assert "公民身份号码应为 18 位，您输入了 5 位。" in page


def test_no_asset_is_loaded_from_another_host(client, login_as):
    login_as("centre_admin")
    for path in ("/auth/login", "/centre/", "/centre/users", "/centre/audit"):
        page = client.get(path).get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', page), path
