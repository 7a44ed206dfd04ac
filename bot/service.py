"""The long-running service: scheduler jobs, and the Telegram bot when a token is configured."""

import asyncio
import logging
import signal
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.runtime import Runtime
from bot.telegram.dispatcher import BotDeps
from bot.telegram.polling import TelegramBot

log = logging.getLogger(__name__)


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)


async def run_service(rt: Runtime, stop: asyncio.Event) -> None:
    """Prepare the database, start the jobs and the bot, run until `stop` is set (or the bot fails)."""
    rt.prepare()
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.start()
    telegram = None
    if rt.settings.token is None:
        log.warning("BOT_TOKEN is not set: running without Telegram (feeds are polled, nothing is sent)")
    else:
        deps = BotDeps(rt.engine, rt.settings, rt.knowledge, scheduler=scheduler)
        telegram = TelegramBot(deps, rt.settings.token, rt.settings.telegram_api_url)
        # A bot that cannot run (a wrong token, say) stops the service.
        telegram.start().add_done_callback(lambda _: stop.set())
        log.info("Telegram bot polling %s", rt.settings.telegram_api_url)
    log.info("crisisdesk service running; press Ctrl+C to stop")
    try:
        await stop.wait()
    finally:
        if telegram is not None:
            await telegram.stop()
        scheduler.shutdown(wait=False)
        log.info("crisisdesk service stopped")
    if telegram is not None and not telegram.task.cancelled() and telegram.task.exception() is not None:
        raise telegram.task.exception()
