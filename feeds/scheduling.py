"""When to check a feed next: pure functions of what the last fetches showed.

A news feed is checked about as often as it publishes, between 5 and 60 minutes; a feed silent for a
week drifts out to 4 hours. The feed's own hints (<ttl>, Cache-Control max-age, Expires,
Retry-After) are a floor. Failures keep the normal rhythm three times, then back off exponentially.
"""

import itertools
import random
import statistics
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

MINUTE = 60
HOUR = 3600
DAY = 24 * HOUR

NEWS_MIN_S = 5 * MINUTE
NEWS_MAX_S = 60 * MINUTE
QUIET_MAX_S = 4 * HOUR
QUIET_AFTER = timedelta(days=7)
DEFAULT_INTERVAL_S = 15 * MINUTE
HINT_CAP_S = DAY  # a server asking for more than a day between checks is not obeyed beyond that

FREE_FAILURES = 3
BACKOFF_BASE_S = 15 * MINUTE
BACKOFF_CAP_S = 6 * HOUR
DISABLE_AFTER = timedelta(days=7)

Jitter = Callable[[], float]


def random_jitter() -> float:
    """A factor in [0.9, 1.1]: spreads feeds that would otherwise be due together."""
    return random.uniform(0.9, 1.1)


def interval_from_entries(entry_dates: Sequence[datetime], now: datetime) -> int:
    """Base interval from the feed's publishing rhythm (the median gap between its recent entries)."""
    dates = sorted((date for date in entry_dates if date <= now), reverse=True)[:20]
    if not dates:
        return DEFAULT_INTERVAL_S
    if now - dates[0] >= QUIET_AFTER:
        return QUIET_MAX_S
    if len(dates) < 2:
        return DEFAULT_INTERVAL_S
    gaps = [(newer - older).total_seconds() for newer, older in itertools.pairwise(dates)]
    return int(min(max(statistics.median(gaps), NEWS_MIN_S), NEWS_MAX_S))


def interval_when_unchanged(current_s: int, last_new_item_at: datetime | None, now: datetime) -> int:
    """Nothing new this time: keep the rhythm, unless the feed has now been silent for a week."""
    if last_new_item_at is not None and now - last_new_item_at >= QUIET_AFTER:
        return QUIET_MAX_S
    return min(max(current_s, NEWS_MIN_S), QUIET_MAX_S)


def parse_retry_after(value: str | None, now: datetime) -> int | None:
    """Retry-After is either seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(int(value), HINT_CAP_S)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return min(max(int((when - now).total_seconds()), 0), HINT_CAP_S)


def parse_max_age(cache_control: str | None) -> int | None:
    if not cache_control:
        return None
    for directive in cache_control.lower().split(","):
        name, _, value = directive.strip().partition("=")
        if name in ("max-age", "s-maxage") and value.strip('"').isdigit():
            return int(value.strip('"'))
    return None


def parse_expires(expires: str | None, date: str | None, now: datetime) -> int | None:
    """Seconds until Expires, measured against the server's Date when given (its clock, not ours)."""
    if not expires:
        return None
    try:
        until = parsedate_to_datetime(expires)
        reference = parsedate_to_datetime(date) if date else now
    except (TypeError, ValueError, IndexError):
        return None
    if until.tzinfo is None or reference.tzinfo is None:
        return None
    return max(int((until - reference).total_seconds()), 0)


def server_floor(
    *,
    ttl_s: int | None = None,
    cache_control: str | None = None,
    expires: str | None = None,
    date: str | None = None,
    retry_after: str | None = None,
    now: datetime,
) -> int:
    """The shortest interval the feed asked for, capped at a day."""
    hints = [
        ttl_s,
        parse_max_age(cache_control),
        parse_expires(expires, date, now),
        parse_retry_after(retry_after, now),
    ]
    return min(max((hint for hint in hints if hint), default=0), HINT_CAP_S)


def jittered(interval_s: float, floor_s: int, jitter: Jitter) -> int:
    """±10 % jitter, never below the server's floor."""
    return max(int(interval_s * jitter()), floor_s)


def failure_delay(consecutive_errors: int, normal_interval_s: int) -> int:
    """The first failures keep the normal interval; then 15 min × 2^(n−3), capped at 6 h."""
    if consecutive_errors <= FREE_FAILURES:
        return normal_interval_s
    exponent = min(consecutive_errors - FREE_FAILURES, 16)  # 2^16 × 15 min is far past the cap
    return min(BACKOFF_BASE_S * 2**exponent, BACKOFF_CAP_S)


def disable_reason(status_code: int | None, first_error_at: datetime | None, now: datetime) -> str | None:
    """Why a failing feed should be switched off, or None to keep trying."""
    if status_code == 410:
        return "the server says the feed is gone for good (HTTP 410)"
    if first_error_at is not None and now - first_error_at >= DISABLE_AFTER:
        return f"failing for {(now - first_error_at).days} days"
    return None
