"""The knowledge base: /background, /incidents, /incident, /timeline, /views, /who, and their buttons."""

from collections.abc import Callable
from datetime import datetime, timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy import Engine

from bot.cards import (
    SIDE_FLAGS,
    bold,
    incident_card,
    incident_list_entry,
    item_line,
    person_card,
    side_name,
    source_note,
    timeline_entry,
    view_block,
)
from bot.database import in_session
from bot.keyboards import OpenIncident, OpenPerson, TimelinePage, page_row, paginate, shorten
from bot.knowledge import INCIDENT_IDS, Incident, Knowledge, Person
from bot.lookup import Lookup, find_incident, find_person
from bot.telegram.replies import answer_blocks, show
from bot.text import escape
from storage.archive import coverage_counts, matched_items
from storage.models import Subscriber

router = Router(name="background")

CARD_ITEMS = 5
TIMELINE_PAGE = 6
WEEK = timedelta(days=7)
SIDE_WORDS = {
    "russia": {"russia", "russian", "ru", "россия", "русские", "rusiya", "rus"},
    "azerbaijan": {
        "azerbaijan",
        "azerbaijani",
        "az",
        "азербайджан",
        "азербайджанцы",
        "azərbaycan",
        "azerbaycan",
    },
}


def timezone_of(subscriber: Subscriber | None) -> str | None:
    return subscriber.timezone if subscriber is not None else None


def incident_buttons(incidents: list[Incident], lang: str, view: str = "card") -> InlineKeyboardBuilder:
    builder = InlineKeyboardBuilder()
    for incident in incidents:
        builder.button(
            text=shorten(incident.title.get(lang)), callback_data=OpenIncident(id=incident.id, view=view)
        )
    builder.adjust(1)
    return builder


def person_buttons(people: list[Person], lang: str) -> InlineKeyboardBuilder:
    builder = InlineKeyboardBuilder()
    for person in people:
        builder.button(text=shorten(person.name.get(lang)), callback_data=OpenPerson(id=person.id))
    builder.adjust(1)
    return builder


def not_found(
    kind: str, query: str, lookup: Lookup, buttons: Callable
) -> tuple[list[str], InlineKeyboardMarkup | None]:
    messages = {
        "incident": _("I don't know an incident called “{query}”."),
        "person": _("I don't know anyone called “{query}”."),
    }
    text = escape(messages[kind].format(query=shorten(query, 80)))
    if lookup.suggestions:
        return [text + "\n" + escape(_("Did you mean:"))], buttons(lookup.suggestions).as_markup()
    hint = {"incident": _("/incidents lists them all."), "person": _("/views lists the commentators.")}[kind]
    return [text + "\n" + escape(hint)], None


async def named_incident(
    target: Message, query: str, knowledge: Knowledge, lang: str, view: str = "card"
) -> Incident | None:
    """The incident `query` names; when it names none, the answer is suggestions (buttons opening
    `view`) and the result None."""
    lookup = find_incident(knowledge, query)
    if lookup.found is None:
        blocks, keyboard = not_found(
            "incident", query, lookup, lambda found: incident_buttons(found, lang, view)
        )
        await answer_blocks(target, blocks, keyboard)
    return lookup.found


async def show_incident(
    target: Message,
    query: str,
    *,
    engine: Engine,
    knowledge: Knowledge,
    lang: str,
    subscriber: Subscriber | None,
    now: datetime,
) -> None:
    """Answer with the card of the incident `query` names, or suggestions when it names none."""
    incident = await named_incident(target, query, knowledge, lang)
    if incident is None:
        return
    latest = await in_session(engine, matched_items, incident_id=incident.id, limit=CARD_ITEMS)
    counts = await in_session(engine, coverage_counts, now - WEEK)
    timezone = timezone_of(subscriber)
    blocks = incident_card(incident, knowledge, lang, latest, counts.get(incident.id, 0), timezone)
    builder = InlineKeyboardBuilder()
    builder.button(text="🕒 " + _("Timeline"), callback_data=OpenIncident(id=incident.id, view="timeline"))
    builder.button(
        text="📰 " + _("Latest coverage"), callback_data=OpenIncident(id=incident.id, view="latest")
    )
    await answer_blocks(target, blocks, builder.as_markup())


def person_view(query: str, knowledge: Knowledge, lang: str) -> tuple[list[str], InlineKeyboardMarkup | None]:
    lookup = find_person(knowledge, query)
    if lookup.found is None:
        return not_found("person", query, lookup, lambda found: person_buttons(found, lang))
    person = lookup.found
    incidents = [knowledge.incident(incident_id) for incident_id in person.incidents]
    return person_card(person, knowledge, lang), incident_buttons(
        incidents, lang
    ).as_markup() if incidents else None


@router.message(Command("background"))
async def background(message: Message, knowledge: Knowledge, lang: str) -> None:
    intro = [
        bold(_("The crisis in brief")),
        escape(
            _(
                "Russia and Azerbaijan have long been close partners, but since late 2024 their relations have "
                "been going through a serious crisis. The turning point was the crash of an Azerbaijan Airlines "
                "plane near Aktau on 25 December 2024: Baku says it was hit by fire from the ground over Russia "
                "and wants Moscow to take responsibility."
            )
        ),
        escape(
            _(
                "The closure of the Russian House in Baku, tit-for-tat entry bans on MPs, Aliyev's absence from "
                "the Victory Parade in Moscow, raids on Azerbaijanis in Yekaterinburg in which two detained men "
                "reportedly died, and arrests of journalists followed. Each side blames the other; the buttons "
                "below open each incident."
            )
        ),
        source_note(knowledge, lang),
    ]
    await answer_blocks(message, intro, incident_buttons(knowledge.incidents, lang).as_markup())


