"""A self-contained HTML report: one file, no network requests, readable on screen and in print.

Everything is inline: the CSS, and one SVG chart per inspected case standard drawn here (no
JavaScript, no fonts or images fetched). The band lines and shaded bands of every chart come
from the rulebook's key-question band table (each row's min / above / max / below bounds), so
a rulebook with other bands draws other lines. All text is HTML-escaped.
"""
from __future__ import annotations

from decimal import Decimal
from html import escape

from .._version import __version__ as _engine_version
from ..model.results import Decision, Margin, RatingReport, StandardResult, UnitResult
from ..model.rulebook import NOT_INSPECTED, Rulebook
from ..rating.explain import band_row_text, pct_text

# Rating colours, lowest to highest (a rulebook with another number of ratings is spread over them).
_PALETTE = ("#b3261e", "#e8a317", "#5e9e3f", "#1d6b3c")
_PALE = ("#f6d5d2", "#fbecc8", "#dcebd3", "#cde3d5")

_CSS = """
:root { --ink: #1b1b1b; --muted: #5a5a5a; --rule: #c9c9c9; }
* { box-sizing: border-box; }
body { font-family: "Helvetica Neue", Arial, sans-serif; color: var(--ink); margin: 0 auto; max-width: 1100px;
       padding: 24px 32px 48px; line-height: 1.4; font-size: 15px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 32px 0 8px; border-bottom: 2px solid var(--ink); padding-bottom: 4px; }
h3 { font-size: 17px; margin: 22px 0 8px; }
p.meta, .muted { color: var(--muted); font-size: 13px; }
code, .hash { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid var(--rule); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #eeeeee; }
tr.domain td { background: #f4f4f4; font-weight: bold; }
tr.overall td { font-weight: bold; border-top: 2px solid var(--ink); }
.rating { display: inline-block; padding: 1px 8px; border-radius: 3px; border: 1px solid #888; white-space: nowrap; }
.status-differs { color: #b3261e; font-weight: bold; }
.status-agrees { color: #1d6b3c; }
.override { background: #fff3cd; border: 2px solid #c58b00; padding: 8px 14px; margin: 10px 0; }
.override h3 { margin-top: 4px; }
.tag { font-size: 11px; font-weight: bold; text-transform: uppercase; background: #c58b00; color: #fff;
       padding: 1px 5px; border-radius: 3px; margin-left: 4px; }
.headline { font-size: 18px; margin: 6px 0; }
.charts { display: block; }
figure.chart { margin: 0 0 14px; border: 1px solid var(--rule); padding: 8px 10px; }
figure.chart figcaption { font-weight: bold; margin-bottom: 4px; }
figure.chart svg { width: 100%; height: auto; display: block; }
ul.why { padding-left: 20px; }
ul.why li { margin: 4px 0; }
ul.why ul { padding-left: 18px; font-size: 14px; }
.grade { font-size: 11px; color: var(--muted); border: 1px solid var(--rule); border-radius: 3px; padding: 0 4px; }
.warnings { border-left: 4px solid #b3261e; padding: 4px 12px; background: #fbeeee; }
@media (max-width: 820px) { .rating { white-space: normal; } body { padding: 12px; } }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; }
  section.unit + section.unit { break-before: page; }
  figure.chart, .override, tr { break-inside: avoid; }
  table { font-size: 9pt; }
  th, td { padding: 3px 5px; }
  .rating { white-space: normal; padding: 0 4px; }
  .hash { font-size: 8pt; }
}
"""


def _colour(rulebook: Rulebook, rating: str | None, pale: bool = False) -> str:
    palette = _PALE if pale else _PALETTE
    if rating is None or rating not in rulebook.ratings:
        return "#eeeeee" if pale else "#9e9e9e"
    n = len(rulebook.ratings)
    index = round(rulebook.rank(rating) * (len(palette) - 1) / max(n - 1, 1))
    return palette[index]


