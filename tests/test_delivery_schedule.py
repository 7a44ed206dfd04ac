"""When digests are due: table tests over time zones, DST transitions, edge times and downtime."""

from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.schedule import due_instant, due_period, next_due, parse_digest_time, zone


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "at", "tz", "expected"),
    [
        ("2025-07-03", "09:00", "Asia/Baku", utc(2025, 7, 3, 5, 0)),
        ("2025-07-03", "09:00", "Asia/Kolkata", utc(2025, 7, 3, 3, 30)),
        ("2025-07-03", "00:00", "Europe/Moscow", utc(2025, 7, 2, 21, 0)),
        ("2025-07-03", "23:59", "America/Los_Angeles", utc(2025, 7, 4, 6, 59)),
        # Europe/London springs forward 01:00 → 02:00 on 30 March: 01:30 does not exist, moved to 02:30 BST.
        ("2025-03-30", "01:30", "Europe/London", utc(2025, 3, 30, 1, 30)),
        ("2025-03-30", "09:00", "Europe/London", utc(2025, 3, 30, 8, 0)),
        ("2025-03-29", "09:00", "Europe/London", utc(2025, 3, 29, 9, 0)),
        # and falls back 02:00 → 01:00 on 26 October: 01:30 happens twice, the first (BST) counts.
        ("2025-10-26", "01:30", "Europe/London", utc(2025, 10, 26, 0, 30)),
        # America/New_York: 02:30 does not exist on 9 March, 01:30 happens twice on 2 November.
        ("2025-03-09", "02:30", "America/New_York", utc(2025, 3, 9, 7, 30)),
        ("2025-11-02", "01:30", "America/New_York", utc(2025, 11, 2, 5, 30)),
    ],
)
def test_due_instant(day, at, tz, expected):
    assert due_instant(datetime.fromisoformat(day).date(), parse_digest_time(at), ZoneInfo(tz)) == expected


@pytest.mark.parametrize(
    ("now", "at", "tz", "not_before", "expected_key"),
    [
        (utc(2025, 7, 3, 5, 0), "09:00", "Asia/Baku", None, "2025-07-03"),  # exactly on time
        (
            utc(2025, 7, 3, 4, 59),
            "09:00",
            "Asia/Baku",
            None,
            "2025-07-02",
        ),  # not yet: yesterday's is the latest
        (utc(2025, 7, 3, 4, 59), "09:00", "Asia/Baku", utc(2025, 7, 2, 5, 0), None),  # …and it was sent
        (utc(2025, 7, 3, 6, 0), "09:00", "Asia/Baku", utc(2025, 7, 2, 5, 0), "2025-07-03"),
        # 00:00 and 23:59: the local date, not the UTC one, names the period.
        (utc(2025, 7, 2, 21, 0), "00:00", "Europe/Moscow", None, "2025-07-03"),
        (utc(2025, 7, 4, 6, 59), "23:59", "America/Los_Angeles", None, "2025-07-03"),
        (utc(2025, 7, 4, 7, 30), "23:59", "America/Los_Angeles", utc(2025, 7, 4, 6, 59), None),
        # Downtime: the service was off from before yesterday's digest until now: one catch-up digest.
        (utc(2025, 7, 5, 3, 0), "09:00", "Asia/Baku", utc(2025, 7, 2, 5, 0), "2025-07-04"),
        # A chat created after today's digest time waits for tomorrow.
        (utc(2025, 7, 3, 12, 0), "09:00", "Asia/Baku", utc(2025, 7, 3, 11, 0), None),
    ],
)
def test_due_period(now, at, tz, not_before, expected_key):
    period = due_period(now, parse_digest_time(at), ZoneInfo(tz), not_before)
    assert (period.key if period else None) == expected_key
    if period:
        assert period.due_at <= now


def fire_digests(tz: str, at: str, start: datetime, days: int, step: timedelta) -> list[tuple[str, datetime]]:
    """Run the every-minute rule over `days` with a coarse `step`: which periods fire, and when."""
    fired: list[tuple[str, datetime]] = []
    keys: set[str] = set()
    last: datetime | None = start
    now = start
    while now < start + timedelta(days=days):
        period = due_period(now, parse_digest_time(at), ZoneInfo(tz), last)
        if period and period.key not in keys:
            keys.add(period.key)
            fired.append((period.key, now))
            last = now
        now += step
    return fired


@pytest.mark.parametrize(
    ("tz", "at", "start"),
    [
        ("Europe/London", "01:30", utc(2025, 3, 27)),  # through the spring gap
        ("Europe/London", "01:30", utc(2025, 10, 23)),  # through the autumn overlap
        ("America/New_York", "02:30", utc(2025, 3, 6)),
        ("America/New_York", "01:30", utc(2025, 10, 30)),
        ("America/New_York", "00:00", utc(2025, 3, 6)),
        ("Europe/London", "23:59", utc(2025, 3, 27)),
        ("Australia/Lord_Howe", "02:15", utc(2025, 4, 3)),  # a half-hour DST shift
        ("Asia/Baku", "09:00", utc(2025, 3, 27)),
    ],
)
def test_one_digest_per_local_day_across_dst(tz, at, start):
    fired = fire_digests(tz, at, start, days=7, step=timedelta(minutes=5))
    dates = [datetime.fromisoformat(key).date() for key, _ in fired]
    assert len(dates) == len(set(dates))  # never doubled
    assert all(b - a == timedelta(days=1) for a, b in pairwise(dates))  # never skipped
    assert len(dates) in (7, 8)  # a week: seven or eight local dates depending on the start hour
    for key, when in fired:
        due = due_instant(datetime.fromisoformat(key).date(), parse_digest_time(at), ZoneInfo(tz))
        assert timedelta(0) <= when - due < timedelta(minutes=5)  # on time, to the tick


def test_next_due_skips_to_tomorrow_once_today_has_passed():
    baku = ZoneInfo("Asia/Baku")
    assert next_due(utc(2025, 7, 3, 4, 0), time(9, 0), baku) == utc(2025, 7, 3, 5, 0)
    assert next_due(utc(2025, 7, 3, 5, 0), time(9, 0), baku) == utc(2025, 7, 4, 5, 0)


def test_unknown_zone_falls_back_to_utc():
    assert zone("Mars/Olympus_Mons") == ZoneInfo("UTC")
    assert zone("Asia/Baku") == ZoneInfo("Asia/Baku")
