"""/digest: the reader's digest of the last 24 hours, now. /trend [incident] [days]: the trend chart."""

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy import Engine

from bot.delivery.chart import ChartRenderer
from bot.delivery.digest import (
    Digest,
    DigestComposer,
    DigestConfig,
    DigestCorpus,
    Window,
    chart_part,
    followed,
)
from bot.delivery.texts import Translator
from bot.settings import Settings
from bot.text import escape
from storage.deliveries import Recipient, find_recipient
from storage.digest_queries import IncidentInfo, incident_directory
from storage.session import session_scope

router = Router(name="digest")

MAX_TREND_DAYS = 90


def _reader(engine: Engine, chat_id: int, lang: str, settings: Settings, now: datetime) -> Recipient:
    """The chat's settings, in the language the reader sees the bot in; defaults for a new chat."""
    with session_scope(engine) as session:
        found = find_recipient(session, chat_id)
    if found is None:
        return Recipient(
            subscriber_id=0,
            chat_id=chat_id,
            language=lang,
            timezone=settings.default_timezone,
            digest_time=settings.default_digest_time,
            incidents=(),
            chart_enabled=False,
            quiet_digest=True,
            alerts_enabled=False,
            last_digest_at=None,
            created_at=now,
        )
    return replace(found, language=lang)


def _digest_now(engine: Engine, i18n: I18n, reader: Recipient, now: datetime) -> Digest:
    config = DigestConfig()
    window = Window(now - config.default_window, now)
    with session_scope(engine) as session:
        corpus = DigestCorpus.load(session, [window])
    return DigestComposer(corpus, i18n, config).compose(reader, window, on_demand=True)


@router.message(Command("digest"))
async def digest_command(
    message: Message, engine: Engine, i18n: I18n, lang: str, settings: Settings, clock: Callable[[], datetime]
) -> None:
    now = clock()
    reader = await asyncio.to_thread(_reader, engine, message.chat.id, lang, settings, now)
    digest = await asyncio.to_thread(_digest_now, engine, i18n, reader, now)
    for text in digest.messages:
        await message.answer(text)
    if digest.chart is not None:
        png = await ChartRenderer(engine).render(digest.chart["spec"])
        await message.answer_photo(BufferedInputFile(png, "trend.png"), caption=digest.chart["caption"])


def find_incident(word: str, incidents: list[IncidentInfo]) -> IncidentInfo | None:
    """An incident by its id, a unique start of its id, or a unique word of its title in any language."""
    needle = word.casefold()
    exact = [incident for incident in incidents if incident.id == needle]
    by_prefix = [incident for incident in incidents if incident.id.startswith(needle)]
    by_title = [i for i in incidents if any(needle in title.casefold() for title in i.title.values())]
    for found in (exact, by_prefix, by_title):
        if len(found) == 1:
            return found[0]
    return None


@router.message(Command("trend"))
async def trend_command(
    message: Message,
    command: CommandObject,
    engine: Engine,
    i18n: I18n,
    lang: str,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    now = clock()
    with session_scope(engine) as session:
        incidents = incident_directory(session)
    chosen: list[IncidentInfo] = []
    days = DigestConfig().chart_days
    for word in (command.args or "").split():
        if word.isdigit():
            days = int(word)
        elif (incident := find_incident(word, incidents)) is not None:
            chosen.append(incident)
        else:
            known = ", ".join(incident.id for incident in incidents)
            await message.answer(
                escape(_("No incident matches “{word}”. Try one of: {known}").format(word=word, known=known))
            )
            return
    if not 1 <= days <= MAX_TREND_DAYS:
        await message.answer(escape(_("Choose between 1 and {most} days.").format(most=MAX_TREND_DAYS)))
        return
    reader = await asyncio.to_thread(_reader, engine, message.chat.id, lang, settings, now)
    if not chosen:
        by_id = {incident.id: incident for incident in incidents}
        chosen = [by_id[i] for i in followed(list(by_id), reader.incidents)]
    part = chart_part(chosen, now, reader.timezone, Translator(i18n, lang), days)
    png = await ChartRenderer(engine).render(part["spec"])
    await message.answer_photo(BufferedInputFile(png, "trend.png"), caption=part["caption"])
