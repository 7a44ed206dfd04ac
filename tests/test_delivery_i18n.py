"""Every user-visible string of the delivery side exists in Russian and Azerbaijani, placeholders intact."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR
from bot.settings import REPO_ROOT

SOURCES = [
    "bot/delivery/texts.py",
    "bot/delivery/digest.py",
    "bot/delivery/alerts.py",
    "bot/handlers/digest.py",
    "bot/handlers/broadcast.py",
]
# `t` is the Translator of bot/delivery/texts.py; `N_` marks messages translated later.
KEYWORDS = {"_": None, "N_": None, "t": None, "ngettext": None}
PLACEHOLDER = re.compile(r"\{(\w*)[^}]*\}")


def delivery_msgids() -> set[str]:
    found = set()
    for source in SOURCES:
        for _, message, _, _ in extract_from_file("python", REPO_ROOT / source, keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_sources_have_messages_to_check():
    assert {"Russian media", "Digest · {day}", "{count} report", "Reports per day"} <= delivery_msgids()


@pytest.mark.parametrize("language", ["ru", "az"])
def test_each_delivery_message_is_translated(language):
    with Path(LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale=language)
    for msgid in sorted(delivery_msgids()):
        message = catalog.get(msgid)
        assert message is not None, f"{language}: missing {msgid!r}"
        translations = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(translations), f"{language}: untranslated {msgid!r}"
        wanted = set(PLACEHOLDER.findall(msgid))
        for text in translations:
            assert set(PLACEHOLDER.findall(text)) == wanted, f"{language}: placeholders of {msgid!r}"
