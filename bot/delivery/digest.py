"""Digest composition: per subscriber, per followed incident, the top stories and who carried them.

A planning run loads the coverage it needs once (`DigestCorpus.load`); every digest is then
composed in memory. Subscribers who share a window, an incident filter and a language get the
same text, so it is composed once per such combination.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from aiogram.utils.i18n import I18n
from babel.dates import format_date
from sqlmodel import Session

from bot.delivery.schedule import zone
from bot.delivery.texts import StoryView, Translator, story_lines, story_views
from bot.text import escape, pack_messages
from storage import digest_queries as queries
from storage.deliveries import Recipient
from storage.digest_queries import STALE_AFTER, CoverageRow, IncidentInfo, StoryMember


@dataclass(frozen=True)
class DigestConfig:
    top_stories: int = 5
    default_window: timedelta = timedelta(hours=24)
    longest_window: timedelta = timedelta(days=7)  # after a long silence, a week at most
    chart_days: int = 14


@dataclass(frozen=True, slots=True)
class Window:
    since: datetime
    until: datetime

    @property
    def previous(self) -> "Window":
        """The window of the same length just before: 'the previous day' for a daily digest."""
        return Window(self.since - (self.until - self.since), self.since)


def digest_window(last_digest_at: datetime | None, now: datetime, config: DigestConfig) -> Window:
    """Since the last digest (or the default window), at most `longest_window` back."""
    since = (
        last_digest_at if last_digest_at is not None and last_digest_at < now else now - config.default_window
    )
    return Window(max(since, now - config.longest_window), now)


@dataclass(frozen=True)
class Digest:
    messages: list[str]  # HTML, each within Telegram's limit
    quiet: bool  # nothing new: `messages` is the one-line notice, or empty when the reader opted out
    chart: dict | None = None  # a chart part for the broadcaster, when the reader wants one

    def parts(self) -> list[dict]:
        parts: list[dict] = [{"type": "text", "html": message} for message in self.messages]
        if self.chart is not None:
            parts.append(self.chart)
        return parts

    def payload(self, window: Window) -> dict:
        return {
            "parts": self.parts(),
            "sent_parts": 0,
            "window": [window.since.isoformat(), window.until.isoformat()],
        }


@dataclass
class DigestCorpus:
    """The coverage of one planning run: matches, their stories, outlets and incidents."""

    incidents: list[IncidentInfo]
    outlets: dict[int, queries.OutletInfo]
    rows: list[CoverageRow]  # every match fetched in the loaded span, oldest first
    members: dict[int, list[StoryMember]]
    stories: dict[int, queries.StoryInfo]
    _in_window: dict[Window, list[CoverageRow]] = field(default_factory=dict, repr=False)
    _ranked: dict[tuple[Window, str], list[StoryView]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, session: Session, windows: Iterable[Window]) -> "DigestCorpus":
        """Everything the digests of `windows` and of their previous windows need, in a few queries."""
        windows = list(windows)
        if not windows:
            return cls(queries.incident_directory(session), {}, [], {}, {})
        since = min(window.previous.since for window in windows)
        until = max(window.until for window in windows)
        rows = queries.coverage(session, since, until)
        story_ids = sorted({row.story_id for row in rows if row.story_id is not None})
        members: dict[int, list[StoryMember]] = {}
        for member in queries.story_members(session, story_ids, until):
            members.setdefault(member.story_id, []).append(member)
        return cls(
            incidents=queries.incident_directory(session),
            outlets=queries.outlet_directory(session),
            rows=rows,
            members=members,
            stories=queries.stories_by_id(session, story_ids),
        )

    @cached_property
    def incident_ids(self) -> tuple[str, ...]:
        return tuple(incident.id for incident in self.incidents)

    def in_window(self, window: Window) -> list[CoverageRow]:
        if window not in self._in_window:
            fresh_after = window.since - STALE_AFTER
            self._in_window[window] = [
                row
                for row in self.rows
                if window.since <= row.fetched_at < window.until and row.published_at >= fresh_after
            ]
        return self._in_window[window]

    def ranked(self, window: Window, incident_id: str) -> list[StoryView]:
        key = (window, incident_id)
        if key not in self._ranked:
            rows = [row for row in self.in_window(window) if row.incident_id == incident_id]
            self._ranked[key] = story_views(rows, self.members, self.stories, self.outlets, window.until)
        return self._ranked[key]


def followed(incident_ids: Sequence[str], wanted: Sequence[str]) -> tuple[str, ...]:
    """A reader's incidents in display order; an empty filter follows them all."""
    chosen = set(wanted)
    return tuple(i for i in incident_ids if i in chosen) if chosen else tuple(incident_ids)


