"""`crisisdesk demo` as a newcomer runs it: offline, fast, a digest with both sides' outlets."""

import struct

from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def test_demo_prints_a_digest_with_both_sides_a_chart_and_lookups(tmp_path, monkeypatch):
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    result = runner.invoke(app, ["demo", "--keep", str(tmp_path)])
    assert result.exit_code == 0, result.output
    output = result.output
    assert "polled 14 feeds (0 failed): 251 new items" in output
    digest = output.split("/digest")[1].split("/trend")[0]
    assert "Digest ·" in digest
    for side in ("Russian media", "Azerbaijani media", "International media"):
        assert side in digest
    for incident in ("plane crash near Aktau", "Yekaterinburg raids", "Media battle"):
        assert incident in digest
    chart = tmp_path / "trend.png"
    assert f"[file] {chart}" in output
    header = chart.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", header[16:24])[0] >= 800
    assert "38 of the 67 people on board" in output  # the incident card
    assert "Səfərov qardaşlarının" in output or "Safarov" in output.split("/search")[1]  # the archive


def test_demo_starts_from_a_fresh_database_every_run(tmp_path):
    first = runner.invoke(app, ["demo", "--keep", str(tmp_path)])
    second = runner.invoke(app, ["demo", "--keep", str(tmp_path)])
    assert first.exit_code == second.exit_code == 0
    assert "251 new items" in second.output and "Subscribed." in second.output
