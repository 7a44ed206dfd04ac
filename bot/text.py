"""Telegram HTML text: escaping, length as Telegram counts it, splitting into messages.

Telegram limits a message to 4096 UTF-16 code units of text after the HTML is parsed, so the
tags do not count but an emoji outside the Basic Multilingual Plane counts twice.
"""

import html
import re
from collections.abc import Iterable

MESSAGE_LIMIT = 4096
_TAG = re.compile(r"<[^>]*>")


def escape(text: object) -> str:
    """Escape external text (feed titles, user input) for Telegram HTML."""
    return html.escape(str(text), quote=False)


def link(url: str, label: str) -> str:
    return f'<a href="{html.escape(url, quote=True)}">{escape(label)}</a>'


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def visible_len(html_text: str) -> int:
    """The length Telegram checks: UTF-16 units of the text once tags are parsed away."""
    return utf16_len(html.unescape(_TAG.sub("", html_text)))


def plain_text(html_text: str) -> str:
    return html.unescape(_TAG.sub("", html_text))


def pack_messages(blocks: Iterable[str], limit: int = MESSAGE_LIMIT, separator: str = "\n\n") -> list[str]:
    """Pack HTML blocks into as few messages as fit, splitting only between blocks or lines.

    Each line of a block must be balanced HTML (tags open and close on the same line), which is
    how every message of the bot is composed; so a cut at a line boundary never falls inside a tag.
    A single line longer than the limit loses its markup and is cut as escaped plain text.
    """
    messages: list[str] = []
    current = ""
    for block in blocks:
        for piece in _fit(block, limit):
            joined = f"{current}{separator}{piece}" if current else piece
            if visible_len(joined) <= limit:
                current = joined
                continue
            if current:
                messages.append(current)
            current = piece
    if current:
        messages.append(current)
    return messages


def _fit(block: str, limit: int) -> list[str]:
    """The block itself when it fits, else its lines regrouped, else chunks of an overlong line."""
    if visible_len(block) <= limit:
        return [block]
    pieces: list[str] = []
    current = ""
    for line in block.split("\n"):
        for part in [line] if visible_len(line) <= limit else _cut_plain(plain_text(line), limit):
            joined = f"{current}\n{part}" if current else part
            if visible_len(joined) <= limit:
                current = joined
            else:
                pieces.append(current)
                current = part
    if current:
        pieces.append(current)
    return pieces


def _cut_plain(text: str, limit: int) -> list[str]:
    chunks, current = [], ""
    for char in text:
        if utf16_len(current + char) > limit:
            chunks.append(escape(current))
            current = ""
        current += char
    if current:
        chunks.append(escape(current))
    return chunks
