"""A fake Telegram Bot API server that the real aiogram client talks to over a loopback socket.

It implements the part of the Bot API crisisdesk uses, validates requests the way Telegram does
(HTML parse mode, message length in UTF-16 code units, inline keyboards, edits), records every call,
lets tests play users who send messages and press buttons, and injects faults: scripted error
replies, dropped connections, blocked chats and a global rate limit.

Error descriptions are Telegram's own wherever they are known; the HTML parser follows tdlib's
``parse_html`` (which the Bot API server uses), except that it is stricter about ``&`` in text:
Telegram documents that every ``&`` outside an entity must be escaped but silently keeps a bare one,
while this fake rejects it so that escaping bugs show up in tests. Only the HTML parse mode is
implemented; Markdown modes are refused with an explicit description.
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
import mimetypes
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Self
from urllib.parse import urlsplit

from aiohttp import web

BOT_FIRST_NAME = "crisisdesk"
BOT_USERNAME = "crisisdesk_bot"
MAX_MESSAGE_UTF16 = 4096
MAX_CAPTION_UTF16 = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
FIRST_UPDATE_ID = 700_000_001
# Telegram downscales photos so that the longer side fits these bounds (thumbnail, full size).
PHOTO_SIDES = (90, 1280)

_TOKEN_RE = re.compile(r"^(\d+):[\w-]+$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_BOT_COMMAND_IN_TEXT_RE = re.compile(r"(?<![\w/<>])/[a-zA-Z0-9_]{1,64}(?:@[a-zA-Z0-9_]{3,32})?(?![\w/<>])")
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

# How form values are decoded: aiogram JSON-encodes everything that is not a plain string.
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
    }
)
_INT_FIELDS = frozenset(
    {"chat_id", "message_id", "offset", "limit", "timeout", "cache_time", "message_thread_id"}
)
_BOOL_FIELDS = frozenset(
    {
        "disable_web_page_preview",
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_content_type_detection",
        "has_spoiler",
        "show_caption_above_media",
    }
)


class TelegramApiError(Exception):
    """An error reply, shaped like Telegram's: HTTP status = error_code."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        reply: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            reply["parameters"] = {"retry_after": self.retry_after}
        return reply


def _bad_request(description: str) -> TelegramApiError:
    return TelegramApiError(400, f"Bad Request: {description}")


# --------------------------------------------------------------------------------------------------
# Telegram's HTML parse mode
# --------------------------------------------------------------------------------------------------

_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "tg-time",
        "code",
        "pre",
        "blockquote",
    }
)
_PLAIN_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
}
_NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE = re.compile(r"&(?:#x([0-9a-fA-F]+)|#([0-9]+)|([a-zA-Z]+))(;?)")
_NAME_TOKEN_RE = re.compile(r"[A-Za-z0-9.-]*")
_HTML_SPACE = " \t\n\r\v\f"


class HtmlParseError(ValueError):
    """Telegram would answer "Bad Request: can't parse entities: <message>"."""


@dataclass(frozen=True)
class ParsedText:
    """Text as the user sees it, with Bot API MessageEntity dicts (offsets in UTF-16 units)."""

    text: str
    entities: list[dict[str, Any]]


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _decode_html_entity(source: str, pos: int, *, need_semicolon: bool) -> tuple[str, int] | None:
    """The character encoded by the entity starting at ``source[pos] == "&"`` and where it ends."""
    match = _HTML_ENTITY_RE.match(source, pos)
    if match is None or (need_semicolon and not match.group(4)):
        return None
    hex_digits, decimal_digits, name, _ = match.groups()
    if name is not None:
        char = _NAMED_HTML_ENTITIES.get(name)
        return None if char is None else (char, match.end())
    code = int(hex_digits, 16) if hex_digits is not None else int(decimal_digits)
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


@dataclass
class _OpenTag:
    name: str
    attributes: dict[str, str]
    utf16_start: int
    text_start: int


