"""Sweep results (`toolkit.sweep.SweepReport`) as text, markdown, CSV, JSON, and a chart."""
from __future__ import annotations

import json
from pathlib import Path

from ..model.errors import InputError
from ..toolkit.sweep import SweepReport


def to_text(report: SweepReport, markdown: bool = False) -> str:
    from tabulate import tabulate

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
        out.extend([title, tabulate(rows, headers=["value", *names], tablefmt=fmt, disable_numparse=True), ""])

    section("Overall rating (units)", "overall")
    section("Key-question ratings (unit x key question)", "key_questions")
    fixed = []
    for std in report.rulebook.standards:
        if std.rated_by == "judgement":
            fixed.append(std.id)
            continue
        section(f"Standard {std.id} {std.name} (units)", "standards", std.id)
    if fixed:
        out.append(f"Judgement standards ({', '.join(fixed)}) do not depend on the rulebook's thresholds; "
                   "see the csv or json output for their counts.")
    return "\n".join(out) + "\n"


def to_csv(report: SweepReport) -> str:
    return report.long_frame().to_csv(index=False)


def to_json(report: SweepReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def chart(report: SweepReport, path: Path) -> None:
    """Curves of the number of units per overall rating and of key-question ratings, per value."""
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise InputError(f"--chart {path}: give a file name ending in .png or .svg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    try:
        xs = [float(v) for v in report.values]
        numeric = True
    except ValueError:
        xs, numeric = list(range(len(report.values))), False
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, part, title in ((axes[0], "overall", "Overall rating (units)"),
                            (axes[1], "key_questions", "Key-question ratings")):
        for name in report.labels(part):
            ys = [r[part].get(name, 0) for r in report.results]
            if any(ys):
                ax.plot(xs, ys, marker="o", markersize=3, label=name)
        ax.set_title(title)
        ax.set_xlabel(" / ".join(report.vary) if len(report.vary) == 1 else f"{report.vary[0]} (+{len(report.vary) - 1})")
        ax.set_ylabel("count")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        if not numeric:
            ax.set_xticks(xs, report.values)
        ax.legend(fontsize=8)
    fig.suptitle(f"{report.rulebook.id}: {len(report.units)} unit(s)")
    fig.tight_layout()
    try:
        fig.savefig(path, format=suffix[1:])
    except OSError as exc:
        raise InputError(f"--chart {path}: cannot write the chart: {exc.strerror}") from None
    finally:
        plt.close(fig)
