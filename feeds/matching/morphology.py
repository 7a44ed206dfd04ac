"""Match keys: transliteration to one Latin skeleton plus stemming in Russian, English and Azerbaijani.

A word (normalised by :mod:`feeds.matching.normalize`) becomes a small set of *keys*; a query word and
a text word match when their key sets intersect.

* :func:`skeleton` maps Cyrillic, Azerbaijani Latin and English spellings of a name onto one Latin
  form: Сафаров / Səfərov / Safarov → ``safarov``, Актау / Aktau / Aktay → ``aktai``,
  Екатеринбург / Yekaterinburq → ``ekaterinburk``. It merges letters the three spellings disagree
  on (ə/а, ı/ы/y, q/g/k/х, ж/j, ye/е, doubled letters).
* Russian words are stemmed with Snowball Russian, English words with Snowball English (Porter2).
* Azerbaijani suffixes stack (``Səfərov-lar-ı-nın``), and Snowball Turkish mistreats ``ə`` and
  over-strips (``Azərbaycanın`` → ``azərbayca``), so Azerbaijani words get every stem that peeling
  off copula, case, possessive and plural suffixes (outermost first) can leave: a word matches a
  query word when the two share a possible stem. These stems live in their own ``az:`` namespace so
  that an Azerbaijani over-stem (``Putin`` → ``put``) never meets an English word.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

from feeds.matching import azerbaijani
from feeds.matching.normalize import has_azerbaijani_letters, is_cyrillic

AZ_NAMESPACE = "az:"

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sh",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    # Ukrainian and Kazakh letters met in names of places and people
    "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ә": "a", "қ": "k", "ғ": "g", "ң": "n", "ө": "o",
    "ұ": "u", "ү": "u", "һ": "h",
}  # fmt: skip
_TURKIC = {"ə": "a", "ı": "i", "ş": "sh", "ç": "ch", "ğ": "g", "ö": "o", "ü": "u", "q": "k", "x": "kh"}
_CYRILLIC_TABLE = str.maketrans(_CYRILLIC)
_SKELETON_TABLE = str.maketrans({**_CYRILLIC, **_TURKIC})

# Ordered rewrites of the transliterated word; each merges spellings that name the same sound.
_SKELETON_REWRITES = (
    (re.compile("dzh|zh"), "j"),  # Джанятаг / Janyatag, ж / az j
    (re.compile("kh|g"), "k"),  # Карабах / Qarabağ / Karabakh, Екатеринбург / Yekaterinburq
    (re.compile("w"), "v"),
    (re.compile("ye"), "e"),  # Алиев / Aliyev, Екатеринбург / Yekaterinburg
    (re.compile("y(?![aou])"), "i"),  # Грозный / Grozny / Qroznı, Гусейн / Huseyn
    (re.compile("(?<=a)u(?![aeiou])"), "i"),  # Актау / Aktay
    (re.compile(r"(.)\1+"), r"\1"),  # Россотрудничество / Rosotrudnichestvo
)

_AZ_VOWELS = frozenset("aeiouəıöü")
_AZ_MIN_STEM = 2
# Within a layer any one suffix (or none) may be peeled off; longest first.
_AZ_SUFFIX_LAYERS = tuple(tuple(sorted(layer, key=len, reverse=True)) for layer in azerbaijani.LAYERS)

_RUSSIAN = snowballstemmer.stemmer("russian")
_ENGLISH = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def skeleton(word: str) -> str:
    """The script-independent Latin form of a normalised word (see the module docstring)."""
    latin = word.translate(_SKELETON_TABLE)
    if not latin.isascii():
        latin = "".join(ch for ch in unicodedata.normalize("NFKD", latin) if not unicodedata.combining(ch))
    for pattern, replacement in _SKELETON_REWRITES:
        latin = pattern.sub(replacement, latin)
    return latin


def azerbaijani_stems(word: str) -> set[str]:
    """Every stem left by peeling stacked Azerbaijani suffixes off ``word`` (``word`` included)."""
    stems = {word}
    for layer in _AZ_SUFFIX_LAYERS:
        peeled = set()
        for stem in stems:
            for suffix in layer:
                if stem.endswith(suffix):
                    rest = stem[: -len(suffix)]
                    if len(rest) >= _AZ_MIN_STEM and not _AZ_VOWELS.isdisjoint(rest):
                        peeled.add(rest)
        stems |= peeled
    return stems


def russian_stem(word: str) -> str:
    return _RUSSIAN.stemWord(word)


def english_stem(word: str) -> str:
    return _ENGLISH.stemWord(word)


def _azerbaijani_keys(word: str) -> set[str]:
    return {AZ_NAMESPACE + skeleton(stem) for stem in azerbaijani_stems(word)}


class Morphology:
    """Turns normalised words into match keys; ``stemming=False`` keeps transliteration only."""

    def __init__(self, stemming: bool = True) -> None:
        self.stemming = stemming

    def text_keys(self, word: str, lang: str) -> frozenset[str]:
        """Keys of a word found in a text written in ``lang`` (ru/az/en)."""
        keys = {skeleton(word)}
        if not self.stemming:
            return frozenset(keys)
        if is_cyrillic(word):
            keys.add(skeleton(russian_stem(word)))
        elif lang == "az" or has_azerbaijani_letters(word):
            keys |= _azerbaijani_keys(word)
        else:
            keys.add(skeleton(english_stem(word)))
        return frozenset(keys)

    def query_keys(self, word: str) -> frozenset[str]:
        """Keys of a query word, whose language is unknown: every reading that its script allows."""
        keys = {skeleton(word)}
        if not self.stemming:
            return frozenset(keys)
        if is_cyrillic(word):
            keys.add(skeleton(russian_stem(word)))
        else:
            keys.add(skeleton(english_stem(word)))
        # A name written in Cyrillic must still meet its inflected Azerbaijani spelling
        # (Сафаров ~ Səfərovların), so the transliterated word is peeled like an Azerbaijani one.
        keys |= _azerbaijani_keys(word.translate(_CYRILLIC_TABLE))
        return frozenset(keys)


def strip_namespace(key: str) -> str:
    return key[len(AZ_NAMESPACE) :] if key.startswith(AZ_NAMESPACE) else key
