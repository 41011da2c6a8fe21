"""Rendering a RatingReport as an annexe-style table, markdown or JSON."""
from __future__ import annotations

import io
import json
from typing import IO

from ..model.results import Decision, Margin, RatingReport, StandardResult, UnitResult
from ..model.views import NOT_INSPECTED
from ..rating.rate import paused_collector
from ..model.text import printable
from .markdown import md_escape
from .text_table import line, table


def _encoder(pretty: bool):
    """Unit dicts to JSON text: orjson when installed (a C encoder, about four times faster than the
    json module's and seventeen times when indenting), else the json module, byte for byte alike."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is a dependency; the json module gives the same bytes
        if pretty:
            return lambda value: json.dumps(value, indent=2, ensure_ascii=False)
        return json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    option = orjson.OPT_INDENT_2 if pretty else 0
    return lambda value: orjson.dumps(value, option=option).decode()


def write_json(report: RatingReport, handle: IO[str], *, pretty: bool = False) -> None:
    """The report as JSON (the README's "Output" layout), written to `handle` unit by unit.

    Compact by default (one line); `pretty` indents by two spaces, exactly as
    `json.dumps(report.to_dict(), indent=2, ensure_ascii=False)`. Each unit is turned into a dict
    and encoded on its own, so the whole document is never held in memory; the same report
    gives the same bytes.
    """
    encode = _encoder(pretty)
    with paused_collector():
        if pretty:
            head = encode(report.head_dict())
            if not report.units:
                handle.write(head[:-2] + ',\n  "units": []\n}\n')
                return
            handle.write(head[:-2] + ',\n  "units": [\n')
            for i, unit in enumerate(report.units):
                handle.write(("" if i == 0 else ",\n") + "    " + encode(unit.to_dict()).replace("\n", "\n    "))
            handle.write("\n  ]\n}\n")
            return
        handle.write(encode(report.head_dict())[:-1] + ',"units":[')
        for i, unit in enumerate(report.units):
            handle.write(("," if i else "") + encode(unit.to_dict()))
        handle.write("]}\n")


def to_json(report: RatingReport, *, pretty: bool = False) -> str:
    """The report as JSON text (see `write_json`)."""
    buffer = io.StringIO()
    write_json(report, buffer, pretty=pretty)
    return buffer.getvalue()


def _margin(m: Margin | None, unit: str, sign: str) -> str:
    if m is None:
        return "-"
    return f"{sign}{m.amount} {unit if m.amount != 1 else unit.rstrip('s')} -> {m.to}"


def _rating_cell(s: StandardResult) -> str:
    rating = "(judgement missing)" if s.rating is None else s.rating
    if s.sample is not None:  # a sample outside the rulebook's size limits labels the rating
        rating += f" [{s.sample.label}]"
    return rating


def _overall_line(u: UnitResult) -> str:
    o = u.overall
    if o.rating is None:
        return f"None ({o.status}: {o.decision.because})" if o.status != "incomplete" else \
            f"Not given: {o.missing_text}"
    label = o.rating
    if o.status == "partial":
        label += f" (PARTIAL: {o.missing_text})"
    if u.overall.limit is not None and u.overall.limit.outcome != u.overall.decision.outcome:
        label += f" (capped by {u.overall.limit.rule})"
    for c in u.samples_outside:
        label += f" [{c.label}]"
    return label


def unit_rows(u: UnitResult, rulebook_domains: dict[str, str]) -> list[list[str]]:
    rows: list[list[str]] = []
    domain = None
    for s in u.standards:
        if s.domain != domain:
            domain = s.domain
            rows.append([f"{domain}.", rulebook_domains.get(domain, ""), "", "", ""])
        has_margin = s.basis in ("cases", "mixed") and s.rating not in (None, NOT_INSPECTED)
        up = _margin(s.decision.margin_up, "cases", "+") if has_margin else ""
        down = _margin(s.decision.margin_down, "cases", "-") if has_margin else ""
        rows.append([s.id, s.name + ("" if s.scored else " (not scored)"), _rating_cell(s), up, down])
    return rows


def to_table(report: RatingReport, domains: dict[str, str], *, explain: bool = False, fmt: str = "simple") -> str:
    """The annexe layout: unit, score, overall rating, then each domain's standards."""
    markdown = fmt == "github"
    esc = md_escape if markdown else printable  # names and reasons are data: no markup, no control codes
    out: list[str] = []
    for u in report.units:
        o = u.overall
        out.append(f"## {esc(u.unit)}" if markdown else esc(u.unit))
        out.append("")
        partial_note = (" (without the missing judgement standards)" if o.missing_judgements
                        else " (judgement standards only)" if o.no_case_ratings else "")
        out.append(f"Score {o.score}/{o.max_score}{partial_note}" + ("  " if markdown else ""))
        out.append(line(f"Overall rating: {esc(_overall_line(u))}", style="strong") + ("  " if markdown else ""))
        if o.rating is not None:
            up = _margin(o.decision.margin_up, "points", "+")
            down = _margin(o.decision.margin_down, "points", "-")
            out.append(line(f"Distance to the next band: {esc(up)}; to the band below: {esc(down)}"))
        out.append("")
        rows = [[esc(cell) for cell in row] for row in unit_rows(u, domains)]
        out.append(table(rows, headers=["", "Standard", "Rating", "To next band", "To band below"], fmt=fmt))
        out.append("")
        if explain:
            out.extend(explanation_lines(u, markdown))
    out.append(f"Rulebook: {esc(report.rulebook.id)} version {esc(report.rulebook.version)} "
               f"(sha256 {report.rulebook.sha256[:12]})")
    for n in report.notes:
        out.append(f"**Note:** {esc(n)}" if markdown else line(f"Note: {esc(n)}", hanging="  "))
    for w in report.warnings:
        out.append(f"**Warning:** {esc(w)}" if markdown else line(f"WARNING: {esc(w)}", hanging="  ", style="warn"))
    return "\n".join(out).rstrip() + "\n"


def _grade(d: Decision) -> str:
    """The provenance grade of the rule behind a decision; a panel override has no rule: it says so."""
    if d.table == "override":
        return " [panel override]"
    return f" [{d.provenance.grade}]" if d.provenance else ""


def _bullet(text: str, bullet: str, markdown: bool) -> str:
    return bullet + text if markdown else line(text, indent=bullet, hanging=bullet + "  ")


def explanation_lines(u: UnitResult, markdown: bool = False) -> list[str]:
    bullet = "- " if markdown else "  "
    sub = "  - " if markdown else "      "
    esc = md_escape if markdown else printable
    lines = [("### " if markdown else "") + f"Why: {esc(u.unit)}", ""]
    for s in u.standards:
        lines.append(_bullet(esc(f"{s.id} {s.name}: {s.rating or 'no rating'}. {s.decision.because}")
                             + _grade(s.decision), bullet, markdown))
        for kq in s.key_questions:
            d = kq.decision
            margin = ""
            if kq.rating is not None and kq.basis != "judgement":
                up = _margin(d.margin_up, "cases", "+") if d.margin_up else "none reachable"
                down = _margin(d.margin_down, "cases", "-") if d.margin_down else "none reachable"
                margin = f"; up: {up}; down: {down}"
            lines.append(_bullet(esc(f"{kq.id}: {d.because}{margin}") + _grade(d), sub, markdown))
    o = u.overall
    lines.append(_bullet(esc(f"Overall: {_overall_line(u)}. {o.decision.because}") + _grade(o.decision), bullet,
                         markdown))
    if o.limit is not None:
        lines.append(_bullet(esc(o.limit.because) + _grade(o.limit), sub, markdown))
    lines.append("")
    return lines