def chart_part(incidents: Sequence[IncidentInfo], until: datetime, tz: str, t: Translator, days: int) -> dict:
    """A chart part: what the broadcaster (or /trend) needs to draw the trend chart."""
    return {
        "type": "chart",
        "caption": escape(t("Reports per day, last {days} days", days=days)),
        "spec": {
            "incidents": [incident.id for incident in incidents],
            "labels": [incident.title_in(t.language) for incident in incidents],
            "days": days,
            "until": until.isoformat(),
            "timezone": tz,
            "title": t("Reports per day"),
        },
    }


def _heading(t: Translator, day: str) -> str:
    heading = t("Digest · {day}", day=day)
    return f"<b>{escape(heading)}</b>"


class DigestComposer:
    def __init__(self, corpus: DigestCorpus, i18n: I18n, config: DigestConfig | None = None) -> None:
        self.corpus = corpus
        self.i18n = i18n
        self.config = config or DigestConfig()
        self._texts: dict[tuple, tuple[list[str], bool]] = {}
        self._blocks: dict[tuple[str, Window, str], str] = {}
        self._titles = {incident.id: incident for incident in corpus.incidents}

    def compose(self, recipient: Recipient, window: Window, *, on_demand: bool = False) -> Digest:
        """The digest `recipient` gets for `window`; `on_demand` (the /digest command) ignores the
        quiet-day opt-out, since the reader asked."""
        incidents = followed(self.corpus.incident_ids, recipient.incidents)
        local_day = window.until.astimezone(zone(recipient.timezone)).date()
        day = format_date(local_day, "d MMMM", locale=recipient.language)
        key = (window, incidents, recipient.language, day)
        if key not in self._texts:
            self._texts[key] = self._compose_text(
                incidents, window, Translator(self.i18n, recipient.language), day
            )
        messages, quiet = self._texts[key]
        if quiet and not recipient.quiet_digest and not on_demand:
            return Digest([], quiet=True)
        chart = None
        if recipient.chart_enabled and not quiet:
            t = Translator(self.i18n, recipient.language)
            shown = [self._titles[incident] for incident in incidents]
            chart = chart_part(shown, window.until, recipient.timezone, t, self.config.chart_days)
        return Digest(list(messages), quiet, chart)

    def _compose_text(
        self, incidents: tuple[str, ...], window: Window, t: Translator, day: str
    ) -> tuple[list[str], bool]:
        blocks = [self._incident_block(incident, window, t) for incident in incidents]
        blocks = [block for block in blocks if block]
        if not blocks:
            notice = t("No new coverage since the last digest.")
            return [f"{_heading(t, day)} — {escape(notice)}"], True
        return pack_messages([self._header(incidents, window, t, day), *blocks]), False

    def _header(self, incidents: tuple[str, ...], window: Window, t: Translator, day: str) -> str:
        wanted = set(incidents)
        rows = [row for row in self.corpus.in_window(window) if row.incident_id in wanted]
        previous = {
            row.item_id for row in self.corpus.in_window(window.previous) if row.incident_id in wanted
        }
        reports = len({row.item_id for row in rows})
        stories = len({("story", row.story_id) if row.story_id else ("item", row.item_id) for row in rows})
        outlets = len({row.outlet_id for row in rows})
        totals = " · ".join(
            (
                t("{count} report", "{count} reports", reports, count=reports),
                t("{count} story", "{count} stories", stories, count=stories),
                t("{count} outlet", "{count} outlets", outlets, count=outlets),
            )
        )
        change = reports - len(previous)
        if change:
            signed = f"{change:+d}"
            trend = t("{change} vs the previous day", change=signed)
        else:
            trend = t("as many as the previous day")
        return f"{_heading(t, day)}\n{escape(totals)} ({escape(trend)})"

    def _incident_block(self, incident_id: str, window: Window, t: Translator) -> str:
        key = (incident_id, window, t.language)
        if key not in self._blocks:
            self._blocks[key] = self._render_incident(incident_id, window, t)
        return self._blocks[key]

    def _render_incident(self, incident_id: str, window: Window, t: Translator) -> str:
        stories = self.corpus.ranked(window, incident_id)
        if not stories:
            return ""
        reports = sum(story.reports for story in stories)
        title = self._titles[incident_id].title_in(t.language)
        count = t("{count} report", "{count} reports", reports, count=reports)
        lines = [f"<b>{escape(title)}</b> — {escape(count)}"]
        top = stories[: self.config.top_stories]
        for story in top:
            lines.extend(story_lines(story, t))
        hidden = len(stories) - len(top)
        if hidden:
            lines.append(
                escape(t("…and {count} more story", "…and {count} more stories", hidden, count=hidden))
            )
        return "\n".join(lines)
