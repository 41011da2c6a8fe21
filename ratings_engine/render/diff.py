"""A rulebook diff (`toolkit.diff.DiffReport`) as text, markdown, JSON, CSV or an xlsx workbook.

Every form shows the same things: both rulebooks (and the recorded ratings when the base is
those), the summary, the transition matrix of each listed level with row percentages, the
changes at the listed levels with the rule that decided each side, and, when several changes
were made, which change alone moves which unit.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from ..io.spreadsheets import Sheet, csv_text, xlsx_bytes
from ..model.results import RulebookStamp
from ..toolkit.diff import DiffReport, Matrix
from ..model.text import printable
from .markdown import md_escape
from .text_table import Styled, line, table

LEVEL_TITLES = {"overall": "Overall ratings", "standard": "Standard ratings", "key_question": "Key-question ratings"}
LEVEL_NOUNS = {"overall": "unit", "standard": "standard rating", "key_question": "key-question rating"}
CHANGES_HEADER = ["unit", "level", "id", "name", "base", "candidate", "base_rule", "candidate_rule", "moved_by",
                  "base_because", "candidate_because"]


def _rulebook_line(label: str, stamp: RulebookStamp, overrides: Sequence[str]) -> str:
    where = f" from {_short(stamp.file)}" if stamp.file else ""
    sets = f" with --set {' --set '.join(overrides)}" if overrides else ""
    return f"{label}: {stamp.id} version {stamp.version}{where}{sets}, sha256 {stamp.sha256}"


def _short(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(report: DiffReport) -> str:
    s = report.summary()
    if not report.changed:
        return f"No rating changed across {_plural(s['units'], 'unit')}."

    def within(n: int) -> str:
        return f" (in {_plural(n, 'unit')})" if n else ""

    kq = "" if report.against is not None else (
        f", {_plural(s['key_questions_changed'], 'key-question rating')}{within(s['units_with_key_question_changes'])}")
    return (f"{s['units_changed']} of {_plural(s['units'], 'unit')} changed: "
            f"{_plural(s['overall_changed'], 'overall rating')}, "
            f"{_plural(s['standards_changed'], 'standard rating')}{within(s['units_with_standard_changes'])}{kq}.")


def transition_lines(report: DiffReport, level: str = "overall") -> list[str]:
    """'2 units Good -> Requires improvement', most common first."""
    noun = LEVEL_NOUNS[level]
    return [f"{_plural(n, noun)} {a} -> {b}" for n, a, b in report.matrix(level).moved()]


def percent_text(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}%" if value in (0, 100) else f"{value:.1f}%"


def matrix_rows(m: Matrix) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a matrix as text: 'count (row %)' cells, '.' for none, totals."""
    header = ["base \\ candidate", *m.labels, "total"]
    rows = []
    for a in m.labels:
        cells = []
        for b in m.labels:
            n = m.counts.get((a, b), 0)
            cells.append(f"{n} ({percent_text(m.percent(a, b))})" if n else ".")
        rows.append([a, *cells, str(m.total(a))])
    rows.append(["total", *[str(m.column_total(b)) for b in m.labels], str(m.grand_total)])
    return header, rows


def moved_by(report: DiffReport, unit: str) -> str:
    if report.attribution is None:
        return ""
    return "; ".join(report.attribution.deciding(unit))


def to_text(report: DiffReport, *, markdown: bool = False) -> str:
    fmt = "github" if markdown else "simple"
    out: list[str] = []

    def heading(text: str) -> None:
        out.append(f"## {text}" if markdown else text)
        out.append("")

    out.append("# Rulebook diff" if markdown else "Rulebook diff")
    out.append("")
    sep = "  " if markdown else ""
    wrap = (lambda t: t) if markdown else (lambda t: line(t, hanging="  "))
    if report.against is not None:
        a = report.against
        out.append(wrap(f"Base: recorded ratings from {_short(a['file'])}, sha256 {a['sha256']} (standards and scale "
                        f"of {report.base.id}; key questions are not recorded, so not compared)") + sep)
    else:
        out.append(wrap(_rulebook_line("Base", report.base, report.base_overrides)) + sep)
    out.append(wrap(_rulebook_line("Candidate", report.candidate, report.candidate_overrides)) + sep)
    files = ", ".join(i["file"] for i in report.inputs if i.get("kind") != "recorded")
    out.append(wrap(f"Corpus: {files}"))
    out.append("")
    out.append("**Summary:** " + summary_line(report) if markdown
               else line("Summary: " + summary_line(report), hanging="  ", style="bad" if report.changed else "good"))
    out.append("")

    for level in (report.levels if report.level != "all" else ("overall",)):
        m = report.matrix(level)
        heading(f"{LEVEL_TITLES[level]}: base (rows) -> candidate (columns), count (% of the base row)")
        header, rows = matrix_rows(m)
        out.append(table(rows, headers=header, fmt=fmt))
        out.append("")
        moves = transition_lines(report, level)
        if moves:
            out.append("Moves:")
            out.extend(f"- {move}" for move in moves)
            out.append("")

    listed = report.listed()
    if listed:
        heading("Changed units" if report.level == "all" else f"Changed {LEVEL_TITLES[report.level].lower()}")
        rows = []
        folded = False
        attributed = report.attribution is not None
        for u in report.changed_units:
            # A key question that decides a listed standard change is shown in that row already.
            shown = {r.split(" ", 1)[0] for c in u.changes if c.level == "standard" and "standard" in report.levels
                     for r in (c.base_rule, c.candidate_rule)}
            for c in u.changes:
                if c.level not in report.levels:
                    continue
                if c.level == "key_question" and c.id in shown:
                    folded = True
                    continue
                what = ("overall" if c.level == "overall" else
                        f"{c.id} {c.name}" if c.level == "standard" else f"key question {c.id}")
                esc = md_escape if markdown else printable  # unit names are data
                row = [esc(u.unit), esc(what), c.base, c.base_rule, Styled(c.candidate or "", "bad"), c.candidate_rule]
                rows.append(row + [moved_by(report, u.unit)] if attributed else row)
        header = ["Unit", "Rating", "Base", "Decided by (base)", "Candidate", "Decided by (candidate)"]
        out.append(table(rows, headers=header + (["Moved by"] if attributed else []), fmt=fmt))
        out.append("")
        if folded:
            out.append(line("A key question that decides a changed standard is shown in the standard's row; "
                            "--format json lists every change with the rules' explanations."))
            out.append("")
    if report.attribution is not None:
        out.extend(attribution_lines(report, markdown=markdown))
    for w in report.warnings:
        out.append(f"**Warning:** {w}" if markdown else line(f"WARNING: {w}", hanging="  ", style="warn"))
    return "\n".join(out).rstrip() + "\n"


