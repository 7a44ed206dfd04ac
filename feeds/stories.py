"""Grouping items into stories: which earlier story, if any, a new item belongs to.

Pure logic; the storage side (`storage.stories.assign_story`) loads the candidates and calls
`StoryGrouper.signature` and `StoryGrouper.pick`.

Within one language two texts are the same story when they are near-duplicates: the MinHash
estimate of the Jaccard similarity of their character 5-shingles (title and lead of the summary)
is high, or their titles share most of their stemmed words. Across languages nothing textual
survives translation, so a link is made when both items concern the same incident and name the
same entities (from an `EntityLexicon` built from the knowledge base: people, places, outlets).

A signature is a flat list of ints, the only form the `stories` table keeps:
``[VERSION, n_text, n_title, n_entities, *text_minhash, *title_word_hashes, *entity_hashes]``.
"""

import re
import threading
import unicodedata
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import numpy as np
import snowballstemmer

SIGNATURE_VERSION = 1
NUM_HASHES = 64
SHINGLE = 5
SUMMARY_LEAD = 400  # characters of the summary that count: leads are similar, tails wander
_PRIME = np.uint64(4_294_967_311)  # the first prime above 2**32, so a*x+b never overflows 64 bits
_rng = np.random.default_rng(20_250_703)
_A = _rng.integers(1, 2**32 - 1, size=NUM_HASHES, dtype=np.uint64)
_B = _rng.integers(0, 2**32 - 1, size=NUM_HASHES, dtype=np.uint64)

_WORD = re.compile(r"\w+", re.UNICODE)
_STEMMERS = {"en": "english", "ru": "russian", "az": "turkish"}  # Turkish suffixes fit Azerbaijani well
_STOPWORD_TEXT = {
    "en": "a an the of in on at to for from by with and or as is are was were be been has have had it its "
    "that this after over about into says said amid against than not no new",
    "ru": "в во на с со по к ко о об от до из за для и или а но что как это его её их не ни же ли бы "
    "был была были будет после при под над между уже также заявил заявила",
    "az": "və ilə da də bu o ki üçün isə bir belə görə sonra artıq",
}


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return " ".join(_WORD.findall(text))


_STOPWORDS = frozenset(_normalise(" ".join(_STOPWORD_TEXT.values())).split())


_local = threading.local()  # snowball stemmers keep state between calls: one set per thread


def _stemmer(language: str | None):
    algorithm = _STEMMERS.get(language or "", "english")
    stemmers = _local.__dict__.setdefault("stemmers", {})
    if algorithm not in stemmers:
        stemmers[algorithm] = snowballstemmer.stemmer(algorithm)
    return stemmers[algorithm]


def _stems(text: str, language: str | None) -> list[str]:
    words = [word for word in _normalise(text).split() if len(word) > 1 and word not in _STOPWORDS]
    return _stemmer(language).stemWords(words)


def _hash(token: str) -> int:
    return zlib.crc32(token.encode("utf-8"))


def minhash(text: str) -> list[int]:
    """MinHash of the character shingles of `text` (already normalised)."""
    if len(text) < SHINGLE:
        text = text.ljust(SHINGLE)
    shingles = {_hash(text[i : i + SHINGLE]) for i in range(len(text) - SHINGLE + 1)}
    values = np.fromiter(shingles, dtype=np.uint64, count=len(shingles))
    hashed = (np.outer(values, _A) + _B) % _PRIME
    return hashed.min(axis=0).tolist()


