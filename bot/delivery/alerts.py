"""Spike alerts: a short message when an incident suddenly draws coverage.

Two triggers, checked every 15 minutes:
- volume: the matches published in the last hour exceed the incident's baseline, the mean plus
  three standard deviations of its hourly counts over the 14 days before, and number at least 5;
- story: a story first seen in the last two hours is carried by 3 or more outlets within two
  hours of its first sighting.
Readers who opted in and follow the incident get one alert with the story and its links, at most
one per incident per 6 hours and at most 5 in any 24 hours. An alert row's period key names the
incident and the trigger, so the same trigger never alerts a reader twice.
"""

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiogram.utils.i18n import I18n
from sqlmodel import Session

from bot.delivery.texts import StoryView, Translator, story_lines, story_views
from bot.text import escape
from storage import digest_queries as queries
from storage.deliveries import ALERT, PlannedDelivery, Recipient
from storage.stories import story_incidents

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class AlertRules:
    baseline_days: int = 14
    sigmas: float = 3.0
    min_items: int = 5
    story_outlets: int = 3
    story_window: timedelta = timedelta(hours=2)
    check_every: timedelta = timedelta(minutes=15)
    per_incident_gap: timedelta = timedelta(hours=6)
    daily_limit: int = 5


@dataclass(frozen=True)
class Spike:
    incident_id: str
    trigger: str  # unique per trigger: "volume-2025070309" or "story-42"
    count: int  # reports in the last hour, or outlets carrying the story
    usual: float | None  # the volume threshold; None for a story trigger
    story: StoryView | None

    @property
    def period_key(self) -> str:
        return f"{self.incident_id}/{self.trigger}"

    @property
    def strength(self) -> float:
        """How remarkable the spike is, to pick the one to send when a reader has room for few."""
        return self.count / max(self.usual or 1.0, 1.0)


def volume_threshold(hourly: Sequence[int], sigmas: float) -> float:
    return statistics.fmean(hourly) + sigmas * statistics.pstdev(hourly) if hourly else 0.0


