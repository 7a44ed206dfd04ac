"""The bot without Telegram: updates go to the real Dispatcher, the Bot API calls it makes are answered in
memory and recorded. `crisisdesk ask` and `crisisdesk console` run on this; no network, no token.
"""

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    Chat,
    Document,
    InlineKeyboardMarkup,
    Message,
    PhotoSize,
    Update,
    User,
)

from bot.telegram.client import create_bot
from bot.telegram.dispatcher import BotDeps, build_dispatcher

# Shaped like a token because aiogram insists; it never leaves the process.
OFFLINE_TOKEN = "1000001:offline-session-never-sent-anywhere"
_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


@dataclass
class Reply:
    """Something the bot did in answer: a message sent or edited, a file, a notice on a button press."""

    kind: str  # message / edit / file / notice
    text: str  # Telegram HTML (plain text for a notice)
    keyboard: InlineKeyboardMarkup | None = None
    file: tuple[str, bytes] | None = None
    message_id: int | None = None

    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data or URL) in reading order."""
        rows = self.keyboard.inline_keyboard if self.keyboard else []
        return [(button.text, button.callback_data or button.url or "") for row in rows for button in row]


class RecordingSession(BaseSession):
    """A Bot API in memory: every call is recorded and answered as Telegram would answer it.

    `check_text` sees the text of each message (tests pass the fake server's HTML parser, so a
    message Telegram would refuse fails here too).
    """

    def __init__(self, check_text: Callable[[str], Any] | None = None) -> None:
        super().__init__()
        self.replies: list[Reply] = []
        self.messages: dict[tuple[int, int], Message] = {}
        self._check_text = check_text
        self._message_ids = count(1_000_001)

    async def close(self) -> None:
        """Nothing to close."""

    async def stream_content(
        self,
        url: str,
        headers=None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ):
        raise NotImplementedError("offline: no downloads")
        yield b""  # pragma: no cover  (makes this an async generator, as the base class declares)

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        if isinstance(method, SendMessage):
            self._check(bot, method.text, method.parse_mode)
            message = self._store(method.chat_id, text=method.text, reply_markup=method.reply_markup)
            self.replies.append(
                Reply("message", method.text, method.reply_markup, message_id=message.message_id)
            )
            return message
        if isinstance(method, SendDocument | SendPhoto):
            caption = method.caption or ""
            if caption:
                self._check(bot, caption, method.parse_mode)
            if isinstance(method, SendDocument):
                upload = await self._read(bot, method.document)
                attachment = {
                    "document": Document(file_id="offline", file_unique_id="offline", file_name=upload[0])
                }
            else:
                upload = await self._read(bot, method.photo)
                attachment = {
                    "photo": [PhotoSize(file_id="offline", file_unique_id="offline", width=1, height=1)]
                }
            message = self._store(method.chat_id, caption=caption or None, **attachment)
            self.replies.append(Reply("file", caption, None, upload, message.message_id))
            return message
        if isinstance(method, EditMessageText):
            self._check(bot, method.text, method.parse_mode)
            message = self._edit(
                method.chat_id, method.message_id, text=method.text, reply_markup=method.reply_markup
            )
            self.replies.append(Reply("edit", method.text, method.reply_markup, message_id=method.message_id))
            return message
        if isinstance(method, EditMessageReplyMarkup):
            return self._edit(method.chat_id, method.message_id, reply_markup=method.reply_markup)
        if isinstance(method, AnswerCallbackQuery):
            if method.text:
                self.replies.append(Reply("notice", method.text))
            return True
        if method.__returning__ is bool:
            return True  # setMyCommands, sendChatAction, …: nothing to show offline
        raise NotImplementedError(f"{type(method).__name__} is not available offline")

    def _check(self, bot: Bot, text: str, parse_mode: Any) -> None:
        if isinstance(parse_mode, Default):
            parse_mode = bot.default[parse_mode.name]
        if self._check_text is not None and parse_mode == "HTML":
            self._check_text(text)

    @staticmethod
    async def _read(bot: Bot, document: Any) -> tuple[str, bytes]:
        if isinstance(document, BufferedInputFile):
            return document.filename or "file", document.data
        chunks = [chunk async for chunk in document.read(bot)]
        return getattr(document, "filename", None) or "file", b"".join(chunks)

    def _store(self, chat_id: int | str, **content: Any) -> Message:
        message = Message(
            message_id=next(self._message_ids),
            date=datetime.now(UTC),
            chat=Chat(id=int(chat_id), type="private"),
            from_user=User(id=int(OFFLINE_TOKEN.split(":")[0]), is_bot=True, first_name="crisisdesk"),
            **content,
        )
        self.messages[(message.chat.id, message.message_id)] = message
        return message

    def _edit(self, chat_id: Any, message_id: Any, **changes: Any) -> Message:
        key = (int(chat_id), int(message_id))
        edited = self.messages[key].model_copy(update=changes)
        self.messages[key] = edited
        return edited


class OfflineBot:
    """One user talking to the bot in this process."""

    def __init__(self, deps: BotDeps, check_text: Callable[[str], Any] | None = None) -> None:
        self.session = RecordingSession(check_text)
        self.bot = create_bot(OFFLINE_TOKEN, session=self.session)
        self.dispatcher = build_dispatcher(deps)
        self._update_ids = count(1)
        self._incoming_ids = count(1)

    def _user(self, user_id: int, language_code: str | None) -> User:
        return User(id=user_id, is_bot=False, first_name="You", language_code=language_code)

    async def _feed(self, update: Update) -> list[Reply]:
        before = len(self.session.replies)
        await self.dispatcher.feed_update(self.bot, update)
        return self.session.replies[before:]

    async def send(self, text: str, *, user_id: int = 1, language_code: str | None = "en") -> list[Reply]:
        """The user writes `text`; returns what the bot answered."""
        message = Message(
            message_id=next(self._incoming_ids),
            date=datetime.now(UTC),
            chat=Chat(id=user_id, type="private"),
            from_user=self._user(user_id, language_code),
            text=text,
        )
        return await self._feed(Update(update_id=next(self._update_ids), message=message))

    async def press(
        self, message_id: int, data: str, *, user_id: int = 1, language_code: str | None = "en"
    ) -> list[Reply]:
        """The user presses the button carrying `data` on the bot's message `message_id`."""
        query = CallbackQuery(
            id=str(next(self._update_ids)),
            from_user=self._user(user_id, language_code),
            chat_instance=str(user_id),
            message=self.session.messages[(user_id, message_id)],
            data=data,
        )
        return await self._feed(Update(update_id=next(self._update_ids), callback_query=query))


def as_plain_text(reply_html: str) -> str:
    """Telegram HTML for a terminal: links as `label (url)`, tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", reply_html)))


def render(replies: list[Reply], out: Path) -> str:
    """What the user would see, as text: messages, numbered buttons, saved files."""
    parts = []
    for reply in replies:
        if reply.kind == "notice":
            parts.append(f"({reply.text})")
            continue
        text = as_plain_text(reply.text)
        if reply.file is not None:
            out.mkdir(parents=True, exist_ok=True)
            path = out / Path(reply.file[0]).name
            path.write_bytes(reply.file[1])
            text = f"[file] {path}\n{text}".rstrip()
        buttons = [f"  [{n}] {label}" for n, (label, _) in enumerate(reply.buttons(), 1)]
        parts.append("\n".join([text, *buttons]))
    return "\n\n".join(parts)
