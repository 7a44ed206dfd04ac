"""The long-running service: polling, story grouping, delivery jobs, the Telegram bot, metrics."""

import asyncio
import logging
import signal
from datetime import UTC

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.delivery.broadcaster import Broadcaster, SenderConfig
from bot.delivery.chart import ChartRenderer
from bot.delivery.jobs import DeliveryDeps, catch_up, register_delivery_jobs, stop_delivery
from bot.i18n import create_i18n
from bot.observability import Health, record_cycle, record_drain, start_metrics_server
from bot.runtime import Runtime
from bot.telegram.client import create_bot
from bot.telegram.dispatcher import BotDeps
from bot.telegram.polling import TelegramBot
from bot.text import escape
from feeds.grouping import group_new_items
from feeds.pipeline import FeedDisabledHook
from feeds.worker import schedule_polling
from storage.columns import utcnow
from storage.models import Feed

log = logging.getLogger(__name__)

STORY_JOB_S = 60


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)


def admin_notifier(bot: Bot, admin_ids: list[int]) -> FeedDisabledHook:
    """Tell every admin when the poller gives up on a feed (410, or a week of failures)."""

    async def notify(feed: Feed, reason: str) -> None:
        text = f"Feed {feed.id} disabled: {escape(feed.url)}\n{escape(reason)}\n/enablefeed {feed.id}"
        for admin_id in admin_ids:
            try:
                await bot.send_message(admin_id, text)
            except (TelegramAPIError, TelegramNetworkError) as error:
                log.warning("could not notify admin %s: %s", admin_id, error, extra={"feed": feed.id})

    return notify


async def run_service(rt: Runtime, stop: asyncio.Event) -> None:
    """Prepare the database, start the jobs and the bot, run until `stop` is set (or the bot fails)."""
    rt.prepare()
    settings = rt.settings
    scheduler = AsyncIOScheduler(timezone=UTC)
    health = Health(rt.engine, scheduler_running=lambda: scheduler.running)
    metrics = await start_metrics_server(health, settings.metrics_port) if settings.metrics_port else None
    telegram = delivery = None
    notifier = None
    if settings.token is None:
        log.warning("BOT_TOKEN is not set: running without Telegram (feeds are polled, nothing is sent)")
    else:
        bot = create_bot(settings.token, settings.telegram_api_url)
        i18n = create_i18n()
        broadcaster = Broadcaster(
            bot,
            rt.engine,
            config=SenderConfig(rate_per_s=settings.send_rate_limit),
            clock=utcnow,
            attachments=ChartRenderer(rt.engine),
            on_drained=record_drain,
        )
        delivery = DeliveryDeps(engine=rt.engine, broadcaster=broadcaster, i18n=i18n, clock=utcnow)
        deps = BotDeps(
            rt.engine, settings, rt.knowledge, i18n=i18n, scheduler=scheduler, broadcaster=broadcaster
        )
        telegram = TelegramBot(deps, bot)
        notifier = admin_notifier(bot, settings.admin_ids)
    async with rt.poller(
        on_feed_disabled=notifier, on_cycle=lambda report: record_cycle(health, report)
    ) as poller:
        schedule_polling(scheduler, poller, settings.poll_tick_s)
        # Stories are grouped here only, in one process: workers poll, the service groups.
        scheduler.add_job(
            asyncio.to_thread,
            "interval",
            args=[group_new_items, rt.engine, rt.story_grouper],
            seconds=STORY_JOB_S,
            id="stories.group",
            name="group new items into stories",
            max_instances=1,
            coalesce=True,
        )
        if delivery is not None:
            register_delivery_jobs(scheduler, delivery)
        scheduler.start()
        if telegram is not None:
            await catch_up(delivery)
            # A bot that cannot run (a wrong token, say) stops the service.
            telegram.start().add_done_callback(lambda _: stop.set())
            log.info("Telegram bot polling %s", settings.telegram_api_url)
        log.info("crisisdesk service running; press Ctrl+C to stop")
        try:
            await stop.wait()
        finally:
            if telegram is not None:
                await telegram.stop()
            scheduler.shutdown(wait=False)
            if delivery is not None:
                await stop_delivery(delivery)
            if metrics is not None:
                await metrics.cleanup()
    log.info("crisisdesk service stopped")
    if telegram is not None and not telegram.task.cancelled() and telegram.task.exception() is not None:
        raise telegram.task.exception()
