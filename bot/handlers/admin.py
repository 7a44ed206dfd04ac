"""Admin commands (ADMIN_IDS only): feed health, adding, disabling and enabling feeds, statistics.

Anyone else gets a polite refusal. A feed URL is checked by the same SSRF guard the poller uses,
under the ALLOW_PRIVATE_FEEDS setting, before it is stored.
"""

import logging
from datetime import timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message, User
from aiogram.utils.i18n import gettext as _
from sqlalchemy import Engine

from bot.cards import bold, feed_entry, incident_short_name
from bot.commands import ADMIN_COMMANDS
from bot.database import in_session
from bot.formats import short_date
from bot.knowledge import Knowledge
from bot.lookup import find_outlet
from bot.settings import Settings
from bot.telegram.filters import IsAdmin
from bot.telegram.replies import answer_blocks
from bot.text import escape
from feeds.ssrf import AddressGuard, BlockedURL
from storage.archive import MAX_ID, archive_stats
from storage.feeds import FeedError, add_feed, set_feed_enabled
from storage.outlets import get_outlet_by_slug, list_outlets
from storage.subscribers import count_subscribers

log = logging.getLogger(__name__)
router = Router(name="admin")
STATS_DAYS = 7
MAX_URL_LENGTH = 2000


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


@router.message(Command("addfeed"), IsAdmin())
async def addfeed(
    message: Message,
    command: CommandObject,
    engine: Engine,
    settings: Settings,
    knowledge: Knowledge,
    event_from_user: User,
) -> None:
    words = (command.args or "").split(maxsplit=1)
    if len(words) < 2 or len(words[0]) > MAX_URL_LENGTH:
        await message.answer(
            escape(_("Usage: /addfeed <feed URL> <outlet>, e.g. /addfeed https://apa.az/rss apa"))
        )
        return
    url, outlet_name = words
    lookup = find_outlet(knowledge, outlet_name)
    if lookup.found is None:
        known = ", ".join(outlet.slug for outlet in lookup.suggestions) or _("see /outlets")
        await message.answer(
            escape(_("Unknown outlet “{name}”. Did you mean: {known}").format(name=outlet_name, known=known))
        )
        return
    outlet = lookup.found
    warning = ""
    try:
        await AddressGuard(settings.allow_private_feeds.value).check_url_resolved(url)
    except BlockedURL as error:
        await message.answer(
            escape(_("Refused: {url} is not a feed I may fetch ({reason}).").format(url=url, reason=error))
        )
        return
    except OSError as error:  # the name does not resolve now; the poller will keep reporting it
        warning = "\n" + _("Warning: {error}. Added anyway; /feeds will show whether it works.").format(
            error=error
        )

    def store(session) -> int:
        row = get_outlet_by_slug(session, outlet.slug)
        return add_feed(session, url, row.id, outlet.languages[0], origin="admin").id

    try:
        feed_id = await in_session(engine, store)
    except FeedError:
        await message.answer(escape(_("That feed is already on the list.")))
        return
    log.info("feed %s added by admin %s: %s", feed_id, event_from_user.id, url, extra={"feed": feed_id})
    done = _("Feed #{id} added for {outlet}: {url}. It is polled on the next cycle.").format(
        id=feed_id, outlet=outlet.name, url=url
    )
    await message.answer(escape(done + warning))


async def toggle_feed(
    message: Message, command: CommandObject, engine: Engine, clock, enabled: bool, event_from_user: User
) -> None:
    words = (command.args or "").split(maxsplit=1)
    if not words or not words[0].isdigit() or int(words[0]) > MAX_ID:
        usage = (
            _("Usage: /enablefeed <feed number>")
            if enabled
            else _("Usage: /disablefeed <feed number> [reason]")
        )
        await message.answer(escape(usage + "\n" + _("/feeds lists the numbers.")))
        return
    feed_id, reason = int(words[0]), words[1] if len(words) > 1 else ""

    def change(session) -> str:
        return set_feed_enabled(session, feed_id, enabled, clock(), reason).url

    try:
        url = await in_session(engine, change)
    except FeedError:
        await message.answer(escape(_("There is no feed #{id}. /feeds lists them.").format(id=feed_id)))
        return
    log.info(
        "feed %s %s by admin %s",
        feed_id,
        "enabled" if enabled else "disabled",
        event_from_user.id,
        extra={"feed": feed_id},
    )
    done = _("Feed #{id} enabled: {url}") if enabled else _("Feed #{id} disabled: {url}")
    await message.answer(escape(done.format(id=feed_id, url=url)))


@router.message(Command("disablefeed"), IsAdmin())
async def disablefeed(
    message: Message, command: CommandObject, engine: Engine, clock, event_from_user: User
) -> None:
    await toggle_feed(message, command, engine, clock, False, event_from_user)


@router.message(Command("enablefeed"), IsAdmin())
async def enablefeed(
    message: Message, command: CommandObject, engine: Engine, clock, event_from_user: User
) -> None:
    await toggle_feed(message, command, engine, clock, True, event_from_user)