class _HtmlParser:
    """A port of tdlib's parse_html rules: whitelisted tags, properly nested, few entities."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.chunks: list[str] = []
        self.text_length = 0
        self.utf16_offset = 0
        self.open_tags: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def parse(self) -> ParsedText:
        source = self.source
        while self.pos < len(source):
            char = source[self.pos]
            if char == "&":
                self._text_entity()
            elif char == "<":
                if source.startswith("</", self.pos):
                    self._end_tag()
                else:
                    self._start_tag()
            else:
                self._emit(char)
                self.pos += 1
        if self.open_tags:
            name = self.open_tags[-1].name
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{name}"')
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)  # a language only survives on <pre><code>
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return ParsedText("".join(self.chunks), self.entities)

    def _byte_offset(self, pos: int) -> int:
        return len(self.source[:pos].encode("utf-8", "surrogatepass"))

    def _emit(self, text: str) -> None:
        self.chunks.append(text)
        self.text_length += len(text)
        self.utf16_offset += utf16_length(text)

    def _text_entity(self) -> None:
        decoded = _decode_html_entity(self.source, self.pos, need_semicolon=True)
        if decoded is None:
            raise HtmlParseError(
                f'Unsupported HTML entity at byte offset {self._byte_offset(self.pos)}: "&" must be escaped '
                "as &amp;; only &lt; &gt; &amp; &quot; and numeric entities are supported"
            )
        char, self.pos = decoded
        self._emit(char)

    def _skip_spaces(self) -> None:
        while self.pos < len(self.source) and self.source[self.pos] in _HTML_SPACE:
            self.pos += 1

    def _read_until(self, stops: str) -> str:
        start = self.pos
        while self.pos < len(self.source) and self.source[self.pos] not in stops:
            self.pos += 1
        return self.source[start : self.pos]

    def _start_tag(self) -> None:
        begin = self.pos
        at = self._byte_offset(begin)
        self.pos += 1
        name = self._read_until(_HTML_SPACE + ">").lower()
        if self.pos >= len(self.source):
            raise HtmlParseError(f"Unclosed start tag at byte offset {at}")
        if name not in _HTML_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {at}')
        attributes: dict[str, str] = {}
        while True:
            self._skip_spaces()
            if self.pos >= len(self.source):
                raise HtmlParseError(f'Unclosed start tag "{name}" at byte offset {at}')
            if self.source[self.pos] == ">":
                break
            attribute = self._read_until(_HTML_SPACE + "=>").lower()
            if not attribute:
                raise HtmlParseError(f'Empty attribute name in the tag "{name}" at byte offset {at}')
            self._skip_spaces()
            if self.pos >= len(self.source):
                raise HtmlParseError(f'Unclosed start tag "{name}" at byte offset {at}')
            if self.source[self.pos] != "=":
                if name == "blockquote" and attribute == "expandable":
                    attributes[attribute] = ""
                    continue
                raise HtmlParseError(
                    "Expected equal sign in declaration of an attribute "
                    f'of the tag "{name}" at byte offset {at}'
                )
            self.pos += 1
            self._skip_spaces()
            if self.pos >= len(self.source):
                raise HtmlParseError(f'Unclosed start tag "{name}" at byte offset {at}')
            attributes[attribute] = self._attribute_value()
        self.pos += 1
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
        self.open_tags.append(_OpenTag(name, attributes, self.utf16_offset, self.text_length))

    def _attribute_value(self) -> str:
        quote = self.source[self.pos]
        if quote not in "'\"":
            token_start = self.pos
            token = _NAME_TOKEN_RE.match(self.source, self.pos)
            assert token is not None  # the pattern matches the empty string
            self.pos = token.end()
            if self.pos >= len(self.source) or self.source[self.pos] not in _HTML_SPACE + ">":
                raise HtmlParseError(
                    f"Unexpected end of name token at byte offset {self._byte_offset(token_start)}"
                )
            return token.group().lower()
        self.pos += 1
        value: list[str] = []
        while self.pos < len(self.source) and self.source[self.pos] != quote:
            # Like Telegram, attribute values tolerate a bare "&" (aiogram does not escape hrefs).
            decoded = None
            if self.source[self.pos] == "&":
                decoded = _decode_html_entity(self.source, self.pos, need_semicolon=False)
            if decoded is None:
                value.append(self.source[self.pos])
                self.pos += 1
            else:
                char, self.pos = decoded
                value.append(char)
        self.pos += 1
        return "".join(value)

    def _end_tag(self) -> None:
        at = self._byte_offset(self.pos)
        if not self.open_tags:
            raise HtmlParseError(f"Unexpected end tag at byte offset {at}")
        self.pos += 2
        name = self._read_until(_HTML_SPACE + ">").lower()
        self._skip_spaces()
        if self.pos >= len(self.source) or self.source[self.pos] != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {at}")
        self.pos += 1
        tag = self.open_tags.pop()
        if name and name != tag.name:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {at}, expected "</{tag.name}>", found "</{name}>"'
            )
        length = self.utf16_offset - tag.utf16_start
        if length > 0:
            self._add_entity(tag, length)

    def _add_entity(self, tag: _OpenTag, length: int) -> None:
        entity: dict[str, Any] = {"offset": tag.utf16_start, "length": length}
        previous = self.entities[-1] if self.entities else None
        same_range = previous is not None and (previous["offset"], previous["length"]) == (
            tag.utf16_start,
            length,
        )
        if tag.name in _PLAIN_ENTITY_TYPES:
            entity["type"] = _PLAIN_ENTITY_TYPES[tag.name]
        elif tag.name == "a":
            entity["type"] = "text_link"
            entity["url"] = tag.attributes.get("href") or "".join(self.chunks)[tag.text_start :]
        elif tag.name == "code":
            entity["type"] = "code"
            language = tag.attributes.get("class", "")
            if language.startswith("language-"):
                entity["language"] = language.removeprefix("language-")
        elif tag.name == "pre":
            if same_range and previous["type"] == "code" and previous.get("language"):
                previous["type"] = "pre"  # <pre><code class="language-x"> is one pre entity
                return
            entity["type"] = "pre"
        elif tag.name == "blockquote":
            entity["type"] = "expandable_blockquote" if "expandable" in tag.attributes else "blockquote"
        elif tag.name == "tg-emoji":
            emoji_id = tag.attributes.get("emoji-id", "")
            if not emoji_id.isdigit() or int(emoji_id) == 0:
                raise HtmlParseError("Invalid custom emoji identifier specified")
            entity["type"] = "custom_emoji"
            entity["custom_emoji_id"] = emoji_id
        elif tag.name == "tg-time":
            unix = tag.attributes.get("unix", "")
            if not unix.isdigit():
                raise HtmlParseError("Invalid Unix time specified")
            entity["type"] = "date_time"
            entity["unix_time"] = int(unix)
            if "format" in tag.attributes:
                entity["date_time_format"] = tag.attributes["format"]
        self.entities.append(entity)


def parse_telegram_html(source: str) -> ParsedText:
    """Parse text in Telegram's HTML parse mode; raises HtmlParseError where Telegram would refuse."""
    return _HtmlParser(source).parse()


