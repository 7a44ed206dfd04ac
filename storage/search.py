"""Full-text search over items' titles and summaries: SQLite FTS5 or PostgreSQL text search, one function.

The caller builds a query expression (`Word`, `Phrase`, `AllOf`, `AnyOf`, `Without`, `Near`) from
whatever language it parses; `search_items` translates it into an FTS5 MATCH string or a tsquery
and returns one page of items, newest first.

Both databases see the same words: lower case, diacritics removed (ş → s, ü → u, İ → i, ё → е,
й → и) and the two Azerbaijani letters without a decomposition folded by hand (ı → i, ə → e), so
"Aliyev", "Əliyev" and "ƏLİYEV" are one word, as are "самолет" and "Самолёт". SQLite's
`unicode61 remove_diacritics 2` tokenizer does the Latin part and the migration's triggers the rest;
PostgreSQL's generated column decomposes (NFD), drops the marks and turns punctuation into spaces
under the `simple` configuration, so no stemmer or stop-word list makes one database find what the
other misses. Letters outside Latin, Russian and Azerbaijani (ў, ї, ǣ) may fold differently.
Queries are folded by `search_tokens` in Python the PostgreSQL way.

Phrases and NEAR match within one field, as FTS5 columns do: PostgreSQL tells the fields apart by
weight (title A, summary B). Newest first means by publication time; SQLite orders items published
within the same second by id (its FTS rowid is the sort key published second × 10⁹ + id, which is
what makes a page cheap), PostgreSQL by the exact time.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import product

from sqlalchemy import text
from sqlmodel import Session

from storage.archive import ArchivedItem, load_items
from storage.engine import is_postgres

_COMBINING_MARKS = re.compile("[\u0300-\u036f]+")
_OWN_FOLDS = str.maketrans("ıə", "ie")
_TOKEN = re.compile(r"[^\W_]+")

MIN_PREFIX_LENGTH = 3
MAX_NEAR_DISTANCE = 20
SORT_KEY_IDS = 1_000_000_000  # SQLite's FTS rowid is published second × SORT_KEY_IDS + item id


def fold_text(value: str) -> str:
    decomposed = unicodedata.normalize("NFD", value).lower()
    return _COMBINING_MARKS.sub("", decomposed).translate(_OWN_FOLDS)


def search_tokens(value: str) -> list[str]:
    """The words the index holds for `value` (and so what a query word must be)."""
    return _TOKEN.findall(fold_text(value))


# ---------------------------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class Word:
    text: str
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    words: tuple[Word, ...]


@dataclass(frozen=True)
class AllOf:
    children: tuple[Expr, ...]


@dataclass(frozen=True)
class AnyOf:
    children: tuple[Expr, ...]


@dataclass(frozen=True)
class Without:
    """NOT: only meaningful beside something that must be present."""

    child: Expr


@dataclass(frozen=True)
class Near:
    """`left` and `right` in the same field, at most `distance` word positions apart, either order."""

    left: Expr
    right: Expr
    distance: int


Expr = Word | Phrase | AllOf | AnyOf | Without | Near


class SearchQueryError(ValueError):
    """A query the index cannot answer; `reason` is one of the constants below."""

    NO_WORDS = "no_words"
    ONLY_NEGATIVE = "only_negative"
    SHORT_PREFIX = "short_prefix"
    NEAR_OPERAND = "near_operand"
    NEAR_DISTANCE = "near_distance"

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(frozen=True)
class SearchPage:
    items: list[ArchivedItem]
    offset: int
    has_more: bool


# A query reduced to index tokens: words become token sequences ("j2-8243" is the phrase j2 8243).
@dataclass(frozen=True)
class _Seq:
    tokens: tuple[tuple[str, bool], ...]  # (token, prefix)


def _reduce(expr: Expr) -> object:
    """The query with words as index tokens; raises SearchQueryError for what the index cannot answer."""
    if isinstance(expr, Word | Phrase):
        words = (expr,) if isinstance(expr, Word) else expr.words
        tokens: list[tuple[str, bool]] = []
        for word in words:
            found = search_tokens(word.text)
            if word.prefix and found and len(found[-1]) < MIN_PREFIX_LENGTH:
                raise SearchQueryError(SearchQueryError.SHORT_PREFIX, word.text)
            tokens += [(token, word.prefix and n == len(found) - 1) for n, token in enumerate(found)]
        if not tokens:
            raise SearchQueryError(SearchQueryError.NO_WORDS, " ".join(w.text for w in words))
        return _Seq(tuple(tokens))
    if isinstance(expr, AllOf):
        children = tuple(_reduce(child) for child in expr.children)
        if all(isinstance(child, Without) for child in children):
            raise SearchQueryError(SearchQueryError.ONLY_NEGATIVE)
        return AllOf(children)
    if isinstance(expr, AnyOf):
        children = tuple(_reduce(child) for child in expr.children)
        if any(isinstance(child, Without) for child in children):
            raise SearchQueryError(SearchQueryError.ONLY_NEGATIVE)
        return AnyOf(children)
    if isinstance(expr, Without):
        inner = _reduce(expr.child)
        return inner.child if isinstance(inner, Without) else Without(inner)
    if not 1 <= expr.distance <= MAX_NEAR_DISTANCE:
        raise SearchQueryError(SearchQueryError.NEAR_DISTANCE, str(expr.distance))
    near = Near(_reduce(expr.left), _reduce(expr.right), expr.distance)
    _near_pairs(near)
    return near


def _alternatives(node: object) -> list[_Seq]:
    """A NEAR operand as the sequences it stands for (an OR-group lists its members)."""
    if isinstance(node, _Seq):
        return [node]
    if isinstance(node, AnyOf):
        return [seq for child in node.children for seq in _alternatives(child)]
    raise SearchQueryError(SearchQueryError.NEAR_OPERAND)


def _near_pairs(node: Near) -> list[tuple[_Seq, _Seq]]:
    return list(product(_alternatives(node.left), _alternatives(node.right)))


def compile_search(query: Expr) -> object:
    """Reduce and validate `query`: NOT only narrows a conjunction with something positive in it."""
    reduced = _reduce(query)
    if isinstance(reduced, Without):
        raise SearchQueryError(SearchQueryError.ONLY_NEGATIVE)
    return reduced


# ------------------------------------------------------------------------------------------ FTS5 syntax


def _fts_seq(seq: _Seq) -> str:
    return " + ".join(f'"{token}"' + ("*" if prefix else "") for token, prefix in seq.tokens)


def to_fts5(node: object) -> str:
    if isinstance(node, _Seq):
        return _fts_seq(node)
    if isinstance(node, AnyOf):
        return "(" + " OR ".join(to_fts5(child) for child in node.children) + ")"
    if isinstance(node, AllOf):
        positive = [to_fts5(c) for c in node.children if not isinstance(c, Without)]
        query = "(" + " AND ".join(positive) + ")"
        for child in node.children:
            if isinstance(child, Without):
                query = f"({query} NOT {to_fts5(child.child)})"
        return query
    assert isinstance(node, Near)
    # FTS5 counts the words between the phrases; NEAR/n allows n - 1 of them.
    groups = [f"NEAR({_fts_seq(a)} {_fts_seq(b)}, {node.distance - 1})" for a, b in _near_pairs(node)]
    return "(" + " OR ".join(groups) + ")"


# -------------------------------------------------------------------------------------- tsquery syntax


def _ts_seq(seq: _Seq, weight: str = "") -> str:
    lexemes = [f"'{token}':" + ("*" if prefix else "") + weight for token, prefix in seq.tokens]
    lexemes = [lexeme.rstrip(":") for lexeme in lexemes]
    return "(" + " <-> ".join(lexemes) + ")"


def to_tsquery(node: object) -> str:
    if isinstance(node, _Seq):
        if len(node.tokens) == 1:
            return _ts_seq(node)
        # A phrase lies inside one field: title (weight A) or summary (weight B).
        return f"({_ts_seq(node, 'A')} | {_ts_seq(node, 'B')})"
    if isinstance(node, AnyOf):
        return "(" + " | ".join(to_tsquery(child) for child in node.children) + ")"
    if isinstance(node, AllOf):
        parts = [
            f"!{to_tsquery(c.child)}" if isinstance(c, Without) else to_tsquery(c) for c in node.children
        ]
        return "(" + " & ".join(parts) + ")"
    assert isinstance(node, Near)
    # NEAR/n holds when the two spans overlap or lie at most n positions apart (FTS5's rule). Apart:
    # `a <k> b`, b starting k positions after a ends, for k up to n in either order. Overlapping:
    # the one longer phrase the two make where their words agree.
    options = [
        _ts_seq(seq, weight) for a, b in _near_pairs(node) for weight in "AB" for seq in _overlaps(a, b)
    ]
    options += [
        f"({_ts_seq(first, weight)} <{k}> {_ts_seq(second, weight)})"
        for a, b in _near_pairs(node)
        for first, second in ((a, b), (b, a))
        for weight in "AB"
        for k in range(1, node.distance + 1)
    ]
    return "(" + " | ".join(options) + ")"


def _overlaps(a: _Seq, b: _Seq) -> list[_Seq]:
    """Every sequence in which `b` overlaps `a` (shifted by -len(b)+1 … len(a)-1) and their words agree."""
    found = []
    for shift in range(1 - len(b.tokens), len(a.tokens)):
        merged = []
        for position in range(min(0, shift), max(len(a.tokens), shift + len(b.tokens))):
            mine = a.tokens[position] if 0 <= position < len(a.tokens) else None
            theirs = b.tokens[position - shift] if 0 <= position - shift < len(b.tokens) else None
            token = _same_word(mine, theirs)
            if token is None:
                break
            merged.append(token)
        else:
            found.append(_Seq(tuple(merged)))
    return found


def _same_word(a: tuple[str, bool] | None, b: tuple[str, bool] | None) -> tuple[str, bool] | None:
    """One word both tokens can stand for (a prefix admits the words it starts), or None."""
    if a is None or b is None:
        return a or b
    (word_a, prefix_a), (word_b, prefix_b) = sorted((a, b), key=lambda t: (t[1], -len(t[0])))
    if word_a == word_b or (prefix_b and word_a.startswith(word_b)):
        return word_a, prefix_a and prefix_b
    return None


def search_items(session: Session, query: Expr, *, limit: int = 10, offset: int = 0) -> SearchPage:
    """One page of the items matching `query`, newest first."""
    reduced = compile_search(query)
    params = {"limit": limit + 1, "offset": offset}
    if is_postgres(session.get_bind()):
        ids = list(
            session.execute(
                text(
                    "SELECT id FROM items WHERE items_fts_document @@ CAST(:query AS tsquery) "
                    "ORDER BY published_at DESC, id DESC LIMIT :limit OFFSET :offset"
                ),
                {"query": to_tsquery(reduced), **params},
            ).scalars()
        )
    else:
        keys = session.execute(
            text(
                "SELECT rowid FROM items_fts WHERE items_fts MATCH :query ORDER BY rowid DESC LIMIT :limit OFFSET :offset"
            ),
            {"query": to_fts5(reduced), **params},
        ).scalars()
        ids = [key % SORT_KEY_IDS for key in keys]
    return SearchPage(load_items(session, ids[:limit]), offset, has_more=len(ids) > limit)
