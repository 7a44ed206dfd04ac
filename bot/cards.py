"""What the bot shows: incident, person and timeline cards, item lines, outlets and feeds, as HTML blocks.

Every function returns Telegram HTML in which each line is balanced (tags close on the line they
open), so `bot.text.pack_messages` may split between any two lines. External text (feed titles,
outlet names, user input) goes through `escape`; knowledge-base text is escaped as well, since
it is ours but not HTML. Call these inside a handler: the UI strings use the active gettext locale.
"""

from collections.abc import Sequence

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel.dates import format_date

from bot.formats import country, date_span, event_date, short_date, short_datetime, since_date
from bot.keyboards import shorten
from bot.knowledge import Incident, Knowledge, Outlet, Person, TimelineEvent, View
from bot.text import escape, link
from storage.archive import ArchivedItem, ItemDetail
from storage.models import Feed

TITLE_LIMIT = 300  # a feed may put a whole article in its title
SIDE_FLAGS = {"russia": "🇷🇺", "azerbaijan": "🇦🇿", "international": "🌐", "other": "👤"}


def bold(text: str) -> str:
    return f"<b>{escape(text)}</b>"


def side_name(side: str) -> str:
    names = {
        "russia": _("Russia"),
        "azerbaijan": _("Azerbaijan"),
        "international": _("International"),
        "other": _("Other"),
    }
    return names.get(side, side)


def source_note(knowledge: Knowledge, lang: str) -> str:
    source = knowledge.source
    published = format_date(source.date, "long", locale=lang)
    return "<i>" + escape(_("Background: a news review published on {date}").format(date=published)) + "</i>"


# --------------------------------------------------------------------------------------------- items


def item_line(item: ArchivedItem, lang: str, timezone: str | None, *, tags: Knowledge | None = None) -> str:
    """`• 3 Jul 16:05 · APA — title` with the title linked; `tags` adds the incidents it is about."""
    label = shorten(item.title, TITLE_LIMIT) if item.title else _("(untitled)")
    title = link(item.url, label) if item.url else escape(label)
    line = (
        f"• {short_datetime(item.published_at, timezone, lang)} · <b>{escape(item.outlet_name)}</b> — {title}"
    )
    if tags is not None and item.incidents:
        names = ", ".join(incident_short_name(tags, incident_id, lang) for incident_id in item.incidents)
        line += f" <i>[{escape(names)}]</i>"
    return line


def incident_short_name(knowledge: Knowledge, incident_id: str, lang: str) -> str:
    try:
        return knowledge.incident(incident_id).title.get(lang)
    except KeyError:
        return incident_id


# ----------------------------------------------------------------------------------------- incidents


def incident_heading(incident: Incident, lang: str) -> str:
    when = date_span(incident.date_start, incident.date_end, incident.date_precision, lang)
    return f"<b>{escape(incident.title.get(lang))}</b>\n📅 {escape(when)}"


def incident_list_entry(incident: Incident, lang: str, week_count: int) -> str:
    coverage = ngettext(
        "{count} item in the last 7 days", "{count} items in the last 7 days", week_count
    ).format(count=week_count)
    return f"{incident_heading(incident, lang)} · {escape(coverage)}\n<code>/incident {incident.id}</code>"


def incident_card(
    incident: Incident,
    knowledge: Knowledge,
    lang: str,
    latest: Sequence[ArchivedItem],
    week_count: int,
    timezone: str | None,
) -> list[str]:
    heading = incident_heading(incident, lang)
    if incident.location is not None:
        heading += f" · 📍 {escape(incident.location.get(lang))}"
    blocks = [heading, escape(incident.summary.get(lang))]
    blocks.append(
        bold(_("Key facts")) + "\n" + "\n".join(f"• {escape(fact.get(lang))}" for fact in incident.key_facts)
    )
    if incident.numbers:
        lines = [
            f"• <b>{'≈' if figure.approximate else ''}{escape(figure.value)}</b> — {escape(figure.label.get(lang))}"
            for figure in incident.numbers
        ]
        blocks.append(bold(_("In numbers")) + "\n" + "\n".join(lines))
    blocks.append(
        bold(_("How each side frames it")) + "\n"
        f"{SIDE_FLAGS['russia']} <i>{escape(side_name('russia'))}:</i> {escape(incident.framing.russia.get(lang))}\n"
        f"{SIDE_FLAGS['azerbaijan']} <i>{escape(side_name('azerbaijan'))}:</i> "
        f"{escape(incident.framing.azerbaijan.get(lang))}"
    )
    actors = [knowledge.person(actor) for actor in incident.actors]
    if actors:
        names = ", ".join(
            f"{escape(p.name.get(lang))} (<code>/who {escape(p.name.en)}</code>)" for p in actors
        )
        blocks.append(bold(_("People")) + f": {names}")
    coverage = ngettext(
        "Latest coverage ({count} item in the last 7 days)",
        "Latest coverage ({count} items in the last 7 days)",
        week_count,
    ).format(count=week_count)
    lines = [item_line(item, lang, timezone) for item in latest] or [escape(_("No matched items yet."))]
    blocks.append(f"<b>{escape(coverage)}</b>\n" + "\n".join(lines))
    blocks.append(source_note(knowledge, lang))
    return blocks


# ------------------------------------------------------------------------------------------ timeline


