"""`rate check-rules` results (`toolkit.check.CheckReport`, `toolkit.properties.PropertiesReport`) as text or JSON."""
from __future__ import annotations

import json

from ..toolkit.check import GRADES, CheckReport
from ..toolkit.properties import Counterexample, PropertiesReport
from .text_table import line, paint, table


def format_report(report: CheckReport, fmt: str = "table", properties=None) -> str:
    """The report as text ('table') or JSON; `properties` is an optional properties.PropertiesReport."""
    if fmt == "json":
        data = report.to_dict()
        if properties is not None:
            data["properties"] = properties.to_dict()
        data["ok"] = report.ok and (properties is None or properties.ok)
        return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    out = []
    name = report.rulebook_id or "(rulebook did not load)"
    head = f"check-rules: {name}"
    if report.version:
        head += f" version {report.version}"
    if report.path:
        head += f" ({report.path})"
    out.append(line(head, hanging="  "))
    if report.overrides:
        out.append(f"changed by --set {'; '.join(report.overrides)}")
    if report.sha256:
        out.append(f"sha256 {report.sha256}")
    out.append("")
    out.append(paint(f"ERRORS ({len(report.errors)})", "bad" if report.errors else None))
    out += [line(str(f), indent="  ", hanging="    ") for f in report.errors] or ["  none"]
    out.append(paint(f"WARNINGS ({len(report.warnings)})", "warn" if report.warnings else None))
    out += [line(str(f), indent="  ", hanging="    ") for f in report.warnings] or ["  none"]
    out.append("")
    out.append("CHECKED")
    out += [line(str(c), indent="  - ", hanging="    ") for c in report.checked]
    if report.provenance:
        out.append("")
        out.append("PROVENANCE (rules by grade)")
        rows = [[cat, *(counts[g] for g in GRADES), sum(counts.values())] for cat, counts in report.provenance.items()]
        out.append(table(rows, headers=["rules", *GRADES, "all"], indent="  ",
                         colalign=["left", *(["right"] * (len(GRADES) + 1))]))
    if properties is not None:
        out.append("")
        out.append(properties_text(properties))
    out.append("")
    failed_props = properties is not None and not properties.ok
    if report.ok and not failed_props:
        out.append(paint(f"RESULT: OK ({len(report.warnings)} warning(s))", "good"))
    else:
        parts = [f"{len(report.errors)} error(s)", f"{len(report.warnings)} warning(s)"]
        if properties is not None and properties.skipped is None:
            parts.append(f"{len(properties.failed)} failed propert{'y' if len(properties.failed) == 1 else 'ies'}")
        out.append(paint("RESULT: FAILED (" + ", ".join(parts) + ")", "bad"))
    return "\n".join(out) + "\n"


def properties_text(report: PropertiesReport) -> str:
    lines = [f"PROPERTIES (hypothesis, up to {report.examples} examples each, seed {report.seed})"]
    if report.skipped:
        lines.append(f"  not run: {report.skipped}")
    for r in report.results:
        status = paint("passed", "good") if r.passed else paint("FAILED", "bad")
        lines.append(f"  {status}: {r.name} ({r.examples} examples): {r.description}")
        if r.error:
            lines.append(f"    {r.error}")
        if r.counterexample is not None:
            lines.append(counterexample_text(r.counterexample))
    return "\n".join(lines)


def counterexample_text(example: Counterexample) -> str:
    lines = [f"  {'smallest ' if example.shrunk else ''}counter-example ({example.change}):"]
    marked = example.before.astype(str).copy()
    if example.before.shape == example.after.shape and list(example.before.columns) == list(example.after.columns):
        for col in marked.columns:
            changed = example.before[col].astype(str) != example.after[col].astype(str)
            marked.loc[changed, col] = example.before[col][changed].astype(str) + " -> " + example.after[col][changed].astype(str)
        lines.append(table(marked.values.tolist(), headers=list(marked.columns), indent="    "))
    else:
        for label, frame in (("before", example.before), ("after", example.after)):
            lines.append(f"    cases {label}:")
            lines.append(table(frame.astype(str).values.tolist(), headers=list(frame.columns), indent="      "))
    if example.judgements:
        lines.append("    judgements: " + ", ".join(f"{s} {r}" for s, r in example.judgements.items()))
    if example.tallies:
        lines.append("    tallies: " + "; ".join(f"{kq} {a} -> {b}" for kq, a, b in example.tallies))
    rows = [[what, "-" if b is None else b, "-" if a is None else a] for what, b, a in example.differences]
    lines.append(table(rows, headers=["rating of", "before", "after"], indent="    "))
    return "\n".join(lines)
