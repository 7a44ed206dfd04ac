"""The fake Telegram server, driven by the real aiogram client over a loopback socket."""

import asyncio
import logging
import struct
import time
import zlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
)

from tests.support.fake_telegram import (
    FIRST_UPDATE_ID,
    FakeTelegramServer,
    Fault,
    HtmlParseError,
    parse_telegram_html,
)

TOKEN = "123456:AAF-crisisdesk_test_token"
CHAT = 4242
OTHER_CHAT = 5151


def make_bot(server: FakeTelegramServer) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    return Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))


async def close_bot(bot: Bot) -> None:
    """Close the bot's HTTP client, skipping the 250 ms grace sleep aiogram keeps for TLS connections."""
    client = await bot.session.create_session()
    await client.close()


@pytest.fixture
async def bot(fake_telegram: FakeTelegramServer) -> AsyncIterator[Bot]:
    fake_telegram.add_chat(CHAT)
    bot = make_bot(fake_telegram)
    yield bot
    await close_bot(bot)


def keyboard(*callback_data: str) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(text=f"button {data}", callback_data=data) for data in callback_data]
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


def png(width: int, height: int) -> bytes:
    """A small valid PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# ---- Telegram's HTML parse mode, checked directly ---------------------------------------------------


def test_every_whitelisted_tag_becomes_its_entity() -> None:
    parsed = parse_telegram_html(
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike>"
        '<del>d</del><tg-spoiler>p</tg-spoiler><span class="tg-spoiler">q</span><code>c</code>'
        '<pre><code class="language-python">x</code></pre><blockquote expandable>bq</blockquote>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji><a href="https://example.org/?a=1&b=2">a</a>'
        '<blockquote>q</blockquote><tg-time unix="1700000000">t</tg-time>&#8212;&#x2014;&quot;&lt;&gt;&amp;'
    )

    assert parsed.text == 'bsieunskdpqcxbq👍aqt——"<>&'
    assert [entity["type"] for entity in parsed.entities] == [
        "bold",
        "bold",
        "italic",
        "italic",
        "underline",
        "underline",
        "strikethrough",
        "strikethrough",
        "strikethrough",
        "spoiler",
        "spoiler",
        "code",
        "pre",
        "expandable_blockquote",
        "custom_emoji",
        "text_link",
        "blockquote",
        "date_time",
    ]
    by_type = {entity["type"]: entity for entity in parsed.entities}
    assert by_type["pre"]["language"] == "python"
    assert by_type["text_link"]["url"] == "https://example.org/?a=1&b=2"
    assert by_type["custom_emoji"] == {
        "type": "custom_emoji",
        "offset": 15,
        "length": 2,
        "custom_emoji_id": "5368324170671202286",
    }


def test_entity_offsets_count_utf16_code_units() -> None:
    parsed = parse_telegram_html("📰 Baku &amp; <b>Moscow</b>")

    assert parsed.text == "📰 Baku & Moscow"
    assert parsed.entities == [{"type": "bold", "offset": 10, "length": 6}]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("<script>alert(1)</script>", 'Unsupported start tag "script" at byte offset 0'),
        ("<b>ü</b><p>", 'Unsupported start tag "p" at byte offset 9'),
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("Tom & Jerry", "Unsupported HTML entity at byte offset 4"),
        ("a&nbsp;b", "Unsupported HTML entity at byte offset 1"),
        ("&amp without semicolon", "Unsupported HTML entity at byte offset 0"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("<a href=https://x.org>x</a>", "Unexpected end of name token"),
        ('<b class="x"', 'Unclosed start tag "b"'),
        ("<tg-emoji emoji-id=abc>x</tg-emoji>", "Invalid custom emoji identifier specified"),
    ],
)
def test_html_that_telegram_refuses(source: str, message: str) -> None:
    with pytest.raises(HtmlParseError) as error:
        parse_telegram_html(source)

    assert message in str(error.value)


# ---- sending through aiogram -------------------------------------------------------------------------


async def test_get_me_describes_the_bot_behind_the_token(bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.is_bot, me.first_name, me.username) == (123456, True, "crisisdesk", "crisisdesk_bot")


async def test_sent_message_is_recorded_and_returned_as_telegram_shows_it(
    bot: Bot, fake_telegram: FakeTelegramServer
) -> None:
    source = '<b>Baku</b> &amp; Moscow: <a href="https://example.org/a?x=1&y=2">report</a>'

    first = await bot.send_message(
        CHAT,
        source,
        reply_markup=keyboard("more:1"),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    second = await bot.send_message(CHAT, "plain follow-up")

    assert first.text == "Baku & Moscow: report"
    assert [(entity.type, entity.offset, entity.length) for entity in first.entities] == [
        ("bold", 0, 4),
        ("text_link", 15, 6),
    ]
    assert first.reply_markup.inline_keyboard[0][0].callback_data == "more:1"
    assert (first.message_id, second.message_id) == (1, 2)
    assert first.from_user.username == "crisisdesk_bot"
    recorded, _ = fake_telegram.sent_messages(CHAT)
    assert recorded.text == source
    assert recorded.plain_text == "Baku & Moscow: report"
    assert recorded.parse_mode == "HTML"
    assert recorded.reply_markup == {
        "inline_keyboard": [[{"text": "button more:1", "callback_data": "more:1"}]]
    }
    assert recorded.link_preview_disabled
    assert not fake_telegram.sent_messages(CHAT)[1].link_preview_disabled


async def test_message_length_is_counted_in_utf16_units_after_html_parsing(
    bot: Bot, fake_telegram: FakeTelegramServer
) -> None:
    # 📰 is one Python character but two UTF-16 code units, as Telegram counts it.
    at_limit = "<b>" + "📰" * 2047 + "</b>&amp;&amp;"
    over_limit = "📰" * 2048 + "."

    await bot.send_message(CHAT, at_limit)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(CHAT, over_limit)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(CHAT, "<b> </b>")

    assert len(fake_telegram.sent_messages(CHAT)) == 1


async def test_bad_html_is_refused_with_cant_parse_entities(
    bot: Bot, fake_telegram: FakeTelegramServer
) -> None:
    for source in ("<script>x</script>", "<b>unclosed", "Tom & Jerry"):
        with pytest.raises(TelegramBadRequest, match="can't parse entities") as error:
            await bot.send_message(CHAT, source)
        assert error.value.message.startswith("Bad Request: can't parse entities: "), source

    assert fake_telegram.sent_messages() == []
    assert [call.status for call in fake_telegram.calls("sendMessage")] == [400, 400, 400]


async def test_inline_keyboard_buttons_are_validated(bot: Bot, fake_telegram: FakeTelegramServer) -> None:
    # Cyrillic letters take two bytes each: the limit is 64 bytes, not 64 characters.
    await bot.send_message(CHAT, "fits", reply_markup=keyboard("я" * 32))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "too long", reply_markup=keyboard("я" * 32 + "!"))
    text_only = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="no action")]])
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):
        await bot.send_message(CHAT, "no action", reply_markup=text_only)
    bad_link = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="source", url="not a url")]])
    with pytest.raises(TelegramBadRequest, match="BUTTON_URL_INVALID"):
        await bot.send_message(CHAT, "bad link", reply_markup=bad_link)

    assert [sent.text for sent in fake_telegram.sent_messages()] == ["fits"]


async def test_unknown_and_blocked_chats_are_refused(bot: Bot, fake_telegram: FakeTelegramServer) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(OTHER_CHAT, "hello")
    fake_telegram.add_chat(OTHER_CHAT)
    await bot.send_message(OTHER_CHAT, "hello")

    fake_telegram.block_chat(OTHER_CHAT)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(OTHER_CHAT, "still there?")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_chat_action(OTHER_CHAT, "typing")
    await bot.send_message(CHAT, "other chats are unaffected")
    fake_telegram.unblock_chat(OTHER_CHAT)
    await bot.send_message(OTHER_CHAT, "welcome back")

    assert [sent.text for sent in fake_telegram.sent_messages(OTHER_CHAT)] == ["hello", "welcome back"]
    assert fake_telegram.known_chats == {CHAT, OTHER_CHAT}


async def test_chat_action_must_be_one_telegram_knows(bot: Bot, fake_telegram: FakeTelegramServer) -> None:
    assert await bot.send_chat_action(CHAT, "upload_document")
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(CHAT, "thinking")


async def test_injected_faults_reach_aiogram_as_its_exceptions(
    bot: Bot, fake_telegram: FakeTelegramServer
) -> None:
    fake_telegram.add_chat(OTHER_CHAT)

    fake_telegram.inject(Fault.too_many_requests(7), method="sendMessage")
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(CHAT, "1")
    assert retry.value.retry_after == 7
    assert "Too Many Requests: retry after 7" in retry.value.message

    fake_telegram.inject(Fault.bot_blocked(), chat_id=OTHER_CHAT)
    await bot.send_message(CHAT, "2")  # the fault targets the other chat
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(OTHER_CHAT, "3")

    fake_telegram.inject(Fault.chat_not_found())
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(CHAT, "4")

    fake_telegram.inject(Fault.server_error(500), times=1)
    fake_telegram.inject(Fault.server_error(502), times=1)
    with pytest.raises(TelegramServerError, match="Internal Server Error"):
        await bot.send_message(CHAT, "5")
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(CHAT, "6")

    fake_telegram.inject(Fault.connection_drop())
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(CHAT, "7")
    await bot.send_message(CHAT, "8")

    assert [call.status for call in fake_telegram.calls("sendMessage")] == [
        429,
        200,
        403,
        400,
        500,
        502,
        None,
        200,
    ]
    assert [sent.text for sent in fake_telegram.sent_messages()] == ["2", "8"]


async def test_untargeted_faults_leave_polling_alone(bot: Bot, fake_telegram: FakeTelegramServer) -> None:
    fake_telegram.inject(Fault.server_error(), times=2)

    assert await bot.get_updates(timeout=0) == []
    await bot.get_me()
    with pytest.raises(TelegramServerError):
        await bot.send_message(CHAT, "a")
    with pytest.raises(TelegramServerError):
        await bot.send_chat_action(CHAT, "typing")
    await bot.send_message(CHAT, "b")


async def test_rate_limit_answers_429_beyond_the_budget() -> None:
    async with FakeTelegramServer(rate_limit_per_s=2) as server:
        server.add_chat(CHAT)
        bot = make_bot(server)
        for n in range(2):
            await bot.send_message(CHAT, f"burst {n}")
        with pytest.raises(TelegramRetryAfter) as retry:
            await bot.send_message(CHAT, "one too many")
        await close_bot(bot)

    assert retry.value.retry_after == 1
    assert server.replies_429 == 1
    assert server.method_counts["sendMessage"] == 3
    assert len(server.sent_messages()) == 2


async def test_edits_follow_telegram_rules(bot: Bot, fake_telegram: FakeTelegramServer) -> None:
    sent = await bot.send_message(CHAT, "<b>draft</b>", reply_markup=keyboard("publish"))

    edited = await bot.edit_message_text(
        "<i>final</i>", chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard("publish")
    )
    assert edited.text == "final"
    assert edited.edit_date is not None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        # <em> and <i> are the same entity, so this is no change for Telegram either.
        await bot.edit_message_text(
            "<em>final</em>", chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard("publish")
        )
    await bot.edit_message_reply_markup(chat_id=CHAT, message_id=sent.message_id, reply_markup=None)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=CHAT, message_id=sent.message_id, reply_markup=None)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=CHAT, message_id=999)
    user_message = fake_telegram.push_message(CHAT, "hi")["message"]
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("x", chat_id=CHAT, message_id=user_message["message_id"])

    shown = fake_telegram.message(CHAT, sent.message_id)
    assert shown["text"] == "final"
    assert shown["entities"] == [{"type": "italic", "offset": 0, "length": 5}]
    assert "reply_markup" not in shown


async def test_documents_and_photos_are_uploaded_with_their_bytes(
    bot: Bot, fake_telegram: FakeTelegramServer
) -> None:
    pdf = b"%PDF-1.4 weekly digest"
    image = png(640, 480)

    document = await bot.send_document(
        CHAT, BufferedInputFile(pdf, "digest.pdf"), caption="<b>Weekly</b> digest"
    )
    photo = await bot.send_photo(CHAT, BufferedInputFile(image, "chart.png"))
    again = await bot.send_document(CHAT, document.document.file_id)
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(CHAT, BufferedInputFile(b"not an image", "chart.png"))

    assert (document.document.file_name, document.document.file_size) == ("digest.pdf", len(pdf))
    assert document.document.mime_type == "application/pdf"
    assert document.caption == "Weekly digest"
    assert [(size.width, size.height) for size in photo.photo] == [(90, 68), (640, 480)]
    assert again.document.file_size == len(pdf)
    assert [(sent.method, sent.file) for sent in fake_telegram.sent_messages()] == [
        ("sendDocument", ("digest.pdf", pdf)),
        ("sendPhoto", ("chart.png", image)),
        ("sendDocument", ("digest.pdf", pdf)),
    ]
    upload = fake_telegram.calls("sendPhoto")[0]
    assert list(upload.files.values()) == [("chart.png", image)]
    assert upload.params["photo"] == f"attach://{next(iter(upload.files))}"


async def test_bot_commands_are_stored_per_language(bot: Bot, fake_telegram: FakeTelegramServer) -> None:
    russian = [
        BotCommand(command="start", description="Начать"),
        BotCommand(command="digest", description="Сводка"),
    ]

    await bot.set_my_commands(russian, language_code="ru")
    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start", description="capital letters")])

    assert [command.command for command in await bot.get_my_commands(language_code="ru")] == [
        "start",
        "digest",
    ]
    assert fake_telegram.calls("setMyCommands")[0].params["language_code"] == "ru"
    assert fake_telegram.commands(language_code="ru")[1] == {"command": "digest", "description": "Сводка"}
    await bot.delete_my_commands(language_code="ru")
    assert await bot.get_my_commands(language_code="ru") == []
    assert [command.command for command in await bot.get_my_commands()] == ["start"]


# ---- updates ---------------------------------------------------------------------------------------


async def test_long_poll_honours_timeout_and_wakes_on_a_new_update(
    bot: Bot, fake_telegram: FakeTelegramServer
) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert time.monotonic() - started >= 0.95

    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await fake_telegram.wait_until(
        lambda: any(call.status is None for call in fake_telegram.calls("getUpdates")), what="a pending poll"
    )
    started = time.monotonic()
    fake_telegram.push_message(CHAT, "/start", language_code="ru")
    [update] = await poll

    assert time.monotonic() - started < 1
    assert update.update_id == FIRST_UPDATE_ID
    assert update.message.text == "/start"
    assert update.message.from_user.language_code == "ru"
    assert [(entity.type, entity.offset, entity.length) for entity in update.message.entities] == [
        ("bot_command", 0, 6)
    ]


async def test_offset_confirms_updates_and_limit_caps_a_batch(
    bot: Bot, fake_telegram: FakeTelegramServer
) -> None:
    for text in ("one", "two", "three"):
        fake_telegram.push_message(CHAT, text)

    first_batch = await bot.get_updates(limit=2, timeout=0)
    rest = await bot.get_updates(offset=first_batch[-1].update_id + 1, timeout=0)
    done = await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0)

    assert [update.message.text for update in first_batch] == ["one", "two"]
    assert [update.message.text for update in rest] == ["three"]
    assert [update.update_id for update in first_batch + rest] == [FIRST_UPDATE_ID + n for n in range(3)]
    assert done == []
    assert fake_telegram.pending_update_count == 0


async def test_delete_webhook_can_drop_pending_updates(bot: Bot, fake_telegram: FakeTelegramServer) -> None:
    fake_telegram.push_message(CHAT, "sent while the bot was down")

    await bot.delete_webhook(drop_pending_updates=True)

    assert await bot.get_updates(timeout=0) == []


async def test_a_second_poller_terminates_the_first(bot: Bot, fake_telegram: FakeTelegramServer) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await fake_telegram.wait_until(lambda: len(fake_telegram.calls("getUpdates")) == 1, what="first poll")

    assert await bot.get_updates(timeout=0) == []
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await first


async def test_allowed_updates_decides_which_updates_are_created(
    bot: Bot, fake_telegram: FakeTelegramServer
) -> None:
    sent = await bot.send_message(CHAT, "pick one", reply_markup=keyboard("a"))
    await bot.get_updates(timeout=0, allowed_updates=["message"])

    fake_telegram.push_callback(CHAT, "a", sent.message_id)
    fake_telegram.push_message(CHAT, "text still arrives")
    updates = await bot.get_updates(timeout=0)

    assert [update.message.text for update in updates] == ["text still arrives"]


async def test_callback_queries_come_from_real_buttons_and_are_answered_once(
    bot: Bot, fake_telegram: FakeTelegramServer
) -> None:
    sent = await bot.send_message(CHAT, "pick one", reply_markup=keyboard("a", "b"))
    with pytest.raises(ValueError, match="offers callback data"):
        fake_telegram.push_callback(CHAT, "c", sent.message_id)

    fake_telegram.push_callback(CHAT, "b", sent.message_id)
    [update] = await bot.get_updates(timeout=0)
    await bot.answer_callback_query(update.callback_query.id, text="noted")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(update.callback_query.id)

    assert update.callback_query.data == "b"
    assert update.callback_query.message.message_id == sent.message_id
    assert fake_telegram.calls("answerCallbackQuery")[0].params["text"] == "noted"


async def test_plain_http_clients_get_telegram_shaped_replies(fake_telegram: FakeTelegramServer) -> None:
    fake_telegram.add_chat(CHAT)
    api = f"{fake_telegram.base_url}/bot{TOKEN}"

    async with aiohttp.ClientSession() as http:
        async with http.post(f"{api}/sendMessage", json={"chat_id": CHAT, "text": "from JSON"}) as reply:
            sent = await reply.json()
        async with http.post(f"{api}/sendSticker", data={"chat_id": str(CHAT)}) as reply:
            unknown = (reply.status, await reply.json())
        async with http.get(f"{fake_telegram.base_url}/botnot-a-token/getMe") as reply:
            unauthorized = (reply.status, await reply.json())

    assert sent["ok"] and sent["result"]["text"] == "from JSON"
    assert unknown == (404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"})
    assert unauthorized == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})


async def test_dispatcher_polls_handles_each_update_once_and_stops_cleanly(
    fake_telegram: FakeTelegramServer, caplog: pytest.LogCaptureFixture
) -> None:
    handled: list[str] = []
    router = Router()

    @router.message(Command("start"))
    async def start(message: Message) -> None:
        handled.append(message.text)
        await message.answer("Welcome to <b>crisisdesk</b>", reply_markup=keyboard("about"))

    @router.callback_query(F.data == "about")
    async def about(callback: CallbackQuery) -> None:
        handled.append(callback.data)
        await callback.answer()
        await callback.message.edit_text("crisisdesk follows the news")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    caplog.set_level(logging.WARNING)
    polling = asyncio.create_task(
        dispatcher.start_polling(make_bot(fake_telegram), polling_timeout=1, handle_signals=False)
    )

    fake_telegram.push_message(CHAT, "hello")  # no handler: consumed and confirmed all the same
    fake_telegram.push_message(CHAT, "/start")
    [welcome] = await fake_telegram.wait_for_messages(1, chat_id=CHAT)
    fake_telegram.push_callback(CHAT, "about", welcome.message_id)
    await fake_telegram.wait_for_calls("editMessageText")
    await fake_telegram.wait_until(
        lambda: fake_telegram.pending_update_count == 0, what="all updates confirmed"
    )
    await dispatcher.stop_polling()
    await asyncio.wait_for(polling, timeout=5)

    assert handled == ["/start", "about"]
    assert fake_telegram.message(CHAT, welcome.message_id)["text"] == "crisisdesk follows the news"
    assert [call.status for call in fake_telegram.calls("answerCallbackQuery")] == [200]
    offsets = [call.params.get("offset") for call in fake_telegram.calls("getUpdates")]
    assert offsets[0] is None
    assert offsets[-1] == FIRST_UPDATE_ID + 3
    assert offsets[1:] == sorted(offsets[1:])
    assert fake_telegram.calls("getUpdates")[0].params["allowed_updates"] == ["callback_query", "message"]
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []
