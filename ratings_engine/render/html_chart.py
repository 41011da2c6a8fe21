"""The geometry of the report's chart of one case standard: its key questions against the bands.

Horizontal bars of each key question's percentage sufficient, over the bands of the rulebook's
key-question band table (each row's min / above / max / below bounds shaded in its rating's
pale colour, every bound a dashed line), with the key question's confidence interval as a
whisker when one is given. A rulebook with other bands draws other lines. This module only
computes positions and words; `templates/chart.svg.j2` writes the SVG (escaped by Jinja2).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..model.results import StandardResult
from ..model.rulebook import Rulebook
from ..rating.explain import pct_text
from .colours import ink, pale, rating_fill

WIDTH, LEFT, RIGHT, TOP, ROW = 900, 120, 800, 30, 40


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


def num(value: float) -> str:
    return f"{value:g}"


@dataclass
class Bar:
    id: str
    y: float  # top of the row
    deciding: bool
    width: float | None = None  # None: no applicable cases
    fill: str = ""
    label: str = ""
    label_x: float = 0.0
    label_anchor: str = "start"
    label_ink: str = "#111111"
    title: str = ""
    whisker: tuple[float, float] | None = None  # x of the interval's ends


@dataclass
class Chart:
    title: str
    label: str
    width: int
    height: int
    plot_top: float
    plot_bottom: float
    bands: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    left: int = LEFT
    right: int = RIGHT


def _x(pct: float) -> float:
    return LEFT + (RIGHT - LEFT) * max(0.0, min(100.0, pct)) / 100


def chart(rulebook: Rulebook, s: StandardResult, intervals: dict[str, tuple[float, float] | None] | None = None,
          interval_name: str = "95% interval") -> Chart:
    """The chart of standard `s`; `intervals`: key question id -> (low %, high %) for the whiskers."""
    kqs = list(s.key_questions)
    bottom = TOP + ROW * len(kqs) + 4
    out = Chart(title=f"{s.id} {s.name}: key-question percentages against the band lines",
                label=f"Key questions of standard {s.id} {s.name} against the band lines",
                width=WIDTH, height=TOP + ROW * len(kqs) + 30, plot_top=TOP - 4, plot_bottom=bottom)
    for low, high, rating, row_id in band_regions(rulebook):
        x0, x1 = _x(low), _x(high)
        short = rating if len(rating) * 7.5 < (x1 - x0) - 4 else "".join(w[0] for w in rating.split()).upper()
        out.bands.append({"x": x0, "width": max(x1 - x0, 0), "fill": pale(rating_fill(rulebook.ratings, rating)),
                          "title": f"{row_id}: {rating}", "label": short, "label_x": (x0 + x1) / 2})
    for bound in band_lines(rulebook):
        out.lines.append({"x": _x(bound), "label": f"{num(bound)}%"})
    for n, k in enumerate(kqs):
        bar = Bar(k.id, TOP + n * ROW, k.id == s.deciding_key_question)
        out.bars.append(bar)
        if k.pct is None:
            continue
        bar.width = max(_x(k.pct) - LEFT, 1.5)
        bar.fill = rating_fill(rulebook.ratings, k.rating)
        bar.title = k.decision.because
        bar.label = f"{k.sufficient}/{k.applicable} = {pct_text(k.pct)} {k.rating}"
        interval = (intervals or {}).get(k.id)
        if interval is not None:
            bar.whisker = (_x(interval[0]), _x(interval[1]))
            bar.title += f" ({interval_name} {interval[0]:.1f}% to {interval[1]:.1f}%)"
        inside = bar.width > len(bar.label) * 8.2 + 12
        right_of = max(LEFT + bar.width, bar.whisker[1] if bar.whisker else 0)
        bar.label_x = LEFT + bar.width - 6 if inside else right_of + 6
        bar.label_anchor = "end" if inside else "start"
        bar.label_ink = ink(bar.fill) if inside else "#111111"
    return out
