"""Sample news feeds for the offline demo: their YAML schema, the loader and RSS/Atom/RDF rendering.

The items are written relative to the moment the demo starts (`hours_ago`), so the daily digest and the
14-day trend chart always have content, whatever the date.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

import yaml
from pydantic import AfterValidator, Field, TypeAdapter, model_validator

# StrictYamlLoader rejects a repeated key, an easy slip in a long hand-written YAML file.
from bot.knowledge.loader import StrictYamlLoader
from bot.knowledge.schema import HttpsUrl, IncidentId, Lang, Model, Slug, Text

DEFAULT_SAMPLE_FEEDS = Path(__file__).with_name("sample_feeds.yaml")
TREND_DAYS = 14  # the span of the demo's trend chart; older items would never show

FeedFormat = Literal["rss", "atom", "rdf"]
Encoding = Literal["utf-8", "windows-1251"]
CONTENT_TYPES: dict[str, str] = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "rdf": "application/rdf+xml",
}

# XML 1.0 forbids these characters even as character references.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value: str) -> str:
    if match := _NOT_XML.search(value):
        raise ValueError(f"character {match.group()!r} cannot appear in an XML document")
    return value


XmlText = Annotated[Text, AfterValidator(_xml_text)]


class SampleItem(Model):
    """One news item; its date is `hours_ago` hours before the moment the feed is rendered."""

    guid: XmlText | None = None
    title: XmlText
    summary: XmlText  # an HTML fragment, as outlets publish it
    link: HttpsUrl
    hours_ago: float = Field(ge=0, lt=TREND_DAYS * 24)
    # The incidents the item is about, as its author intends: ground truth for the demo-quality tests;
    # the product never reads it. Unrelated news says `[]`.
    incidents: tuple[IncidentId, ...]


class SampleFeed(Model):
    """One outlet's feed as the demo serves it at `path`."""

    outlet: Slug
    path: str
    format: FeedFormat
    encoding: Encoding
    language: Lang
    title: XmlText
    link: HttpsUrl  # the outlet's homepage
    items: tuple[SampleItem, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> SampleFeed:
        if self.path != f"/{self.outlet}.xml":
            raise ValueError(f"path must be /{self.outlet}.xml (got {self.path!r})")
        site = _site(self.link)
        for index, item in enumerate(self.items):
            host = urlsplit(item.link).hostname or ""
            if host != site and not host.endswith("." + site):
                raise ValueError(f"items[{index}].link {item.link!r} is not on the outlet's site {site}")
        for what, values in (
            ("guid", [i.guid for i in self.items if i.guid]),
            ("link", [i.link for i in self.items]),
        ):
            if repeated := [value for value, count in Counter(values).items() if count > 1]:
                raise ValueError(f"repeated item {what}: {repeated[0]!r}")
        # Character references would keep the document valid, but a windows-1251 feed should carry its
        # Cyrillic as real windows-1251 bytes.
        for text in (self.title, *(t for i in self.items for t in (i.title, i.summary))):
            try:
                text.encode(self.encoding)
            except UnicodeEncodeError as error:
                raise ValueError(
                    f"{text[:40]!r}… cannot be encoded in {self.encoding}: {error.reason}"
                ) from None
        return self


def _site(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


_FEED_LIST = TypeAdapter(list[SampleFeed])


def load_sample_feeds(path: Path = DEFAULT_SAMPLE_FEEDS) -> list[SampleFeed]:
    """Read and validate the sample feeds; raises yaml.YAMLError, pydantic.ValidationError or ValueError."""
    feeds = _FEED_LIST.validate_python(yaml.load(path.read_text(encoding="utf-8"), Loader=StrictYamlLoader))
    if repeated := [slug for slug, count in Counter(f.outlet for f in feeds).items() if count > 1]:
        raise ValueError(f"{path}: outlet {repeated[0]!r} has more than one feed")
    return feeds


def published_at(item: SampleItem, now: datetime) -> datetime:
    """The item's date when the feed is rendered at `now`, in UTC and to the second."""
    return (now.astimezone(UTC) - timedelta(hours=item.hours_ago)).replace(microsecond=0)


def render_feed(feed: SampleFeed, now: datetime) -> tuple[bytes, str]:
    """The feed document as of `now` (timezone-aware), encoded in the feed's encoding, and its Content-Type."""
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    body = _RENDERERS[feed.format](feed, now.astimezone(UTC).replace(microsecond=0))
    document = f'<?xml version="1.0" encoding="{feed.encoding}"?>\n{body}'
    # xmlcharrefreplace is only a safety net: the schema already checked that the text fits the encoding.
    return document.encode(feed.encoding, errors="xmlcharrefreplace"), (
        f"{CONTENT_TYPES[feed.format]}; charset={feed.encoding}"
    )


def _element(tag: str, text: str, **attributes: str) -> str:
    attrs = "".join(f" {name}={quoteattr(value)}" for name, value in attributes.items())
    return f"<{tag}{attrs}>{escape(text)}</{tag}>"


def _rfc822(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _render_rss(feed: SampleFeed, now: datetime) -> str:
    lines = [
        '<rss version="2.0">',
        "<channel>",
        _element("title", feed.title),
        _element("link", feed.link),
        _element("description", feed.title),
        _element("language", feed.language),
        _element("lastBuildDate", _rfc822(now)),
    ]
    for item in feed.items:
        lines += [
            "<item>",
            _element("title", item.title),
            _element("link", item.link),
            _element("description", item.summary),
            _element("pubDate", _rfc822(published_at(item, now))),
        ]
        if item.guid:
            permalink = "true" if item.guid == item.link else "false"
            lines.append(_element("guid", item.guid, isPermaLink=permalink))
        lines.append("</item>")
    return "\n".join([*lines, "</channel>", "</rss>", ""])


def _render_atom(feed: SampleFeed, now: datetime) -> str:
    lines = [
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(feed.language)}>',
        _element("title", feed.title, type="text"),
        f'<link rel="alternate" href={quoteattr(feed.link)}/>',
        _element("id", feed.link),
        _element("updated", _rfc3339(now)),
        f"<author>{_element('name', feed.title)}</author>",
    ]
    for item in feed.items:
        moment = _rfc3339(published_at(item, now))
        lines += [
            "<entry>",
            _element("title", item.title, type="text"),
            f'<link rel="alternate" href={quoteattr(item.link)}/>',
            _element("id", item.guid or item.link),  # Atom requires an id; the link is the usual fallback
            _element("published", moment),
            _element("updated", moment),
            _element("summary", item.summary, type="html"),
            "</entry>",
        ]
    return "\n".join([*lines, "</feed>", ""])


def _render_rdf(feed: SampleFeed, now: datetime) -> str:
    about = [item.guid or item.link for item in feed.items]
    lines = [
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        f"<channel rdf:about={quoteattr(feed.link)}>",
        _element("title", feed.title),
        _element("link", feed.link),
        _element("description", feed.title),
        _element("dc:language", feed.language),
        _element("dc:date", _rfc3339(now)),
        "<items><rdf:Seq>",
        *(f"<rdf:li rdf:resource={quoteattr(resource)}/>" for resource in about),
        "</rdf:Seq></items>",
        "</channel>",
    ]
    for item, resource in zip(feed.items, about, strict=True):
        lines += [
            f"<item rdf:about={quoteattr(resource)}>",
            _element("title", item.title),
            _element("link", item.link),
            _element("description", item.summary),
            _element("dc:date", _rfc3339(published_at(item, now))),
            "</item>",
        ]
    return "\n".join([*lines, "</rdf:RDF>", ""])


_RENDERERS: dict[str, Callable[[SampleFeed, datetime], str]] = {
    "rss": _render_rss,
    "atom": _render_atom,
    "rdf": _render_rdf,
}
