"""The compiled matcher: query words indexed once, texts scanned once, queries evaluated per candidate.

Speed comes from three caches and one index:

* every query word gets an id; a dictionary maps each match key (and each wildcard prefix) to ids;
* a text is tokenised once; each distinct raw word is analysed once per language and the ids it
  satisfies are cached, so a repeated word costs one dictionary look-up;
* an incident's query is evaluated only when the text contains one of its positive words.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from feeds.matching.morphology import Morphology, skeleton, strip_namespace
from feeds.matching.normalize import fold_case, guess_language, prepare, raw_words, split_word
from feeds.matching.query import And, Near, Node, Not, Or, Phrase, Ref, Term, parse_query, positive_terms

if TYPE_CHECKING:
    from feeds.matching.taxonomy import Taxonomy

FIELDS = ("title", "summary")
LANGUAGES = ("ru", "az", "en")
# How central an incident is to the item, by where the query is satisfied.
SCORE_TITLE, SCORE_BOTH, SCORE_SUMMARY = 1.0, 0.8, 0.6
_WORD_CACHE_LIMIT = 200_000

# (field index, word position, surface word as written)
Occurrence = tuple[int, int, str]
Hits = dict[int, list[Occurrence]]


class TermIndex:
    """Ids for query words, and the ids each word of a text satisfies."""

    def __init__(self, morphology: Morphology) -> None:
        self.morphology = morphology
        self._ids: dict[tuple[str, bool], int] = {}
        self._by_key: dict[str, list[int]] = defaultdict(list)
        self._by_prefix: dict[str, list[int]] = defaultdict(list)
        self._prefix_lengths: list[int] = []
        self._cache: dict[str, dict[str, tuple[int, tuple[tuple[int, int], ...]]]] = {}

    def add(self, term: Term) -> int:
        """The id of ``term``, registering it on first sight."""
        identity = (term.word, term.prefix)
        if identity in self._ids:
            return self._ids[identity]
        term_id = len(self._ids)
        self._ids[identity] = term_id
        if term.prefix:
            prefix = skeleton(term.word)
            self._by_prefix[prefix].append(term_id)
            self._prefix_lengths = sorted({len(p) for p in self._by_prefix})
        else:
            for key in self.morphology.query_keys(term.word):
                self._by_key[key].append(term_id)
        self._cache.clear()
        return term_id

    def scan(self, title: str, summary: str, lang: str) -> Hits:
        """Where each query word occurs in the two fields of an item."""
        cache = self._cache.get(lang)
        if cache is None or len(cache) > _WORD_CACHE_LIMIT:
            cache = self._cache[lang] = {}
        hits: Hits = {}
        for field_index, text in enumerate((title, summary)):
            if not text:
                continue
            position = 0
            for raw in raw_words(prepare(text)):
                entry = cache.get(raw)
                if entry is None:
                    entry = cache[raw] = self._analyse(raw, lang)
                width, matched = entry
                for offset, term_id in matched:
                    occurrence = (field_index, position + offset, raw)
                    if term_id in hits:
                        hits[term_id].append(occurrence)
                    else:
                        hits[term_id] = [occurrence]
                position += width
        return hits

    def _analyse(self, raw: str, lang: str) -> tuple[int, tuple[tuple[int, int], ...]]:
        forms = split_word(raw)
        matched: list[tuple[int, int]] = []
        for offset, form in enumerate(forms):
            keys = self.morphology.text_keys(fold_case(form, lang), lang)
            ids: set[int] = set()
            for key in keys:
                ids.update(self._by_key.get(key, ()))
                bare = strip_namespace(key)
                for length in self._prefix_lengths:
                    if length > len(bare):
                        break
                    ids.update(self._by_prefix.get(bare[:length], ()))
            matched.extend((offset, term_id) for term_id in sorted(ids))
        return len(forms), tuple(matched)


# ------------------------------------------------------------------------------ compiled query nodes


@dataclass(frozen=True, slots=True)
class Span:
    field: int
    start: int
    end: int
    evidence: tuple[tuple[Term, Occurrence], ...]


class _Compiled:
    """A query node bound to term ids."""

    def holds(self, hits: Hits) -> bool:
        raise NotImplementedError

    def spans(self, hits: Hits) -> list[Span]:
        raise NotImplementedError  # only positional nodes have spans

    def evidence(self, hits: Hits) -> list[tuple[Term, Occurrence]]:
        """The occurrences that make this (true) node true."""
        return [item for span in self.spans(hits) for item in span.evidence]


class _Word(_Compiled):
    def __init__(self, term: Term, term_id: int) -> None:
        self.term, self.term_id = term, term_id

    def holds(self, hits: Hits) -> bool:
        return self.term_id in hits

    def spans(self, hits: Hits) -> list[Span]:
        return [Span(o[0], o[1], o[1], ((self.term, o),)) for o in hits.get(self.term_id, ())]


class _Phrase(_Compiled):
    def __init__(self, words: list[_Word]) -> None:
        self.words = words

    def holds(self, hits: Hits) -> bool:
        return all(w.term_id in hits for w in self.words) and bool(self.spans(hits))

    def spans(self, hits: Hits) -> list[Span]:
        at = [{(o[0], o[1]): o for o in hits.get(w.term_id, ())} for w in self.words]
        found = []
        for (field_index, start), first in at[0].items():
            chain = [first]
            for k in range(1, len(self.words)):
                next_occurrence = at[k].get((field_index, start + k))
                if next_occurrence is None:
                    break
                chain.append(next_occurrence)
            else:
                evidence = tuple(zip((w.term for w in self.words), chain, strict=True))
                found.append(Span(field_index, start, start + len(self.words) - 1, evidence))
        return found


class _And(_Compiled):
    def __init__(self, children: list[_Compiled]) -> None:
        self.children = children

    def holds(self, hits: Hits) -> bool:
        return all(c.holds(hits) for c in self.children)

    def evidence(self, hits: Hits) -> list[tuple[Term, Occurrence]]:
        return [item for c in self.children for item in c.evidence(hits)]


class _Or(_Compiled):
    def __init__(self, children: list[_Compiled]) -> None:
        self.children = children

    def holds(self, hits: Hits) -> bool:
        return any(c.holds(hits) for c in self.children)

    def spans(self, hits: Hits) -> list[Span]:
        return [span for c in self.children for span in c.spans(hits)]

    def evidence(self, hits: Hits) -> list[tuple[Term, Occurrence]]:
        return [item for c in self.children if c.holds(hits) for item in c.evidence(hits)]


class _Not(_Compiled):
    def __init__(self, child: _Compiled) -> None:
        self.child = child

    def holds(self, hits: Hits) -> bool:
        return not self.child.holds(hits)

    def evidence(self, hits: Hits) -> list[tuple[Term, Occurrence]]:
        return []


class _Near(_Compiled):
    def __init__(self, left: _Compiled, right: _Compiled, distance: int) -> None:
        self.left, self.right, self.distance = left, right, distance

    def holds(self, hits: Hits) -> bool:
        return self.left.holds(hits) and self.right.holds(hits) and bool(self.spans(hits))

    def spans(self, hits: Hits) -> list[Span]:
        found = []
        rights = self.right.spans(hits)
        for a in self.left.spans(hits):
            for b in rights:
                gap = max(a.start, b.start) - min(a.end, b.end)
                if a.field == b.field and gap <= self.distance:
                    found.append(Span(a.field, min(a.start, b.start), max(a.end, b.end), a.evidence + b.evidence))
        return found


def _compile(node: Node, index: TermIndex) -> _Compiled:
    if isinstance(node, Term):
        return _Word(node, index.add(node))
    if isinstance(node, Phrase):
        return _Phrase([_Word(w, index.add(w)) for w in node.words])
    if isinstance(node, And):
        return _And([_compile(c, index) for c in node.children])
    if isinstance(node, Or):
        return _Or([_compile(c, index) for c in node.children])
    if isinstance(node, Not):
        return _Not(_compile(node.child, index))
    if isinstance(node, Near):
        return _Near(_compile(node.left, index), _compile(node.right, index), node.distance)
    assert isinstance(node, Ref)
    return _compile(node.body, index)


def _explanation(evidence: Iterable[tuple[Term, Occurrence]]) -> list[dict[str, Any]]:
    """JSON-ready explanation: which query term matched which word where, in text order."""
    seen: dict[tuple[str, int, int], dict[str, Any]] = {}
    for term, (field_index, position, surface) in evidence:
        seen.setdefault(
            (term.text, field_index, position),
            {"term": term.text, "field": FIELDS[field_index], "word": surface, "position": position},
        )
    return sorted(seen.values(), key=lambda e: (FIELDS.index(e["field"]), e["position"], e["term"]))


def _only_field(hits: Hits, field_index: int) -> Hits:
    narrowed: Hits = {}
    for term_id, occurrences in hits.items():
        kept = [o for o in occurrences if o[0] == field_index]
        if kept:
            narrowed[term_id] = kept
    return narrowed


def _score(node: _Compiled, hits: Hits) -> float:
    if node.holds(_only_field(hits, 0)):
        return SCORE_TITLE
    if node.holds(_only_field(hits, 1)):
        return SCORE_SUMMARY
    return SCORE_BOTH


def _resolve_language(lang: str | None, title: str, summary: str) -> str:
    return lang if lang in LANGUAGES else guess_language(f"{title} {summary}")


# ------------------------------------------------------------------------------------------ public API


@dataclass(frozen=True, slots=True)
class IncidentMatch:
    incident_id: str
    score: float
    explanation: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"incident_id": self.incident_id, "score": self.score, "explanation": self.explanation}


class CompiledQuery:
    """One query ready to test texts: for the bot's archive search and for one-off checks."""

    def __init__(self, node: Node, *, stemming: bool = True) -> None:
        self.node = node
        self._index = TermIndex(Morphology(stemming))
        self._compiled = _compile(node, self._index)

    def explain(self, title: str, summary: str = "", lang: str | None = None) -> list[dict[str, Any]] | None:
        """The explanation if the query matches, else ``None``."""
        hits = self._index.scan(title, summary, _resolve_language(lang, title, summary))
        if not self._compiled.holds(hits):
            return None
        return _explanation(self._compiled.evidence(hits))

    def matches(self, title: str, summary: str = "", lang: str | None = None) -> bool:
        return self.explain(title, summary, lang) is not None


