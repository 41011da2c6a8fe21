"""Scenario results (`toolkit.scenarios.ScenarioReport`) as text, markdown or JSON."""
from __future__ import annotations

import json
from typing import Any

from ..toolkit.scenarios import ScenarioReport
from ..model.text import printable
from .markdown import md_escape
from .text_table import line, paint


def _show(value: Any) -> str:
    return "null (no rating)" if value is None else str(value)


def to_text(report: ScenarioReport, *, markdown: bool = False) -> str:
    rb = report.rulebook
    sets = f" with --set {' --set '.join(report.overrides)}" if report.overrides else ""
    out = [("# " if markdown else "") + f"Scenarios replayed against {rb.id} version {rb.version}{sets}",
           "", f"Rulebook sha256 {rb.sha256}" + ("  " if markdown else "")]
    out += [f"Note: {n}" + ("  " if markdown else "") for n in report.notes]
    out.append("")
    for r in report.results:
        where = f"{r.file}:{r.line}" if r.line else r.file
        mark = "PASS" if r.passed else "FAIL"
        name = md_escape(f"{r.name}  ({where})") if markdown else printable(f"{r.name}  ({where})")
        out.append(f"- **{mark}**  {name}" if markdown else
                   paint(mark, "good" if r.passed else "bad") + line(f"{mark}  {name}", hanging="      ")
                   [len(mark):])
        for m in r.mismatches:
            if markdown:
                out.append(f"    - {md_escape(m.what)}: expected {md_escape(_show(m.expected))}, got "
                           f"{md_escape(_show(m.actual))}")
                out.append(f"      because: {md_escape(m.because)}")
            else:
                out.append(line(printable(f"{m.what}: expected {_show(m.expected)}, got {_show(m.actual)}"), indent=" " * 6,
                                hanging=" " * 8))
                out.append(line(f"because: {m.because}", indent=" " * 8, hanging=" " * 10))
    out.append("")
    out.append(paint(f"{report.passed} passed, {report.failed} failed ({len(report.results)} scenarios in "
                     f"{len(report.files)} file(s))", None if markdown else ("bad" if report.failed else "good")))
    return "\n".join(out).rstrip() + "\n"


def to_json(report: ScenarioReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
