"""Re-tagging the archive after a taxonomy change, in batches so memory stays flat."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from feeds.pipeline import ItemMatcher
from storage.columns import utcnow
from storage.items import count_items_since, items_to_tag
from storage.matches import save_matches
from storage.session import session_scope

BATCH_SIZE = 1000


@dataclass
class RetagReport:
    items: int = 0
    tagged: int = 0  # items with at least one incident after re-tagging
    matches: int = 0


def count_to_retag(engine: Engine, since: datetime | None) -> int:
    with session_scope(engine) as session:
        return count_items_since(session, since)


def retag(
    engine: Engine,
    tagger: ItemMatcher,
    since: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> RetagReport:
    """Replace the matches of every item published since `since` (all items when None)."""
    report = RetagReport()
    last_id = 0
    while True:
        with session_scope(engine) as session:
            batch = items_to_tag(session, since, last_id, batch_size)
            if not batch:
                return report
            matches = {
                item.id: tagger(item.title, item.summary, item.language, item.published_at) for item in batch
            }
            report.matches += save_matches(session, matches, utcnow())
        report.items += len(batch)
        report.tagged += sum(1 for found in matches.values() if found)
        last_id = batch[-1].id
        if progress is not None:
            progress(len(batch))