def compile_query(query: str, *, stemming: bool = True) -> CompiledQuery:
    """Parse and compile a query (raises :class:`QuerySyntaxError`)."""
    return CompiledQuery(parse_query(query), stemming=stemming)


@dataclass(slots=True)
class _Incident:
    incident_id: str
    query: _Compiled
    exclusions: list[_Compiled]
    fallback: bool
    since: date | None
    until: date | None
    trigger_ids: frozenset[int] = field(default_factory=frozenset)

    def in_period(self, published: date | None) -> bool:
        if published is None:
            return True
        return (self.since is None or published >= self.since) and (self.until is None or published <= self.until)


def _as_date(published: date | datetime | str | None) -> date | None:
    if published is None or published == "":
        return None
    if isinstance(published, datetime):
        return published.date()
    if isinstance(published, date):
        return published
    return date.fromisoformat(published[:10])


class Matcher:
    """Tags items with the incidents of a taxonomy."""

    def __init__(self, taxonomy: Taxonomy, *, stemming: bool = True) -> None:
        self.stemming = stemming
        self._index = TermIndex(Morphology(stemming))
        self._incidents: list[_Incident] = []
        self._by_trigger: dict[int, list[int]] = defaultdict(list)
        for incident in taxonomy.incidents:
            compiled = _Incident(
                incident.id,
                _compile(incident.query, self._index),
                [_compile(node, self._index) for node in incident.exclusions],
                incident.fallback,
                incident.since,
                incident.until,
                frozenset(self._index.add(t) for t in positive_terms(incident.query)),
            )
            for term_id in compiled.trigger_ids:
                self._by_trigger[term_id].append(len(self._incidents))
            self._incidents.append(compiled)

    @classmethod
    def from_taxonomy(cls, taxonomy: Taxonomy, *, stemming: bool = True) -> Matcher:
        return cls(taxonomy, stemming=stemming)

    @property
    def incident_ids(self) -> list[str]:
        return [i.incident_id for i in self._incidents]

    def match(
        self,
        title: str,
        summary: str = "",
        lang: str | None = None,
        published: date | datetime | str | None = None,
    ) -> list[IncidentMatch]:
        """Incidents the item covers, best score first.

        ``lang`` (ru/az/en) picks the stemmer for Latin words; it is guessed when missing. With
        ``published``, incidents whose period excludes that date are not considered.
        """
        hits = self._index.scan(title, summary, _resolve_language(lang, title, summary))
        if not hits:
            return []
        candidates = sorted({i for term_id in hits for i in self._by_trigger.get(term_id, ())})
        day = _as_date(published)
        found: list[IncidentMatch] = []
        fallbacks: list[_Incident] = []
        for position in candidates:
            incident = self._incidents[position]
            if incident.fallback:
                fallbacks.append(incident)
            elif self._applies(incident, hits, day):
                found.append(self._result(incident, hits))
        if not found:
            found = [self._result(i, hits) for i in fallbacks if self._applies(i, hits, day)]
        return sorted(found, key=lambda m: (-m.score, m.incident_id))

    @staticmethod
    def _applies(incident: _Incident, hits: Hits, day: date | None) -> bool:
        return (
            incident.in_period(day)
            and incident.query.holds(hits)
            and not any(exclusion.holds(hits) for exclusion in incident.exclusions)
        )

    @staticmethod
    def _result(incident: _Incident, hits: Hits) -> IncidentMatch:
        return IncidentMatch(
            incident.incident_id, _score(incident.query, hits), _explanation(incident.query.evidence(hits))
        )
