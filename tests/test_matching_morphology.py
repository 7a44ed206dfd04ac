"""Inflection and transliteration, checked the way a query author sees them: does the query match?"""

import pytest

from feeds.matching import compile_query, skeleton
from feeds.matching.morphology import azerbaijani_stems


def _matches(query: str, text: str, lang: str, stemming: bool = True) -> bool:
    return compile_query(query, stemming=stemming).matches(text, "", lang)


# --- Russian: six cases, two numbers


@pytest.mark.parametrize(
    "form", ["дом", "дома", "дому", "домом", "доме", "дома", "домов", "домам", "домами", "домах"]
)
def test_russian_noun_in_every_case_and_number(form: str) -> None:
    assert _matches("дом", f"Русский {form}", "ru")


@pytest.mark.parametrize(
    "form",
    ["Сафаров", "Сафарова", "Сафарову", "Сафаровым", "Сафарове", "Сафаровы", "Сафаровых", "Сафаровыми"],
)
def test_russian_surname_in_every_case_and_number(form: str) -> None:
    assert _matches("Сафаров", f"Дело {form}", "ru")


def test_russian_phrase_matches_when_both_words_are_inflected() -> None:
    assert _matches('"русский дом"', "закрытие Русского дома", "ru")
    assert _matches('"русский дом"', "вопрос по Русскому дому", "ru")
    assert not _matches('"русский дом"', "русский язык и дом", "ru")


# --- Azerbaijani: stacked suffixes


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("Səfərov", "Səfərov qardaşlarının"),
        ("Səfərov", "Səfərovların"),
        ("Səfərov", "Səfərovlara"),
        ("Səfərov", "Səfərovun"),
        ("qardaş", "qardaşlarının"),
        ("Azərbaycan", "Azərbaycanın"),
        ("Azərbaycan", "Azərbaycana"),
        ("Azərbaycan", "Azərbaycandan"),
        ("Rusiya", "Rusiyaya"),
        ("Rusiya", "Rusiyanın"),
        ("Rusiya", "Rusiyadakı"),
        ("ev", "Rus Evinin"),
        ("ev", "Rus Evində"),
        ("təyyarə", "təyyarəsinin"),
        ("qəza", "qəzasından"),
    ],
)
def test_azerbaijani_stacked_suffixes(query: str, form: str) -> None:
    assert _matches(query, form, "az")


def test_azerbaijani_stems_peel_suffixes_outermost_first() -> None:
    assert {"səfərovların", "səfərovlar", "səfərov"} <= azerbaijani_stems("səfərovların")  # -lar-ın
    assert {"qardaşları", "qardaşlar", "qardaş"} <= azerbaijani_stems("qardaşlarının")  # -lar-ı-nın
    assert "azərbaycan" in azerbaijani_stems("azərbaycanın")


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("qəza", "Qazaxıstanın"),  # crash vs Kazakhstan
        ("təyyarə*", "Rusiya tərəfi"),  # plane vs side
        ("atəş", "atəşkəs elan olunub"),  # fire vs ceasefire
    ],
)
def test_azerbaijani_look_alikes_do_not_match(query: str, text: str) -> None:
    assert not _matches(query, text, "az")


# --- English: plurals and verb forms


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("peacekeeper", "peacekeepers"),
        ("crash", "crashes"),
        ("crash", "crashed"),
        ("parade", "parades"),
        ("entry", "entries"),
        ("ban", "banned"),
    ],
)
def test_english_inflections(query: str, form: str) -> None:
    assert _matches(query, f"Two {form}", "en")


def test_without_stemming_only_wildcards_reach_inflected_forms() -> None:
    assert not _matches("дом", "Русского дома", "ru", stemming=False)
    assert _matches("дом*", "Русского дома", "ru", stemming=False)
    assert not _matches("Azərbaycan", "Azərbaycanın", "az", stemming=False)


# --- transliteration: one name, three scripts


@pytest.mark.parametrize("query", ["Сафаров", "Səfərov", "Safarov"])
@pytest.mark.parametrize(("text", "lang"), [("Сафаров", "ru"), ("Səfərov", "az"), ("SAFAROV's", "en")])
def test_safarov_in_any_script_finds_every_spelling(query: str, text: str, lang: str) -> None:
    assert _matches(query, text, lang)


@pytest.mark.parametrize("query", ["Актау", "Aktau", "Aktay"])
@pytest.mark.parametrize(
    ("text", "lang"), [("под Актау", "ru"), ("Aktau crash", "en"), ("Aktay faciəsi", "az")]
)
def test_aktau_in_any_script_finds_every_spelling(query: str, text: str, lang: str) -> None:
    assert _matches(query, text, lang)


@pytest.mark.parametrize(
    ("query", "text", "lang"), [("Бадамов", "Badamov", "en"), ("Badamov", "Бадамова", "ru")]
)
def test_badamov_across_scripts(query: str, text: str, lang: str) -> None:
    assert _matches(query, text, lang)


@pytest.mark.parametrize(
    ("query", "text", "lang"),
    [
        ("Сафаров", "Səfərovların dəfni", "az"),  # Cyrillic query, inflected Azerbaijani text
        ("Aktau", "Aktauda qəza", "az"),
        ("екатеринбург*", "Yekaterinburqda basqın", "az"),
        ("екатеринбург*", "Yekaterinburg raids", "en"),
        ("карабах*", "Qarabağda", "az"),
        ("алиев*", "Əliyevin", "az"),
        ("грозн*", "Bakı-Qroznı reysi", "az"),
    ],
)
def test_transliteration_combines_with_inflection(query: str, text: str, lang: str) -> None:
    assert _matches(query, text, lang)


def test_skeleton_is_one_latin_form_for_all_three_scripts() -> None:
    assert skeleton("сафаров") == skeleton("səfərov") == skeleton("safarov") == "safarov"
    assert skeleton("актау") == skeleton("aktau") == skeleton("aktay")
    assert skeleton("бадамов") == skeleton("badamov")
    assert skeleton("екатеринбург") == skeleton("yekaterinburq") == skeleton("yekaterinburg")


def test_transliteration_does_not_merge_different_names() -> None:
    assert not _matches("Сафаров", "Сапаров", "ru")
    assert not _matches("Бадамов", "Бадалов", "ru")
