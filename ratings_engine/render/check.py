"""`rate check-rules` results (`toolkit.check.CheckReport`, `toolkit.properties.PropertiesReport`) as text or JSON."""
from __future__ import annotations

import json

from ..toolkit.check import GRADES, CheckReport
from ..toolkit.properties import Counterexample, PropertiesReport


def format_report(report: CheckReport, fmt: str = "table", properties=None) -> str:
    """The report as text ('table') or JSON; `properties` is an optional properties.PropertiesReport."""
    if fmt == "json":
        data = report.to_dict()
        if properties is not None:
            data["properties"] = properties.to_dict()
        data["ok"] = report.ok and (properties is None or properties.ok)
        return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    from tabulate import tabulate

    out = []
    name = report.rulebook_id or "(rulebook did not load)"
    head = f"check-rules: {name}"
    if report.version:
        head += f" version {report.version}"
    if report.path:
        head += f" ({report.path})"
    out.append(head)
    if report.overrides:
        out.append(f"changed by --set {'; '.join(report.overrides)}")
    if report.sha256:
        out.append(f"sha256 {report.sha256}")
    out.append("")
    out.append(f"ERRORS ({len(report.errors)})")
    out += [f"  {f}" for f in report.errors] or ["  none"]
    out.append(f"WARNINGS ({len(report.warnings)})")
    out += [f"  {f}" for f in report.warnings] or ["  none"]
    out.append("")
    out.append("CHECKED")
    out += [f"  - {line}" for line in report.checked]
    if report.provenance:
        out.append("")
        out.append("PROVENANCE (rules by grade)")
        rows = [[cat, *(counts[g] for g in GRADES), sum(counts.values())] for cat, counts in report.provenance.items()]
        table = tabulate(rows, headers=["rules", *GRADES, "all"], tablefmt="simple")
        out += [f"  {line}" for line in table.splitlines()]
    if properties is not None:
        out.append("")
        out.append(properties_text(properties))
    out.append("")
    failed_props = properties is not None and not properties.ok
    if report.ok and not failed_props:
        out.append(f"RESULT: OK ({len(report.warnings)} warning(s))")
    else:
        parts = [f"{len(report.errors)} error(s)", f"{len(report.warnings)} warning(s)"]
        if properties is not None and properties.skipped is None:
            parts.append(f"{len(properties.failed)} failed propert{'y' if len(properties.failed) == 1 else 'ies'}")
        out.append("RESULT: FAILED (" + ", ".join(parts) + ")")
    return "\n".join(out) + "\n"


def properties_text(report: PropertiesReport) -> str:
    lines = [f"PROPERTIES (hypothesis, up to {report.examples} examples each, seed {report.seed})"]
    if report.skipped:
        lines.append(f"  not run: {report.skipped}")
    for r in report.results:
        status = "passed" if r.passed else "FAILED"
        lines.append(f"  {status}: {r.name} ({r.examples} examples): {r.description}")
        if r.error:
            lines.append(f"    {r.error}")
        if r.counterexample is not None:
            lines.append(counterexample_text(r.counterexample))
    return "\n".join(lines)


def counterexample_text(example: Counterexample) -> str:
    from tabulate import tabulate

    lines = [f"  {'smallest ' if example.shrunk else ''}counter-example ({example.change}):"]
    marked = example.before.astype(str).copy()
    if example.before.shape == example.after.shape and list(example.before.columns) == list(example.after.columns):
        for col in marked.columns:
            changed = example.before[col].astype(str) != example.after[col].astype(str)
            marked.loc[changed, col] = example.before[col][changed].astype(str) + " -> " + example.after[col][changed].astype(str)
        table = tabulate(marked.values.tolist(), headers=list(marked.columns), tablefmt="simple")
        lines += [f"    {line}" for line in table.splitlines()]
    else:
        for label, frame in (("before", example.before), ("after", example.after)):
            lines.append(f"    cases {label}:")
            table = tabulate(frame.astype(str).values.tolist(), headers=list(frame.columns), tablefmt="simple")
            lines += [f"      {line}" for line in table.splitlines()]
    if example.judgements:
        lines.append("    judgements: " + ", ".join(f"{s} {r}" for s, r in example.judgements.items()))
    if example.tallies:
        lines.append("    tallies: " + "; ".join(f"{kq} {a} -> {b}" for kq, a, b in example.tallies))
    rows = [[what, "-" if b is None else b, "-" if a is None else a] for what, b, a in example.differences]
    table = tabulate(rows, headers=["rating of", "before", "after"], tablefmt="simple")
    lines += [f"    {line}" for line in table.splitlines()]
    return "\n".join(lines)
