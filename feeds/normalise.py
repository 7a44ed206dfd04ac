"""Turning feedparser's loose values into clean ones: plain text, canonical URLs, UTC dates, language."""

import calendar
import hashlib
import html
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

MAX_TITLE_CHARS = 1000
MAX_SUMMARY_CHARS = 8000
MAX_URL_CHARS = 2000

# --- text -------------------------------------------------------------------------------------------

_INVISIBLE_BLOCKS = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_BREAKING_TAGS = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|blockquote|section|article)\b[^>]*>", re.I
)
_TAG = re.compile(r"</?[A-Za-z!][^>]*>")
# A summary cut mid-tag by the outlet ends in `<a href="…` with no `>`: drop that tail.
_TRUNCATED_TAG = re.compile(r"</?(?:a|img|p|div|span|br|b|i|em|strong|font|iframe)\b[^>]*$", re.I)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200e\u200f\ufeff]")


def plain_text(markup: str | None, limit: int = MAX_SUMMARY_CHARS) -> str:
    """HTML or text to one line of plain text: tags stripped, entities decoded, whitespace folded."""
    if not markup:
        return ""
    text = markup
    if "<" in text:
        text = _CDATA.sub(r"\1", text)
        text = _INVISIBLE_BLOCKS.sub(" ", text)
        text = _BREAKING_TAGS.sub(" ", text)
        text = _TRUNCATED_TAG.sub("", _TAG.sub("", text))
    if "&" in text:
        text = html.unescape(text)
        if _TAG.search(text):  # markup escaped twice (`&lt;p&gt;`): strip it and decode its entities
            text = html.unescape(_TAG.sub("", _BREAKING_TAGS.sub(" ", text)))
    text = _CONTROL.sub("", text)
    text = " ".join(text.split())  # folds every Unicode space, far faster than a regex
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


# --- URLs -------------------------------------------------------------------------------------------

