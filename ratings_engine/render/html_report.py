"""A self-contained HTML report: one file, no network requests, readable on screen and in print.

The page is written by Jinja2 templates (`render/templates/*.j2`, autoescaping on: nothing from
the data can become markup); this module builds what they show. Everything is inline: the
CSS and one SVG chart per inspected case standard (no JavaScript, no fonts or images fetched).

What the page holds: a summary table first when there are several units; what needs action,
grouped (overrides are shown once, in their own box; rows for units not rated are listed with
the inputs); per unit the annexe table, panel overrides, the draft check, each key question's
confidence interval and how often bootstrap resamples keep each rating (FRAGILE when under the
threshold), the charts and every decision's explanation; and the rulebook and inputs by file
name and sha256 (never a local path). In print (A4) the protective marking, the generation
date and "Page n of m" are on every page, and no table of one unit's ratings or one standard's
explanation is split across pages.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

from .._version import __version__ as ENGINE_VERSION
from ..model.notices import kind_of
from ..model.results import Margin, RatingReport, StandardResult, UnitResult
from ..model.rulebook import NOT_INSPECTED, Rulebook
from ..rating.explain import band_row_text
from ..toolkit.intervals import interval as proportion_interval
from .colours import NO_RATING, ink, palette_for, rating_fill
from .html_chart import Chart, band_lines, band_regions, chart, num
from .names import delocaliser, report_paths, shown_name

__all__ = ["band_lines", "band_regions", "generation_time", "render_html", "shown_name"]

TEMPLATES = Path(__file__).with_name("templates")
#: Headings of the "needs attention" groups, in the order shown, by notice kind (model.notices).
ATTENTION = {"missing": "Judgements missing", "input": "Evidence to check", "draft": "Draft",
             "override-unused": "Panel overrides not applied"}


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["css_string"] = css_string
    env.filters["num"] = num
    return env


def css_string(text: str):
    """`text` as a quoted CSS string (for the printed page's margin boxes): quotes, backslashes,
    control characters and `<` `>` `&` escaped, so nothing can end the string or the style element."""
    from markupsafe import Markup

    out = []
    for ch in str(text):
        if ch in '"\\<>&' or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):X} ")
        else:
            out.append(ch)
    return Markup('"' + "".join(out) + '"')


def generation_time() -> dt.datetime:
    """Now, in local time; or `SOURCE_DATE_EPOCH` (UTC) when set, for reproducible reports."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
    return dt.datetime.now().astimezone()


def _time_text(when: dt.datetime) -> str:
    offset = when.strftime("%z")
    zone = "UTC" if offset in ("+0000", "") else f"UTC{offset[:3]}:{offset[3:]}"
    return f"{when.day} {when:%B %Y}, {when:%H:%M} {zone}"


def _margin(m: Margin | None, unit: str, sign: str, none: str = "\u2013") -> str:
    if m is None:
        return none
    word = unit if m.amount != 1 else unit.rstrip("s")
    return f"{sign}{m.amount} {word} \u2192 {m.to}"


def _short_labels(ratings: Sequence[str]) -> dict[str, str]:
    """Initials for the summary table ('Requires improvement' -> 'RI'); full names if two clash."""
    names = [*ratings, NOT_INSPECTED]
    short = {r: "".join(w[0] for w in r.split()).upper() for r in names}
    return short if len(set(short.values())) == len(short) else {r: r for r in names}


# ---------------------------------------------------------------------------------------------
# How secure each rating is: intervals (always) and bootstrap probabilities (when given)


@dataclass
class Security:
    probability: float  # how often resamples give the rating on the sample
    most_likely: str | None
    fragile: bool


def _security(conf, dist, code: int, level: str) -> Security:
    from ..engine.bulk import label

    top, _ = dist.most_likely
    return Security(dist.probability(code), label(conf.rulebook, top, level), conf.is_fragile(dist))


@dataclass
class UnitView:
    anchor: str
    result: UnitResult
    check: Any = None
    domains: list[dict] = field(default_factory=list)
    overrides: list[dict] = field(default_factory=list)
    without_overrides: dict | None = None
    differences: list = field(default_factory=list)
    charts: list[tuple[StandardResult, Chart]] = field(default_factory=list)
    uncharted: list[StandardResult] = field(default_factory=list)
    key_questions: list[dict] = field(default_factory=list)
    standard_security: dict[str, Security] = field(default_factory=dict)
    overall_security: Security | None = None
    cases: int | None = None


def _unit_view(n: int, rulebook: Rulebook, u: UnitResult, check, conf_unit, conf, level: float, method: str
               ) -> UnitView:
    view = UnitView(f"unit-{n + 1}", u, check)
    names = {d.domain: d.name for d in rulebook.framework}
    for s in u.standards:
        if not view.domains or view.domains[-1]["id"] != s.domain:
            view.domains.append({"id": s.domain, "name": names.get(s.domain, ""), "standards": []})
        view.domains[-1]["standards"].append(s)
    for s in u.standards:
        if s.override:
            view.overrides.append({"standard": s, **s.override})
    if view.overrides:
        view.without_overrides = u.overall.decision.inputs.get("without_overrides") or {}
    if check is not None:
        view.differences = [c for c in check.standards if c.status != "agrees"]
    kq_conf = {}
    if conf_unit is not None:
        view.cases = conf_unit.cases
        kq_conf = {k.id: k for k in conf_unit.key_questions}
        for sc in conf_unit.standards:
            if sc.basis != "judgement":
                view.standard_security[sc.id] = _security(conf, sc.distribution, sc.rating, "standard")
        view.overall_security = _security(conf, conf_unit.overall_distribution, conf_unit.overall, "overall")
    for s in u.standards:
        intervals = {}
        for k in s.key_questions:
            bounds = proportion_interval(k.sufficient, k.applicable, level, method) if k.applicable else None
            intervals[k.id] = None if bounds is None else (100 * bounds[0], 100 * bounds[1])
            kc = kq_conf.get(k.id)
            view.key_questions.append({
                "standard": s, "kq": k, "interval": intervals[k.id],
                "security": _security(conf, kc.distribution, kc.rating, "key_question") if kc is not None else None})
        if s.basis == "cases" and s.key_questions:
            view.charts.append((s, chart(rulebook, s, intervals, f"{level:.0%} interval")))
        elif s.basis == "cases":
            view.uncharted.append(s)
    return view


def _summary(report: RatingReport, checks: dict, views: list[UnitView]) -> dict | None:
    if len(report.units) < 2:
        return None
    standards = [(s.id, s.name) for s in report.units[0].standards]
    rows = []
    for view in views:
        u = view.result
        by_id = {s.id: s for s in u.standards}
        fragile = [sid for sid, sec in view.standard_security.items() if sec.fragile]
        check = checks.get(u.unit)
        rows.append({"view": view, "standards": [by_id.get(sid) for sid, _ in standards], "fragile": fragile,
                     "check": check})
    return {"standards": standards, "rows": rows, "draft": bool(checks)}


def _warning_groups(warnings: Sequence[str], local: Callable[[str], str]):
    attention: dict[str, list[str]] = {}
    notes: list[str] = []
    unused: list[str] = []
    for w in warnings:
        kind = kind_of(w)
        if kind == "override":
            continue  # shown once, in the unit's panel-override box
        if kind == "unused":
            unused.append(local(w))
        elif kind == "note":
            notes.append(local(w))
        else:
            attention.setdefault(ATTENTION.get(kind, ATTENTION["input"]), []).append(local(w))
    groups = [(heading, attention[heading]) for heading in ATTENTION.values() if heading in attention]
    return groups, notes, unused


def _input_row(record: dict) -> dict:
    audit = record.get("audit") or {}
    skipped = "; ".join(f"{k}: {v}" for k, v in (audit.get("rows_skipped") or {}).items())
    return {"kind": record.get("kind", ""), "name": shown_name(record.get("file")), "sheet": record.get("sheet"),
            "sha256": record.get("sha256"), "rows_read": audit.get("rows_read", "-"),
            "rows_used": audit.get("rows_used", "-"), "skipped": skipped}


def render_html(report: RatingReport, rulebook: Rulebook, validation=None, *, confidence=None,
                marking: str | None = None, generated: dt.datetime | None = None) -> str:
    """The whole report as one HTML document.

    `validation`: a draft check (`toolkit.validate.Validation`) of the same report; `confidence`:
    a `toolkit.confidence.ConfidenceReport` of the same evidence (bootstrap probabilities and
    FRAGILE flags; without it only the intervals are shown); `marking`: a protective marking such
    as OFFICIAL-SENSITIVE, shown on every printed page; `generated`: the time shown (default now,
    see `generation_time`).
    """
    stamp = report.rulebook
    checks = {c.unit: c for c in validation.units} if validation is not None else {}
    warnings = validation.warnings if validation is not None else report.warnings
    level = confidence.level if confidence is not None else 0.95
    method = confidence.method if confidence is not None else "wilson"
    conf_units = {u.unit: u for u in confidence.units} if confidence is not None else {}
    local = delocaliser(report_paths(report))
    views = [_unit_view(n, rulebook, u, checks.get(u.unit), conf_units.get(u.unit), confidence, level, method)
             for n, u in enumerate(report.units)]
    groups, notes, unused = _warning_groups(warnings, local)
    notes = [local(n) for n in report.notes] + notes
    when = generated or generation_time()
    short = _short_labels(rulebook.ratings)
    context = {
        "title": "Inspection ratings: " + (report.units[0].unit if len(report.units) == 1
                                           else f"{len(report.units)} units"),
        "units": views, "summary": _summary(report, checks, views), "validation": validation,
        "attention": groups, "notes": notes, "unused": unused,
        "marking": (marking or "").strip() or None, "generated": _time_text(when), "generated_iso": when.isoformat(),
        "engine_version": ENGINE_VERSION, "stamp": stamp, "rulebook": rulebook,
        "rulebook_file": shown_name(stamp.file) or "(given as an object)",
        "inputs": [_input_row(i) for i in report.inputs],
        "band_lines": ", ".join(f"{num(b)}%" for b in band_lines(rulebook)),
        "bands": [{"rating": row.then, "text": band_row_text(row), "id": row.id} for row in rulebook.key_question_bands.rows],
        "legend": [{"rating": r, "short": short[r], "fill": rating_fill(rulebook.ratings, r),
                    "ink": ink(rating_fill(rulebook.ratings, r))} for r in reversed(rulebook.ratings)]
                  + [{"rating": NOT_INSPECTED, "short": short[NOT_INSPECTED], "fill": NO_RATING, "ink": ink(NO_RATING)}],
        "short": short, "confidence": confidence, "level": level,
        "interval_name": f"{level:.0%} {'Wilson' if method == 'wilson' else 'exact'} interval",
        "fill": lambda rating: rating_fill(rulebook.ratings, rating),
        "ink_on": lambda rating: ink(rating_fill(rulebook.ratings, rating)),
        "margin": _margin, "local": local, "NOT_INSPECTED": NOT_INSPECTED, "no_rating": NO_RATING,
        "agrees_colour": palette_for(len(rulebook.ratings))[-1],
        "short_of": lambda rating: short.get(rating, rating),
        "footer": f"Generated {_time_text(when)}",
    }
    return _environment().get_template("report.html.j2").render(context)
