import pytest

from bot.i18n import create_i18n, pick_language

APOLOGY = "Sorry, something went wrong. The team has been notified; please try again."


def test_catalogues_compile_and_translate_with_plurals():
    i18n = create_i18n()
    assert set(i18n.available_locales) == {"ru", "az"}
    assert i18n.gettext(APOLOGY, locale="ru").startswith("Извините")
    assert i18n.gettext(APOLOGY, locale="az").startswith("Bağışlayın")
    assert i18n.gettext(APOLOGY, locale="en") == APOLOGY
    forms = [
        i18n.gettext("{count} item", "{count} items", n, locale="ru").format(count=n) for n in (1, 3, 5, 21)
    ]
    assert forms == ["1 материал", "3 материала", "5 материалов", "21 материал"]


@pytest.mark.parametrize(
    ("chosen", "telegram", "expected"),
    [("az", "ru", "az"), (None, "ru-RU", "ru"), (None, "de", "en"), (None, None, "en"), ("xx", "az", "az")],
)
def test_language_choice_order(chosen, telegram, expected):
    assert pick_language(chosen, telegram) == expected
