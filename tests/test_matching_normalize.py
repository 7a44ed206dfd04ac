"""Normalisation and tokenisation as the storage full-text search will reuse them."""

import pytest

from feeds.matching import guess_language, normalize, tokenize


def test_dotted_capital_i_becomes_a_plain_i_without_a_combining_dot() -> None:
    assert "İ".lower() == "i\u0307"  # what Python alone does
    assert normalize("İLHAM ƏLİYEV", "az") == "ilham əliyev"
    assert normalize("İstanbul") == "istanbul"
    assert len(normalize("İ")) == 1


def test_capital_dotless_i_depends_on_the_language() -> None:
    assert normalize("BAKI", "az") == "bakı"
    assert normalize("QIZ", "tr") == "qız"
    assert normalize("BAKI", "en") == "baki"
    assert normalize("ılıq") == "ılıq"  # a lower-case ı stays ı


def test_yo_is_folded_to_ye() -> None:
    assert normalize("Самолёт Королёва") == "самолет королева"
    assert normalize("ЁЛКА") == "елка"


def test_quotes_and_dashes_are_unified() -> None:
    assert normalize("«Спутник» — “Sputnik”") == '"спутник" - "sputnik"'
    assert normalize("Azerbaijan’s Baku–Moscow ‘row’") == "azerbaijan's baku-moscow 'row'"


def test_nfkc_turns_ligatures_and_wide_letters_into_plain_ones() -> None:
    assert normalize("ﬁnal ＡＺＡＬ") == "final azal"


def test_tokens_carry_positions_and_the_surface_word() -> None:
    tokens = tokenize("Рейс J2-8243 Баку–Грозный упал")
    assert [t.norm for t in tokens] == ["рейс", "j2-8243", "баку", "грозный", "упал"]
    assert [t.position for t in tokens] == [0, 1, 2, 3, 4]
    assert tokens[2].surface == "Баку–Грозный"  # both parts point at the word as written
    assert tokens[1].start == 5 and tokens[1].end == 12


@pytest.mark.parametrize("code", ["J2-8243", "Ан-24", "COVID-19", "3-2", "2001–2011"])
def test_hyphenated_codes_stay_whole(code: str) -> None:
    assert [t.norm for t in tokenize(f"x {code} y")] == ["x", normalize(code), "y"]


def test_english_possessive_is_dropped_and_other_apostrophes_split() -> None:
    assert [t.norm for t in tokenize("Azerbaijan’s chargé d'affaires")] == [
        "azerbaijan",
        "chargé",
        "d",
        "affaires",
    ]


def test_azerbaijani_suffix_after_a_hyphen_is_glued_back_to_its_word() -> None:
    assert [t.norm for t in tokenize("AZAL-ın təyyarəsi, XİN-in açıqlaması", "az")] == [
        "azalın",
        "təyyarəsi",
        "xinin",
        "açıqlaması",
    ]


def test_punctuation_separates_words() -> None:
    assert [t.norm for t in tokenize("Haqqin.az: «blok»!")] == ["haqqin", "az", "blok"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [("Сафаровы погибли", "ru"), ("Səfərov qardaşları", "az"), ("Safarov brothers", "en")],
)
def test_language_guess_for_items_without_one(text: str, lang: str) -> None:
    assert guess_language(text) == lang
