"""Stored items are grouped into stories across outlets, once."""

from datetime import timedelta

from sqlmodel import select

from feeds.grouping import group_new_items
from feeds.stories import StoryGrouper
from storage.items import ItemRecord, upsert_items
from storage.models import Feed, Story
from storage.session import session_scope
from tests.support.feed_rows import START, add_feeds

REPORTS = [
    ("tass", "Baku demands compensation for AZAL crash victims from Moscow"),
    ("trend", "Baku demands compensation from Moscow for victims of AZAL crash"),
    ("jamnews", "Baku demands Moscow pay compensation to AZAL crash victims"),
    ("oc-media", "Wrestling: Azerbaijan wins two golds at the European championship"),
]


def test_similar_headlines_from_several_outlets_form_one_story(engine):
    for n, (outlet, title) in enumerate(REPORTS):
        (feed_id,) = add_feeds(engine, [f"http://127.0.0.1:1/{outlet}"], outlet=outlet, languages=("en",))
        record = ItemRecord(f"k{n}", None, None, None, title, "", "en", f"h{n}", START + timedelta(minutes=n))
        with session_scope(engine) as session:
            upsert_items(session, feed_id, session.get(Feed, feed_id).outlet_id, [record], START)

    assert group_new_items(engine, StoryGrouper(), batch_size=2) == 4
    assert group_new_items(engine, StoryGrouper()) == 0  # grouped items stay where they are

    with session_scope(engine) as session:
        stories = sorted(session.exec(select(Story)).all(), key=lambda story: -story.item_count)
    assert [(story.item_count, story.outlet_count) for story in stories] == [(3, 3), (1, 1)]
