"""Admin commands (ADMIN_IDS only): feed health and statistics; anyone else gets a polite refusal."""

from datetime import timedelta

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy import Engine

from bot.cards import bold, feed_entry, incident_short_name
from bot.commands import ADMIN_COMMANDS
from bot.database import in_session
from bot.formats import short_date
from bot.knowledge import Knowledge
from bot.telegram.filters import IsAdmin
from bot.telegram.replies import answer_blocks
from bot.text import escape
from storage.archive import archive_stats
from storage.outlets import list_outlets
from storage.subscribers import count_subscribers

router = Router(name="admin")
STATS_DAYS = 7


@router.message(Command(*ADMIN_COMMANDS), ~IsAdmin())
async def refuse(message: Message) -> None:
    await message.answer(escape(_("Sorry, that command is for the bot's administrators only.")))


@router.message(Command("feeds"), IsAdmin())
async def feeds(message: Message, engine: Engine, lang: str) -> None:
    rows = [
        (feed, outlet.name)
        for outlet, outlet_feeds in await in_session(engine, list_outlets)
        for feed in outlet_feeds
    ]
    # Problems first: disabled and failing feeds are what an admin opens this for.
    rows.sort(key=lambda row: (row[0].status != "disabled", -row[0].consecutive_errors, row[0].id))
    if not rows:
        await message.answer(escape(_("No feeds yet.")))
        return
    heading = _("Feeds: {count}").format(count=len(rows))
    await answer_blocks(
        message, [f"<b>{escape(heading)}</b>"] + [feed_entry(feed, name, lang) for feed, name in rows]
    )


@router.message(Command("stats"), IsAdmin())
async def stats(message: Message, engine: Engine, knowledge: Knowledge, lang: str, clock) -> None:
    now = clock()
    figures = await in_session(engine, archive_stats, now - timedelta(days=STATS_DAYS - 1), now)
    people = await in_session(engine, count_subscribers)
    subscribers = _(
        "Chats: {chats}; subscribed: {subscribed}; with alerts: {alerts}; inactive (blocked the bot): {inactive}"
    ).format(**people)
    per_day = "\n".join(f"• {escape(short_date(day, lang))}: {count}" for day, count in figures.items_per_day)
    incidents = "\n".join(
        f"• {escape(incident_short_name(knowledge, incident.id, lang))}: "
        f"{figures.recent_matches_per_incident.get(incident.id, 0)} / {figures.matches_per_incident.get(incident.id, 0)}"
        for incident in knowledge.incidents
    )
    feeds = _("Feeds: {active} active ({failing} failing), {disabled} disabled").format(
        active=figures.feeds_active, failing=figures.feeds_failing, disabled=figures.feeds_disabled
    )
    blocks = [
        bold(_("Statistics")) + f"\n{escape(subscribers)}\n{escape(feeds)}",
        bold(_("Items per day (UTC), {total} in all").format(total=figures.items_total)) + "\n" + per_day,
        bold(_("Matches per incident: last {days} days / all time").format(days=STATS_DAYS))
        + "\n"
        + incidents,
    ]
    await answer_blocks(message, blocks)
