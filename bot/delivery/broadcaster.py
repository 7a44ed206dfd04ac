"""The one sender: digests, alerts and admin broadcasts all leave through `Broadcaster`.

Pacing. A global token bucket (`rate_per_s`, saving up at most `burst_s` of sending) and at least
`per_chat_interval_s` between two messages to one chat. A 429 pauses the whole sender for its
`retry_after`; the refused message goes first when the pause ends. One dispatcher decides when
each message goes and is the only place that waits, so an injected clock and sleep make the
timing testable without sleeping through it.

Errors. 5xx and network errors are retried with exponential backoff (`tries` in all). 403 and
400 "chat not found" deactivate the chat and skip what it was still owed. Any other 400 (and
other refusals) fails that delivery with Telegram's message in the log; the run goes on.

Exactly once. Each delivery row is claimed (status `sending`, a lease of `lease`) before its
first message and its progress committed after each message Telegram accepted, so a restart
resumes after the last accepted message and never re-sends a delivered one. A clean stop (task
cancelled) lets the messages on the wire finish and be recorded, then hands held rows back. After
a hard crash a row stays `sending` until its lease runs out and is then resumed: the message that
was on the wire at the crash may be sent a second time — the one ambiguous window, see README.
"""

import asyncio
import heapq
import itertools
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Protocol, TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile
from sqlalchemy import Engine

from storage import deliveries as store
from storage.session import session_scope

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


def default_worker_id() -> str:
    """Unique per process: a restarted process must not pass for the one that died."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"


@dataclass(frozen=True)
class SenderConfig:
    rate_per_s: float = 25.0
    burst_s: float = 0.2
    per_chat_interval_s: float = 1.0
    max_in_flight: int = 16
    # Longer than one request can take (aiogram's timeout is 60 s): a live sender never loses a row.
    lease: timedelta = timedelta(minutes=2)
    tries: int = 3
    backoff_s: float = 1.0
    batch_size: int = 500
    worker_id: str = field(default_factory=default_worker_id)


class AttachmentRenderer(Protocol):
    async def render(self, spec: dict) -> bytes: ...


@dataclass
class DrainReport:
    claimed: int = 0
    messages_sent: int = 0
    deliveries_sent: int = 0
    failed: int = 0
    deactivated: int = 0
    replies_429: int = 0
    retries: int = 0
    resumed_after_lease: int = 0  # rows a dead sender held: their in-flight message may be doubled


class _Result(Enum):
    PREPARED = "prepared"
    SENT = "sent"
    DONE = "done"  # the delivery's last part was sent
    RETRY_AFTER = "retry_after"
    TRANSIENT = "transient"
    GONE = "gone"
    REJECTED = "rejected"
    LOST = "lost"  # another sender holds the row


@dataclass
class _Job:
    row: store.Outgoing
    payload: dict
    claimed: bool = False
    tries: int = 0  # failed tries of the current part
    attachment: bytes | None = None
    on_wire: bool = False

    @property
    def parts(self) -> list[dict]:
        return self.payload.get("parts", [])

    @property
    def next_part(self) -> int:
        return int(self.payload.get("sent_parts", 0))


@dataclass
class _Outcome:
    result: _Result
    error: str | None = None
    delivered: bool = False  # Telegram accepted a message


@dataclass
class _Queues:
    """One pass's jobs: waiting to be prepared, prepared and waiting to be sent, and running."""

    to_prepare: list = field(default_factory=list)  # heap of (ready_at, sequence, job)
    to_send: list = field(default_factory=list)
    tasks: dict = field(default_factory=dict)  # asyncio.Task → _Job
    _sequence: Iterator[int] = field(default_factory=itertools.count)

    def push(self, heap: list, job: "_Job", ready_at: float) -> None:
        heapq.heappush(heap, (ready_at, next(self._sequence), job))

    @property
    def sending(self) -> int:
        return sum(1 for job in self.tasks.values() if job.on_wire)

    @property
    def ahead(self) -> int:
        """Jobs claimed or being claimed but not on the wire: kept small, see `_launch`."""
        return len(self.tasks) - self.sending + len(self.to_send)

    @property
    def size(self) -> int:
        return len(self.to_prepare) + len(self.to_send) + len(self.tasks)

    def jobs(self) -> list["_Job"]:
        return [*self.tasks.values(), *(entry[2] for entry in (*self.to_prepare, *self.to_send))]


