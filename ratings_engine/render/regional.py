"""A regional run (`model.regional.RegionalReport`) in every format: the regions first, then their PDUs.

Each part is rendered by the renderer of a single rating report (`render.ratings`,
`render.xlsx_export`, `render.html_report`), under a heading naming its rulebook; a region's
pooled key questions say in their explanations which PDUs and how many cases they came from.
"""
from __future__ import annotations

import json
from dataclasses import replace

from . import ratings


def _heading(title: str, report, markdown: bool) -> str:
    stamp = report.rulebook
    text = f"{title} (rulebook {stamp.id})"
    return f"# {text}\n" if markdown else f"{text}\n{'=' * len(text)}\n"


def _members_line(report, markdown: bool) -> list[str]:
    lines = []
    for u in report.units:
        if u.members:
            lines.append(f"{u.unit}: pooled from {len(u.members)} unit(s): {', '.join(u.members)}"
                         + ("  " if markdown else ""))
    return lines


def to_table(report, *, explain: bool = False, markdown: bool = False) -> str:
    fmt = "github" if markdown else "simple"
    out = []
    for title, part, rulebook in (("Regions", report.regions, report.region_rulebook),
                                  ("Member units", report.members, report.member_rulebook)):
        out.append(_heading(title, part, markdown))
        if part is report.regions:
            out.extend(_members_line(part, markdown) + [""])
        out.append(ratings.to_table(part, {d.domain: d.name for d in rulebook.framework}, explain=explain, fmt=fmt))
    return "\n".join(out)


def to_json(report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def to_csv(report) -> str:
    from ..io.spreadsheets import csv_text
    from .xlsx_export import ratings_table

    header, rows = None, []
    for part in report.reports:
        header, part_rows = ratings_table(part)
        rows += [[*r, part.rulebook.id] for r in part_rows]
    return csv_text([*header, "rulebook"], rows)


def to_xlsx(report) -> bytes:
    from ..io.spreadsheets import xlsx_bytes
    from .xlsx_export import export_sheets

    sheets = []
    for prefix, part, rulebook in (("Region", report.regions, report.region_rulebook),
                                   ("PDU", report.members, report.member_rulebook)):
        sheets += [replace(s, title=f"{prefix} {s.title}"[:31]) for s in export_sheets(part, rulebook)]
    return xlsx_bytes(sheets)


def to_html(report) -> str:
    """The regions' HTML report with the member units' sections added before its end (one page, one style)."""
    from .html_report import render_html

    first = render_html(report.regions, report.region_rulebook)
    second = render_html(report.members, report.member_rulebook)
    body = second[second.find(">", second.find("<body")) + 1: second.rfind("</body>")]
    heading = (f'<h1 class="members">Member units (rulebook {report.members.rulebook.id})</h1>')
    at = first.rfind("</body>")
    return first[:at] + heading + body + first[at:]
