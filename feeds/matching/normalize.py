"""Text normalisation and tokenisation shared by the matcher and the storage full-text search.

Normalisation: Unicode NFKC, quotes and dashes unified, case folding that knows the Turkish/Azerbaijani
dotted and dotless i, and ``ё`` → ``е``. Tokenisation keeps hyphenated codes (``J2-8243``, ``Ан-24``)
whole, splits other hyphenated compounds (``Baku–Moscow``), drops the English possessive ``'s`` and
glues an Azerbaijani case suffix written after a hyphen back on (``AZAL-ın`` → ``AZALın``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from feeds.matching import azerbaijani

_DOUBLE_QUOTES = "«»„“”‟″〝〞＂"
_SINGLE_QUOTES = "‘’‚‛′‹›ʼ`´＇"
_DASHES = "‐‑‒–—―−﹘﹣－⁃"
# One-to-one replacements, so a query's character positions survive unification.
_PUNCTUATION = str.maketrans(
    {
        **dict.fromkeys(_DOUBLE_QUOTES, '"'),
        **dict.fromkeys(_SINGLE_QUOTES, "'"),
        **dict.fromkeys(_DASHES, "-"),
    }
)

_TURKIC_LANGS = frozenset({"az", "tr"})
# Words may be joined by any dash or apostrophe; the raw text is not unified first because that is
# the most expensive step of tokenising and only the joiners matter (split_word unifies them).
_JOINERS = re.escape("'-" + _SINGLE_QUOTES + _DASHES)
_WORD_RE = re.compile(rf"[^\W_]+(?:[{_JOINERS}][^\W_]+)*")
_SEPARATOR_RE = re.compile(r"(['-])")
_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
_AZ_LETTERS_RE = re.compile(r"[əƏğĞıİşŞçÇöÖüÜ]")

# Case, possessive and plural suffixes an Azerbaijani writer puts after a hyphen behind an
# abbreviation or a foreign name: "AZAL-ın", "XİN-in", "Sputnik Azərbaycan-ın", "NATO-ya".
_AZ_HYPHEN_SUFFIXES = frozenset(azerbaijani.CASE + azerbaijani.POSSESSIVE + azerbaijani.PLURAL)


def unify_punctuation(text: str) -> str:
    """Map typographic quotes to ``"``/``'`` and every dash to ``-`` (length-preserving)."""
    return text.translate(_PUNCTUATION)


def fold_case(text: str, lang: str | None = None) -> str:
    """Lower-case ``text``; ``İ`` is always ``i``, ``I`` is ``ı`` in Azerbaijani/Turkish text."""
    text = text.replace("İ", "i")
    if lang in _TURKIC_LANGS:
        text = text.replace("I", "ı")
    # str.casefold() turns a decomposed İ into i + U+0307 and keeps ё: neither helps matching.
    return text.casefold().replace("\u0307", "").replace("ё", "е")


def normalize(text: str, lang: str | None = None) -> str:
    """NFKC, unified quotes and dashes, Turkic-aware case folding, ``ё`` → ``е``."""
    return fold_case(unify_punctuation(unicodedata.normalize("NFKC", text)), lang)


def split_word(word: str) -> list[str]:
    """Split one raw word (as found by the tokeniser) into the word forms it stands for."""
    word = unify_punctuation(word)
    if "-" not in word and "'" not in word:
        return [word]
    if any(ch.isdigit() for ch in word):
        return [word]  # a code such as J2-8243 or a score such as 3-2: one token
    pieces = _SEPARATOR_RE.split(word)
    forms = [pieces[0]]
    for separator, piece in zip(pieces[1::2], pieces[2::2], strict=True):
        if separator == "'" and piece.lower() == "s":
            continue  # English possessive
        if piece in _AZ_HYPHEN_SUFFIXES:
            forms[-1] += piece
        else:
            forms.append(piece)
    return forms


def raw_words(text: str) -> list[str]:
    """The raw words of a text (after NFKC, so ligatures and width variants are words); each raw
    word stands for one or more word forms, see :func:`split_word`."""
    return _WORD_RE.findall(unicodedata.normalize("NFKC", text))


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a text: ``norm`` is what is matched, ``surface`` what the text says."""

    norm: str
    surface: str
    position: int
    start: int
    end: int


def tokenize(text: str, lang: str | None = None) -> list[Token]:
    """Tokens of ``text`` with word positions and character offsets into the NFKC form of ``text``."""
    tokens: list[Token] = []
    for found in _WORD_RE.finditer(unicodedata.normalize("NFKC", text)):
        for form in split_word(found.group()):
            tokens.append(
                Token(fold_case(form, lang), found.group(), len(tokens), found.start(), found.end())
            )
    return tokens


def guess_language(text: str) -> str:
    """A cheap guess among ru/az/en for items that come without a language."""
    if _CYRILLIC_RE.search(text):
        return "ru"
    if _AZ_LETTERS_RE.search(text):
        return "az"
    return "en"


def is_cyrillic(word: str) -> bool:
    return _CYRILLIC_RE.search(word) is not None


def has_azerbaijani_letters(word: str) -> bool:
    return _AZ_LETTERS_RE.search(word) is not None
