"""The feed commands as users run them, against a migrated SQLite file and a loopback feed server."""

import json

import pytest
from typer.testing import CliRunner

from bot.cli import app
from storage import migrate
from storage.engine import create_db_engine
from storage.outlets import OutletSpec, sync_outlets
from storage.session import session_scope
from tests.support.feed_server import FeedServer, feed, fixture, serving_in_thread, status
from tests.support.seeds import offline_seeds
from tests.test_cli import crisisdesk

runner = CliRunner()


@pytest.fixture
def database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'crisisdesk.db'}"
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        sync_outlets(
            session,
            [
                OutletSpec(slug="report-az", name="Report.az", side="azerbaijan", languages=["az"]),
                OutletSpec(slug="ria-novosti", name="RIA Novosti", side="russia", languages=["ru"]),
            ],
        )
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SEEDS_DIR", str(offline_seeds(tmp_path)))
    monkeypatch.setenv("ALLOW_PRIVATE_FEEDS", "loopback")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.setenv("POLL_HOST_DELAY_S", "0")
    monkeypatch.chdir(tmp_path)
    return url


def run(*args: str):
    return runner.invoke(app, list(args))


def test_add_validates_the_outlet_and_the_url(database, monkeypatch):
    unknown = run("feeds", "add", "http://127.0.0.1:1/rss", "--outlet", "report")
    assert unknown.exit_code == 1 and "unknown outlet 'report'" in unknown.output
    assert "did you mean: report-az" in unknown.output

    assert "only http and https" in run("feeds", "add", "ftp://127.0.0.1/rss", "--outlet", "report-az").output
    monkeypatch.setenv("ALLOW_PRIVATE_FEEDS", "off")
    private = run("feeds", "add", "http://127.0.0.1:1/rss", "--outlet", "report-az")
    assert private.exit_code == 1 and "loopback address" in private.output

    monkeypatch.setenv("ALLOW_PRIVATE_FEEDS", "loopback")
    added = run("feeds", "add", "http://127.0.0.1:1/rss", "--outlet", "report-az", "--language", "az")
    assert added.exit_code == 0, added.output
    again = run("feeds", "add", "http://127.0.0.1:1/rss", "--outlet", "report-az")
    assert again.exit_code == 1 and "already exists" in again.output

    listed = json.loads(run("feeds", "list", "--json").output)
    assert [(row["url"], row["outlet"], row["language"], row["origin"]) for row in listed] == [
        ("http://127.0.0.1:1/rss", "report-az", "az", "cli")
    ]


def test_poll_once_stores_items_reports_failures_and_exits_zero(database):
    server = FeedServer()
    server.routes["/ok"] = feed(fixture("ru_utf8.xml"))
    server.routes["/down"] = status(500)
    with serving_in_thread(server):
        for path in ("/ok", "/down"):
            assert run("feeds", "add", server.url(path), "--outlet", "ria-novosti").exit_code == 0
        result = run("poll", "--once")
        assert result.exit_code == 0, result.output
        assert "poll cycle" in result.output and "HTTP 500 Internal Server Error" in result.output
        again = run("poll", "--once", "--feed", "1")
    summary_row = [line for line in result.output.splitlines() if line.count("│") >= 6][-1]
    # 4 new items, 2 tagged by the taxonomy: the Yekaterinburg detentions and the Sputnik Azerbaijan arrests.
    assert [cell.strip() for cell in summary_row.split("│")[1:-1]] == ["2", "1", "0", "1", "4", "2"]
    assert again.exit_code == 0 and server.hits()["/ok"] == 2

    health = {
        row["url"].rsplit("/", 1)[-1]: row for row in json.loads(run("feeds", "health", "--json").output)
    }
    assert health["down"]["consecutive_errors"] == 1 and health["down"]["last_error"].startswith("HTTP 500")
    assert health["ok"]["last_success_at"] is not None and health["ok"]["consecutive_errors"] == 0
    assert "failing" in run("feeds", "health").output


def test_disable_and_enable(database):
    run("feeds", "add", "http://127.0.0.1:1/rss", "--outlet", "report-az")
    disabled = run("feeds", "disable", "1", "--reason", "duplicate of the English feed")
    assert disabled.exit_code == 0
    refused = run("poll", "--once", "--feed", "1")
    assert refused.exit_code == 1 and "disabled" in refused.output
    health = json.loads(run("feeds", "health", "--json").output)
    assert (health[0]["status"], health[0]["disabled_reason"]) == (
        "disabled",
        "duplicate of the English feed",
    )
    assert run("feeds", "enable", "1").exit_code == 0
    assert json.loads(run("feeds", "list", "--json").output)[0]["status"] == "active"
    assert run("feeds", "enable", "42").exit_code == 1


def test_poll_once_exits_non_zero_only_when_the_cycle_cannot_run(tmp_path):
    unwritable = tmp_path / "file-not-dir"
    unwritable.write_text("")
    result = crisisdesk(
        "poll", "--once", env={"DATABASE_URL": f"sqlite:///{unwritable}/db.sqlite"}, cwd=tmp_path
    )
    assert result.returncode == 1
    assert "the poll cycle could not run" in result.stderr and "Traceback" not in result.stderr
