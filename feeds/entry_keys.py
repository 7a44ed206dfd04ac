"""Dedup keys: which stored item a fetched entry is.

The GUID when the feed's GUIDs are trustworthy; GUID + URL where a feed repeats one GUID on several
items; the canonical URL without a GUID; a hash of title and summary without either.
"""

import hashlib
from collections import Counter
from collections.abc import Sequence

from feeds.normalise import NormalisedEntry
from storage.items import ItemRecord

GUID = "g:"
GUID_AND_URL = "gu:"
URL = "u:"
TEXT = "h:"


def _digest(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=20).hexdigest()


def guids_repeat(entries: Sequence[NormalisedEntry]) -> bool:
    counts = Counter(entry.guid for entry in entries if entry.guid)
    return any(count > 1 for count in counts.values())


def entry_key(entry: NormalisedEntry, guids_unreliable: bool) -> str:
    if entry.guid and not guids_unreliable:
        return GUID + _digest(entry.guid)
    if entry.guid:
        return GUID_AND_URL + _digest(entry.guid, entry.canonical_url or entry.content_hash)
    if entry.canonical_url:
        return URL + _digest(entry.canonical_url)
    return TEXT + entry.content_hash


def keyed_items(entries: Sequence[NormalisedEntry], guids_known_unreliable: bool = False) -> list[ItemRecord]:
    """One record per distinct key, first occurrence wins (feeds list the newest first).

    `guids_known_unreliable`: the feed repeated GUIDs in an earlier document. Remembering it keeps the
    keys stable when a later document happens to carry one item per GUID.
    """
    unreliable = guids_known_unreliable or guids_repeat(entries)
    records: dict[str, ItemRecord] = {}
    for entry in entries:
        key = entry_key(entry, unreliable)
        if key in records:
            continue
        records[key] = ItemRecord(
            entry_key=key,
            guid=entry.guid,
            url=entry.url,
            canonical_url=entry.canonical_url,
            title=entry.title,
            summary=entry.summary,
            language=entry.language,
            content_hash=entry.content_hash,
            published_at=entry.published_at,
        )
    return list(records.values())
