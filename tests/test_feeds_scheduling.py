from datetime import UTC, datetime, timedelta

import pytest

from feeds import scheduling as s

NOW = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)


def every(minutes: float, count: int = 10, newest_ago: timedelta = timedelta(0)) -> list[datetime]:
    return [NOW - newest_ago - timedelta(minutes=minutes * n) for n in range(count)]


@pytest.mark.parametrize(
    ("dates", "expected_s"),
    [
        (every(1), 5 * 60),  # a busy wire: never more often than every 5 minutes
        (every(12), 12 * 60),
        (every(45), 45 * 60),
        (every(180), 60 * 60),  # slow but alive: at least hourly
        (every(180, newest_ago=timedelta(days=8)), 4 * 3600),  # silent for a week
        (every(30, count=1), s.DEFAULT_INTERVAL_S),  # one dated entry says nothing about rhythm
        ([], s.DEFAULT_INTERVAL_S),
        ([NOW + timedelta(days=3), *every(20)], 20 * 60),  # future dates are ignored
    ],
)
def test_interval_follows_the_publishing_rhythm(dates, expected_s):
    assert s.interval_from_entries(dates, NOW) == expected_s


def test_interval_when_unchanged_keeps_the_rhythm_until_a_week_of_silence():
    assert s.interval_when_unchanged(900, NOW - timedelta(days=2), NOW) == 900
    assert s.interval_when_unchanged(900, NOW - timedelta(days=7), NOW) == 4 * 3600
    assert s.interval_when_unchanged(60, None, NOW) == 5 * 60


@pytest.mark.parametrize(
    ("hints", "floor_s"),
    [
        ({}, 0),
        ({"ttl_s": 1800}, 1800),
        ({"cache_control": "public, max-age=600"}, 600),
        ({"cache_control": "no-cache"}, 0),
        ({"expires": "Tue, 01 Jul 2025 13:00:00 GMT", "date": "Tue, 01 Jul 2025 12:30:00 GMT"}, 1800),
        ({"expires": "Tue, 01 Jul 2025 12:20:00 GMT"}, 1200),  # no Date: measured from our clock
        ({"expires": "0"}, 0),
        ({"retry_after": "120"}, 120),
        ({"retry_after": "Tue, 01 Jul 2025 12:10:00 GMT"}, 600),
        ({"ttl_s": 600, "cache_control": "max-age=3000", "retry_after": "60"}, 3000),
        ({"cache_control": "max-age=31536000"}, 24 * 3600),  # a year: capped at a day
    ],
)
def test_server_floor_is_the_longest_hint(hints, floor_s):
    assert s.server_floor(now=NOW, **hints) == floor_s


@pytest.mark.parametrize(
    ("factor", "interval", "floor", "expected"),
    [(0.9, 1000, 0, 900), (1.1, 1000, 0, 1100), (0.9, 1000, 950, 950), (1.0, 300, 1800, 1800)],
)
def test_jitter_never_goes_below_the_floor(factor, interval, floor, expected):
    assert s.jittered(interval, floor, lambda: factor) == expected


def test_random_jitter_stays_within_ten_percent():
    factors = [s.random_jitter() for _ in range(1000)]
    assert 0.9 <= min(factors) < 0.95 and 1.05 < max(factors) <= 1.1


@pytest.mark.parametrize(
    ("errors", "delay_s"),
    [
        (1, 900),
        (2, 900),
        (3, 900),
        (4, 30 * 60),
        (5, 60 * 60),
        (6, 2 * 3600),
        (7, 4 * 3600),
        (8, 6 * 3600),
        (40, 6 * 3600),
    ],
)
def test_failures_back_off_after_three(errors, delay_s):
    assert s.failure_delay(errors, normal_interval_s=900) == delay_s


def test_disable_on_410_or_after_seven_days_of_failures():
    assert "410" in s.disable_reason(410, NOW, NOW)
    assert s.disable_reason(500, NOW - timedelta(days=6, hours=23), NOW) is None
    assert "7 days" in s.disable_reason(500, NOW - timedelta(days=7), NOW)
    assert s.disable_reason(None, None, NOW) is None


@pytest.mark.parametrize("value", [None, "", "soon", "Tue, 01 Jul 2025 12:10:00"])
def test_unreadable_retry_after_is_ignored(value):
    assert s.parse_retry_after(value, NOW) is None