def attribution_lines(report: DiffReport, *, markdown: bool = False, limit: int = 20) -> list[str]:
    a = report.attribution
    noun = {"overall": "overall", "standard": "standard", "key_question": "key-question"}[a.level]
    out = [("## " if markdown else "") + f"Which change moves which unit ({noun} ratings; each change applied alone "
           "to the base)", ""]

    def names(units: Sequence[str]) -> str:
        shown = ", ".join(units[:limit])
        return shown + (f" and {len(units) - limit} more" if len(units) > limit else "")

    for c in a.changes:
        if c.label in a.errors:
            out.append(f"- {c.label}: cannot be applied alone: {a.errors[c.label]}")
            continue
        units = a.moves.get(c.label, ())
        out.append(f"- {c.label}: alone moves {_plural(len(units), 'unit')}" + (f": {names(units)}" if units else ""))
    out.append(f"- only under the combination: {_plural(len(a.combination_only), 'unit')}"
               + (f": {names(a.combination_only)}" if a.combination_only else ""))
    if a.not_together:
        out.append(f"- moved by a change alone but not by all together (the changes cancel out): "
                   f"{names(a.not_together)}")
    out.append("")
    return out


def to_json(report: DiffReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def change_rows(report: DiffReport) -> list[list]:
    return [[u.unit, c.level, c.id, c.name, c.base, c.candidate, c.base_rule, c.candidate_rule, moved_by(report, u.unit),
             c.base_because, c.candidate_because] for u, c in report.listed()]


def to_csv(report: DiffReport) -> str:
    """One row per change at the listed levels (formula-like text escaped)."""
    return csv_text(CHANGES_HEADER, change_rows(report))


def to_xlsx(report: DiffReport) -> bytes:
    """A workbook: Summary, one Matrix sheet per listed level (counts and row %), Changes, Attribution."""
    s = report.summary()
    summary_rows = [["base", report.base.id if report.against is None else f"recorded: {report.against['file']}"],
                    ["base sha256", report.base.sha256 if report.against is None else report.against["sha256"]],
                    ["candidate", report.candidate.id], ["candidate sha256", report.candidate.sha256],
                    ["candidate changes", "; ".join(report.candidate_overrides)], ["level", report.level],
                    *[[k.replace("_", " "), v] for k, v in s.items()],
                    *[["warning", w] for w in report.warnings]]
    sheets = [Sheet("Summary", ["item", "value"], summary_rows, notes=[summary_line(report)])]
    for level in report.levels:
        m = report.matrix(level)
        header = ["base \\ candidate", *m.labels, "total", *[f"% {b}" for b in m.labels]]
        rows = [[a, *[m.counts.get((a, b), 0) for b in m.labels], m.total(a),
                 *[None if m.percent(a, b) is None else round(m.percent(a, b), 1) for b in m.labels]]
                for a in m.labels]
        rows.append(["total", *[m.column_total(b) for b in m.labels], m.grand_total, *[None for _ in m.labels]])
        sheets.append(Sheet(f"Matrix {level.replace('_', ' ')}", header, rows,
                            notes=[f"{LEVEL_TITLES[level]}: base (rows) -> candidate (columns); % of the base row"]))
    sheets.append(Sheet("Changes", CHANGES_HEADER, change_rows(report)))
    if report.attribution is not None:
        a = report.attribution
        rows = [[c.label, "; ".join(c.assignments), len(a.moves.get(c.label, ())), ", ".join(a.moves.get(c.label, ())),
                 a.errors.get(c.label)] for c in a.changes]
        rows.append(["only under the combination", None, len(a.combination_only), ", ".join(a.combination_only), None])
        sheets.append(Sheet("Attribution", ["change", "assignments", "units moved alone", "units", "error"], rows,
                            notes=[f"{a.level} ratings; each change applied alone to the base"]))
    return xlsx_bytes(sheets)