def hourly_counts(times: Iterable[datetime], start: datetime, hours: int) -> list[int]:
    counts = [0] * hours
    for when in times:
        slot = int((when - start) // HOUR)
        if 0 <= slot < hours:
            counts[slot] += 1
    return counts


def volume_spikes(
    times: Iterable[tuple[str, datetime]], now: datetime, rules: AlertRules
) -> dict[str, tuple[int, float]]:
    """Incidents whose last hour beats their baseline: incident → (count, threshold)."""
    hours = rules.baseline_days * 24
    start = now - HOUR - hours * HOUR
    by_incident: dict[str, list[datetime]] = {}
    for incident_id, when in times:
        by_incident.setdefault(incident_id, []).append(when)
    spikes = {}
    for incident_id, moments in by_incident.items():
        last_hour = sum(1 for when in moments if now - HOUR <= when < now)
        threshold = volume_threshold(hourly_counts(moments, start, hours), rules.sigmas)
        if last_hour >= rules.min_items and last_hour > threshold:
            spikes[incident_id] = (last_hour, threshold)
    return spikes


def detect_spikes(session: Session, now: datetime, rules: AlertRules) -> list[Spike]:
    """Both triggers over what is stored now."""
    start = now - HOUR - timedelta(days=rules.baseline_days)
    spikes = []
    for incident_id, (count, threshold) in volume_spikes(
        queries.match_times(session, start, now), now, rules
    ).items():
        views = _views(session, now - HOUR, now, incident_id)
        trigger = f"volume-{(now - HOUR).strftime('%Y%m%d%H')}"
        spikes.append(Spike(incident_id, trigger, count, threshold, views[0] if views else None))
    spikes.extend(_story_spikes(session, now, rules))
    return spikes


def _story_spikes(session: Session, now: datetime, rules: AlertRules) -> list[Spike]:
    # A story that reached its third outlet just inside its two hours is caught by the next check.
    recent = queries.new_stories(session, now - rules.story_window - rules.check_every)
    if not recent:
        return []
    members = queries.story_members(session, [story.id for story in recent], now)
    incidents = story_incidents(session, [story.id for story in recent])
    spikes = []
    for story in recent:
        deadline = story.first_seen_at + rules.story_window
        outlets = {m.outlet_id for m in members if m.story_id == story.id and m.fetched_at <= deadline}
        if len(outlets) < rules.story_outlets:
            continue
        for incident_id in sorted(incidents.get(story.id, ())):
            views = _views(session, story.first_seen_at - HOUR, now, incident_id)
            view = next((v for v in views if v.key == ("story", story.id)), None)
            spikes.append(Spike(incident_id, f"story-{story.id}", len(outlets), None, view))
    return spikes


def _views(session: Session, since: datetime, until: datetime, incident_id: str) -> list[StoryView]:
    rows = queries.coverage(session, since, until, [incident_id])
    story_ids = sorted({row.story_id for row in rows if row.story_id is not None})
    members: dict[int, list[queries.StoryMember]] = {}
    for member in queries.story_members(session, story_ids, until):
        members.setdefault(member.story_id, []).append(member)
    stories = queries.stories_by_id(session, story_ids)
    return story_views(rows, members, stories, queries.outlet_directory(session), until)


def choose_alerts(
    spikes: Sequence[Spike],
    recipients: Sequence[Recipient],
    history: Iterable[tuple[int, str, datetime]],
    now: datetime,
    rules: AlertRules,
) -> list[tuple[Recipient, Spike]]:
    """Who gets which alert, within the limits; `history`: (subscriber, period key, created) of
    alerts already planned in the last day."""
    sent_recently: dict[int, list[tuple[str, datetime]]] = {}
    keys: set[tuple[int, str]] = set()
    for subscriber_id, key, created_at in history:
        keys.add((subscriber_id, key))
        if created_at > now - timedelta(days=1):
            sent_recently.setdefault(subscriber_id, []).append((key.split("/", 1)[0], created_at))
    ranked = sorted(spikes, key=lambda spike: -spike.strength)
    chosen = []
    for recipient in recipients:
        followed = set(recipient.incidents)
        past = sent_recently.setdefault(recipient.subscriber_id, [])
        for spike in ranked:
            if len(past) >= rules.daily_limit:
                break
            if followed and spike.incident_id not in followed:
                continue
            if (recipient.subscriber_id, spike.period_key) in keys:
                continue
            if any(
                incident == spike.incident_id and at > now - rules.per_incident_gap for incident, at in past
            ):
                continue
            chosen.append((recipient, spike))
            past.append((spike.incident_id, now))
    return chosen


def alert_text(spike: Spike, incident: queries.IncidentInfo, t: Translator) -> str:
    heading = f"⚡ <b>{escape(incident.title_in(t.language))}</b>"
    if spike.usual is not None:
        reason = t(
            "{count} report in the last hour (usually up to {usual})",
            "{count} reports in the last hour (usually up to {usual})",
            spike.count,
            count=spike.count,
            usual=round(spike.usual),
        )
    else:
        reason = t(
            "A new story carried by {count} outlet within two hours",
            "A new story carried by {count} outlets within two hours",
            spike.count,
            count=spike.count,
        )
    lines = [heading, escape(reason)]
    if spike.story is not None:
        lines.extend(story_lines(spike.story, t))
    return "\n".join(lines)


def plan_alerts(
    choices: Sequence[tuple[Recipient, Spike]], incidents: Sequence[queries.IncidentInfo], i18n: I18n
) -> list[PlannedDelivery]:
    by_id = {incident.id: incident for incident in incidents}
    texts: dict[tuple[str, str], str] = {}
    planned = []
    for recipient, spike in choices:
        key = (spike.period_key, recipient.language)
        if key not in texts:
            texts[key] = alert_text(spike, by_id[spike.incident_id], Translator(i18n, recipient.language))
        payload = {"parts": [{"type": "text", "html": texts[key]}], "sent_parts": 0}
        planned.append(PlannedDelivery(recipient.subscriber_id, ALERT, spike.period_key, payload))
    return planned
