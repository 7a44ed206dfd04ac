"""feedparser's own test corpus: every file goes through parse + normalise without an exception.

The corpus lives in `shared/` beside the repository (CI lays a copy there). Without it the test is
skipped, except under CRISISDESK_REQUIRE_POSTGRES=1 (CI), where a missing corpus is a failure.
"""

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.parser import parse_document
from tests.support.databases import REQUIRE_POSTGRES

CORPUS = Path(
    os.environ.get("CRISISDESK_FEEDPARSER_CORPUS")
    or Path(__file__).parents[1] / ".." / "shared" / "data" / "feedparser-corpus"
)
FETCHED = datetime(2025, 7, 1, tzinfo=UTC)


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        message = f"feedparser corpus not found at {CORPUS.resolve()}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    return sorted(path for path in CORPUS.rglob("*") if path.is_file())


def test_every_corpus_file_parses_and_normalises():
    files = corpus_files()
    assert len(files) >= 2000
    crashed, entries, refused = [], 0, 0
    for path in files:
        try:
            document = parse_document(
                path.read_bytes(), None, f"http://example.org/{path.name}", None, FETCHED
            )
        except Exception as error:  # the assertion below lists every file that raised
            crashed.append(f"{path.relative_to(CORPUS)}: {type(error).__name__}: {error}")
            continue
        entries += len(document.entries)
        refused += bool(document.problem and document.problem.startswith("refused"))
        for entry in document.entries:
            assert entry.published_at.tzinfo is UTC
            assert len(entry.title) <= 1000 and "\n" not in entry.title
    assert crashed == []
    assert entries > 1000  # the corpus really was parsed, not refused wholesale
    assert refused < len(files) // 20
