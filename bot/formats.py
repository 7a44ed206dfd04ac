"""Dates, times and country names in the reader's language (CLDR data through Babel)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_skeleton


def event_date(value: date, precision: str, lang: str) -> str:
    """A knowledge-base date as precise as it is known: 25 December 2024, December 2024, 2024."""
    if precision == "year":
        return str(value.year)
    if precision == "month":
        return format_skeleton("yMMMM", value, locale=lang)
    return format_date(value, "long", locale=lang)


def since_date(value: date, precision: str, lang: str) -> str:
    """The same, worded to follow "since": the month in its format form (Russian "с июня 2022")."""
    if precision == "year":
        return str(value.year)
    if precision == "month":
        return format_date(value, "MMMM y", locale=lang)
    return format_date(value, "d MMMM y", locale=lang)


def date_span(start: date | None, end: date | None, precision: str, lang: str) -> str:
    if start is None:
        return "—"
    if end is None or end == start:
        return event_date(start, precision, lang)
    return f"{event_date(start, precision, lang)} – {event_date(end, 'day', lang)}"


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def short_datetime(moment: datetime, timezone: str | None, lang: str) -> str:
    """`3 Jul 16:05` in the reader's time zone."""
    local = zone(timezone)
    return f"{format_skeleton('MMMd', moment, tzinfo=local, locale=lang)} {format_skeleton('Hm', moment, tzinfo=local, locale=lang)}"


def short_date(moment: date | datetime, lang: str) -> str:
    return format_skeleton("yMMMd", moment, locale=lang)


def country(code: str, lang: str) -> str:
    return Locale.parse(lang).territories.get(code.upper(), code)
