"""The long-running service: scheduler jobs, and the Telegram bot when a token is configured."""

import asyncio
import logging
import signal
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.runtime import Runtime
from feeds.worker import schedule_polling

log = logging.getLogger(__name__)


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)


async def run_service(rt: Runtime, stop: asyncio.Event) -> None:
    """Prepare the database, start the jobs, run until `stop` is set."""
    rt.prepare()
    scheduler = AsyncIOScheduler(timezone=UTC)
    async with rt.poller() as poller:
        schedule_polling(scheduler, poller, rt.settings.poll_tick_s)
        scheduler.start()
        if rt.settings.token is None:
            log.warning("BOT_TOKEN is not set: running without Telegram (feeds are polled, nothing is sent)")
        log.info("crisisdesk service running; press Ctrl+C to stop")
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
    log.info("crisisdesk service stopped")
