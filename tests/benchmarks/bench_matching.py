"""Matching throughput against a naive regular-expression baseline.

Run as ``python -m tests.benchmarks.bench_matching [--quick]``. The workload is the labelled dev set
repeated to 100,000 items (10,000 with ``--quick``), tagged by a freshly compiled matcher (its word
cache starts empty, so first sightings pay for stemming). The baseline, timed in the same run on a
tenth as many items, tries one compiled regular expression per query term in turn (a phrase is one
expression, NEAR is treated as AND, no stemming or transliteration): it does less than the matcher,
which keeps the ratio conservative. Both are timed in CPU seconds of this process (one core).
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from feeds.matching import Matcher, Taxonomy, load_taxonomy, read_labelled_jsonl
from feeds.matching.query import And, Near, Node, Not, Or, Phrase, Ref, Term

REPO_ROOT = Path(__file__).resolve().parents[2]
TAXONOMY = REPO_ROOT / "seeds" / "taxonomy.yaml"
DEV_SET_NAME = Path("shared") / "data" / "dev-headlines.jsonl"

Item = tuple[str, str, str]


def find_dev_set() -> Path:
    """The shared dev set: ``$CRISISDESK_DEV_SET`` or ``shared/data/dev-headlines.jsonl`` beside the
    repository or any folder above it."""
    if os.environ.get("CRISISDESK_DEV_SET"):
        return Path(os.environ["CRISISDESK_DEV_SET"])
    for folder in REPO_ROOT.parents:
        if (folder / DEV_SET_NAME).is_file():
            return folder / DEV_SET_NAME
    raise FileNotFoundError(f"no {DEV_SET_NAME} above {REPO_ROOT}; set CRISISDESK_DEV_SET")


def _term_pattern(term: Term) -> str:
    body = re.escape(term.word)
    return rf"\b{body}\w*" if term.prefix else rf"\b{body}\b"


class NaiveMatcher:
    """One regular expression per query term, tried in turn for every incident."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self._patterns: dict[object, re.Pattern[str]] = {}
        self._incidents = [
            (i.id, i.fallback, self._compile(i.query), [self._compile(e) for e in i.exclusions])
            for i in taxonomy.incidents
        ]

    def _compile(self, node: Node) -> Callable[[str], bool]:
        if isinstance(node, Ref):
            return self._compile(node.body)
        if isinstance(node, (Term, Phrase)):
            words = [node] if isinstance(node, Term) else list(node.words)
            pattern = re.compile(r"\W+".join(_term_pattern(w) for w in words))
            return lambda text: pattern.search(text) is not None
        if isinstance(node, And):
            parts = [self._compile(c) for c in node.children]
            return lambda text: all(p(text) for p in parts)
        if isinstance(node, Or):
            parts = [self._compile(c) for c in node.children]
            return lambda text: any(p(text) for p in parts)
        if isinstance(node, Near):
            left, right = self._compile(node.left), self._compile(node.right)
            return lambda text: left(text) and right(text)
        assert isinstance(node, Not)
        inner = self._compile(node.child)
        return lambda text: not inner(text)

    def match(self, title: str, summary: str) -> list[str]:
        text = f"{title}\n{summary}".lower()
        found = [
            incident_id
            for incident_id, fallback, query, exclusions in self._incidents
            if not fallback and query(text) and not any(e(text) for e in exclusions)
        ]
        if found:
            return found
        return [
            incident_id
            for incident_id, fallback, query, exclusions in self._incidents
            if fallback and query(text) and not any(e(text) for e in exclusions)
        ]


def _workload(count: int) -> list[Item]:
    items = [(i.title, i.summary, i.lang) for i in read_labelled_jsonl(find_dev_set())]
    return [items[n % len(items)] for n in range(count)]


def _rate(tag: Callable[[Item], object], items: list[Item]) -> float:
    # CPU time of this single-threaded process: throughput on one core, undistorted by whatever
    # else the machine runs meanwhile.
    start = time.process_time()
    for item in items:
        tag(item)
    return len(items) / (time.process_time() - start)


def run(quick: bool) -> dict[str, float]:
    """Items per second of the matcher, and its speed relative to the naive baseline."""
    count = 10_000 if quick else 100_000
    items = _workload(count)
    taxonomy = load_taxonomy(TAXONOMY)
    matcher = Matcher.from_taxonomy(taxonomy)
    naive = NaiveMatcher(taxonomy)
    matcher_rate = _rate(lambda item: matcher.match(*item), items)
    naive_rate = _rate(lambda item: naive.match(item[0], item[1]), items[: count // 10])
    return {"match.items_per_s": matcher_rate, "match.ratio_vs_naive": matcher_rate / naive_rate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 items instead of 100,000")
    results = run(parser.parse_args().quick)
    for name, value in results.items():
        print(f"{name}: {value:,.1f}")


if __name__ == "__main__":
    main()
