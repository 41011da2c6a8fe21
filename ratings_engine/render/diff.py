"""A rulebook diff (`toolkit.diff.DiffReport`) as text, markdown or JSON."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from ..model.results import RulebookStamp
from ..toolkit.diff import DiffReport


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

    return (f"{s['units_changed']} of {_plural(s['units'], 'unit')} changed: "
            f"{_plural(s['overall_changed'], 'overall rating')}, "
            f"{_plural(s['standards_changed'], 'standard rating')}{within(s['units_with_standard_changes'])}, "
            f"{_plural(s['key_questions_changed'], 'key-question rating')}"
            f"{within(s['units_with_key_question_changes'])}.")


def transition_lines(report: DiffReport) -> list[str]:
    """'2 units Good -> Requires improvement', most common first."""
    moved = [(n, a, b) for (a, b), n in report.transitions().items() if a != b]
    moved.sort(key=lambda t: (-t[0], report._order(t[1]), report._order(t[2])))
    return [f"{_plural(n, 'unit')} {a} -> {b}" for n, a, b in moved]


def to_text(report: DiffReport, *, markdown: bool = False) -> str:
    from tabulate import tabulate

    fmt = "github" if markdown else "simple"
    out: list[str] = []
    out.append("# Rulebook diff" if markdown else "Rulebook diff")
    out.append("")
    sep = "  " if markdown else ""
    out.append(_rulebook_line("Base", report.base, report.base_overrides) + sep)
    out.append(_rulebook_line("Candidate", report.candidate, report.candidate_overrides) + sep)
    files = ", ".join(i["file"] for i in report.inputs)
    out.append(f"Corpus: {files}")
    out.append("")
    out.append(("**Summary:** " if markdown else "Summary: ") + summary_line(report))
    out.append("")

    labels = report.labels()
    matrix = report.transitions()
    used = [l for l in labels if any(l in key for key in matrix)]
    out.append("## Overall ratings: base (rows) -> candidate (columns)" if markdown
               else "Overall ratings: base (rows) -> candidate (columns)")
    out.append("")
    rows = [[a] + [str(matrix.get((a, b), 0)) if matrix.get((a, b)) else "." for b in used] + [str(sum(matrix.get((a, b), 0) for b in used))]
            for a in used]
    rows.append(["total"] + [str(sum(matrix.get((a, b), 0) for a in used)) for b in used] + [str(len(report.units))])
    out.append(tabulate(rows, headers=["base \\ candidate"] + used + ["total"], tablefmt=fmt, disable_numparse=True))
    out.append("")
    moves = transition_lines(report)
    if moves:
        out.append("Moves:")
        out.extend(f"- {m}" for m in moves)
        out.append("")

    if report.changed:
        out.append("## Changed units" if markdown else "Changed units")
        out.append("")
        rows = []
        folded = False
        for u in report.changed_units:
            # A key question that decides a listed standard change is shown in that row already.
            shown = {r.split(" ", 1)[0] for c in u.changes if c.level == "standard" for r in (c.base_rule, c.candidate_rule)}
            for c in u.changes:
                if c.level == "key_question" and c.id in shown:
                    folded = True
                    continue
                what = ("overall" if c.level == "overall" else
                        f"{c.id} {c.name}" if c.level == "standard" else f"key question {c.id}")
                rows.append([u.unit, what, c.base, c.base_rule, c.candidate, c.candidate_rule])
        out.append(tabulate(rows, headers=["Unit", "Rating", "Base", "Decided by (base)", "Candidate",
                                           "Decided by (candidate)"], tablefmt=fmt, disable_numparse=True))
        out.append("")
        if folded:
            out.append("A key question that decides a changed standard is shown in the standard's row; "
                       "--format json lists every change with the rules' explanations.")
            out.append("")
    for w in report.warnings:
        out.append(f"{'**Warning:**' if markdown else 'WARNING:'} {w}")
    return "\n".join(out).rstrip() + "\n"


def to_json(report: DiffReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
