"""Evaluation arithmetic on a hand-checked file, report rendering and JSONL error reporting.

tests/data/matching_eval_tiny.jsonl against incidents alpha (alpha*), beta (beta) and gamma (gamma):

    t1 en  gold alpha        tagged alpha          -> alpha TP
    t2 en  gold alpha        tagged beta           -> alpha FN, beta FP
    t3 ru  gold alpha, beta  tagged alpha, beta    -> alpha TP, beta TP
    t4 ru  gold beta         tagged nothing        -> beta FN
    t5 az  gold nothing      tagged alpha, gamma   -> alpha FP, gamma FP (alphabet starts with alpha)

    alpha: TP 2 FP 1 FN 1 -> P 2/3, R 2/3, F1 2/3, support 3
    beta:  TP 1 FP 1 FN 1 -> P 1/2, R 1/2, F1 1/2, support 2
    gamma: TP 0 FP 1 FN 0 -> P 0, R 0, F1 0, support 0 (not a gold label: left out of macro-F1)
    macro-F1 = (2/3 + 1/2) / 2 = 0.583
    en: TP 1 FP 1 FN 1 -> micro-F1 0.5;  ru: TP 2 FP 0 FN 1 -> P 1, R 2/3, F1 0.8;  az: TP 0 FP 2 -> 0
"""

from pathlib import Path

import pytest

from feeds.matching import LabelledDataError, Matcher, evaluate, read_labelled_jsonl, render_report
from feeds.matching.taxonomy import parse_taxonomy

TINY = Path(__file__).parent / "data" / "matching_eval_tiny.jsonl"


@pytest.fixture(scope="module")
def report():
    taxonomy = parse_taxonomy(
        {
            "version": 1,
            "incidents": {
                "alpha": {"title": "Alpha", "query": "alpha*"},
                "beta": {"title": "Beta", "query": "beta"},
                "gamma": {"title": "Gamma", "query": "gamma"},
            },
        },
        "tiny.yaml",
    )
    return evaluate(Matcher.from_taxonomy(taxonomy), read_labelled_jsonl(TINY))


def test_per_label_counts_and_scores(report) -> None:
    alpha, beta, gamma = (report.per_label[label] for label in ("alpha", "beta", "gamma"))
    assert (alpha.true_positives, alpha.false_positives, alpha.false_negatives) == (2, 1, 1)
    assert alpha.precision == pytest.approx(2 / 3) and alpha.recall == pytest.approx(2 / 3)
    assert alpha.f1 == pytest.approx(2 / 3) and alpha.support == 3
    assert (beta.precision, beta.recall, beta.f1, beta.support) == (0.5, 0.5, 0.5, 2)
    assert (gamma.precision, gamma.recall, gamma.f1, gamma.support) == (0.0, 0.0, 0.0, 0)


def test_macro_f1_averages_over_gold_labels_only(report) -> None:
    assert report.gold_labels == ["alpha", "beta"]
    assert report.macro_f1 == pytest.approx((2 / 3 + 1 / 2) / 2)


def test_micro_f1_per_language(report) -> None:
    assert report.per_language["en"].f1 == pytest.approx(0.5)
    assert report.per_language["ru"].precision == 1.0
    assert report.per_language["ru"].f1 == pytest.approx(0.8)
    assert report.per_language["az"].f1 == 0.0


def test_rendered_report_ends_with_macro_f1(report) -> None:
    text = render_report(report)
    assert text.splitlines()[-1] == "macro-F1: 0.583"
    assert "alpha      0.667   0.667  0.667        3" in text
    assert "ru            1.000   0.667     0.800" in text
    assert "FALSE" not in text


def test_rendered_errors_list_every_false_positive_and_negative_with_why(report) -> None:
    text = render_report(report, errors=True)
    lines = text.splitlines()
    assert lines[-1] == "macro-F1: 0.583"
    assert "errors: 5" in lines
    assert "FALSE NEGATIVE alpha | t2 [en] beta story" in lines
    assert "FALSE POSITIVE beta | t2 [en] beta story" in lines
    assert "FALSE NEGATIVE beta | t4 [ru] ничего" in lines
    assert "FALSE POSITIVE alpha | t5 [az] alphabet gamma" in lines
    assert "    why:  alpha* = 'alphabet' (title #0)" in lines
    assert "FALSE POSITIVE gamma | t5 [az] alphabet gamma" in lines


def test_reader_skips_blank_lines_and_keeps_optional_fields() -> None:
    items = read_labelled_jsonl(TINY)
    assert [i.id for i in items] == ["t1", "t2", "t3", "t4", "t5"]
    assert items[2].labels == ("alpha", "beta")
    assert str(items[4].published) == "2025-01-01"


def test_reader_reports_every_bad_line_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        "\n".join(
            [
                '{"id": "a", "lang": "en", "title": "ok", "labels": []}',
                '{"id": "b", "lang": "en", "title": "no labels"}',
                "{not json",
                '["a", "list"]',
                '{"id": "c", "lang": "en", "title": "x", "labels": "entry-bans"}',
                '{"id": "a", "lang": "ru", "title": "again", "labels": []}',
                '{"id": "d", "lang": "en", "title": "x", "labels": [], "published": "yesterday"}',
            ]
        ),
        encoding="utf-8",
    )
    with pytest.raises(LabelledDataError) as caught:
        read_labelled_jsonl(path)
    problems = caught.value.problems
    assert [p.split(": ")[0] for p in problems] == [f"{path}:{n}" for n in (2, 3, 4, 5, 6, 7)]
    assert problems[0] == f"{path}:2: labels: Field required"
    assert problems[1].startswith(f"{path}:3: not valid JSON: ")
    assert problems[2] == f"{path}:4: expected a JSON object, found list"
    assert problems[3].startswith(f"{path}:5: labels: ")
    assert problems[4] == f"{path}:6: id 'a' already used on line 1"
    assert problems[5].startswith(f"{path}:7: published: ")


def test_reader_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LabelledDataError, match="cannot read"):
        read_labelled_jsonl(tmp_path / "nope.jsonl")
