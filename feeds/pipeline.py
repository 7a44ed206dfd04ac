"""One poll cycle: claim due feeds → fetch → parse → normalise → dedup → match → store.

Feeds are claimed a batch at a time under a lease and processed concurrently (the fetcher enforces
the politeness limits). Database work runs on one dedicated thread, so the event loop keeps fetching
while SQLite writes, and SQLite never sees two writers from this process; the results of feeds that
finish together share a transaction (`feeds.writer`). One feed's failure, whatever it is, is
recorded against that feed and never stops the cycle.
"""

import asyncio
import hashlib
import logging
import multiprocessing
import os
import signal
import socket
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from feeds import scheduling
from feeds.entry_keys import GUID_AND_URL, keyed_items
from feeds.fetcher import ERROR, NOT_MODIFIED, OK, Fetcher, FetchResult
from feeds.normalise import base_language
from feeds.parser import FeedDocument, parse_document
from feeds.writer import GroupWriter
from storage.columns import utcnow
from storage.feeds import DueFeed, FeedCheck, claim_due_feeds, release_leases, save_feed_check
from storage.fetch_events import FetchEventRecord, prune_fetch_events, record_fetch_events
from storage.items import has_entry_key_prefix, upsert_items
from storage.matches import MatchRecord, add_matches, save_matches
from storage.models import Feed
from storage.session import session_scope

log = logging.getLogger(__name__)

UNCHANGED = "unchanged"  # a 200 whose body hash equals the last one: not parsed

# Tags one item: (title, summary, language, published) -> its incident matches.
ItemMatcher = Callable[[str, str, str | None, datetime], list[MatchRecord]]
FeedDisabledHook = Callable[[Feed, str], Awaitable[None]]
Clock = Callable[[], datetime]
PRUNE_EVERY = timedelta(hours=1)
T = TypeVar("T")


# Tags by content hash: what the tagger said of each distinct (title, summary) of one document.
Tags = dict[str, list[MatchRecord]]
_process_tagger: ItemMatcher | None = None  # set once in each parse process, not sent per call


def _init_parse_process(tagger: ItemMatcher | None) -> None:
    # Ctrl+C reaches the whole process group: the parent stops these processes, they need not react.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _process_tagger
    _process_tagger = tagger


def parse_and_tag(
    tagger: ItemMatcher | None,
    body: bytes,
    content_type: str | None,
    url: str,
    language: str | None,
    fetched_at: datetime,
) -> tuple[FeedDocument, Tags]:
    """Parse a body and tag its entries, where the parsing runs: with parse processes, tagging uses
    every core too instead of queueing on the database thread."""
    document = parse_document(body, content_type, url, language, fetched_at)
    tagger = tagger or _process_tagger
    if tagger is None or document.problem:
        return document, {}
    return document, {
        entry.content_hash: tagger(entry.title, entry.summary, entry.language, entry.published_at)
        for entry in document.entries
    }


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class PollerConfig:
    worker_id: str = field(default_factory=default_worker_id)
    batch_size: int = 50
    # Longer than the worst a claimed feed can take: queueing in its batch plus 6 hops × the timeout.
    lease: timedelta = timedelta(minutes=10)
    # feedparser is pure Python: with processes, parsing uses every core (0: a thread, for tests).
    parse_processes: int = 0


@dataclass(frozen=True)
class FeedReport:
    feed_id: int
    url: str
    outcome: str  # ok / not_modified / unchanged / error
    status_code: int | None = None
    new_items: int = 0
    updated_items: int = 0
    matched_items: int = 0
    error: str | None = None
    disabled_reason: str | None = None
    next_check_at: datetime | None = None
    incidents: Counter[str] = field(default_factory=Counter)  # new and edited items per incident


@dataclass
class CycleReport:
    feeds: list[FeedReport] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for report in self.feeds if report.outcome == outcome)

    @property
    def ok(self) -> int:
        return self.count(OK)

    @property
    def not_modified(self) -> int:
        """Nothing to parse: a 304, or a 200 with the same body as last time."""
        return self.count(NOT_MODIFIED) + self.count(UNCHANGED)

    @property
    def failed(self) -> int:
        return self.count(ERROR)

    @property
    def new_items(self) -> int:
        return sum(report.new_items for report in self.feeds)

    @property
    def matched_items(self) -> int:
        return sum(report.matched_items for report in self.feeds)