class EntityLexicon:
    """Named entities by their surface forms in any language: 'Алиев', 'Aliyev' → 'ilham-aliyev'."""

    def __init__(self, forms: Mapping[str, Iterable[tuple[str, str | None]]]) -> None:
        """`forms`: canonical id → (surface form, language of the form) pairs."""
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for canonical, surfaces in forms.items():
            for surface, language in surfaces:
                stems = tuple(_stems(surface, language))
                if stems:
                    self._by_first.setdefault(stems[0], []).append((stems, canonical))
        for patterns in self._by_first.values():
            patterns.sort(key=lambda pattern: -len(pattern[0]))  # longest form first

    def find(self, text: str, language: str | None) -> frozenset[str]:
        stems = _stems(text, language)
        found = set()
        for index, stem in enumerate(stems):
            for pattern, canonical in self._by_first.get(stem, ()):
                if tuple(stems[index : index + len(pattern)]) == pattern:
                    found.add(canonical)
                    break
        return frozenset(found)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    text: tuple[int, ...]  # MinHash of title + lead
    title: frozenset[int]  # hashes of the title's stemmed content words
    entities: frozenset[int]  # hashes of canonical entity ids

    def to_signature(self) -> list[int]:
        title, entities = sorted(self.title), sorted(self.entities)
        header = [SIGNATURE_VERSION, len(self.text), len(title), len(entities)]
        return [*header, *self.text, *title, *entities]

    @classmethod
    def from_signature(cls, signature: Sequence[int]) -> "Fingerprint | None":
        """The fingerprint a signature encodes; None for an empty or foreign one."""
        if len(signature) < 4 or signature[0] != SIGNATURE_VERSION:
            return None
        n_text, n_title, n_entities = signature[1:4]
        if len(signature) != 4 + n_text + n_title + n_entities:
            return None
        text_end = 4 + n_text
        title_end = text_end + n_title
        return cls(
            tuple(signature[4:text_end]),
            frozenset(signature[text_end:title_end]),
            frozenset(signature[title_end:]),
        )


def fingerprint(
    title: str, summary: str, language: str | None, lexicon: EntityLexicon | None = None
) -> Fingerprint:
    text = _normalise(f"{title} {summary[:SUMMARY_LEAD]}")
    title_words = frozenset(_hash(stem) for stem in _stems(title, language))
    entities = lexicon.find(f"{title} {summary}", language) if lexicon else frozenset()
    return Fingerprint(tuple(minhash(text)), title_words, frozenset(_hash(entity) for entity in entities))


def _jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def text_similarity(a: Fingerprint, b: Fingerprint) -> float:
    """Same-language similarity: the better of the shingle estimate and the title word overlap."""
    if len(a.text) != len(b.text) or not a.text:
        return _jaccard(a.title, b.title)
    shingles = sum(x == y for x, y in zip(a.text, b.text, strict=True)) / len(a.text)
    return max(shingles, _jaccard(a.title, b.title))


@dataclass(frozen=True)
class GroupingRules:
    window: timedelta = timedelta(hours=48)
    same_language_threshold: float = 0.5
    min_shared_entities: int = 2
    entity_jaccard_threshold: float = 0.6


class Candidate(Protocol):
    """What `pick` needs to know about an earlier story (see `storage.stories.StoryCandidate`)."""

    @property
    def story_id(self) -> int: ...
    @property
    def language(self) -> str | None: ...
    @property
    def signature(self) -> Sequence[int]: ...
    @property
    def incident_ids(self) -> frozenset[str]: ...


class StoryGrouper:
    """Signatures for new items and the choice of the story an item joins."""

    def __init__(self, rules: GroupingRules | None = None, lexicon: EntityLexicon | None = None) -> None:
        self.rules = rules or GroupingRules()
        self.lexicon = lexicon

    @property
    def window(self) -> timedelta:
        return self.rules.window

    def signature(self, title: str, summary: str, language: str | None) -> list[int]:
        return fingerprint(title, summary, language, self.lexicon).to_signature()

    def pick(
        self,
        signature: Sequence[int],
        language: str | None,
        incident_ids: frozenset[str],
        candidates: Sequence[Candidate],
    ) -> int | None:
        """The id of the story the item belongs to, or None for a new story."""
        item = Fingerprint.from_signature(signature)
        if item is None:
            return None
        best_id, best_score = None, 0.0
        for candidate in candidates:
            story = Fingerprint.from_signature(candidate.signature)
            if story is None:
                continue
            score = self._score(item, language, incident_ids, story, candidate)
            if score > best_score:
                best_id, best_score = candidate.story_id, score
        return best_id

    def _score(
        self,
        item: Fingerprint,
        language: str | None,
        incident_ids: frozenset[str],
        story: Fingerprint,
        candidate: Candidate,
    ) -> float:
        """A positive score when the item belongs to the story; same-language matches rank first."""
        rules = self.rules
        if candidate.language == language:
            similarity = text_similarity(item, story)
            return 1.0 + similarity if similarity >= rules.same_language_threshold else 0.0
        shared = len(item.entities & story.entities)
        if (
            incident_ids & candidate.incident_ids
            and shared >= rules.min_shared_entities
            and _jaccard(item.entities, story.entities) >= rules.entity_jaccard_threshold
        ):
            return _jaccard(item.entities, story.entities)  # below any same-language match
        return 0.0
