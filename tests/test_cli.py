"""The console command as users run it: a real subprocess for exit codes, the runner for the rest."""

import os
import subprocess
import sys

from sqlalchemy import inspect
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import REPO_ROOT
from storage.engine import create_db_engine

runner = CliRunner()


def crisisdesk(*args: str, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        # PYTHONPATH: run this checkout's code even from another working directory.
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})},
        cwd=cwd,
        timeout=120,
    )


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "db"):
        assert command in result.output


def test_invalid_configuration_exits_2_with_one_line_and_no_traceback(tmp_path):
    result = crisisdesk("db", "upgrade", env={"DEFAULT_DIGEST_TIME": "9am"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "DEFAULT_DIGEST_TIME" in result.stderr and "HH:MM" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_creates_the_schema_in_an_empty_sqlite_file(tmp_path, monkeypatch):
    database = tmp_path / "fresh" / "crisisdesk.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "database at revision" in result.output
    assert {"items", "feeds", "subscribers", "deliveries"} <= set(
        inspect(create_db_engine(f"sqlite:///{database}")).get_table_names()
    )