_TRACKING_PARAMS = frozenset(
    {"yclid", "ysclid", "fbclid", "gclid", "dclid", "msclkid", "_openstat", "mc_cid", "mc_eid", "igshid"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ABSOLUTE_WEB_URL = re.compile(r"https?://[^/?#\s]", re.I)
_MAYBE_TRACKING = re.compile(r"utm_|clid|_openstat|mc_[ce]id|igshid", re.I)


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("utm_") or lowered in _TRACKING_PARAMS


def absolute_url(link: str | None, base: str | None) -> str | None:
    """Resolve an item link against the feed's base URL; None for empty or non-web links."""
    if not link:
        return None
    link = link.strip()
    if _ABSOLUTE_WEB_URL.match(link):  # the usual case: no need to join
        return link if len(link) <= MAX_URL_CHARS else None
    try:
        resolved = urljoin(base, link) if base else link
    except ValueError:
        return None
    if not _ABSOLUTE_WEB_URL.match(resolved) or len(resolved) > MAX_URL_CHARS:
        return None
    return resolved


def canonical_url(url: str | None) -> str | None:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = parts.query
    if query and _MAYBE_TRACKING.search(query):
        # Filter the raw `name=value` pairs: the rest of the query keeps its exact encoding.
        kept = [
            pair
            for pair in query.split("&")
            if pair and not _is_tracking(unquote_plus(pair.split("=", 1)[0]))
        ]
        query = "&".join(kept)
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


# --- dates ------------------------------------------------------------------------------------------

FUTURE_TOLERANCE = timedelta(minutes=10)  # clock skew; later dates are outlets' time-zone mistakes
OLDEST_PLAUSIBLE = datetime(1995, 1, 1, tzinfo=UTC)


def entry_datetime(parsed: time.struct_time | None) -> datetime | None:
    """feedparser's parsed dates are naive UTC struct_times: timegm, never mktime."""
    if parsed is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def published_at(parsed: datetime | None, fetched_at: datetime) -> datetime:
    """The date to store: missing or implausibly old → fetch time; in the future → clamped to it."""
    if parsed is None or parsed < OLDEST_PLAUSIBLE:
        return fetched_at
    if parsed > fetched_at + FUTURE_TOLERANCE:
        return fetched_at
    return parsed


# --- language ---------------------------------------------------------------------------------------

_SCHWA = re.compile(r"[əƏ]")
_AZERBAIJANI_LATIN = re.compile(r"[əƏğĞıİşŞçÇöÖüÜ]")
# Letters are counted on the UTF-8 bytes, at C speed: Cyrillic (U+0400–U+04FF) starts with a lead
# byte D0–D3, Latin letters are A–Z, a–z or (U+00C0–U+024F) a lead byte C3–C9.
_ALL_BYTES = bytes(range(256))
_NOT_CYRILLIC = bytes(b for b in _ALL_BYTES if not 0xD0 <= b <= 0xD3)
_NOT_LATIN = bytes(
    b for b in _ALL_BYTES if not ((chr(b).isascii() and chr(b).isalpha()) or 0xC3 <= b <= 0xC9)
)
_CYRILLIC_LANGUAGES = frozenset({"ru", "uk", "be", "kk", "ky", "tg", "bg", "sr", "mk", "mn"})


def base_language(code: str | None) -> str | None:
    """`ru-RU` → `ru`; None stays None."""
    if not code:
        return None
    return code.strip().replace("_", "-").split("-", 1)[0].lower() or None


def detect_language(text: str, declared: str | None) -> str | None:
    """The outlet's declared language, refined by the script the text is written in.

    Cyrillic text is Russian unless the outlet declares another Cyrillic language; Latin text with
    ə (or Turkic letters in an outlet declared Azerbaijani) is Azerbaijani; other Latin text is
    English unless the outlet declares another Latin-script language.
    """
    declared = base_language(declared)
    encoded = text.encode()
    cyrillic = len(encoded.translate(None, _NOT_CYRILLIC))
    latin = len(encoded.translate(None, _NOT_LATIN))
    if cyrillic == 0 and latin == 0:
        return declared
    if cyrillic >= latin:
        return declared if declared in _CYRILLIC_LANGUAGES else "ru"
    if _SCHWA.search(text) or (declared == "az" and _AZERBAIJANI_LATIN.search(text)):
        return "az"
    if declared is None or declared in _CYRILLIC_LANGUAGES or declared == "az":
        return "en"
    return declared


# --- entries ----------------------------------------------------------------------------------------

_HASH_SEPARATOR = "\x1f"


@dataclass(frozen=True, slots=True)
class NormalisedEntry:
    """One feed entry with clean values; `dated` says whether the date came from the feed."""

    guid: str | None
    url: str | None
    canonical_url: str | None
    title: str
    summary: str
    language: str | None
    published_at: datetime
    dated: bool
    content_hash: str


def content_hash(title: str, summary: str) -> str:
    return hashlib.blake2b(f"{title}{_HASH_SEPARATOR}{summary}".encode(), digest_size=16).hexdigest()


def normalise_entry(
    entry: Mapping[str, Any], base_url: str | None, declared_language: str | None, fetched_at: datetime
) -> NormalisedEntry:
    """A feedparser entry (with sanitising and URI resolution switched off) to clean values."""
    title = plain_text(entry.get("title"), MAX_TITLE_CHARS)
    summary_markup = entry.get("summary")
    if not summary_markup and entry.get("content"):
        summary_markup = entry["content"][0].get("value")
    summary = plain_text(summary_markup)
    if summary == title:
        summary = ""
    url = absolute_url(entry.get("link"), base_url)
    guid = (entry.get("id") or "").strip()[:MAX_URL_CHARS] or None
    parsed = None
    for field in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry_datetime(entry.get(field))
        if parsed is not None:
            break
    date = published_at(parsed, fetched_at)
    return NormalisedEntry(
        guid=guid,
        url=url,
        canonical_url=canonical_url(url),
        title=title,
        summary=summary,
        language=detect_language(f"{title} {summary[:200]}", declared_language),
        published_at=date,
        dated=parsed is not None and date == parsed,
        content_hash=content_hash(title, summary),
    )
