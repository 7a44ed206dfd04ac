"""`crisisdesk feeds …`, `crisisdesk poll` and `crisisdesk worker`: the feed tracker by hand."""

import asyncio
import difflib
from datetime import datetime

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.common import JsonOption, console, errors, fail, print_json, runtime
from bot.service import install_stop_signals
from feeds.grouping import group_new_items
from feeds.pipeline import CycleReport, FeedReport
from feeds.ssrf import BlockedURL
from feeds.worker import run_worker
from storage.columns import utcnow
from storage.engine import is_postgres
from storage.feeds import FeedError, add_feed, due_feed_count, get_feed, list_feeds, set_feed_enabled
from storage.models import Feed
from storage.outlets import get_outlet_by_slug, list_outlets
from storage.session import session_scope

feeds_app = typer.Typer(help="The feeds polled: list, add, health, enable, disable.", no_args_is_help=True)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def _feed_json(feed: Feed, outlet: str) -> dict:
    return {
        "id": feed.id,
        "url": feed.url,
        "outlet": outlet,
        "language": feed.language,
        "status": feed.status,
        "disabled_reason": feed.disabled_reason,
        "origin": feed.origin,
        "verified": feed.verified,
        "last_success_at": feed.last_success_at,
        "last_checked_at": feed.last_checked_at,
        "consecutive_errors": feed.consecutive_errors,
        "last_error": feed.last_error,
        "last_status_code": feed.last_status_code,
        "next_check_at": feed.next_check_at,
        "check_interval_s": feed.check_interval_s,
    }


def _feed_rows(as_json: bool) -> list:
    """Every feed with its outlet; printed as JSON (all fields) when asked to."""
    with runtime() as rt:
        rt.prepare()
        with session_scope(rt.engine) as session:
            rows = list_feeds(session)
    if as_json:
        print_json([_feed_json(row.feed, row.outlet_slug) for row in rows])
    return rows


@feeds_app.command("list")
def list_command(as_json: bool = JsonOption) -> None:
    """Every feed with its outlet, language and status."""
    rows = _feed_rows(as_json)
    if as_json:
        return
    table = Table(title=f"{len(rows)} feeds")
    for column in ("id", "outlet", "lang", "status", "origin", "url"):
        table.add_column(column, overflow="fold")
    for row in rows:
        feed = row.feed
        table.add_row(str(feed.id), row.outlet_slug, feed.language or "", feed.status, feed.origin, feed.url)
    console.print(table)


@feeds_app.command("health")
def health_command(as_json: bool = JsonOption) -> None:
    """Per feed: status, last success, consecutive errors, last error, next check."""
    rows = _feed_rows(as_json)
    if as_json:
        return
    table = Table(title="feed health (times in UTC)")
    for column in ("id", "outlet", "status", "last success", "errors", "last error", "next check"):
        table.add_column(column, overflow="fold")
    for row in rows:
        feed = row.feed
        status = feed.status if feed.status == "active" else f"[red]{feed.status}[/red]"
        if feed.status == "active" and feed.consecutive_errors:
            status = "[yellow]failing[/yellow]"
        table.add_row(
            str(feed.id),
            row.outlet_slug,
            status,
            _when(feed.last_success_at),
            str(feed.consecutive_errors),
            feed.disabled_reason or feed.last_error or "",
            _when(feed.next_check_at) if feed.status == "active" else "—",
        )
    console.print(table)


@feeds_app.command("add")
def add_command(
    url: str = typer.Argument(..., help="The feed's http(s) URL."),
    outlet: str = typer.Option(..., "--outlet", help="Slug of the outlet publishing it."),
    language: str | None = typer.Option(None, "--language", help="Language code, e.g. ru, az, en."),
) -> None:
    """Add a feed (checked against ALLOW_PRIVATE_FEEDS); it is polled on the next cycle."""
    with runtime() as rt:
        rt.prepare()
        guard = rt.address_guard()
        try:
            asyncio.run(guard.check_url_resolved(url))
        except BlockedURL as error:
            fail(f"refusing {url}: {error}")
        except OSError as error:  # offline or a typo in the name: the poller will report it too
            errors.print(f"[yellow]warning:[/yellow] {error}; adding it anyway", highlight=False)
        with session_scope(rt.engine) as session:
            row = get_outlet_by_slug(session, outlet)
            if row is None:
                slugs = [known.slug for known, _ in list_outlets(session)]
                close = difflib.get_close_matches(outlet, slugs, n=5, cutoff=0.5)
                hint = (
                    f"did you mean: {', '.join(close)}?"
                    if close
                    else f"known outlets: {', '.join(slugs) or 'none'}"
                )
                fail(f"unknown outlet {outlet!r}; {hint}")
            try:
                feed = add_feed(session, url, row.id, language)
            except FeedError as error:
                fail(str(error))
            feed_id = feed.id
    console.print(f"added feed {feed_id} for {outlet}: {url}")