def _ink_on(fill: str) -> str:
    """Black or white text, whichever reads better on `fill` (#rrggbb)."""
    r, g, b = (int(fill[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "#111" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5 else "#fff"


def _rating_chip(rulebook: Rulebook, rating: str | None) -> str:
    if rating is None:
        return '<span class="rating" style="background:#eeeeee">no rating</span>'
    return f'<span class="rating" style="background:{_colour(rulebook, rating, pale=True)}">{escape(rating)}</span>'


def _margin(m: Margin | None, unit: str, sign: str, none: str = "&ndash;") -> str:
    if m is None:
        return none
    word = unit if m.amount != 1 else unit.rstrip("s")
    return escape(f"{sign}{m.amount} {word} \u2192 {m.to}")


def _grade(d: Decision) -> str:
    return f' <span class="grade">{escape(d.provenance.grade)}</span>' if d.provenance else ""


# ---------------------------------------------------------------------------------------------
# Charts


def band_regions(rulebook: Rulebook) -> list[tuple[float, float, str, str]]:
    """(low %, high %, rating, row id) for each row of the key-question band table."""
    out = []
    for row in rulebook.key_question_bands.rows:
        low = row.min if row.min is not None else row.above
        high = row.below if row.below is not None else row.max
        out.append((float(low if low is not None else 0), float(high if high is not None else 100), row.then, row.id))
    return out


def band_lines(rulebook: Rulebook) -> list[float]:
    """Every bound of the band table strictly inside 0-100%, in order."""
    bounds: set[Decimal] = set()
    for row in rulebook.key_question_bands.rows:
        for value in (row.min, row.above, row.max, row.below):
            if value is not None and 0 < value < 100:
                bounds.add(value)
    return [float(b) for b in sorted(bounds)]


def _num(value: float) -> str:
    return f"{value:g}"


def chart_svg(rulebook: Rulebook, s: StandardResult) -> str:
    """Horizontal bars of the standard's key-question percentages over the shaded bands."""
    left, right, top, row_h = 120, 800, 30, 40
    width = 900
    plot = right - left
    kqs = list(s.key_questions)
    height = top + row_h * len(kqs) + 30

    def x(pct: float) -> float:
        return left + plot * max(0.0, min(100.0, pct)) / 100

    parts = [f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(f"Key questions of standard {s.id} {s.name} against the band lines")}" '
             f'font-family="Helvetica Neue, Arial, sans-serif" font-size="15">',
             f"<title>{escape(f'{s.id} {s.name}: key-question percentages against the band lines')}</title>"]
    for low, high, rating, row_id in band_regions(rulebook):
        x0, x1 = x(low), x(high)
        parts.append(f'<rect x="{x0:.1f}" y="{top - 4}" width="{max(x1 - x0, 0):.1f}" height="{row_h * len(kqs) + 4}" '
                     f'fill="{_colour(rulebook, rating, pale=True)}"><title>{escape(row_id)}: '
                     f'{escape(rating)}</title></rect>')
        label = rating if len(rating) * 7.5 < (x1 - x0) - 4 else "".join(w[0] for w in rating.split()).upper()
        parts.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{top - 10}" text-anchor="middle" font-size="13" '
                     f'fill="#333">{escape(label)}</text>')
    for bound in band_lines(rulebook):
        xb = x(bound)
        parts.append(f'<line x1="{xb:.1f}" y1="{top - 4}" x2="{xb:.1f}" y2="{top + row_h * len(kqs) + 4}" '
                     f'stroke="#222" stroke-width="1.5" stroke-dasharray="5 3"/>')
        parts.append(f'<text x="{xb:.1f}" y="{height - 8}" text-anchor="middle" font-size="13">{_num(bound)}%</text>')
    parts.append(f'<text x="{left}" y="{height - 8}" text-anchor="middle" font-size="13">0%</text>')
    parts.append(f'<text x="{right}" y="{height - 8}" text-anchor="middle" font-size="13">100%</text>')
    parts.append(f'<line x1="{left}" y1="{top + row_h * len(kqs) + 4}" x2="{right}" y2="{top + row_h * len(kqs) + 4}" '
                 'stroke="#222"/>')
    for n, k in enumerate(kqs):
        y = top + n * row_h
        deciding = k.id == s.deciding_key_question
        weight = ' font-weight="bold"' if deciding else ""
        marker = " \u25b6" if deciding else ""
        parts.append(f'<text x="{left - 8}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end"{weight}>'
                     f'{escape(k.id)}{marker}</text>')
        if k.pct is None:
            parts.append(f'<text x="{left + 6}" y="{y + row_h / 2 + 4:.1f}" fill="#555">no applicable cases: '
                         'not rated</text>')
            continue
        bar = max(x(k.pct) - left, 1.5)
        stroke = ' stroke="#000" stroke-width="2"' if deciding else ' stroke="#333" stroke-width="0.6"'
        parts.append(f'<rect x="{left}" y="{y + 7}" width="{bar:.1f}" height="{row_h - 14}" '
                     f'fill="{_colour(rulebook, k.rating)}"{stroke}><title>{escape(k.decision.because)}</title></rect>')
        label = f"{k.sufficient}/{k.applicable} = {pct_text(k.pct)} {k.rating}"
        inside = bar > len(label) * 8.2 + 12
        tx = left + bar - 6 if inside else left + bar + 6
        ink = _ink_on(_colour(rulebook, k.rating)) if inside else "#111"
        parts.append(f'<text x="{tx:.1f}" y="{y + row_h / 2 + 4:.1f}" text-anchor="{"end" if inside else "start"}" '
                     f'fill="{ink}"{weight}>{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Page


def _annexe_table(rulebook: Rulebook, u: UnitResult, checks) -> str:
    domains = {d.domain: d.name for d in rulebook.framework}
    draft_cols = checks is not None
    head = ["", "Standard", "Rating"] + (["Draft", "Result"] if draft_cols else []) + ["To next band", "To band below"]
    rows = ["<table class=\"annexe\"><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"]
    by_id = {c.id: c for c in checks.standards} if draft_cols else {}
    domain = None
    span = len(head) - 2
    for s in u.standards:
        if s.domain != domain:
            domain = s.domain
            rows.append(f'<tr class="domain"><td>{escape(domain)}.</td><td colspan="{span + 1}">'
                        f"{escape(domains.get(domain, ''))}</td></tr>")
        ov = s.override
        has_margin = s.basis in ("cases", "mixed") and s.rating not in (None, NOT_INSPECTED) and not ov
        rating = _rating_chip(rulebook, s.rating) + (' <span class="tag">panel override</span>' if ov else "")
        if s.sample is not None:  # a sample outside the rulebook's size limits labels the rating
            rating += f' <span class="tag sample">{escape(s.sample.label)}</span>'
        cells = [escape(s.id), escape(s.name + ("" if s.scored else " (not scored)")), rating]
        if draft_cols:
            c = by_id[s.id]
            cells += [_rating_chip(rulebook, c.draft) if c.draft else "&ndash;",
                      f'<span class="status-{"agrees" if c.status == "agrees" else "differs"}">{escape(c.status)}</span>']
        cells += [_margin(s.decision.margin_up, "cases", "+") if has_margin else "",
                  _margin(s.decision.margin_down, "cases", "-") if has_margin else ""]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    o = u.overall
    cells = ["", "Overall", _rating_chip(rulebook, o.rating) + f" {o.score}/{o.max_score}"]
    if draft_cols:
        oc = checks.overall
        drafted = (_rating_chip(rulebook, oc.draft) if oc.draft else "") + (
            f" {oc.draft_score}" + (f"/{oc.draft_max}" if oc.draft_max is not None else "")
            if oc.draft_score is not None else "")
        ok = oc.rating_status in ("agrees", "not in draft") and oc.score_status in ("agrees", "not in draft")
        cells += [drafted or "&ndash;", f'<span class="status-{"agrees" if ok else "differs"}">'
                  f"rating {escape(oc.rating_status)}; score {escape(oc.score_status)}</span>"]
    cells += [_margin(o.decision.margin_up, "points", "+") if o.rating else "",
              _margin(o.decision.margin_down, "points", "-") if o.rating else ""]
    rows.append('<tr class="overall">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    rows.append("</tbody></table>")
    return "".join(rows)


def _why(u: UnitResult) -> str:
    out = ['<ul class="why">']
    for s in u.standards:
        d = s.decision
        out.append(f"<li><b>{escape(s.id)} {escape(s.name)}: {escape(s.rating or 'no rating')}.</b> "
                   f"{escape(d.because)}{_grade(d)}")
        if s.basis == "cases" and s.rating not in (None, NOT_INSPECTED) and not s.override:
            out.append(f" <span class=\"muted\">Margin up: {_margin(d.margin_up, 'cases', '+', 'none')}; "
                       f"down: {_margin(d.margin_down, 'cases', '-', 'none')}.</span>")
        if s.key_questions:
            out.append("<ul>")
            for k in s.key_questions:
                kd = k.decision
                margin = (f" <span class=\"muted\">Margin up: {_margin(kd.margin_up, 'cases', '+', 'none')}; "
                          f"down: {_margin(kd.margin_down, 'cases', '-', 'none')}.</span>" if k.rating else "")
                out.append(f"<li>{escape(k.id)} {escape(k.text)}<br>{escape(kd.because)}{_grade(kd)}{margin}</li>")
            out.append("</ul>")
        out.append("</li>")
    o = u.overall
    out.append(f"<li><b>Overall: {escape(o.rating or 'not given')}.</b> {escape(o.decision.because)}"
               f"{_grade(o.decision)}")
    if o.rating:
        out.append(f" <span class=\"muted\">Margin up: {_margin(o.decision.margin_up, 'points', '+', 'none')}; "
                   f"down: {_margin(o.decision.margin_down, 'points', '-', 'none')}.</span>")
    if o.limit is not None:
        out.append(f"<ul><li>{escape(o.limit.because)}{_grade(o.limit)}</li></ul>")
    out.append("</li></ul>")
    return "".join(out)


def _unit_section(rulebook: Rulebook, u: UnitResult, checks) -> str:
    o = u.overall
    out = [f'<section class="unit"><h2>{escape(u.unit)}</h2>']
    status = "" if o.status == "rated" else f" ({escape(o.status.upper())})"
    out.append(f'<p class="headline">Overall rating: {_rating_chip(rulebook, o.rating)}{status} &nbsp; '
               f"Score {o.score}/{o.max_score}</p>")
    if o.rating:
        out.append(f'<p class="muted">Distance to the next band: {_margin(o.decision.margin_up, "points", "+")}; '
                   f'to the band below: {_margin(o.decision.margin_down, "points", "-")}.</p>')
    for c in u.samples_outside:
        out.append(f'<p class="warnings">{escape(c.label)}: standard(s) {escape(", ".join(c.standards))} '
                   f'{"not rated" if c.action == "not_rated" else "rated and labelled"}</p>')
    overridden = [(s, s.override) for s in u.standards if s.override]
    if overridden:
        out.append('<div class="override"><h3>Panel overrides (professional discretion)</h3><ul>')
        for s, ov in overridden:
            out.append(f"<li><b>{escape(s.id)} {escape(s.name)}</b>: {escape(ov['rating'])} instead of the computed "
                       f"{escape(ov['computed'] or 'no rating')}. <b>Reason:</b> {escape(ov['reason'])} "
                       f"<span class=\"muted\">({escape(ov['from'])})</span></li>")
        without = o.decision.inputs.get("without_overrides") or {}
        out.append(f"</ul><p>The overall rating is recomputed by the rulebook with the overrides; without them it "
                   f"would be {escape(str(without.get('rating') or 'not given'))}, score {without.get('score')}/"
                   f"{without.get('max_score')}.</p></div>")
    if checks is not None:
        verdict = "agrees with" if checks.agrees else "differs from"
        out.append(f'<p class="headline">Draft check: the draft <b class="status-{"agrees" if checks.agrees else "differs"}">'
                   f"{verdict}</b> the computed ratings.</p>")
    out.append("<h3>Ratings</h3>")
    out.append(_annexe_table(rulebook, u, checks))
    if checks is not None:
        out.append("<h3>Draft differences</h3><ul class=\"why\">")
        diffs = [c for c in checks.standards if c.status != "agrees"]
        for c in diffs:
            out.append(f"<li><b>{escape(c.id)} {escape(c.name)}</b> ({escape(c.status)}): {escape(c.because)}</li>")
        if not diffs:
            out.append("<li>No standard differs.</li>")
        out.append(f"<li><b>Overall</b>: {escape(checks.overall.because)}</li></ul>")
    charted = [s for s in u.standards if s.basis == "cases" and s.key_questions]
    out.append("<h3>Key questions against the band lines</h3>")
    lines = ", ".join(f"{_num(b)}%" for b in band_lines(rulebook))
    out.append(f'<p class="muted">Percentage of applicable cases judged sufficient on each key question. Shaded bands '
               f"and dashed lines ({escape(lines)}) are the rulebook's key-question band table; the deciding key "
               f"question (the lowest, which gives the standard its rating) is marked \u25b6 and outlined.</p>")
    out.append('<div class="charts">')
    for s in charted:
        caption = f"{s.id} {s.name}: {s.rating}"
        if s.deciding_key_question:
            caption += f" (deciding: {s.deciding_key_question})"
        if s.override:
            caption += " \u2014 panel override"
        out.append(f'<figure class="chart"><figcaption>{escape(caption)}</figcaption>{chart_svg(rulebook, s)}</figure>')
    out.append("</div>")
    uncharted = [s for s in u.standards if s.basis == "cases" and not s.key_questions]
    if uncharted:
        out.append('<p class="muted">No chart (no case evidence): '
                   + "; ".join(escape(f"{s.id} {s.name} ({s.rating})") for s in uncharted) + ".</p>")
    out.append("<h3>Why: every decision</h3>")
    out.append(_why(u))
    out.append("</section>")
    return "".join(out)


def render_html(report: RatingReport, rulebook: Rulebook, validation=None) -> str:
    """The whole report as one HTML document."""
    rb = report.rulebook
    checks = {c.unit: c for c in validation.units} if validation is not None else {}
    warnings = validation.warnings if validation is not None else report.warnings
    title = "Inspection ratings: " + ", ".join(u.unit for u in report.units)
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
           f"<header><h1>{escape(title)}</h1>",
           f'<p class="meta">Rated by rulebook <b>{escape(rb.id)}</b> version {escape(rb.version)} '
           f"({escape(rb.title)}), ratings-engine {escape(_engine_version)}.</p></header>"]
    if warnings:
        out.append('<div class="warnings"><b>Warnings</b><ul>'
                   + "".join(f"<li>{escape(w)}</li>" for w in warnings) + "</ul></div>")
    for u in report.units:
        out.append(_unit_section(rulebook, u, checks.get(u.unit)))
    out.append('<section class="provenance"><h2>Rulebook and inputs</h2><table><tbody>')
    info = [("Rulebook", f"{rb.id} version {rb.version}: {rb.title}"),
            ("Rulebook sha256 (resolved content)", f'<span class="hash">{escape(rb.sha256)}</span>'),
            ("Rulebook file", escape(rb.file or "(given as an object)")),
            ("Rulebook file sha256", f'<span class="hash">{escape(rb.file_sha256 or "-")}</span>')]
    info = [(k, v if k != "Rulebook" else escape(v)) for k, v in info]
    out.extend(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in info)
    out.append("</tbody></table><table><thead><tr><th>Input</th><th>File</th><th>sha256</th><th>Rows read / used"
               "</th><th>Rows skipped</th></tr></thead><tbody>")
    for i in report.inputs:
        audit = i.get("audit") or {}
        skipped = "; ".join(f"{k}: {v}" for k, v in (audit.get("rows_skipped") or {}).items()) or "none"
        name = i["file"] + (f" (sheet {i['sheet']})" if i.get("sheet") else "")
        out.append(f"<tr><td>{escape(i['kind'])}</td><td>{escape(name)}</td>"
                   f'<td><span class="hash">{escape(i.get("sha256") or "-")}</span></td>'
                   f"<td>{audit.get('rows_read', '-')} / {audit.get('rows_used', '-')}</td><td>{escape(skipped)}</td></tr>")
    out.append("</tbody></table>")
    out.append('<p class="muted">Key-question bands of this rulebook: '
               + "; ".join(escape(f"{row.then}: {band_row_text(row)} (rule {row.id})")
                           for row in rulebook.key_question_bands.rows) + ".</p>")
    out.append("</section></body></html>\n")
    return "".join(out)