def timeline_entry(event: TimelineEvent, knowledge: Knowledge, lang: str) -> str:
    tags = ", ".join(incident_short_name(knowledge, incident_id, lang) for incident_id in event.incidents)
    when = event_date(event.date, event.date_precision, lang)
    return f"<b>{escape(when)}</b> — {escape(event.event.get(lang))}\n<i>{escape(tags)}</i>"


# ---------------------------------------------------------------------------------------------- people


def person_card(person: Person, knowledge: Knowledge, lang: str) -> list[str]:
    heading = f"{SIDE_FLAGS.get(person.side, '')} <b>{escape(person.name.get(lang))}</b> — {escape(person.role.get(lang))}"
    if person.affiliation is not None:
        heading += f"\n{escape(person.affiliation.get(lang))}"
    blocks = [heading, bold(_("What they said or did")) + f"\n{escape(person.did.get(lang))}"]
    blocks += [
        view_block(view, knowledge, lang, with_name=False)
        for view in knowledge.views
        if view.person == person.id
    ]
    if person.incidents:
        names = "\n".join(
            f"• {escape(knowledge.incident(incident_id).title.get(lang))} (<code>/incident {incident_id}</code>)"
            for incident_id in person.incidents
        )
        blocks.append(bold(_("Related incidents")) + f"\n{names}")
    blocks.append(source_note(knowledge, lang))
    return blocks


def view_block(view: View, knowledge: Knowledge, lang: str, *, with_name: bool = True) -> str:
    person = knowledge.person(view.person)
    outlet = knowledge.outlet(view.outlet)
    attribution = _("{name} ({role}), as reported in {outlet}").format(
        name=person.name.get(lang), role=person.role.get(lang), outlet=outlet.name
    )
    if not with_name:
        attribution = _("Position, as reported in {outlet}").format(outlet=outlet.name)
    points = "\n".join(f"• {escape(point.get(lang))}" for point in view.points)
    return f"<b>{escape(attribution)}</b>\n{escape(view.summary.get(lang))}\n{points}"


# -------------------------------------------------------------------------------------- outlets, feeds


def outlet_status(outlet: Outlet, lang: str) -> list[str]:
    kinds = {
        "blocked": _("blocked in {country} since {date}"),
        "suspended": _("suspended in {country} since {date}"),
        "restricted": _("restricted in {country} since {date}"),
        "closed": _("closed in {country} since {date}"),
    }
    return [
        kinds[status.kind].format(
            country=country(status.where, lang), date=since_date(status.since, status.since_precision, lang)
        )
        for status in outlet.status
    ]


def feed_health(feed: Feed, lang: str) -> str:
    """One word or phrase: how the feed is doing."""
    if feed.status == "disabled":
        return "⛔ " + _("disabled")
    if feed.consecutive_errors:
        return "⚠️ " + ngettext(
            "failing ({count} error in a row)", "failing ({count} errors in a row)", feed.consecutive_errors
        ).format(count=feed.consecutive_errors)
    if feed.last_success_at is None:
        return "⏳ " + _("not fetched yet")
    return "✅ " + _("ok, checked {date}").format(date=short_date(feed.last_success_at, lang))


def outlet_entry(outlet: Outlet, feeds: Sequence[Feed], lang: str) -> str:
    languages = ", ".join(outlet.languages)
    name = link(outlet.homepage, outlet.name) if outlet.homepage else f"<b>{escape(outlet.name)}</b>"
    line = f"• {name} ({escape(languages)})"
    statuses = outlet_status(outlet, lang)
    if statuses:
        line += " — 🚫 " + escape("; ".join(statuses))
    if feeds:
        health = "; ".join(feed_health(feed, lang) for feed in feeds)
        line += "\n   " + escape(_("Feeds: {health}").format(health=health))
    else:
        line += "\n   " + escape(_("No feed"))
    return line


def feed_entry(feed: Feed, outlet_name: str, lang: str) -> str:
    line = (
        f"<b>#{feed.id}</b> {escape(outlet_name)} — {escape(feed.url)}\n   {escape(feed_health(feed, lang))}"
    )
    if feed.status == "disabled" and feed.disabled_reason:
        line += f" ({escape(feed.disabled_reason)})"
    elif feed.consecutive_errors and feed.last_error:
        line += f"\n   <i>{escape(feed.last_error[:200])}</i>"
    return line


# --------------------------------------------------------------------------------------------- why


def why_card(detail: ItemDetail, knowledge: Knowledge, lang: str, timezone: str | None) -> list[str]:
    blocks = [item_line(detail.item, lang, timezone)]
    if not detail.matches:
        blocks.append(escape(_("This item is not tagged with any incident.")))
        return blocks
    for match in detail.matches:
        terms = [
            _("«{word}» in the {field} (query term: {term})").format(
                word=entry.get("word", ""),
                field=field_name(entry.get("field", "")),
                term=entry.get("term", ""),
            )
            for entry in match.explanation
        ]
        lines = "\n".join(f"   – {escape(term)}" for term in terms) or "   – " + escape(
            _("no terms recorded")
        )
        title = incident_short_name(knowledge, match.incident_id, lang)
        score = _("score {score}").format(score=f"{match.score:.2f}")
        blocks.append(f"<b>{escape(title)}</b> ({escape(score)})\n{lines}")
    return blocks


def field_name(field: str) -> str:
    return {"title": _("title"), "summary": _("summary")}.get(field, field)