def _toggle(feed_id: int, enabled: bool, reason: str = "") -> None:
    with runtime() as rt:
        rt.prepare()
        try:
            with session_scope(rt.engine) as session:
                feed = set_feed_enabled(session, feed_id, enabled, utcnow(), reason)
                url = feed.url
        except FeedError as error:
            fail(str(error))
    console.print(f"feed {feed_id} {'enabled' if enabled else 'disabled'}: {url}")


@feeds_app.command("enable")
def enable_command(feed_id: int = typer.Argument(..., help="Feed id (see `feeds list`).")) -> None:
    """Poll the feed again, from the next cycle, with its error count reset."""
    _toggle(feed_id, True)


@feeds_app.command("disable")
def disable_command(
    feed_id: int = typer.Argument(..., help="Feed id (see `feeds list`)."),
    reason: str = typer.Option("disabled by an admin", "--reason", help="Shown in `feeds health`."),
) -> None:
    """Stop polling the feed."""
    _toggle(feed_id, False, reason)


def _summary(report: CycleReport) -> None:
    table = Table(title="poll cycle")
    for column in ("feeds", "ok", "not modified", "failed", "new items", "matched items"):
        table.add_column(column, justify="right")
    table.add_row(
        str(len(report.feeds)),
        str(report.ok),
        str(report.not_modified),
        str(report.failed),
        str(report.new_items),
        str(report.matched_items),
    )
    console.print(table)
    failures = [feed for feed in report.feeds if feed.error]
    if failures:
        failed = Table(title="failed feeds")
        for column in ("id", "url", "error"):
            failed.add_column(column, overflow="fold")
        for feed in sorted(failures, key=lambda feed: feed.feed_id):
            note = f" — disabled: {feed.disabled_reason}" if feed.disabled_reason else ""
            failed.add_row(str(feed.feed_id), feed.url, f"{feed.error}{note}")
        console.print(failed)


def poll(
    once: bool = typer.Option(False, "--once", help="One cycle over the due feeds, then a summary."),
    feed_id: int | None = typer.Option(None, "--feed", help="Poll this feed now, due or not (with --once)."),
) -> None:
    """Poll the feeds: `--once` runs one cycle; without it, poll until Ctrl+C (like `worker`)."""
    if not once:
        if feed_id is not None:
            fail("--feed needs --once")
        worker()
        return
    with runtime() as rt:
        try:
            rt.prepare()
            with session_scope(rt.engine) as session:
                if feed_id is not None:
                    _check_pollable(get_feed(session, feed_id), feed_id)
                total = 1 if feed_id is not None else due_feed_count(session, utcnow())
            report = asyncio.run(_poll_once(rt, [feed_id] if feed_id is not None else None, total))
            group_new_items(rt.engine, rt.story_grouper)
        except (OSError, SQLAlchemyError) as error:  # feeds failing is normal; this is the cycle failing
            fail(f"the poll cycle could not run: {type(error).__name__}: {error}")
    _summary(report)


def _check_pollable(feed: Feed | None, feed_id: int) -> None:
    if feed is None:
        fail(f"no feed with id {feed_id}")
    if feed.status != "active":
        fail(f"feed {feed_id} is disabled ({feed.disabled_reason}); `feeds enable {feed_id}` first")


async def _poll_once(rt, feed_ids: list[int] | None, total: int) -> CycleReport:
    async with rt.poller() as poller:
        if not console.is_terminal:
            return await poller.run_cycle(feed_ids)
        columns = (TextColumn("polling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("poll", total=total)

            def advance(report: FeedReport) -> None:
                # More feeds can fall due during a long cycle: let the bar grow rather than overflow.
                done = progress.tasks[0].completed + 1
                progress.update(task, completed=done, total=max(total, done))

            return await poller.run_cycle(feed_ids, progress=advance)


def worker() -> None:
    """Poll feeds until SIGINT/SIGTERM, nothing else (several can share one PostgreSQL)."""

    async def main() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        with runtime() as rt:
            rt.prepare()
            if not is_postgres(rt.engine):
                errors.print(
                    "[yellow]note:[/yellow] on SQLite run one polling process only "
                    "(`crisisdesk run` polls too); use PostgreSQL for several workers",
                    highlight=False,
                )
            await run_worker(rt.poller(), stop, rt.settings.poll_tick_s)

    asyncio.run(main())


def register(app: typer.Typer) -> None:
    app.add_typer(feeds_app, name="feeds")
    app.command("poll")(poll)
    app.command("worker")(worker)