# --------------------------------------------------------------------------------------------------
# What tests inspect and script
# --------------------------------------------------------------------------------------------------


@dataclass
class RecordedCall:
    """One Bot API request. ``status`` is None while a long poll is pending or after a dropped connection."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]]
    at: float
    status: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class SentMessage:
    """A message the bot sent and Telegram accepted; ``text`` is the text or caption as sent."""

    chat_id: int
    message_id: int
    method: str
    text: str | None
    plain_text: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    link_preview_options: dict[str, Any] | None
    disable_web_page_preview: bool | None
    file: tuple[str, bytes] | None
    at: float

    @property
    def link_preview_disabled(self) -> bool:
        options = self.link_preview_options or {}
        return bool(options.get("is_disabled") or self.disable_web_page_preview)


@dataclass(frozen=True)
class Fault:
    """A scripted failure, delivered instead of the normal reply."""

    status: int
    description: str
    retry_after: int | None = None
    drop_connection: bool = False

    @classmethod
    def too_many_requests(cls, retry_after: int) -> Self:
        return cls(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)

    @classmethod
    def bot_blocked(cls) -> Self:
        return cls(403, "Forbidden: bot was blocked by the user")

    @classmethod
    def chat_not_found(cls) -> Self:
        return cls(400, "Bad Request: chat not found")

    @classmethod
    def server_error(cls, status: int = 500) -> Self:
        return cls(status, HTTPStatus(status).phrase)

    @classmethod
    def connection_drop(cls) -> Self:
        return cls(0, "connection dropped", drop_connection=True)


@dataclass
class _ScheduledFault:
    fault: Fault
    method: str | None
    chat_id: int | None
    remaining: int

    def matches(self, method: str, params: Mapping[str, Any]) -> bool:
        if self.method is None:
            # An untargeted fault hits chat-directed calls only, never polling or startup calls.
            if "chat_id" not in params:
                return False
        elif self.method.lower() != method.lower():
            return False
        return self.chat_id is None or params.get("chat_id") == self.chat_id


class _TokenBucket:
    """Global rate limit: bursts up to one second's worth of calls, refilled continuously."""

    def __init__(self, per_second: float) -> None:
        self.per_second = per_second
        self.capacity = max(1.0, per_second)
        self.tokens = self.capacity
        self.updated = time.monotonic()

    def take(self) -> int | None:
        """None if the call may go ahead, else the whole seconds to wait."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return max(1, math.ceil((1 - self.tokens) / self.per_second))


@dataclass
class _Chat:
    id: int
    first_name: str
    blocked: bool = False
    last_message_id: int = 0
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "first_name": self.first_name, "type": "private"}


def _now() -> int:
    return int(time.time())


# --------------------------------------------------------------------------------------------------
# Request decoding and validation helpers
# --------------------------------------------------------------------------------------------------


def _decode_params(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Turn wire values (strings, or JSON values from a JSON body) into Python values."""
    params: dict[str, Any] = {}
    for name, value in raw.items():
        if isinstance(value, str):
            if name in _JSON_FIELDS:
                try:
                    value = json.loads(value)
                except ValueError:
                    what = "reply keyboard markup" if name == "reply_markup" else name
                    raise _bad_request(f"can't parse {what} JSON object") from None
            elif name in _INT_FIELDS:
                # A non-numeric chat_id is a @username; this fake only has private chats.
                value = int(value) if re.fullmatch(r"-?\d+", value) else value
            elif name in _BOOL_FIELDS:
                value = value.lower() in ("true", "1")
        params[name] = value
    return params


