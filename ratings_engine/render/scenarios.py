"""Scenario results (`toolkit.scenarios.ScenarioReport`) as text, markdown or JSON."""
from __future__ import annotations

import json
from typing import Any

from ..toolkit.scenarios import ScenarioReport


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
        out.append(f"{'- **' + mark + '**' if markdown else mark}  {r.name}  ({where})")
        for m in r.mismatches:
            indent = "    " if markdown else "      "
            out.append(f"{indent}{'- ' if markdown else ''}{m.what}: expected {_show(m.expected)}, got {_show(m.actual)}")
            out.append(f"{indent}  because: {m.because}")
    out.append("")
    out.append(f"{report.passed} passed, {report.failed} failed ({len(report.results)} scenarios in "
               f"{len(report.files)} file(s))")
    return "\n".join(out).rstrip() + "\n"


def to_json(report: ScenarioReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
