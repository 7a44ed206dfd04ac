"""Loading the knowledge base into the database, and the seed commands as users run them."""

import json
import shutil

from typer.testing import CliRunner

from bot.cli import app
from bot.knowledge import load_knowledge
from bot.seeding import load_seeds
from bot.settings import REPO_ROOT
from storage.incidents import list_incidents
from storage.outlets import list_outlets
from storage.session import session_scope

SEEDS = REPO_ROOT / "seeds"
runner = CliRunner()


def test_load_is_idempotent_and_picks_up_edits(engine, tmp_path):
    first = load_seeds(engine, load_knowledge(SEEDS))
    assert first.incidents.created == 9 and first.outlets.created >= 20
    second = load_seeds(engine, load_knowledge(SEEDS))
    assert (second.incidents.created, second.incidents.updated) == (0, 0)
    assert (second.outlets.created, second.outlets.updated, second.feeds.created) == (0, 0, 0)

    edited = tmp_path / "seeds"
    shutil.copytree(SEEDS, edited)
    outlets_yaml = edited / "outlets.yaml"
    outlets_yaml.write_text(
        outlets_yaml.read_text().replace("name: Report.az", "name: Report News Agency", 1)
    )
    third = load_seeds(engine, load_knowledge(edited))
    assert (third.outlets.updated, third.incidents.updated) == (1, 0)
    with session_scope(engine) as session:
        names = {outlet.slug: outlet.name for outlet, _ in list_outlets(session)}
        incidents = list_incidents(session)
    assert names["report-az"] == "Report News Agency"
    assert incidents[0].id == "azal-plane-crash" and incidents[0].title["ru"]


def test_seeds_check_passes_on_the_shipped_seeds(monkeypatch):
    monkeypatch.setenv("SEEDS_DIR", str(SEEDS))
    result = runner.invoke(app, ["seeds", "check"])
    assert result.exit_code == 0, result.output
    assert "seeds OK: 9 incidents" in result.output


def test_a_broken_value_is_one_line_naming_file_and_field(monkeypatch, tmp_path):
    broken = tmp_path / "seeds"
    shutil.copytree(SEEDS, broken)
    outlets_yaml = broken / "outlets.yaml"
    outlets_yaml.write_text(outlets_yaml.read_text().replace("side: russia", "side: russland", 1))
    monkeypatch.setenv("SEEDS_DIR", str(broken))
    result = runner.invoke(app, ["seeds", "check"])
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if "outlets.yaml" in line]
    assert len(problems) == 1
    assert "outlets.yaml: outlets[" in problems[0] and "].side: expected one of russia" in problems[0]
    assert "russland" in problems[0]


def test_outlets_list_json(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("SEEDS_DIR", str(SEEDS))
    result = runner.invoke(app, ["outlets", "list", "--json"])
    assert result.exit_code == 0, result.output
    outlets = {row["slug"]: row for row in json.loads(result.stdout)}
    assert outlets["haqqin-az"]["side"] == "azerbaijan"
    assert outlets["ria-novosti"]["side"] == "russia"
    assert {"slug", "name", "side", "languages", "feeds"} <= set(outlets["tass"])


def test_a_query_syntax_error_names_incident_and_position(monkeypatch, tmp_path):
    broken = tmp_path / "seeds"
    shutil.copytree(SEEDS, broken)
    taxonomy = broken / "taxonomy.yaml"
    text = taxonomy.read_text()
    taxonomy.write_text(
        text.replace("@victory_day AND @azerbaijan AND @absence", "@victory_day AND (@azerbaijan", 1)
    )
    monkeypatch.setenv("SEEDS_DIR", str(broken))
    result = runner.invoke(app, ["seeds", "check"])
    assert result.exit_code == 1
    problem = next(line for line in result.output.splitlines() if "victory-parade-absence" in line)
    assert "taxonomy.yaml: incidents.victory-parade-absence.query: position" in problem
    assert "expected ')'" in problem


def test_eval_prints_the_report_with_macro_f1_last(tmp_path, monkeypatch):
    monkeypatch.setenv("SEEDS_DIR", str(SEEDS))
    labelled = tmp_path / "tiny.jsonl"
    rows = [
        {
            "id": "1",
            "lang": "en",
            "title": "Funeral of Safarov brothers held after Yekaterinburg raid",
            "summary": "",
            "labels": ["yekaterinburg-raids"],
        },
        {"id": "2", "lang": "en", "title": "Weather in Baku stays warm", "summary": "", "labels": []},
    ]
    labelled.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    result = runner.invoke(app, ["eval", str(labelled), "--errors"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == "macro-F1: 1.000"
    assert any(line.startswith("yekaterinburg-raids") for line in lines)


def test_eval_reports_a_bad_line_with_its_number(tmp_path, monkeypatch):
    monkeypatch.setenv("SEEDS_DIR", str(SEEDS))
    labelled = tmp_path / "bad.jsonl"
    labelled.write_text('{"id": "1", "lang": "en", "title": "x", "summary": "", "labels": []}\nnot json\n')
    result = runner.invoke(app, ["eval", str(labelled)])
    assert result.exit_code == 1
    assert f"{labelled}:2" in result.output
