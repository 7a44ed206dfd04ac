"""UI translations: gettext catalogues (`bot/locales/<lang>/LC_MESSAGES/messages.po`) via aiogram's I18n.

Only the `.po` sources are kept in the repository; they are compiled in memory when loaded, so a
catalogue edit needs no build step and no compiled file can go stale.
"""

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
LANGUAGES = ("en", "ru", "az")  # English is the source language of the catalogues
DEFAULT_LANGUAGE = "en"


class CatalogueI18n(I18n):
    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        translations = {}
        for po_path in sorted(self.path.glob(f"*/LC_MESSAGES/{self.domain}.po")):
            locale = po_path.parent.parent.name
            with po_path.open("rb") as source:
                catalog = read_po(source, locale=locale)
            compiled = BytesIO()
            write_mo(compiled, catalog)
            compiled.seek(0)
            translations[locale] = gettext.GNUTranslations(compiled)
        return translations

    @contextmanager
    def context(self) -> Iterator[I18n]:
        """Make this instance the one aiogram's `gettext()` finds: it asks `I18n.get_current()`, and
        aiogram gives every subclass a context slot of its own."""
        token = I18n.set_current(self)
        try:
            with super().context():
                yield self
        finally:
            I18n.reset_current(token)


def create_i18n() -> I18n:
    return CatalogueI18n(path=LOCALES_DIR, default_locale=DEFAULT_LANGUAGE, domain=DOMAIN)


def pick_language(chosen: str | None, telegram_language: str | None) -> str:
    """The user's choice, else their Telegram client's language, else English."""
    for candidate in (chosen, (telegram_language or "").split("-")[0].lower()):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE
