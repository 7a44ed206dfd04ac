"""Polling as a long-running job: one short scheduler job every tick claims whatever is due.

The service registers the job on its own scheduler (`schedule_polling`); `crisisdesk worker` runs
nothing else (`run_worker`). Feeds are never one job each: the feeds table is the schedule.
"""

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.job import Job
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from feeds.pipeline import Poller

log = logging.getLogger(__name__)

POLL_JOB_ID = "poll-feeds"


def schedule_polling(scheduler: AsyncIOScheduler, poller: Poller, tick_s: int) -> Job:
    """Run `poller.tick` every `tick_s` seconds, starting now; a tick still running skips the next."""
    return scheduler.add_job(
        poller.tick,
        "interval",
        seconds=tick_s,
        id=POLL_JOB_ID,
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
        misfire_grace_time=tick_s,
    )


async def run_worker(poller: Poller, stop: asyncio.Event, tick_s: int) -> None:
    """Poll until `stop` is set, then finish cleanly: the cycle in flight is cancelled, leases freed."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    async with poller:
        schedule_polling(scheduler, poller, tick_s)
        scheduler.start()
        log.info("worker %s polling every %d s", poller.config.worker_id, tick_s)
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
    log.info("worker %s stopped", poller.config.worker_id)
