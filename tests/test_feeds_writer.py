"""Group commit: writes that arrive together share a transaction, and a failing one costs only itself."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, select

from feeds.writer import GroupWriter
from storage.models import Outlet
from storage.session import session_scope


def add_outlet(slug: str, fail: bool = False):
    def work(session) -> int:
        outlet = Outlet(slug=slug, name=slug, side="international", languages=["en"])
        session.add(outlet)
        session.flush()
        if fail:
            raise ValueError(f"bad data in {slug}")
        return outlet.id

    return work


def stored_slugs(engine) -> set[str]:
    with session_scope(engine) as session:
        return set(session.execute(select(Outlet.slug)).scalars())


@pytest.fixture
def commits(engine):
    counted = []
    listener = lambda connection: counted.append(1)  # noqa: E731
    event.listen(engine, "commit", listener)
    yield counted
    event.remove(engine, "commit", listener)


@pytest.fixture
async def writer(engine):
    thread = ThreadPoolExecutor(max_workers=1)
    writer = GroupWriter(engine, thread, max_batch=8)
    yield writer
    await writer.close()
    thread.shutdown(wait=True)


async def test_writes_arriving_together_share_transactions_and_each_gets_its_result(engine, writer, commits):
    slugs = [f"outlet-{n}" for n in range(20)]
    ids = await asyncio.gather(*(writer.write(add_outlet(slug)) for slug in slugs))
    # All 20 were queued before the database thread was free: batches of at most 8.
    assert len(commits) == 3
    with session_scope(engine) as session:
        by_id = {outlet_id: slug for outlet_id, slug in session.execute(select(Outlet.id, Outlet.slug))}
    assert [by_id[outlet_id] for outlet_id in ids] == slugs  # every caller got its own row back


async def test_a_failing_write_loses_nothing_of_the_others_in_its_transaction(engine, writer):
    works = [add_outlet(f"outlet-{n}", fail=n == 5) for n in range(10)]
    results = await asyncio.gather(*(writer.write(work) for work in works), return_exceptions=True)
    assert isinstance(results[5], ValueError) and "outlet-5" in str(results[5])
    assert all(isinstance(result, int) for n, result in enumerate(results) if n != 5)
    assert stored_slugs(engine) == {f"outlet-{n}" for n in range(10) if n != 5}


async def test_a_lone_write_is_not_held_back(engine, writer, commits):
    assert await writer.write(add_outlet("alone"))
    assert len(commits) == 1
    assert stored_slugs(engine) == {"alone"}