class _TokenBucket:
    def __init__(self, rate: float, burst_s: float, now: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate * burst_s)
        self.tokens = 1.0
        self.updated = now

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def wait(self, now: float) -> float:
        """Seconds until a token is available."""
        self._refill(now)
        return max(0.0, (1.0 - self.tokens) / self.rate)

    def take(self, now: float) -> bool:
        self._refill(now)
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True

    def hold(self, until: float) -> None:
        """Nothing saved up during a pause: resume at the steady rate, not with a burst."""
        self.tokens = min(self.tokens, 1.0)
        self.updated = max(self.updated, until)


class Broadcaster:
    def __init__(
        self,
        bot: Bot,
        engine: Engine,
        *,
        config: SenderConfig | None = None,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        attachments: AttachmentRenderer | None = None,
        on_drained: Callable[[DrainReport], None] | None = None,
    ) -> None:
        self.bot = bot
        self.on_drained = on_drained  # an observer of every finished run (metrics)
        self.engine = engine
        self.config = config or SenderConfig()
        self.clock = clock
        self.sleep = sleep
        self.attachments = attachments
        self._bucket = _TokenBucket(self.config.rate_per_s, self.config.burst_s, self._now())
        self._paused_until = 0.0
        self._chat_free_at: dict[int, float] = {}  # when the chat may get its next message
        self._busy_chats: set[int] = set()
        self._gone: set[int] = set()  # subscribers deactivated during this process's life
        self._stuck: set[int] = set()  # deliveries that failed unexpectedly: left to their lease
        # Writes (claims, progress) on one thread, in order; loading the next batch on another, so
        # a large read never holds up the record of a message just sent.
        self._db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crisisdesk-send-db")
        self._read_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crisisdesk-send-read")
        self._lock = asyncio.Lock()
        self._again = False
        self._drain_task: asyncio.Task | None = None

    @property
    def worker_id(self) -> str:
        return self.config.worker_id

    def _now(self) -> float:
        return self.clock().timestamp()

    async def _db(self, function: Callable[..., T], *args: Any, reading: bool = False, **kwargs: Any) -> T:
        def run() -> T:
            with session_scope(self.engine) as session:
                return function(session, *args, **kwargs)

        executor = self._read_thread if reading else self._db_thread
        return await asyncio.get_running_loop().run_in_executor(executor, run)

    # --- running -------------------------------------------------------------------------------------

    def kick(self) -> None:
        """Have everything pending sent soon: start a drain, or make the running one look again."""
        if self._drain_task is not None and not self._drain_task.done():
            self._again = True
            return
        self._drain_task = asyncio.get_running_loop().create_task(self._drain_logged(), name="broadcaster")

    async def _drain_logged(self) -> None:
        try:
            report = await self.drain()
        except Exception:
            log.exception("delivery run failed", extra={"worker": self.worker_id})
            return
        if self.on_drained is not None:
            self.on_drained(report)
        if report.messages_sent or report.failed or report.deactivated:
            log.info(
                "sent %d messages (%d deliveries); %d failed, %d chats deactivated, %d 429 replies",
                report.messages_sent,
                report.deliveries_sent,
                report.failed,
                report.deactivated,
                report.replies_429,
                extra={"worker": self.worker_id},
            )

    async def close(self) -> None:
        """Stop cleanly: messages on the wire are finished and recorded, held rows handed back."""
        if self._drain_task is not None and not self._drain_task.done():
            self._drain_task.cancel()
            await asyncio.gather(self._drain_task, return_exceptions=True)
        self._db_thread.shutdown(wait=True)
        self._read_thread.shutdown(wait=True)

    async def drain(self) -> DrainReport:
        """Send every sendable delivery; returns when none is left (or only ones others hold)."""
        async with self._lock:
            report = DrainReport()
            while True:
                self._again = False
                claimed_before = report.claimed
                await self._run_pass(report)
                if report.claimed == claimed_before and not self._again:
                    return report

    # --- the dispatcher ------------------------------------------------------------------------------
    #
    # A job goes through two kinds of task. `_prepare` claims the row (before its first message) and
    # draws a chart part: work that may take a while and needs no rate-limit token. `_send` does only
    # the request and the record of it, started the moment a token is taken, so the rate holds on the
    # wire and not just in the bookkeeping. At most `max_in_flight` jobs are claimed ahead of being
    # sent, so after a crash few rows wait for their lease.

    async def _run_pass(self, report: DrainReport) -> None:
        """One sweep over the sendable rows, oldest first; the next batch loads while this one sends."""
        q = _Queues()
        cursor, exhausted = 0, False
        loading: asyncio.Task | None = None
        timer: asyncio.Task | None = None
        try:
            while True:
                if loading is None and not exhausted and q.size <= self.config.batch_size // 2:
                    loading = asyncio.ensure_future(self._load(cursor))
                self._launch(q, report)
                if not q.size and loading is None:
                    return
                waiters: set[asyncio.Task] = {*q.tasks, *([loading] if loading else [])}
                delay = self._next_launch_in(q)
                if delay is not None:
                    timer = asyncio.ensure_future(self.sleep(delay))
                    waiters.add(timer)
                done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                if timer is not None and not timer.done():
                    timer.cancel()
                timer = None
                if loading is not None and loading in done:
                    rows, loading = loading.result(), None
                    exhausted = len(rows) < self.config.batch_size
                    now = self._now()
                    for row in rows:
                        cursor = max(cursor, row.delivery_id)
                        if row.delivery_id not in self._stuck:
                            q.push(q.to_prepare, _Job(row, dict(row.payload)), now)
                for task in done:
                    job = q.tasks.pop(task, None)
                    if job is not None:
                        await self._settle(job, task, q, report)
        finally:
            for pending in (timer, loading):
                if pending is not None:
                    pending.cancel()
            # Cancelled (shutdown) or failed: let the messages on the wire finish and be recorded,
            # then give back the rows held between messages so a successor resumes them at once.
            if q.tasks:
                await asyncio.gather(*q.tasks, return_exceptions=True)
            held = [job.row.delivery_id for job in q.jobs() if job.claimed]
            if held:
                await self._db(store.release, self.worker_id, held)

    async def _load(self, after_id: int) -> list[store.Outgoing]:
        return await self._db(
            store.sendable,
            self.worker_id,
            self.clock(),
            self.config.lease,
            after_id=after_id,
            limit=self.config.batch_size,
            reading=True,
        )

    def _launch(self, q: _Queues, report: DrainReport) -> None:
        """Start what may start now: messages the chat, pause and rate allow, then preparations."""
        limit = self.config.max_in_flight
        now = self._now()
        if self._paused_until > now:
            return
        while q.to_send and q.sending < limit:
            ready_at, _, job = q.to_send[0]
            if ready_at > now:
                break
            chat = job.row.chat_id
            chat_ready = self._chat_free_at.get(chat, 0.0)
            if job.row.subscriber_id in self._gone:
                heapq.heappop(q.to_send)
            elif chat in self._busy_chats or chat_ready > now:
                heapq.heappop(q.to_send)  # not this chat's turn yet: let the others pass meanwhile
                q.push(q.to_send, job, max(chat_ready, now + self.config.per_chat_interval_s / 2))
            elif self._bucket.take(now):
                heapq.heappop(q.to_send)
                self._busy_chats.add(chat)
                job.on_wire = True
                q.tasks[asyncio.ensure_future(self._send(job))] = job
            else:
                break
        while q.to_prepare and q.ahead < limit and q.to_prepare[0][0] <= now:
            _, _, job = heapq.heappop(q.to_prepare)
            if job.row.subscriber_id not in self._gone:
                q.tasks[asyncio.ensure_future(self._prepare(job, report))] = job

    def _next_launch_in(self, q: _Queues) -> float | None:
        """Seconds until something queued may start; None if only a finishing task can free it."""
        now = self._now()
        starts = []
        if q.to_send and q.sending < self.config.max_in_flight:
            starts.append(max(q.to_send[0][0], now + self._bucket.wait(now)))
        if q.to_prepare and q.ahead < self.config.max_in_flight:
            starts.append(q.to_prepare[0][0])
        if not starts:
            return None
        # Never less than 0.1 ms: a clock that cannot tell smaller steps apart must still move on.
        return max(max(min(starts), self._paused_until) - now, 1e-4)

    async def _settle(self, job: _Job, task: asyncio.Task[_Outcome], q: _Queues, report: DrainReport) -> None:
        """Act on a finished task: next part, retry, pause, give up or deactivate."""
        chat, now = job.row.chat_id, self._now()
        if job.on_wire:
            job.on_wire = False
            self._busy_chats.discard(chat)
            self._chat_free_at[chat] = now + self.config.per_chat_interval_s
        try:
            outcome = task.result()
        except Exception:
            # A bug or a database failure, possibly after Telegram accepted the message: this
            # process leaves the row alone; once its lease runs out another sender resumes it.
            self._stuck.add(job.row.delivery_id)
            log.exception("delivery %d failed unexpectedly", job.row.delivery_id, extra={"chat": chat})
            return
        result = outcome.result
        if result is _Result.PREPARED:
            q.push(q.to_send, job, now)
        elif result is _Result.SENT:
            report.messages_sent += outcome.delivered
            job.tries = 0
            q.push(q.to_prepare, job, self._chat_free_at[chat])
        elif result is _Result.DONE:
            report.messages_sent += outcome.delivered
            report.deliveries_sent += 1
        elif result is _Result.RETRY_AFTER:
            report.replies_429 += 1
            q.push(q.to_send, job, self._paused_until)
        elif result is _Result.TRANSIENT:
            job.tries += 1
            if job.tries < self.config.tries:
                report.retries += 1
                q.push(q.to_send, job, now + self.config.backoff_s * 2 ** (job.tries - 1))
            else:
                report.failed += 1
                log.warning(
                    "giving up on delivery %d: %s", job.row.delivery_id, outcome.error, extra={"chat": chat}
                )
                await self._db(store.finish, job.row.delivery_id, self.worker_id, store.FAILED, outcome.error)
        elif result is _Result.GONE:
            report.deactivated += 1
            self._gone.add(job.row.subscriber_id)
            log.info("chat %d is gone (%s): deactivated", chat, outcome.error, extra={"chat": chat})
            await self._db(
                store.deactivate_recipient, job.row.subscriber_id, outcome.error or "gone", self.clock()
            )
        elif result is _Result.REJECTED:
            report.failed += 1
            log.warning(
                "Telegram refused delivery %d: %s", job.row.delivery_id, outcome.error, extra={"chat": chat}
            )
            await self._db(store.finish, job.row.delivery_id, self.worker_id, store.FAILED, outcome.error)

    # --- one message ---------------------------------------------------------------------------------

    def _pause(self, seconds: float) -> None:
        until = self._now() + seconds
        if until > self._paused_until:
            log.warning("Telegram asked to slow down: sending paused for %s s", seconds)
            self._paused_until = until
        self._bucket.hold(self._paused_until)

    async def _prepare(self, job: _Job, report: DrainReport) -> _Outcome:
        """Claim the row before its first message; draw the next part's chart if it has one."""
        row = job.row
        if not job.claimed:
            if not await self._db(
                store.claim, row.delivery_id, self.worker_id, self.clock(), self.config.lease
            ):
                return _Outcome(_Result.LOST)
            job.claimed = True
            report.claimed += 1
            if row.status == store.SENDING and row.claimed_by != self.worker_id:
                report.resumed_after_lease += 1
                log.warning(
                    "resuming delivery %d after its sender's lease ran out: part %d may reach chat %d twice",
                    row.delivery_id,
                    job.next_part + 1,
                    row.chat_id,
                    extra={"chat": row.chat_id, "subscriber": row.subscriber_id},
                )
        index = job.next_part
        part = job.parts[index] if index < len(job.parts) else None
        job.attachment = await self._render(part) if part and part.get("type") == "chart" else None
        return _Outcome(_Result.PREPARED)

    async def _send(self, job: _Job) -> _Outcome:
        """Send the prepared part and record it: the unit a clean stop waits for."""
        row, index = job.row, job.next_part
        delivered = index < len(job.parts)
        if delivered:
            try:
                await self._deliver(row.chat_id, job.parts[index], job.attachment)
            except TelegramRetryAfter as error:
                self._pause(error.retry_after)  # at once, before any other message can start
                return _Outcome(_Result.RETRY_AFTER, error.message)
            except TelegramForbiddenError as error:
                return _Outcome(_Result.GONE, error.message)
            except TelegramBadRequest as error:
                gone = "chat not found" in error.message.lower()
                return _Outcome(_Result.GONE if gone else _Result.REJECTED, error.message)
            except TelegramEntityTooLarge as error:
                return _Outcome(_Result.REJECTED, error.message)
            except (TelegramServerError, TelegramNetworkError) as error:
                return _Outcome(_Result.TRANSIENT, f"{type(error).__name__}: {error.message}")
            except TelegramAPIError as error:
                return _Outcome(_Result.REJECTED, f"{type(error).__name__}: {error.message}")
        payload = {**job.payload, "sent_parts": index + 1}
        done = index + 1 >= len(job.parts)
        if not await self._db(
            store.record_progress, row.delivery_id, self.worker_id, payload, self.clock(), done=done
        ):
            log.warning("delivery %d was taken over by another sender", row.delivery_id)
            return _Outcome(_Result.LOST)
        job.payload = payload
        job.attachment = None
        return _Outcome(_Result.DONE if done else _Result.SENT, delivered=delivered)

    async def _deliver(self, chat_id: int, part: dict, attachment: bytes | None) -> None:
        if part.get("type") != "chart":
            await self.bot.send_message(chat_id, part["html"])
        elif attachment is not None:  # without a drawing the digest goes out without its chart
            await self.bot.send_photo(
                chat_id, BufferedInputFile(attachment, "trend.png"), caption=part.get("caption")
            )

    async def _render(self, part: dict) -> bytes | None:
        if self.attachments is None:
            return None
        try:
            return await self.attachments.render(part["spec"])
        except Exception:
            log.exception("could not draw a chart; sending without it")
            return None
