"""Group commit: the results of many feeds written in shared transactions on one database thread.

A commit is the dearest part of storing a small feed (SQLite writes and syncs its WAL, FTS5 writes
a segment), and in a busy cycle dozens of feeds finish while one transaction is being written. The
writer queues each feed's storage work; whenever the database thread is free it takes everything
queued (up to `max_batch`) and runs it in one transaction. An idle writer adds no delay: the first
piece of work starts at once. When a shared transaction fails, every piece is run again in its own,
so one feed's bad data or a bug costs that feed alone, and the others lose nothing.
"""

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from storage.session import session_scope

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[Session], T]
DEFAULT_MAX_BATCH = 32


@dataclass
class _Queued(Generic[T]):
    work: Work[T]
    done: "asyncio.Future[T]"


class GroupWriter:
    """Runs storage work on `database_thread`, sharing a transaction among what arrives together."""

    def __init__(
        self, engine: Engine, database_thread: ThreadPoolExecutor, max_batch: int = DEFAULT_MAX_BATCH
    ) -> None:
        self.engine = engine
        self.database_thread = database_thread
        self.max_batch = max_batch
        self._queue: list[_Queued[Any]] = []
        self._draining: asyncio.Task | None = None

    async def write(self, work: Work[T]) -> T:
        """Run `work(session)` in a transaction; its result, or its exception, comes back here."""
        loop = asyncio.get_running_loop()
        queued = _Queued(work, loop.create_future())
        self._queue.append(queued)
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain())
        return await queued.done

    async def close(self) -> None:
        """Wait for the writes already handed to the database thread."""
        if self._draining is not None:
            await asyncio.gather(self._draining, return_exceptions=True)

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            batch = [queued for queued in batch if not queued.done.cancelled()]
            if not batch:
                continue
            try:
                outcomes = await loop.run_in_executor(
                    self.database_thread, self._run_batch, [queued.work for queued in batch]
                )
            except BaseException as error:  # cancelled, or the thread pool is gone: tell every waiter
                for queued in batch:
                    if not queued.done.done():
                        queued.done.set_exception(error)
                raise
            for queued, (ok, value) in zip(batch, outcomes, strict=True):
                if queued.done.done():
                    continue
                if ok:
                    queued.done.set_result(value)
                else:
                    queued.done.set_exception(value)

    def _run_batch(self, works: list[Work[Any]]) -> list[tuple[bool, Any]]:
        if len(works) > 1:
            try:
                with session_scope(self.engine) as session:
                    results = [work(session) for work in works]
                return [(True, result) for result in results]
            except Exception:
                log.warning("a shared transaction of %d writes failed; writing each alone", len(works))
        return [self._run_alone(work) for work in works]

    def _run_alone(self, work: Work[Any]) -> tuple[bool, Any]:
        try:
            with session_scope(self.engine) as session:
                return True, work(session)
        except Exception as error:
            return False, error
