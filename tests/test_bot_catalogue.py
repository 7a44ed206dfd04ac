"""Every text the bot shows exists in Russian and Azerbaijani, with the same placeholders."""

import re
import string

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.commands import COMMANDS
from bot.i18n import LOCALES_DIR
from bot.settings import REPO_ROOT

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def used_messages() -> set[str | tuple[str, str]]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        REPO_ROOT / "bot", method_map=[("**.py", "python")], keywords=KEYWORDS, options_map={}
    ):
        found.add(tuple(message) if isinstance(message, list | tuple) else message)
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("lang", ["ru", "az"])
def test_every_message_is_translated_with_the_same_placeholders(lang):
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale=lang)
    messages = used_messages()
    assert len(messages) > 100  # the extraction found the bot's texts
    for key in messages:
        msgid = key[0] if isinstance(key, tuple) else key
        entry = catalogue.get(msgid)
        assert entry is not None and entry.string, f"{lang}: no translation for {msgid!r}"
        translations = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert all(translations), f"{lang}: an empty plural form for {msgid!r}"
        for translated in translations:
            assert placeholders(translated) == placeholders(msgid), (
                f"{lang}: placeholders differ in {msgid!r}"
            )
        if isinstance(key, tuple):
            assert len(translations) == catalogue.num_plurals


def test_no_ui_text_hides_in_an_f_string_where_extraction_cannot_see_it():
    pattern = re.compile(r"""f["'][^"']*\{[^}]*\b_\(\s*["']""")
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{n}"
        for path in (REPO_ROOT / "bot").rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_menu_commands_fit_telegrams_rules_in_every_language():
    from bot.i18n import create_i18n

    i18n = create_i18n()
    for command in COMMANDS:
        assert re.fullmatch(r"[a-z0-9_]{1,32}", command.name)
        for lang in ("en", "ru", "az"):
            assert 1 <= len(i18n.gettext(command.description, locale=lang)) <= 256
