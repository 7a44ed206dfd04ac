"""Evaluation against labelled JSON Lines: per-label and per-language scores, and the error list.

Conventions: precision is 0 when a label was never predicted, recall is 0 when it never occurs, F1
is 0 when both are 0. Macro-F1 is the mean F1 over the labels that occur in the gold labels. A
language's micro-F1 pools its (item, label) decisions; with no gold label and no prediction at all
there is nothing to get wrong and it is 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from feeds.matching.matcher import IncidentMatch, Matcher


class LabelledDataError(ValueError):
    """Bad lines in a labelled JSONL file; ``problems`` holds one ``path:line: problem`` per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class LabelledItem(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1)
    lang: str = Field(min_length=1)
    title: str
    summary: str = ""
    labels: tuple[str, ...]
    published: date | None = None


def read_labelled_jsonl(path: Path | str) -> list[LabelledItem]:
    """Read ``{"id","lang","title","summary","labels",...}`` lines; blank lines are skipped.

    Raises :class:`LabelledDataError` listing every bad line (line number and problem).
    """
    path = Path(path)
    items: list[LabelledItem] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise LabelledDataError([f"{path}: cannot read: {error}"]) from error
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"{where}: not valid JSON: {error.msg} (column {error.colno})")
            continue
        if not isinstance(data, dict):
            problems.append(f"{where}: expected a JSON object, found {type(data).__name__}")
            continue
        try:
            item = LabelledItem.model_validate(data)
        except ValidationError as error:
            details = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'item'}: {e['msg']}"
                for e in error.errors(include_url=False)
            )
            problems.append(f"{where}: {details}")
            continue
        if item.id in seen:
            problems.append(f"{where}: id {item.id!r} already used on line {seen[item.id]}")
            continue
        seen[item.id] = number
        items.append(item)
    if problems:
        raise LabelledDataError(problems)
    return items


@dataclass(frozen=True, slots=True)
class Scores:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 0.0

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 0.0

    @property
    def f1(self) -> float:
        if self.true_positives + self.false_positives + self.false_negatives == 0:
            return 1.0
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.true_positives + self.false_negatives


@dataclass(frozen=True, slots=True)
class ErrorCase:
    kind: str  # "false positive" | "false negative"
    item: LabelledItem
    label: str
    explanation: list[dict[str, Any]]  # why it was tagged (false positives); empty for misses


@dataclass(slots=True)
class EvalReport:
    per_label: dict[str, Scores]
    per_language: dict[str, Scores]
    gold_labels: list[str]
    items: int
    errors: list[ErrorCase] = field(default_factory=list)

    @property
    def macro_f1(self) -> float:
        if not self.gold_labels:
            return 0.0
        return sum(self.per_label[label].f1 for label in self.gold_labels) / len(self.gold_labels)


def evaluate(matcher: Matcher, records: Iterable[LabelledItem]) -> EvalReport:
    """Tag every record with ``matcher`` and compare with its gold labels."""
    counts: dict[str, list[int]] = {}
    language_counts: dict[str, list[int]] = {}
    gold_labels: set[str] = set()
    errors: list[ErrorCase] = []
    total = 0
    for item in records:
        total += 1
        matches: dict[str, IncidentMatch] = {
            m.incident_id: m for m in matcher.match(item.title, item.summary, item.lang, item.published)
        }
        gold = set(item.labels)
        gold_labels |= gold
        language = language_counts.setdefault(item.lang, [0, 0, 0])
        for label in sorted(gold | set(matches)):
            label_counts = counts.setdefault(label, [0, 0, 0])
            outcome = 0 if label in gold and label in matches else (1 if label in matches else 2)
            label_counts[outcome] += 1
            language[outcome] += 1
            if outcome == 1:
                errors.append(ErrorCase("false positive", item, label, matches[label].explanation))
            elif outcome == 2:
                errors.append(ErrorCase("false negative", item, label, []))
    return EvalReport(
        per_label={label: Scores(*c) for label, c in sorted(counts.items())},
        per_language={lang: Scores(*c) for lang, c in sorted(language_counts.items())},
        gold_labels=sorted(gold_labels),
        items=total,
        errors=errors,
    )


def render_report(report: EvalReport, errors: bool = False) -> str:
    """The text ``crisisdesk eval`` prints; the last line is ``macro-F1: 0.XXX``."""
    width = max([len("label"), *(len(label) for label in report.per_label)])
    lines = [f"{report.items} items", "", f"{'label':<{width}}  precision  recall     f1  support"]
    for label, s in report.per_label.items():
        lines.append(f"{label:<{width}}  {s.precision:9.3f}  {s.recall:6.3f}  {s.f1:5.3f}  {s.support:7d}")
    lines += ["", "language  precision  recall  micro-F1"]
    for lang, s in report.per_language.items():
        lines.append(f"{lang:<8}  {s.precision:9.3f}  {s.recall:6.3f}  {s.f1:8.3f}")
    if errors:
        lines += ["", f"errors: {len(report.errors)}"]
        for case in report.errors:
            item = case.item
            lines.append(f"{case.kind.upper()} {case.label} | {item.id} [{item.lang}] {item.title}")
            lines.append(f"    gold: {', '.join(item.labels) or '(none)'}")
            if case.explanation:
                lines.append("    why:  " + "; ".join(_explain(e) for e in case.explanation))
    lines += ["", f"macro-F1: {report.macro_f1:.3f}"]
    return "\n".join(lines)


def _explain(entry: dict[str, Any]) -> str:
    return f"{entry['term']} = {entry['word']!r} ({entry['field']} #{entry['position']})"
