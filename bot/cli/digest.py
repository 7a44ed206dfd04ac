"""`crisisdesk digest preview --user-id N`: the digest a subscriber would get now."""

import typer

from bot.cli.common import JsonOption, console, fail, print_json, runtime
from bot.delivery.digest import DigestComposer, DigestConfig, DigestCorpus, digest_window
from bot.i18n import create_i18n
from storage.columns import utcnow
from storage.deliveries import find_recipient
from storage.session import session_scope

digest_app = typer.Typer(help="Daily digests.", no_args_is_help=True)


@digest_app.command("preview")
def preview(
    user_id: int = typer.Option(..., "--user-id", help="The subscriber's Telegram user (or chat) id."),
    as_json: bool = JsonOption,
) -> None:
    """Print the digest that subscriber would get now, as Telegram HTML; nothing is sent or recorded."""
    with runtime() as rt:
        now = utcnow()
        config = DigestConfig()
        with session_scope(rt.engine) as session:
            reader = find_recipient(session, user_id)
            if reader is None:
                fail(f"no chat with user id {user_id}")
            window = digest_window(reader.last_digest_at, now, config)
            corpus = DigestCorpus.load(session, [window])
        digest = DigestComposer(corpus, create_i18n(), config).compose(reader, window)
    if as_json:
        print_json(
            {
                "chat_id": reader.chat_id,
                "language": reader.language,
                "since": window.since.isoformat(),
                "until": window.until.isoformat(),
                "quiet": digest.quiet,
                "messages": digest.messages,
                "chart": digest.chart["spec"] if digest.chart else None,
            }
        )
        return
    console.print(
        f"chat {reader.chat_id} ({reader.language}), coverage since {window.since:%Y-%m-%d %H:%M} UTC",
        style="dim",
        highlight=False,
    )
    if not digest.messages:
        console.print(
            "a quiet day, and this subscriber asked for no digest on quiet days: nothing would be sent"
        )
    for number, message in enumerate(digest.messages, start=1):
        console.rule(f"message {number} of {len(digest.messages)}", style="dim")
        console.print(message, markup=False, highlight=False, soft_wrap=True)
    if digest.chart:
        console.rule("then", style="dim")
        console.print(f"a trend chart of {', '.join(digest.chart['spec']['incidents'])}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(digest_app, name="digest")
