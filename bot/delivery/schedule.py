"""When a subscriber's digest is due: pure functions of an aware `now`, a wall-clock time and a zone.

A digest period is a local calendar date. Its due instant is when the subscriber's wall clock
reads their digest time on that date, computed per date through zoneinfo, so a daylight-saving
change neither skips nor doubles a day: a time that does not exist that day (the spring gap) is
taken as the same wall time in the offset before the change, i.e. moved forward by the gap; a
time that happens twice (the autumn overlap) is its first occurrence.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True, slots=True)
class DigestPeriod:
    key: str  # the local date, YYYY-MM-DD: one digest row per subscriber and key
    local_date: date
    due_at: datetime  # aware UTC


def parse_digest_time(value: str) -> time:
    hours, minutes = value.strip().split(":")
    return time(int(hours), int(minutes))


@lru_cache(maxsize=1024)
def zone(name: str, fallback: str = "UTC") -> ZoneInfo:
    """The IANA zone `name`; an unknown name (a zone removed from tzdata) falls back rather than fails."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(fallback)


def due_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant the wall clock in `tz` reads `at` on `day` (fold=0: see the module docstring)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def due_period(
    now: datetime, at: time, tz: ZoneInfo, not_before: datetime | None = None
) -> DigestPeriod | None:
    """The latest period whose due instant has passed at `now`: today's, else yesterday's.

    After downtime this is the period that was missed (catch-up), never several. None when that
    instant is not after `not_before` (the subscriber's last digest or creation): nothing is owed.
    """
    today = now.astimezone(tz).date()
    for day in (today, today - timedelta(days=1)):
        due = due_instant(day, at, tz)
        if due <= now:
            if not_before is not None and due <= not_before:
                return None
            return DigestPeriod(day.isoformat(), day, due)
    return None


def next_due(now: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The first due instant after `now`."""
    day = now.astimezone(tz).date()
    while (due := due_instant(day, at, tz)) <= now:
        day += timedelta(days=1)
    return due
