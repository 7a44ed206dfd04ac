"""The shipped taxonomy on the labelled dev set reaches the targets of the matching spec."""

import pytest

from feeds.matching import Matcher, evaluate, load_taxonomy, read_labelled_jsonl
from tests.benchmarks.bench_matching import TAXONOMY, find_dev_set


@pytest.fixture(scope="module")
def report():
    matcher = Matcher.from_taxonomy(load_taxonomy(TAXONOMY))
    return evaluate(matcher, read_labelled_jsonl(find_dev_set()))


def test_dev_set_macro_f1_is_at_least_0_90(report) -> None:
    assert report.items == 150
    assert report.macro_f1 >= 0.90


@pytest.mark.parametrize("lang", ["ru", "az", "en"])
def test_dev_set_micro_f1_per_language_is_at_least_0_85(report, lang: str) -> None:
    assert report.per_language[lang].f1 >= 0.85
