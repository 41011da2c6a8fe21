"""Sweep results (`toolkit.sweep.SweepReport`) as text, markdown, CSV, JSON, and a chart (step plots in the
report's rating colours, the current value marked, the axis named after the rule varied)."""
from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

from ..model.errors import InputError
from ..model.extras import require
from ..toolkit.sweep import SweepReport
from .colours import NO_RATING, rating_colours
from .text_table import line, table


def to_text(report: SweepReport, markdown: bool = False) -> str:
    fmt = "github" if markdown else "simple"
    what = " and ".join(report.vary)
    out = [f"Sweep of {what} over {len(report.values)} value(s), {len(report.units)} unit(s) "
           f"(rulebook {report.rulebook.id} {report.rulebook.version})", ""]

    def section(title: str, part: str, subject: str | None = None) -> None:
        names = report.labels(part, subject)
        rows = []
        for value, r in zip(report.values, report.results):
            counts = r[part] if subject is None else r[part][subject]
            rows.append([value, *[counts.get(n, 0) for n in names]])
        out.extend([title, table(rows, headers=["value", *names], fmt=fmt), ""])

    section("Overall rating (units)", "overall")
    section("Key-question ratings (unit x key question)", "key_questions")
    fixed = []
    for std in report.rulebook.standards:
        if std.rated_by == "judgement":
            fixed.append(std.id)
            continue
        section(f"Standard {std.id} {std.name} (units)", "standards", std.id)
    if fixed:
        out.append(line(f"Judgement standards ({', '.join(fixed)}) do not depend on the rulebook's thresholds; "
                        "see the csv or json output for their counts."))
    return "\n".join(out) + "\n"


def to_csv(report: SweepReport) -> str:
    """The long table as CSV, text a spreadsheet would read as a formula escaped (unit names are data)."""
    from ..io.spreadsheets import escape_csv_cell

    frame = report.long_frame()
    return frame.map(escape_csv_cell).to_csv(index=False)


def to_json(report: SweepReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


_BOUND_WORDS = {"min": "from", "above": "above", "max": "up to", "below": "below", "score_min": "score from",
                "score_max": "score up to", "mean_min": "mean score from", "mean_above": "mean score above",
                "mean_max": "mean score up to", "mean_below": "mean score below", "scored": "scored standards"}
_MARKERS = ("v", "s", "o", "^", "D", "P")  # lowest rating first: shapes tell the lines apart in greyscale


def vary_label(rulebook, paths: list[str]) -> str:
    """An axis label from the rules varied: 'Good from / Requires improvement below (% of applicable
    cases sufficient)' for the two bounds of the Good band; the path where it names no rule."""
    parts, unit = [], ""
    for path in paths:
        match = re.fullmatch(r"(key_question_bands|overall\.bands|overall\.limits)\.rows\[([^\]]+)\]\.(\w+)", path)
        if match is None:
            policy = re.fullmatch(r"policies\.(\w+)\.value", path)
            parts.append(f"policy {policy.group(1).replace('_', ' ')}" if policy else path)
            continue
        table, row_id, field = match.groups()
        rows = {"key_question_bands": rulebook.key_question_bands.rows, "overall.bands": rulebook.overall.bands.rows,
                "overall.limits": rulebook.overall.limits.rows if rulebook.overall.limits else ()}[table]
        row = next((r for r in rows if r.id == row_id), None)
        outcome = getattr(row, "then", None) or (f"cap at {row.cap}" if getattr(row, "cap", None) else row_id)
        parts.append(f"{outcome} {_BOUND_WORDS.get(field, field.replace('_', ' '))}")
        if table == "key_question_bands":
            unit = " (% of applicable cases sufficient)"
    return " / ".join(parts) + unit


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def chart(report: SweepReport, path: Path) -> None:
    """Step plots of the number of units per overall rating and of key-question ratings, per value,
    in the report's rating colours (with a marker shape per rating), the current value marked."""
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise InputError(f"--chart {path}: give a file name ending in .png or .svg")
    matplotlib = require("matplotlib", "rate sweep --chart")  # the [charts] extra
    matplotlib.use("Agg")
    import matplotlib.patheffects as effects
    import matplotlib.pyplot as plt
    import matplotlib.transforms as transforms
    from matplotlib.ticker import MaxNLocator

    rb = report.rulebook
    fills = rating_colours(rb.ratings)
    try:
        xs = [float(v) for v in report.values]
        numeric = True
    except ValueError:
        xs, numeric = list(range(len(report.values))), False
    current = _number(report.current[0]) if report.current else None
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    for ax, part, title in ((axes[0], "overall", "Overall rating (units)"),
                            (axes[1], "key_questions", "Key-question ratings")):
        drawn = [(name, [r[part].get(name, 0) for r in report.results]) for name in report.labels(part)]
        drawn = [(name, ys) for name, ys in drawn if any(ys)]
        for n, (name, ys) in enumerate(drawn):
            # lines with equal counts are drawn 2.5 points apart, so none hides another
            shifted = transforms.offset_copy(ax.transData, fig=fig, y=(n - (len(drawn) - 1) / 2) * 2.5, units="points")
            rank = rb.ratings.index(name) if name in rb.ratings else None
            ax.update_datalim(list(zip(xs, ys)))  # the shifted lines do not widen the axes by themselves
            ax.plot(xs, ys, drawstyle="steps-post" if numeric else "default", transform=shifted,
                    color=fills.get(name, NO_RATING),
                    linewidth=2.4, marker=_MARKERS[rank % len(_MARKERS)] if rank is not None else "x",
                    markersize=6, markeredgecolor="#222222", label=name,
                    path_effects=[effects.Stroke(linewidth=4, foreground="#333333"), effects.Normal()])
        ax.autoscale_view()
        at = (current if numeric else report.values.index(str(report.current[0]))
              if report.current and str(report.current[0]) in report.values else None)
        if at is not None:
            ax.axvline(at, color="#222222", linestyle="--", linewidth=1.2)
            ax.annotate(f"current: {report.current[0]}", xy=(at, 0), xycoords=("data", "axes fraction"),
                        xytext=(4, 16), textcoords="offset points", fontsize=8,
                        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "#222222"})
        ax.set_title(title)
        ax.set_xlabel("\n".join(textwrap.wrap(vary_label(rb, report.vary), 60)))
        ax.set_ylabel("count")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        if not numeric:
            ax.set_xticks(xs, report.values)
        ax.legend(fontsize=8)
    fig.suptitle(f"{rb.id} version {rb.version}: {len(report.units)} unit(s)")
    fig.tight_layout()
    try:
        with matplotlib.rc_context({"svg.fonttype": "none"}):  # SVG text stays text: searchable, accessible
            fig.savefig(path, format=suffix[1:])
    except OSError as exc:
        raise InputError(f"--chart {path}: cannot write the chart: {exc.strerror}") from None
    finally:
        plt.close(fig)
