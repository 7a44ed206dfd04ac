"""What digests and alerts share: translation for one language, stories as the reader sees them.

Every line rendered here is balanced HTML (tags open and close on it), so `pack_messages` may cut
between any two lines.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from aiogram.utils.i18n import I18n

from bot.text import escape, link
from storage.digest_queries import CoverageRow, OutletInfo, StoryInfo, StoryMember

SIDES = ("russia", "azerbaijan", "international")


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; it is translated where it is shown."""
    return message


SIDE_LABELS = {
    "russia": N_("Russian media"),
    "azerbaijan": N_("Azerbaijani media"),
    "international": N_("International media"),
}
SIDE_ICONS = {"russia": "🇷🇺", "azerbaijan": "🇦🇿", "international": "🌐"}


@dataclass(frozen=True)
class Translator:
    """gettext bound to one language, for text composed outside a handler."""

    i18n: I18n
    language: str

    def __call__(self, message: str, plural: str | None = None, n: int = 1, **values: object) -> str:
        text = self.i18n.gettext(message, plural, n, locale=self.language)
        return text.format(**values) if values else text


@dataclass(frozen=True, slots=True)
class OutletLink:
    name: str
    side: str
    url: str | None


@dataclass(frozen=True, slots=True)
class StoryView:
    """A story within one window: its headlines by language and the outlets that carried it."""

    key: tuple[str, int]  # ("story", story id) or ("item", item id) for an item not grouped yet
    titles: tuple[tuple[str | None, str], ...]  # (language, title), the lead first
    outlets: tuple[OutletLink, ...]  # first carrier first
    latest_at: datetime
    reports: int  # matched items in the window

    def headline(self, language: str) -> str:
        """The title in the reader's language where an outlet in that language carried the story."""
        for title_language, title in self.titles:
            if title_language == language and title.strip():
                return title
        return next((title for _, title in self.titles if title.strip()), "")


def story_views(
    rows: Sequence[CoverageRow],
    members: Mapping[int, Sequence[StoryMember]],
    stories: Mapping[int, StoryInfo],
    outlets: Mapping[int, OutletInfo],
    until: datetime,
) -> list[StoryView]:
    """Group one incident's matched items into stories, most outlets first, then most recent.

    `members`: every item of each story; those fetched from `until` on are not news yet.
    """
    grouped: dict[tuple[str, int], list[CoverageRow]] = {}
    for row in rows:
        key = ("story", row.story_id) if row.story_id is not None else ("item", row.item_id)
        grouped.setdefault(key, []).append(row)
    views = []
    for key, story_rows in grouped.items():
        carriers: Sequence[CoverageRow | StoryMember] = story_rows
        titles: list[tuple[str | None, str]] = []
        if key[0] == "story":
            known = [member for member in members.get(key[1], ()) if member.fetched_at < until]
            carriers = [*known, *story_rows]
            info = stories.get(key[1])
            if info is not None:
                titles.append((info.language, info.title))
        titles.extend((carrier.language, carrier.title) for carrier in carriers)
        links: dict[int, OutletLink] = {}
        for carrier in carriers:
            outlet = outlets.get(carrier.outlet_id)
            if outlet is not None and carrier.outlet_id not in links:
                links[carrier.outlet_id] = OutletLink(
                    outlet.name, outlet.side, carrier.url or outlet.homepage
                )
        latest = max(row.fetched_at for row in story_rows)
        reports = len({row.item_id for row in story_rows})
        views.append(StoryView(key, tuple(titles), tuple(links.values()), latest, reports))
    views.sort(key=lambda view: (-len(view.outlets), -view.latest_at.timestamp(), view.key))
    return views


def outlet_link(outlet: OutletLink) -> str:
    return link(outlet.url, outlet.name) if outlet.url else escape(outlet.name)


def story_lines(story: StoryView, t: Translator) -> list[str]:
    """The headline, then one line per side with the outlets that carried the story."""
    headline = story.headline(t.language) or t("Untitled report")
    lines = [f"• <b>{escape(headline)}</b>"]
    for side in SIDES:
        carriers = [outlet_link(outlet) for outlet in story.outlets if outlet.side == side]
        if carriers:
            lines.append(
                f"    {SIDE_ICONS[side]} <i>{escape(t(SIDE_LABELS[side]))}:</i> {', '.join(carriers)}"
            )
    return lines
