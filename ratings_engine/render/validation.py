"""A draft check (`toolkit.validate.Validation`) as a plain-text table or markdown."""
from __future__ import annotations

from ..toolkit.validate import AGREES, DIFFERS, NO_RATING, NOT_IN_DRAFT, Validation
from ..model.text import printable
from .markdown import md_escape
from .ratings import explanation_lines
from .text_table import Styled, line, table


_SHOWN = {AGREES: "agrees", DIFFERS: "DIFFERS", NOT_IN_DRAFT: "NOT IN DRAFT", NO_RATING: "NO COMPUTED RATING"}


def status_text(status: str) -> str:
    return _SHOWN.get(status, status)


def overall_cell(rating: str | None, score: int | None, top: int | None) -> str:
    text = rating or "none"
    if score is not None:
        text += f" ({score}" + (f"/{top}" if top is not None else "") + ")"
    return text


def render_validation(v: Validation, domains: dict[str, str], *, markdown: bool = False,
                      explain_all: bool = False) -> str:
    """The validation as a plain-text table, or as markdown for pasting into a report."""
    esc = md_escape if markdown else printable

    def text(body: str, indent: str = "", style: str | None = None) -> str:
        return indent + body if markdown else line(body, indent=indent, hanging=indent + "  ", style=style)

    h2, h3 = ("## ", "### ") if markdown else ("", "")
    bullet = "- " if markdown else "  "
    out: list[str] = []
    out.append(f"{h2}Draft check: {esc(v.draft.source)}" + (f" (sheet {esc(v.draft.sheet)})" if v.draft.sheet else ""))
    out.append("")
    overrides_by_unit: dict[str, list[dict]] = {}
    for o in v.overrides:
        overrides_by_unit.setdefault(o["unit"], []).append(o)
    for u, result in zip(v.units, v.report.units):
        o = u.overall
        diff = len(u.differences)
        out.append(f"{h3}{esc(u.unit)}")
        out.append("")
        summary = (f"{diff} of {len(u.standards)} standards do not agree" if diff
                   else f"all {len(u.standards)} standards agree")
        summary += f"; overall rating {status_text(o.rating_status)}; score {status_text(o.score_status)}"
        verdict = "AGREES" if u.agrees else "DIFFERS"
        out.append(f"**Result:** {verdict} ({summary})" if markdown
                   else line(f"Result: {verdict} ({summary})", hanging="  ", style="good" if u.agrees else "bad"))
        out.append("")
        rows = []
        domain = None
        for s, sr in zip(u.standards, result.standards):
            if sr.domain != domain:
                domain = sr.domain
                rows.append([f"{domain}.", esc(domains.get(domain, "")), "", "", ""])
            computed = (s.computed or "(no rating)") + (" (panel override)" if s.override else "")
            rows.append([s.id, esc(s.name), esc(computed), esc(s.draft or "-"),
                         Styled(status_text(s.status), "good" if s.status == AGREES else "bad")])
        overall_ok = o.rating_status in (AGREES, NOT_IN_DRAFT) and o.score_status in (AGREES, NOT_IN_DRAFT)
        rows.append(["", "Overall", overall_cell(o.computed, o.score, o.max_score),
                     overall_cell(o.draft, o.draft_score, o.draft_max) if (o.draft or o.draft_score is not None) else "-",
                     Styled(f"rating {status_text(o.rating_status)}; score {status_text(o.score_status)}",
                            "good" if overall_ok else "bad")])
        out.append(table(rows, headers=["", "Standard", "Computed", "Draft", "Result"],
                         fmt="github" if markdown else "simple"))
        out.append("")
        differing = [s for s in u.standards if s.status != AGREES]
        out.append(f"{h3 and '#### '}Differences" + ("" if markdown else ":"))
        out.append("")
        if not differing and o.rating_status in (AGREES, NOT_IN_DRAFT) and o.score_status in (AGREES, NOT_IN_DRAFT):
            out.append(f"{bullet}No standard differs.")
        for s in differing:
            out.append(text(f"{'**' if markdown else ''}{s.id} {esc(s.name)}{'**' if markdown else ''} "
                            f"({status_text(s.status)}): {esc(s.because)}", bullet))
        out.append(text(f"{'**' if markdown else ''}Overall{'**' if markdown else ''}: {esc(o.because)}", bullet))
        out.append("")
        mine = overrides_by_unit.get(u.unit, [])
        if mine:
            out.append(f"{h3 and '#### '}Panel overrides (professional discretion)" + ("" if markdown else ":"))
            out.append("")
            for ov in mine:
                out.append(text(f"{ov['standard']} {esc(ov['name'])}: {esc(ov['rating'])} instead of the computed "
                                f"{esc(ov['computed'] or 'no rating')}. Reason: {esc(ov['reason'])} [{esc(ov['from'])}]",
                                bullet))
            out.append("")
        if explain_all:
            out.extend(esc(x) if markdown and not x.startswith("#") else x for x in explanation_lines(result, markdown))
    rb = v.report.rulebook
    out.append(f"Rulebook: {rb.id} version {rb.version} (sha256 {rb.sha256[:12]})" + ("  " if markdown else ""))
    for i in v.report.inputs:
        digest = (i.get("sha256") or "")[:12]
        out.append(text(f"Input ({i['kind']}): {esc(i['file'])}" + (f" (sha256 {digest})" if digest else ""))
                   + ("  " if markdown else ""))
    for w in v.warnings:
        out.append(f"**Warning:** {esc(w)}  " if markdown else line(f"WARNING: {w}", hanging="  ", style="warn"))
    out.append("")
    result = "the draft AGREES with the computed ratings" if v.agrees else "the draft DIFFERS from the computed ratings"
    out.append(f"**Overall result:** {result}" if markdown
               else line(f"Overall result: {result}", style="good" if v.agrees else "bad"))
    return "\n".join(out).rstrip() + "\n"