def _int_param(params: Mapping[str, Any], name: str, default: int) -> int:
    value = params.get(name, default)
    if not isinstance(value, int):
        raise _bad_request(f"wrong parameter {name} in request")
    return value


def _formatted_text(
    text: Any, parse_mode: str | None, *, limit: int, empty: str, too_long: str
) -> ParsedText:
    if not isinstance(text, str) or not text.strip():
        raise _bad_request(empty)
    if not parse_mode:
        parsed = ParsedText(text, [])
    elif parse_mode.lower() == "html":
        try:
            parsed = parse_telegram_html(text)
        except HtmlParseError as error:
            raise _bad_request(f"can't parse entities: {error}") from None
    else:
        raise _bad_request(f"unsupported parse_mode {parse_mode!r} (this fake implements only HTML)")
    visible = parsed.text.strip()
    if not visible:
        raise _bad_request(empty)
    if utf16_length(visible) > limit:
        raise _bad_request(too_long)
    return parsed


def _valid_button_url(url: Any) -> bool:
    if not isinstance(url, str) or not url or any(char.isspace() for char in url):
        return False
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme == "tg":
        return bool(parts.netloc)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "." in (parts.hostname or "")


def _validate_reply_markup(markup: Any) -> dict[str, Any] | None:
    """The inline keyboard to show under the message, if any; raises what Telegram raises."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return None  # reply keyboards and removals are accepted and not shown on the message
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request("can't parse inline keyboard markup JSON object")
    buttons = [button for row in rows for button in row]
    if len(buttons) > 100:
        raise _bad_request("reply markup is too long")
    for button in buttons:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise _bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
        if not button["text"].strip():
            raise _bad_request("can't parse inline keyboard button: Text must be non-empty")
        actions = [name for name in _BUTTON_ACTIONS if name in button]
        if not actions:
            raise _bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
            )
        if len(actions) > 1:
            raise _bad_request(
                f"can't parse inline keyboard button: exactly one action field is allowed, got {actions}"
            )
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise _bad_request("BUTTON_DATA_INVALID")
        if "url" in button and not _valid_button_url(button["url"]):
            raise _bad_request("BUTTON_URL_INVALID")
    return markup if buttons else None


def _image_size(content: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF or JPEG image; None for anything else."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    if content[:6] in (b"GIF87a", b"GIF89a") and len(content) >= 10:
        return int.from_bytes(content[6:8], "little"), int.from_bytes(content[8:10], "little")
    if content.startswith(b"\xff\xd8"):
        pos = 2
        while pos + 9 < len(content) and content[pos] == 0xFF:
            marker = content[pos + 1]
            segment_length = int.from_bytes(content[pos + 2 : pos + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height = int.from_bytes(content[pos + 5 : pos + 7], "big")
                return int.from_bytes(content[pos + 7 : pos + 9], "big"), height
            pos += 2 + segment_length
    return None


def _scaled(width: int, height: int, longest: int) -> tuple[int, int]:
    factor = min(1.0, longest / max(width, height))
    return max(1, round(width * factor)), max(1, round(height * factor))


# --------------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------------

_Handler = Callable[[dict[str, Any], dict[str, Any], dict[str, tuple[str, bytes]]], Awaitable[Any]]


class FakeTelegramServer:
    """Bot API over HTTP on loopback; one instance plays Telegram for one bot."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, rate_limit_per_s: float | None = None):
        self.host = host
        self.port = port
        self.method_counts: Counter[str] = Counter()
        self.replies_429 = 0
        self._rate_limit = _TokenBucket(rate_limit_per_s) if rate_limit_per_s else None
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._closing = False
        self._changed = asyncio.Event()
        self._calls: list[RecordedCall] = []
        self._sent: list[SentMessage] = []
        self._chats: dict[int, _Chat] = {}
        self._faults: list[_ScheduledFault] = []
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = FIRST_UPDATE_ID
        self._filtered_updates = 0
        self._allowed_updates: frozenset[str] | None = None  # None: Telegram's default set
        self._poll_generation = 0
        self._open_callback_queries: set[str] = set()
        self._callback_counter = 0
        self._files: dict[str, tuple[str, bytes]] = {}
        self._file_counter = 0
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "deleteWebhook": self._delete_webhook,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendChatAction": self._send_chat_action,
        }
        self._methods_by_lower_name = {name.lower(): name for name in self._handlers}

    # ---- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # handler_cancellation: a client that gives up a long poll must not leave it running here.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._base_url = f"http://{self.host}:{self.port}"
        self._closing = False

    async def stop(self) -> None:
        self._closing = True
        self._notify()  # pending long polls return at once
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For ``TelegramAPIServer.from_base``."""
        if self._base_url is None:
            raise RuntimeError("FakeTelegramServer is not started")
        return self._base_url

    # ---- simulated users -------------------------------------------------------------------------

    def add_chat(self, chat_id: int, first_name: str = "Tester") -> None:
        """Make a private chat exist, as if the user had opened it earlier."""
        self._chat(chat_id, first_name)

    @property
    def known_chats(self) -> frozenset[int]:
        return frozenset(self._chats)

    def block_chat(self, chat_id: int) -> None:
        """The user blocks the bot: every call aimed at the chat gets 403 from now on."""
        self._chat(chat_id).blocked = True

    def unblock_chat(self, chat_id: int) -> None:
        self._chat(chat_id).blocked = False

    def push_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        language_code: str = "en",
        first_name: str | None = None,
    ) -> dict[str, Any]:
        """The user writes ``text`` in a private chat with the bot; returns the queued update."""
        chat = self._chat(chat_id, first_name)
        message: dict[str, Any] = {
            "message_id": chat.next_message_id(),
            "from": self._user(chat, user_id, language_code, first_name),
            "chat": chat.as_json(),
            "date": _now(),
            "text": text,
        }
        commands = [
            {
                "type": "bot_command",
                "offset": utf16_length(text[: m.start()]),
                "length": utf16_length(m.group()),
            }
            for m in _BOT_COMMAND_IN_TEXT_RE.finditer(text)
        ]
        if commands:
            message["entities"] = commands
        chat.messages[message["message_id"]] = message
        return self._queue_update("message", copy.deepcopy(message))

    def push_callback(
        self,
        chat_id: int,
        data: str,
        message_id: int,
        *,
        user_id: int | None = None,
        language_code: str = "en",
        first_name: str | None = None,
        require_button: bool = True,
    ) -> dict[str, Any]:
        """The user presses an inline button of a bot message; returns the queued update.

        With ``require_button`` the message's current keyboard must have a button with that data,
        as a real client only offers existing buttons; pass False to simulate a stale client.
        """
        chat = self._chat(chat_id, first_name)
        message = chat.messages.get(message_id)
        if message is None or not message["from"]["is_bot"]:
            raise ValueError(f"chat {chat_id} has no bot message {message_id} to press a button on")
        if require_button:
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            offered = [button.get("callback_data") for row in rows for button in row]
            if data not in offered:
                raise ValueError(f"message {message_id} offers callback data {offered}, not {data!r}")
        self._callback_counter += 1
        query_id = str(4_000_000_000_000_000 + self._callback_counter)
        self._open_callback_queries.add(query_id)
        query = {
            "id": query_id,
            "from": self._user(chat, user_id, language_code, first_name),
            "message": copy.deepcopy(message),
            "chat_instance": str(-(10**18) + chat_id),
            "data": data,
        }
        return self._queue_update("callback_query", query)

    @property
    def pending_update_count(self) -> int:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return len(self._updates)

    # ---- fault injection -------------------------------------------------------------------------

    def inject(
        self, fault: Fault, *, method: str | None = None, chat_id: int | None = None, times: int = 1
    ) -> None:
        """Queue ``fault`` for the next ``times`` matching calls.

        Without ``method`` it matches only calls that carry a chat_id (sends, edits, chat actions),
        so polling and startup calls are never hit by accident.
        """
        self._faults.append(_ScheduledFault(fault, method, chat_id, times))

    # ---- inspection ------------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        if method is None:
            return list(self._calls)
        return [call for call in self._calls if call.method.lower() == method.lower()]

    def sent_messages(self, chat_id: int | None = None) -> list[SentMessage]:
        return [sent for sent in self._sent if chat_id is None or sent.chat_id == chat_id]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """The message as the user sees it now (edits applied), in Bot API JSON."""
        return copy.deepcopy(self._chats[chat_id].messages[message_id])

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, str]]:
        return list(self._commands.get((self._scope_key(scope), language_code), []))

    async def wait_until(
        self, predicate: Callable[[], bool], *, timeout: float = 5.0, what: str = ""
    ) -> None:
        """Resolve as soon as ``predicate()`` holds; it is re-checked after every call and update."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(
                f"fake Telegram: {what or 'condition'} not reached within {timeout}s; {self._summary()}"
            ) from None

    async def wait_for_messages(
        self, n: int, chat_id: int | None = None, timeout: float = 5.0
    ) -> list[SentMessage]:
        """Wait until at least ``n`` messages were accepted (in ``chat_id``); returns them all."""
        await self.wait_until(
            lambda: len(self.sent_messages(chat_id)) >= n, timeout=timeout, what=f"{n} sent messages"
        )
        return self.sent_messages(chat_id)

    async def wait_for_calls(self, method: str, n: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """Wait until ``n`` calls of ``method`` have been answered; returns them all."""

        def answered() -> list[RecordedCall]:
            return [call for call in self.calls(method) if call.status is not None]

        await self.wait_until(lambda: len(answered()) >= n, timeout=timeout, what=f"{n} {method} calls")
        return answered()

    def _summary(self) -> str:
        return (
            f"{len(self._sent)} messages sent, calls {dict(self.method_counts)}, "
            f"{len(self._updates)} updates pending, {self._filtered_updates} filtered out by allowed_updates"
        )

    # ---- internals: state ------------------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _chat(self, chat_id: int, first_name: str | None = None) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat(chat_id, first_name or "Tester")
        return chat

    @staticmethod
    def _user(chat: _Chat, user_id: int | None, language_code: str, first_name: str | None) -> dict[str, Any]:
        return {
            "id": chat.id if user_id is None else user_id,
            "is_bot": False,
            "first_name": first_name or chat.first_name,
            "language_code": language_code,
        }

    def _queue_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        # Like Telegram, allowed_updates decides which updates are created from now on.
        if self._allowed_updates is None or kind in self._allowed_updates:
            self._updates.append(update)
        else:
            self._filtered_updates += 1
        self._notify()
        return copy.deepcopy(update)

    @staticmethod
    def _scope_key(scope: Any) -> str:
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

    # ---- internals: HTTP -------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        token_match = _TOKEN_RE.match(request.match_info["token"])
        if token_match is None:
            return web.json_response(TelegramApiError(401, "Unauthorized").body(), status=401)
        bot = {
            "id": int(token_match.group(1)),
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
        }
        method = self._methods_by_lower_name.get(request.match_info["method"].lower())
        raw, files = await self._read_request(request)
        call = RecordedCall(method or request.match_info["method"], dict(raw), files, time.monotonic())
        self._calls.append(call)
        self.method_counts[call.method] += 1
        try:
            if method is None:
                raise TelegramApiError(404, "Not Found: method not found")
            call.params = _decode_params(raw)
            fault = self._take_fault(method, call.params)
            if fault is not None and fault.drop_connection:
                call.description = fault.description
                if request.transport is not None:
                    request.transport.close()
                raise web.HTTPServiceUnavailable()  # never reaches the client: the socket is gone
            if fault is not None:
                raise TelegramApiError(fault.status, fault.description, fault.retry_after)
            self._apply_rate_limit(method)
            result = await self._handlers[method](bot, call.params, files)
            call.status = 200
            return web.json_response({"ok": True, "result": result})
        except TelegramApiError as error:
            call.status, call.description = error.status, error.description
            return web.json_response(error.body(), status=error.status)
        finally:
            self._notify()

    @staticmethod
    async def _read_request(request: web.Request) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, tuple[str, bytes]] = {}
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                raw.update(body)
        elif request.body_exists:
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[name] = (value.filename, value.file.read())
                else:
                    raw[name] = value
        return raw, files

    def _take_fault(self, method: str, params: Mapping[str, Any]) -> Fault | None:
        for scheduled in self._faults:
            if scheduled.matches(method, params):
                scheduled.remaining -= 1
                if scheduled.remaining <= 0:
                    self._faults.remove(scheduled)
                return scheduled.fault
        return None

    def _apply_rate_limit(self, method: str) -> None:
        if self._rate_limit is None or method == "getUpdates":
            return
        retry_after = self._rate_limit.take()
        if retry_after is not None:
            self.replies_429 += 1
            fault = Fault.too_many_requests(retry_after)
            raise TelegramApiError(fault.status, fault.description, fault.retry_after)

    # ---- internals: chats and messages -----------------------------------------------------------

    def _target_chat(self, params: Mapping[str, Any]) -> _Chat:
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise _bad_request("chat_id is empty")
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise _bad_request("chat not found")
        if chat.blocked:
            raise TelegramApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _deliver(
        self,
        bot: dict[str, Any],
        chat: _Chat,
        method: str,
        params: Mapping[str, Any],
        content: dict[str, Any],
        *,
        text_param: str,
        file: tuple[str, bytes] | None = None,
    ) -> dict[str, Any]:
        """Store a new bot message, record it as sent and return its Bot API JSON."""
        message = {
            "message_id": chat.next_message_id(),
            "from": bot,
            "chat": chat.as_json(),
            "date": _now(),
            **content,
        }
        chat.messages[message["message_id"]] = message
        self._sent.append(
            SentMessage(
                chat_id=chat.id,
                message_id=message["message_id"],
                method=method,
                text=params.get(text_param),
                plain_text=content.get("text", content.get("caption")),
                parse_mode=params.get("parse_mode"),
                reply_markup=params.get("reply_markup"),
                link_preview_options=params.get("link_preview_options"),
                disable_web_page_preview=params.get("disable_web_page_preview"),
                file=file,
                at=time.monotonic(),
            )
        )
        return copy.deepcopy(message)

    @staticmethod
    def _text_content(params: Mapping[str, Any], *, caption: bool) -> dict[str, Any]:
        """Text (or caption), its entities and the inline keyboard, validated as Telegram does."""
        name = "caption" if caption else "text"
        content: dict[str, Any] = {}
        text = params.get(name)
        if not caption or (isinstance(text, str) and text.strip()):  # captions are optional
            parsed = _formatted_text(
                text,
                params.get("parse_mode"),
                limit=MAX_CAPTION_UTF16 if caption else MAX_MESSAGE_UTF16,
                empty="message text is empty",
                too_long="message caption is too long" if caption else "message is too long",
            )
            entities_name = "caption_entities" if caption else "entities"
            # Explicit entities only count without a parse mode, which would produce its own.
            entities = parsed.entities if params.get("parse_mode") else params.get(entities_name)
            content[name] = parsed.text
            if entities:
                content[entities_name] = entities
        keyboard = _validate_reply_markup(params.get("reply_markup"))
        if keyboard is not None:
            content["reply_markup"] = keyboard
        return content

    def _editable_message(self, params: Mapping[str, Any]) -> dict[str, Any]:
        chat = self._target_chat(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise _bad_request("message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None:
            raise _bad_request("message to edit not found")
        if not message["from"]["is_bot"]:
            raise _bad_request("message can't be edited")
        return message

    @staticmethod
    def _apply_edit(message: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        before = {key: message.get(key) for key in changes}
        if before == changes:
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = _now()
        return copy.deepcopy(message)

    def _uploaded_file(
        self, params: Mapping[str, Any], files: Mapping[str, tuple[str, bytes]], kind: str
    ) -> tuple[str, bytes]:
        """The (filename, bytes) a send refers to: a direct upload, attach://name or a known file_id."""
        reference = params.get(kind)
        if reference is None and kind in files:
            upload = files[kind]
        elif isinstance(reference, str) and reference.startswith("attach://"):
            upload = files.get(reference.removeprefix("attach://"))
            if upload is None:
                raise _bad_request(f"there is no {kind} in the request")
        elif isinstance(reference, str) and reference in self._files:
            upload = self._files[reference]
        elif isinstance(reference, str) and reference.startswith(("http://", "https://")):
            raise _bad_request("failed to get HTTP URL content")  # the fake has no network to fetch it
        elif reference is None:
            raise _bad_request(f"there is no {kind} in the request")
        else:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        if not upload[1]:
            raise _bad_request("file must be non-empty")
        if len(upload[1]) > MAX_UPLOAD_BYTES:
            raise TelegramApiError(413, "Request Entity Too Large")
        return upload

    def _register_file(self, upload: tuple[str, bytes]) -> tuple[str, str]:
        self._file_counter += 1
        file_id = f"fake-file-{self._file_counter}"
        self._files[file_id] = upload
        return file_id, f"fake-unique-{self._file_counter}"

    # ---- Bot API methods -------------------------------------------------------------------------

    async def _get_me(self, bot: dict[str, Any], params: dict[str, Any], files: Any) -> Any:
        return {
            **bot,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _delete_webhook(self, bot: dict[str, Any], params: dict[str, Any], files: Any) -> Any:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_updates(self, bot: dict[str, Any], params: dict[str, Any], files: Any) -> Any:
        if "allowed_updates" in params:
            allowed = params["allowed_updates"] or None  # an empty list restores the default
            self._allowed_updates = None if allowed is None else frozenset(allowed)
        offset = _int_param(params, "offset", 0)
        if offset > 0:
            self._updates = [update for update in self._updates if update["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        limit = min(max(_int_param(params, "limit", 100), 1), 100)
        timeout = max(_int_param(params, "timeout", 0), 0)
        # A newer poll terminates an older one, exactly like two bot instances fighting on Telegram.
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()
        deadline = time.monotonic() + timeout
        while not self._updates and not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                async with asyncio.timeout(remaining):
                    await self._changed.wait()
            except TimeoutError:
                break
            if generation != self._poll_generation:
                raise TelegramApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
        return copy.deepcopy(self._updates[:limit])

    async def _send_message(self, bot: dict[str, Any], params: dict[str, Any], files: Any) -> Any:
        chat = self._target_chat(params)
        content = self._text_content(params, caption=False)
        return self._deliver(bot, chat, "sendMessage", params, content, text_param="text")

    async def _send_document(
        self, bot: dict[str, Any], params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> Any:
        chat = self._target_chat(params)
        content = self._text_content(params, caption=True)
        upload = self._uploaded_file(params, files, "document")
        file_id, unique_id = self._register_file(upload)
        document = {"file_id": file_id, "file_unique_id": unique_id, "file_name": upload[0]}
        mime_type = mimetypes.guess_type(upload[0])[0]
        if mime_type:
            document["mime_type"] = mime_type
        document["file_size"] = len(upload[1])
        content["document"] = document
        return self._deliver(bot, chat, "sendDocument", params, content, text_param="caption", file=upload)

    async def _send_photo(
        self, bot: dict[str, Any], params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> Any:
        chat = self._target_chat(params)
        content = self._text_content(params, caption=True)
        upload = self._uploaded_file(params, files, "photo")
        size = _image_size(upload[1])
        if size is None:
            raise _bad_request("IMAGE_PROCESS_FAILED")
        width, height = size
        if width + height > 10_000 or max(width, height) > 20 * min(width, height):
            raise _bad_request("PHOTO_INVALID_DIMENSIONS")
        photo = []
        for longest in PHOTO_SIDES:
            file_id, unique_id = self._register_file(upload)
            scaled_width, scaled_height = _scaled(width, height, longest)
            photo.append(
                {
                    "file_id": file_id,
                    "file_unique_id": unique_id,
                    "width": scaled_width,
                    "height": scaled_height,
                    "file_size": len(upload[1]),
                }
            )
        content["photo"] = photo
        return self._deliver(bot, chat, "sendPhoto", params, content, text_param="caption", file=upload)

    async def _edit_message_text(self, bot: dict[str, Any], params: dict[str, Any], files: Any) -> Any:
        message = self._editable_message(params)
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        content = self._text_content(params, caption=False)
        # Omitting reply_markup in an edit removes the inline keyboard, as on Telegram.
        changes = {key: content.get(key) for key in ("text", "entities", "reply_markup")}
        return self._apply_edit(message, changes)

    async def _edit_message_reply_markup(
        self, bot: dict[str, Any], params: dict[str, Any], files: Any
    ) -> Any:
        message = self._editable_message(params)
        keyboard = _validate_reply_markup(params.get("reply_markup"))
        return self._apply_edit(message, {"reply_markup": keyboard})

    async def _answer_callback_query(self, bot: dict[str, Any], params: dict[str, Any], files: Any) -> Any:
        query_id = params.get("callback_query_id")
        if query_id not in self._open_callback_queries:
            raise _bad_request("query is too old and response timeout expired or query ID is invalid")
        self._open_callback_queries.discard(query_id)
        return True

    def _commands_key(self, params: Mapping[str, Any]) -> tuple[str, str]:
        scope = params.get("scope")
        if scope is not None and (not isinstance(scope, dict) or scope.get("type") not in _COMMAND_SCOPES):
            raise _bad_request("can't parse BotCommandScope JSON object")
        language_code = params.get("language_code", "")
        if language_code and not re.fullmatch(r"[a-z]{2}", language_code):
            raise _bad_request("invalid language code specified")
        return self._scope_key(scope), language_code

    async def _set_my_commands(self, bot: dict[str, Any], params: dict[str, Any], files: Any) -> Any:
        key = self._commands_key(params)
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad_request("too many commands")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.match(str(command.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[key] = [
            {"command": command["command"], "description": command["description"]} for command in commands
        ]
        return True

    async def _get_my_commands(self, bot: dict[str, Any], params: dict[str, Any], files: Any) -> Any:
        return list(self._commands.get(self._commands_key(params), []))

    async def _delete_my_commands(self, bot: dict[str, Any], params: dict[str, Any], files: Any) -> Any:
        self._commands.pop(self._commands_key(params), None)
        return True

    async def _send_chat_action(self, bot: dict[str, Any], params: dict[str, Any], files: Any) -> Any:
        self._target_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True
