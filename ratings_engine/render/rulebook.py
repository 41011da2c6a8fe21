"""`rate show`: a resolved rulebook (after `extends` and any `--set`) as a document to review.

For a methodology officer who should not have to read YAML: what the rulebook is and when it
is in force; its rating scale and scores; every policy with its value and provenance (sample
sizes, pooling); the framework (domains, standards, key questions, how each is rated); and
every decision table with its hit policy, provenance and rows in order, in words. One layout
(`sections`) rendered four ways: text table, markdown, JSON (the resolved rulebook itself) and
a printable HTML page.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape

from ..model.rulebook import LoadedRulebook, Rulebook
from ..rating.explain import aggregate_row_text, band_row_text


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def _grade(p) -> str:
    return f"{p.grade}: {p.source}" if p is not None else "(no provenance)"


def _effective(rb: Rulebook) -> str:
    e = rb.effective
    return f"{e.from_.isoformat()} to {e.to.isoformat() if e.to else 'open (no end set)'}"


def sections(loaded: LoadedRulebook, extends: str | None = None) -> list[Section]:
    rb = loaded.rulebook
    about = Section("Rulebook", lines=[
        f"{rb.title}", f"id {rb.id}, version {rb.version}, sha256 {rb.sha256[:12]}"
        + (f", file {loaded.path}" if loaded.path else "") + (f", extends {extends}" if extends else ""),
        f"Rates: {rb.unit_kind or 'units (kind not stated)'}" + ("; EXPERIMENTAL: never in force" if rb.experimental else ""),
        f"In force: {_effective(rb)} [{_grade(rb.effective.provenance)}]",
    ] + ([rb.description.strip()] if rb.description else []))
    scale = Section("Ratings and scores", lines=[f"Scores [{_grade(rb.scores.provenance)}]"],
                    header=["rating (lowest first)", "score"],
                    rows=[[r, str(rb.score(r))] for r in rb.ratings])
    policies = Section("Policies", header=["policy", "value", "provenance"])
    for name in type(rb.policies).model_fields:
        policy = getattr(rb.policies, name)
        if name == "sample_sizes" or policy is None:
            continue
        policies.rows.append([name, str(policy.value), _grade(policy.provenance)])
    out = [about, scale, policies]
    samples = rb.policies.sample_sizes
    if samples is not None:
        out.append(Section(
            "Sample sizes", lines=[
                f"Sample-size rules [{_grade(samples.provenance)}]. A sample's size is the largest number of applicable "
                "cases among its key questions; a sample with neither minimum nor maximum is described, not checked.",
                f"Below the minimum: {samples.below_minimum.value} [{_grade(samples.below_minimum.provenance)}]",
                f"Above the maximum: {samples.above_maximum.value} [{_grade(samples.above_maximum.provenance)}]"],
            header=["sample", "name", "standards / key questions", "min", "max", "sized for", "provenance", "note"],
            rows=[[s.id, s.name, ", ".join((*s.standards, *s.key_questions)), _opt(s.min), _opt(s.max),
                   f"{s.sized_for.confidence}% confidence, +/-{s.sized_for.margin} points" if s.sized_for else "-",
                   _grade(s.provenance or samples.provenance), s.note or ""] for s in samples.samples]))
    if rb.pooling is not None:
        out.append(Section("Pooling (units within units)", lines=[
            f"Member units are rated by rulebook {rb.pooling.members}; standards marked 'pooled' tally the cases of "
            f"all the unit's members [{_grade(rb.pooling.provenance)}]",
            f"Method: {rb.pooling.method.value} [{_grade(rb.pooling.method.provenance)}]"]))
    framework = Section("Framework", header=["id", "standard / key question", "rated", "scored", "provenance"])
    for d in rb.framework:
        framework.rows.append([f"{d.domain}.", d.name, "", "", ""])
        for s in d.standards:
            rated = {"cases": "from cases", "judgement": "by judgement", "mixed": "mixed (cases and judgement)"}[s.rated_by]
            rated += " (pooled from member units)" if s.sample == "pooled" else ""
            framework.rows.append([s.id, s.name, rated, "yes" if s.scored else "no", _grade(s.provenance)])
            for k in s.key_questions:
                framework.rows.append([f"  {k.id}", k.text, "by judgement" if k.basis == "judgement" else "from cases",
                                       "", _grade(k.provenance) if k.provenance else "as the standard"])
    out.append(framework)
    kq = rb.key_question_bands
    out.append(Section(
        "Key-question bands", lines=[f"Hit policy: {kq.hit_policy}; provenance [{_grade(kq.provenance)}]",
                                     f"Rounding before comparing: {rb.policies.rounding.value}"],
        header=["#", "row", "when the percentage sufficient is", "then", "provenance"],
        rows=[[str(i), r.id, band_row_text(r), r.then, _grade(r.provenance) if r.provenance else "as the table"]
              for i, r in enumerate(kq.rows, 1)]))
    ob = rb.overall.bands
    out.append(Section(
        "Overall bands", lines=[f"Hit policy: {ob.hit_policy}; provenance [{_grade(ob.provenance)}]",
                                "Conditions are on the scored standards that were rated (score, number, mean, counts)."],
        header=["#", "row", "when", "then", "provenance", "note"],
        rows=[[str(i), r.id, aggregate_row_text(r), r.then, _grade(r.provenance) if r.provenance else "as the table",
               r.note or ""] for i, r in enumerate(ob.rows, 1)]))
    limits = rb.overall.limits
    if limits is not None:
        out.append(Section(
            "Limiting rules", lines=[f"Hit policy: {limits.hit_policy} (every matching enabled cap applies; the lowest "
                                     f"wins); provenance [{_grade(limits.provenance)}]"],
            header=["row", "enabled", "when", "caps at", "description"],
            rows=[[r.id, "yes" if r.enabled else "no", aggregate_row_text(r), r.cap, r.description]
                  for r in limits.rows]))
    return out


def _opt(value) -> str:
    return "-" if value is None else str(value)


def to_text(loaded: LoadedRulebook, extends: str | None = None, *, markdown: bool = False) -> str:
    from tabulate import tabulate

    out = []
    for s in sections(loaded, extends):
        out.append(f"## {s.title}" if markdown else f"{s.title}\n{'-' * len(s.title)}")
        out.append("")
        for line in s.lines:
            out.append(_md(line) + "  " if markdown else line)
        if s.lines:
            out.append("")
        if s.rows:
            rows = [[_md(c) for c in r] for r in s.rows] if markdown else s.rows
            out.append(tabulate(rows, headers=s.header, tablefmt="github" if markdown else "simple",
                                disable_numparse=True, maxcolwidths=None if markdown else 60))
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def to_json(loaded: LoadedRulebook, extends: str | None = None) -> str:
    rb = loaded.rulebook
    doc = {"format": "ratings-engine-rulebook/1", "id": rb.id, "version": rb.version, "sha256": rb.sha256,
           "file": str(loaded.path) if loaded.path else None, "extends": extends,
           "resolved": rb.model_dump(mode="json", by_alias=True)}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #111; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; font-size: 0.85em; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #eee; } tr.domain td { font-weight: bold; background: #f6f6f6; }
.muted { color: #555; }
@page { size: A4; margin: 15mm; }
@media print { body { margin: 0; } section { break-inside: auto; } tr { break-inside: avoid; }
               thead { display: table-header-group; } }
"""


def to_html(loaded: LoadedRulebook, extends: str | None = None) -> str:
    rb = loaded.rulebook
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Rulebook {escape(rb.id)}</title>"
             f"<style>{_CSS}</style></head><body><h1>Rulebook {escape(rb.id)} version {escape(rb.version)}</h1>"]
    for s in sections(loaded, extends):
        parts.append(f"<section><h2>{escape(s.title)}</h2>")
        parts += [f"<p>{escape(line)}</p>" for line in s.lines]
        if s.rows:
            parts.append("<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in s.header) + "</tr></thead><tbody>")
            for r in s.rows:
                domain = ' class="domain"' if s.title == "Framework" and r[0].endswith(".") and not r[2] else ""
                parts.append(f"<tr{domain}>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>")
            parts.append("</tbody></table>")
        parts.append("</section>")
    parts.append(f'<p class="muted">sha256 of the resolved content: {escape(rb.sha256)}</p></body></html>\n')
    return "".join(parts)
