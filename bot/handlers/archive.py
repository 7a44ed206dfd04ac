"""The archive: /latest items, /why an item was tagged, /export an incident's items as CSV."""

import csv
import io
from datetime import timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from sqlalchemy import Engine

from bot.cards import why_card
from bot.database import in_session
from bot.handlers.background import incident_buttons, latest_blocks, named_incident, timezone_of
from bot.knowledge import Knowledge
from bot.telegram.replies import answer_blocks
from bot.text import escape
from storage.archive import ArchivedItem, find_item, matched_items
from storage.models import Subscriber

router = Router(name="archive")

LATEST_DEFAULT, LATEST_MAX = 10, 50
EXPORT_DEFAULT_DAYS, EXPORT_MAX_DAYS = 30, 3650
CSV_COLUMNS = ("outlet", "side", "language", "published", "title", "url", "incidents")


def split_count(args: str | None, default: int, maximum: int) -> tuple[str, int | None]:
    """`"azal 5"` → ("azal", 5); a trailing number is the count, out-of-range numbers give None."""
    words = (args or "").split()
    if words and words[-1].lstrip("-").isdigit():
        number = int(words[-1])
        return " ".join(words[:-1]), number if 1 <= number <= maximum else None
    return " ".join(words), default


@router.message(Command("latest"))
async def latest(
    message: Message,
    command: CommandObject,
    engine: Engine,
    knowledge: Knowledge,
    lang: str,
    subscriber: Subscriber | None = None,
) -> None:
    query, count = split_count(command.args, LATEST_DEFAULT, LATEST_MAX)
    if count is None:
        await message.answer(
            escape(_("Ask for 1 to {maximum} items, e.g. /latest azal 5.").format(maximum=LATEST_MAX))
        )
        return
    incident_id = None
    if query:
        incident = await named_incident(message, query, knowledge, lang, "latest")
        if incident is None:
            return
        incident_id = incident.id
    await answer_blocks(
        message, await latest_blocks(engine, knowledge, lang, timezone_of(subscriber), incident_id, count)
    )


@router.message(Command("why"))
async def why(
    message: Message,
    command: CommandObject,
    engine: Engine,
    knowledge: Knowledge,
    lang: str,
    subscriber: Subscriber | None = None,
) -> None:
    reference = (command.args or "").strip()
    if not reference:
        await message.answer(
            escape(_("Send an item's link or number, e.g. /why https://apa.az/… or /why 1234."))
        )
        return
    detail = await in_session(engine, find_item, reference)
    if detail is None:
        await message.answer(escape(_("I have no item with that link or number.")))
        return
    await answer_blocks(message, why_card(detail, knowledge, lang, timezone_of(subscriber)))


def csv_cell(value: str) -> str:
    """Text from feeds as a spreadsheet shows it, never as a formula it would run."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_csv(items: list[ArchivedItem]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for item in items:
        writer.writerow(
            [
                csv_cell(item.outlet_name),
                item.side,
                item.language or "",
                item.published_at.isoformat(),
                csv_cell(item.title),
                item.url or "",
                ";".join(item.incidents),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes spreadsheets read Cyrillic right


@router.message(Command("export"))
async def export(
    message: Message, command: CommandObject, engine: Engine, knowledge: Knowledge, lang: str, clock
) -> None:
    query, days = split_count(command.args, EXPORT_DEFAULT_DAYS, EXPORT_MAX_DAYS)
    if not query or days is None:
        await message.answer(
            escape(
                _("Which incident and how many days (1 to {maximum})? E.g. /export azal 30.").format(
                    maximum=EXPORT_MAX_DAYS
                )
            ),
            reply_markup=None if query else incident_buttons(knowledge.incidents, lang).as_markup(),
        )
        return
    incident = await named_incident(message, query, knowledge, lang)
    if incident is None:
        return
    now = clock()
    items = await in_session(engine, matched_items, incident_id=incident.id, since=now - timedelta(days=days))
    name = f"crisisdesk-{incident.id}-{now:%Y%m%d}-{days}d.csv"
    caption = ngettext(
        "{count} item about “{incident}”, last {days} days.",
        "{count} items about “{incident}”, last {days} days.",
        len(items),
    ).format(count=len(items), incident=incident.title.get(lang), days=days)
    await message.answer_document(
        BufferedInputFile(export_csv(items), filename=name), caption=escape(caption)
    )
