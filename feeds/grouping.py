"""Grouping newly stored items into stories, as a step after storage.

It runs apart from the poll cycle (a scheduler job, and after `poll --once`): comparing an item
with the stories of the last 48 hours costs milliseconds, which the fetch-and-store hot path
should not wait for.
"""

from sqlalchemy import Engine

from feeds.stories import StoryGrouper
from storage.session import session_scope
from storage.stories import assign_story, items_without_story

BATCH_SIZE = 500


def group_new_items(engine: Engine, grouper: StoryGrouper, batch_size: int = BATCH_SIZE) -> int:
    """Assign every ungrouped item to a story, a batch per transaction; returns how many were grouped."""
    grouped = 0
    while True:
        with session_scope(engine) as session:
            items = items_without_story(session, batch_size)
            for item in items:
                assign_story(session, item, grouper)
        grouped += len(items)
        if len(items) < batch_size:
            return grouped