@router.message(Command("incidents"))
async def incidents(message: Message, engine: Engine, knowledge: Knowledge, lang: str, clock) -> None:
    counts = await in_session(engine, coverage_counts, clock() - WEEK)
    blocks = [bold(_("Incidents"))]
    blocks += [
        incident_list_entry(incident, lang, counts.get(incident.id, 0)) for incident in knowledge.incidents
    ]
    await answer_blocks(message, blocks, incident_buttons(knowledge.incidents, lang).as_markup())


@router.message(Command("incident"))
async def incident(
    message: Message,
    command: CommandObject,
    engine: Engine,
    knowledge: Knowledge,
    lang: str,
    clock,
    subscriber: Subscriber | None = None,
) -> None:
    if not command.args:
        await message.answer(
            escape(_("Which incident? For example: /incident azal. /incidents lists them all.")),
            reply_markup=incident_buttons(knowledge.incidents, lang).as_markup(),
        )
        return
    await show_incident(
        message,
        command.args,
        engine=engine,
        knowledge=knowledge,
        lang=lang,
        subscriber=subscriber,
        now=clock(),
    )


@router.callback_query(OpenIncident.filter())
async def open_incident(
    callback: CallbackQuery,
    callback_data: OpenIncident,
    engine: Engine,
    knowledge: Knowledge,
    lang: str,
    clock,
    subscriber: Subscriber | None = None,
) -> None:
    if callback_data.id not in INCIDENT_IDS:
        await callback.answer(
            _("This button no longer works. Please send the command again."), show_alert=True
        )
        return
    await callback.answer()
    if callback_data.view == "timeline":
        events = knowledge.timeline_for(callback_data.id)
        blocks = [bold(_("Timeline"))] + [timeline_entry(e, knowledge, lang) for e in events]
        await answer_blocks(callback.message, blocks)
    elif callback_data.view == "latest":
        await answer_blocks(
            callback.message,
            await latest_blocks(
                engine, knowledge, lang, timezone_of(subscriber), callback_data.id, CARD_ITEMS * 2
            ),
        )
    else:
        await show_incident(
            callback.message,
            callback_data.id,
            engine=engine,
            knowledge=knowledge,
            lang=lang,
            subscriber=subscriber,
            now=clock(),
        )


async def latest_blocks(
    engine: Engine, knowledge: Knowledge, lang: str, timezone: str | None, incident_id: str | None, count: int
) -> list[str]:
    items = await in_session(engine, matched_items, incident_id=incident_id, limit=count)
    if incident_id is None:
        heading = _("The newest matched items")
    else:
        heading = _("The newest items about: {incident}").format(
            incident=knowledge.incident(incident_id).title.get(lang)
        )
    if not items:
        return [f"<b>{escape(heading)}</b>\n" + escape(_("No matched items yet."))]
    tags = knowledge if incident_id is None else None
    return [f"<b>{escape(heading)}</b>"] + [item_line(item, lang, timezone, tags=tags) for item in items]


def timeline_page(
    knowledge: Knowledge, lang: str, page_number: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    page = paginate(knowledge.timeline, page_number, TIMELINE_PAGE)
    heading = bold(_("Timeline")) + f" ({page.number + 1}/{page.count})"
    text = "\n\n".join([heading, *(timeline_entry(event, knowledge, lang) for event in page.items)])
    row = page_row(page, lambda n: TimelinePage(page=n))
    return text, InlineKeyboardMarkup(inline_keyboard=[row]) if row else None


@router.message(Command("timeline"))
async def timeline(message: Message, knowledge: Knowledge, lang: str) -> None:
    text, keyboard = timeline_page(knowledge, lang, 0)
    await message.answer(text, reply_markup=keyboard)


@router.callback_query(TimelinePage.filter())
async def timeline_turn(
    callback: CallbackQuery, callback_data: TimelinePage, knowledge: Knowledge, lang: str
) -> None:
    await callback.answer()
    text, keyboard = timeline_page(knowledge, lang, callback_data.page)
    await show(callback.message, [text], keyboard)


@router.message(Command("views"))
async def views(message: Message, command: CommandObject, knowledge: Knowledge, lang: str) -> None:
    sides = ["russia", "azerbaijan"]
    if command.args:
        wanted = command.args.strip().casefold()
        sides = [side for side, words in SIDE_WORDS.items() if wanted in words]
        if not sides:
            await message.answer(
                escape(_("Which side? /views russia or /views azerbaijan, or /views for both."))
            )
            return
    blocks = []
    for side in sides:
        blocks.append(f"{SIDE_FLAGS[side]} " + bold(_("Commentators: {side}").format(side=side_name(side))))
        blocks += [view_block(view, knowledge, lang) for view in knowledge.views if view.side == side]
    blocks.append(source_note(knowledge, lang))
    people = [knowledge.person(view.person) for view in knowledge.views if view.side in sides]
    await answer_blocks(message, blocks, person_buttons(people, lang).as_markup())


@router.message(Command("who"))
async def who(message: Message, command: CommandObject, knowledge: Knowledge, lang: str) -> None:
    if not command.args:
        await message.answer(
            escape(_("Whom? For example: /who Aliyev. Names work in English, Russian or Azerbaijani.")),
            reply_markup=person_buttons(knowledge.people, lang).as_markup(),
        )
        return
    blocks, keyboard = person_view(command.args, knowledge, lang)
    await answer_blocks(message, blocks, keyboard)


@router.callback_query(OpenPerson.filter())
async def open_person(
    callback: CallbackQuery, callback_data: OpenPerson, knowledge: Knowledge, lang: str
) -> None:
    await callback.answer()
    blocks, keyboard = person_view(callback_data.id, knowledge, lang)
    await answer_blocks(callback.message, blocks, keyboard)
