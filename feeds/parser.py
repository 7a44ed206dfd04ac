"""Bytes to normalised entries with feedparser.

feedparser gets the raw bytes and the Content-Type header, never decoded text, so it can honour the
XML declaration, the BOM or the charset parameter (a windows-1251 feed without a declaration comes
out right). Its HTML sanitiser and relative-URI rewriting are switched off: they are slow, and
`feeds.normalise` reduces everything to plain text and resolves item links itself.
"""

import io
import re
from dataclasses import dataclass, field
from datetime import datetime

import feedparser

from feeds.normalise import NormalisedEntry, normalise_entry

MAX_TTL_S = 24 * 3600

# The prolog is everything before the root element; DOCTYPEs only live there.
_ROOT_ELEMENT = re.compile(rb"<[A-Za-z_]")
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.I)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class FeedDocument:
    """What one fetched body yielded: entries, the feed's own <ttl>, or why it was refused."""

    entries: list[NormalisedEntry] = field(default_factory=list)
    ttl_s: int | None = None
    problem: str | None = None
    version: str = ""

    @property
    def entry_dates(self) -> list[datetime]:
        """Dates the feed itself gave (not fetch-time stand-ins): the publishing rhythm."""
        return [entry.published_at for entry in self.entries if entry.dated]


def refuse_entity_declarations(body: bytes) -> str | None:
    """Entity declarations serve billion-laughs expansion and XXE file reads; no real feed needs them."""
    prolog = body[: _prolog_end(body)]
    if prolog.startswith(_UTF16_BOMS):
        prolog = prolog.decode("utf-16", errors="replace").encode("utf-8")
    if _DOCTYPE.search(prolog) and _ENTITY_DECLARATION.search(prolog):
        return (
            "refused: the DOCTYPE declares entities (entity expansion and external entities are not allowed)"
        )
    return None


def _prolog_end(body: bytes) -> int:
    if body.startswith(_UTF16_BOMS):  # every other byte is NUL: search the decoded text instead
        return min(len(body), 64 * 1024)
    match = _ROOT_ELEMENT.search(body)
    return match.start() if match else len(body)


def _ttl_seconds(value: object) -> int | None:
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return min(minutes * 60, MAX_TTL_S) if minutes > 0 else None


def parse_document(
    body: bytes,
    content_type: str | None,
    url: str,
    declared_language: str | None,
    fetched_at: datetime,
) -> FeedDocument:
    """Parse and normalise one feed body; problems come back in `problem`, nothing is raised."""
    if not body.strip():
        return FeedDocument(problem="empty body")
    refused = refuse_entity_declarations(body)
    if refused:
        return FeedDocument(problem=refused)
    # No Content-Location: feedparser would resolve relative GUIDs against it too, and a GUID must not
    # change when the feed moves. Item links are resolved against `url` in `normalise_entry` instead.
    headers = {"content-type": content_type} if content_type else {}
    # A stream, never bare bytes: feedparser tries to open() bytes as a local path first, so a body
    # that reads "/etc/passwd" would be read from this machine's disk.
    parsed = feedparser.parse(
        io.BytesIO(body), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        reason = parsed.get("bozo_exception")
        return FeedDocument(problem=f"not a feed ({reason})" if reason else "not a feed")
    channel = parsed.get("feed", {})
    language = declared_language or channel.get("language")
    entries = [normalise_entry(entry, url, language, fetched_at) for entry in parsed.entries]
    return FeedDocument(entries=entries, ttl_s=_ttl_seconds(channel.get("ttl")), version=version)