@dataclass
class _Stored:
    new: int = 0
    updated: int = 0
    matched: int = 0
    incidents: Counter[str] = field(default_factory=Counter)
    lease_kept: bool = True


class Poller:
    """Runs poll cycles for one worker; `async with poller:` opens and closes its HTTP session."""

    def __init__(
        self,
        engine: Engine,
        fetcher: Fetcher,
        *,
        matcher: ItemMatcher | None = None,
        on_feed_disabled: FeedDisabledHook | None = None,
        on_cycle: Callable[[CycleReport], None] | None = None,
        config: PollerConfig | None = None,
        clock: Clock = utcnow,
        jitter: scheduling.Jitter = scheduling.random_jitter,
    ) -> None:
        self.engine = engine
        self.fetcher = fetcher
        self.matcher = matcher
        self.on_feed_disabled = on_feed_disabled
        self.on_cycle = on_cycle  # an observer of every completed scheduled cycle (metrics, health)
        self.config = config or PollerConfig()
        self.clock = clock
        self.jitter = jitter
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crisisdesk-db")
        self._writer = GroupWriter(engine, self._db)
        self._parsers: ProcessPoolExecutor | None = None
        self._last_prune: datetime | None = None
        self._ticking: asyncio.Task | None = None

    async def __aenter__(self) -> "Poller":
        await self.fetcher.__aenter__()
        if self.config.parse_processes:
            self._parsers = ProcessPoolExecutor(
                self.config.parse_processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_parse_process,
                initargs=(self.matcher,),
            )
            # Start the processes now (each imports feedparser), not during the first cycle.
            loop = asyncio.get_running_loop()
            warm_up = partial(parse_and_tag, None, b"", None, "", None, utcnow())
            await asyncio.gather(
                *(loop.run_in_executor(self._parsers, warm_up) for _ in range(self.config.parse_processes))
            )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop a cycle in progress, give back this worker's leases, close the HTTP session."""
        if self._ticking is not None and self._ticking is not asyncio.current_task():
            self._ticking.cancel()
            await asyncio.gather(self._ticking, return_exceptions=True)
        await self._writer.close()
        await self._in_db(self._release_leases)
        await self.fetcher.close()
        self._db.shutdown(wait=True)
        if self._parsers is not None:
            self._parsers.shutdown(wait=True)

    async def _in_db(self, function: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._db, partial(function, *args))

    # --- the cycle ----------------------------------------------------------------------------------

    async def run_cycle(
        self, feed_ids: Sequence[int] | None = None, progress: Callable[[FeedReport], None] | None = None
    ) -> CycleReport:
        """Poll every due feed (or exactly `feed_ids`) once; returns what happened to each."""
        report = CycleReport()
        running: set[asyncio.Task[FeedReport]] = set()
        wanted = list(feed_ids) if feed_ids is not None else None
        exhausted = False
        try:
            while True:
                # Keep the pipeline full: claim more once half the batch is done, not at the next tick.
                if not exhausted and len(running) <= self.config.batch_size // 2:
                    claimed = await self._in_db(self._claim, self.config.batch_size - len(running), wanted)
                    exhausted = not claimed or wanted is not None
                    running.update(asyncio.create_task(self._poll_feed(due)) for due in claimed)
                if not running:
                    break
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    feed_report = task.result()
                    report.feeds.append(feed_report)
                    if progress is not None:
                        progress(feed_report)
        finally:  # cancelled (shutdown): stop the fetches in flight; their leases are released on close
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        await self._maybe_prune()
        return report

    async def tick(self) -> None:
        """The scheduler job: one cycle over the due feeds, logged, never raising."""
        self._ticking = asyncio.current_task()
        try:
            report = await self.run_cycle()
        except Exception:
            log.exception("poll cycle failed", extra={"worker": self.config.worker_id})
            return
        finally:
            self._ticking = None
        if self.on_cycle is not None:
            self.on_cycle(report)
        if report.feeds:
            log.info(
                "polled %d feeds: %d ok, %d not modified, %d failed; %d new items, %d matched",
                len(report.feeds),
                report.ok,
                report.not_modified,
                report.failed,
                report.new_items,
                report.matched_items,
                extra={"worker": self.config.worker_id},
            )

    def _claim(self, limit: int, feed_ids: list[int] | None) -> list[DueFeed]:
        with session_scope(self.engine) as session:
            return claim_due_feeds(
                session,
                owner=self.config.worker_id,
                now=self.clock(),
                lease=self.config.lease,
                limit=limit,
                feed_ids=feed_ids,
            )

    def _release_leases(self) -> None:
        with session_scope(self.engine) as session:
            release_leases(session, self.config.worker_id)

    async def _maybe_prune(self) -> None:
        now = self.clock()
        if self._last_prune is None or now - self._last_prune >= PRUNE_EVERY:
            self._last_prune = now
            await self._in_db(self._prune, now)

    def _prune(self, now: datetime) -> None:
        with session_scope(self.engine) as session:
            pruned = prune_fetch_events(session, now)
        if pruned:
            log.info("pruned %d fetch events older than 30 days", pruned)

    # --- one feed -----------------------------------------------------------------------------------

    async def _poll_feed(self, due: DueFeed) -> FeedReport:
        feed = due.feed
        started_at = self.clock()
        result = FetchResult(outcome=ERROR, url=feed.url)
        try:
            result = await self.fetcher.fetch(feed.url, feed.etag, feed.last_modified)
            return await self._handle(due, result, started_at)
        except Exception as error:  # a bug or a database problem: this feed fails, the cycle goes on
            log.exception("processing feed %s failed", feed.url, extra={"feed": feed.id})
            failed = replace(result, outcome=ERROR, error=f"internal error: {type(error).__name__}: {error}")
            try:
                return await self._record(due, failed, started_at)
            except Exception:
                log.exception("recording the failure of feed %s failed", feed.url, extra={"feed": feed.id})
                return FeedReport(feed.id, feed.url, ERROR, error=failed.error)

    async def _handle(self, due: DueFeed, result: FetchResult, started_at: datetime) -> FeedReport:
        if result.outcome != OK:
            return await self._record(due, result, started_at)
        digest = hashlib.sha256(result.body).hexdigest()
        if digest == due.feed.content_hash:
            return await self._record(due, replace(result, outcome=UNCHANGED), started_at, None, digest)
        document, tags = await self._parse(due, result)
        if document.problem:
            return await self._record(due, replace(result, outcome=ERROR, error=document.problem), started_at)
        return await self._record(due, result, started_at, document, digest, tags)

    async def _parse(self, due: DueFeed, result: FetchResult) -> tuple[FeedDocument, Tags]:
        language = due.feed.language or (due.outlet_languages[0] if len(due.outlet_languages) == 1 else None)
        call = partial(
            parse_and_tag,
            None if self._parsers else self.matcher,  # a parse process has its own copy
            result.body,
            result.content_type,
            result.url,
            base_language(language),
            self.clock(),
        )
        if self._parsers is None:
            return await asyncio.to_thread(call)
        return await asyncio.get_running_loop().run_in_executor(self._parsers, call)

    async def _record(
        self,
        due: DueFeed,
        result: FetchResult,
        started_at: datetime,
        document: FeedDocument | None = None,
        digest: str | None = None,
        tags: Tags | None = None,
    ) -> FeedReport:
        feed = due.feed
        now = self.clock()
        check = self._plan(feed, result, document, digest, now)
        event = FetchEventRecord(
            feed_id=feed.id,
            started_at=started_at,
            duration_ms=result.duration_ms,
            status_code=result.status_code,
            bytes_received=result.bytes_received,
            outcome=result.outcome,
            error=result.error[:1000] if result.error else None,
            worker=self.config.worker_id,
        )
        stored = await self._writer.write(partial(self._store, feed, check, event, document, tags or {}, now))
        if not stored.lease_kept:
            log.warning(
                "lease on feed %s expired before its result was saved", feed.url, extra={"feed": feed.id}
            )
        if result.outcome == ERROR:
            log.info("feed %s failed: %s", feed.url, result.error, extra={"feed": feed.id})
        if check.disabled_reason and stored.lease_kept:
            await self._feed_disabled(feed, check.disabled_reason)
        return FeedReport(
            feed_id=feed.id,
            url=feed.url,
            outcome=result.outcome,
            status_code=result.status_code,
            new_items=stored.new,
            updated_items=stored.updated,
            matched_items=stored.matched,
            incidents=stored.incidents,
            error=result.error,
            disabled_reason=check.disabled_reason,
            next_check_at=check.next_check_at,
        )

    def _plan(
        self,
        feed: Feed,
        result: FetchResult,
        document: FeedDocument | None,
        digest: str | None,
        now: datetime,
    ) -> FeedCheck:
        """The feed's next state: when to check again, its error streak, its validators."""
        if result.outcome == ERROR:
            errors = feed.consecutive_errors + 1
            first_error_at = feed.first_error_at or now
            delay = scheduling.failure_delay(errors, feed.check_interval_s)
            floor = 0
            if result.status_code in (429, 503):
                floor = scheduling.parse_retry_after(result.retry_after, now) or 0
            return FeedCheck(
                checked_at=now,
                next_check_at=now + timedelta(seconds=scheduling.jittered(delay, floor, self.jitter)),
                check_interval_s=feed.check_interval_s,
                min_interval_s=feed.min_interval_s,
                status_code=result.status_code,
                consecutive_errors=errors,
                first_error_at=first_error_at,
                last_error=result.error,
                succeeded=False,
                etag=feed.etag,
                last_modified=feed.last_modified,
                content_hash=feed.content_hash,
                disabled_reason=scheduling.disable_reason(result.status_code, first_error_at, now),
            )
        floor = scheduling.server_floor(
            ttl_s=document.ttl_s if document else None,
            cache_control=result.cache_control,
            expires=result.expires,
            date=result.date,
            retry_after=result.retry_after,
            now=now,
        )
        if document is not None:
            interval = scheduling.interval_from_entries(document.entry_dates, now)
        else:  # not modified: keep the rhythm and the floor learnt from the last full fetch
            interval = scheduling.interval_when_unchanged(feed.check_interval_s, feed.last_new_item_at, now)
            floor = max(floor, feed.min_interval_s)
        return FeedCheck(
            checked_at=now,
            next_check_at=now + timedelta(seconds=scheduling.jittered(interval, floor, self.jitter)),
            check_interval_s=interval,
            min_interval_s=floor,
            status_code=result.status_code,
            consecutive_errors=0,
            first_error_at=None,
            last_error=None,
            succeeded=True,
            # A 304 may omit the validators: keep the ones we have.
            etag=result.etag if result.outcome == OK else result.etag or feed.etag,
            last_modified=result.last_modified
            if result.outcome == OK
            else result.last_modified or feed.last_modified,
            content_hash=digest or feed.content_hash,
            moved_to=result.moved_to,
        )

    def _store(
        self,
        feed: Feed,
        check: FeedCheck,
        event: FetchEventRecord,
        document: FeedDocument | None,
        tags: Tags,
        now: datetime,
        session: Session,
    ) -> _Stored:
        """Items, matches, the feed's new state and the fetch event, all in the writer's transaction."""
        stored = _Stored()
        if document is not None and document.entries:
            repeats_known = has_entry_key_prefix(session, feed.id, GUID_AND_URL)
            records = keyed_items(document.entries, repeats_known)
            upserted = upsert_items(session, feed.id, feed.outlet_id, records, now)
            stored.new, stored.updated = len(upserted.inserted), len(upserted.updated)
            if self.matcher is not None:
                self._save_tags(session, records, tags, upserted.inserted, upserted.updated, now, stored)
        stored.lease_kept = save_feed_check(
            session, feed.id, self.config.worker_id, replace(check, had_new_items=stored.new > 0)
        )
        record_fetch_events(session, [replace(event, new_items=stored.new)])
        return stored

    @staticmethod
    def _save_tags(
        session,
        records,
        tags: Tags,
        inserted: dict[str, int],
        updated: dict[str, int],
        now: datetime,
        stored: _Stored,
    ) -> None:
        """The tags of the new and edited items (the document's others are stored already)."""
        hashes = {record.entry_key: record.content_hash for record in records}

        def tags_by_item(ids: dict[str, int]) -> dict[int, list[MatchRecord]]:
            return {item_id: tags.get(hashes[key], []) for key, item_id in ids.items()}

        new, edited = tags_by_item(inserted), tags_by_item(updated)
        add_matches(session, new, now)
        save_matches(session, edited, now)  # an edit may have taken an incident away
        for found in (*new.values(), *edited.values()):
            stored.matched += bool(found)
            stored.incidents.update(match.incident_id for match in found)

    async def _feed_disabled(self, feed: Feed, reason: str) -> None:
        log.warning("feed %s disabled: %s", feed.url, reason, extra={"feed": feed.id})
        if self.on_feed_disabled is None:
            return
        try:
            await self.on_feed_disabled(feed, reason)
        except Exception:
            log.exception("notifying about disabled feed %s failed", feed.url, extra={"feed": feed.id})
