"""What-if sweeps: vary one rulebook value over a range and count the ratings across a corpus.

The corpus is read, validated and tallied once; for every value the rulebook is re-derived with
`with_overrides` (validated like a file), compiled, and every unit is rated by `bulk.evaluate`
(each distinct key-question or overall input decided once through durable_rules).

Several `--vary` paths move together (all take the same value): a band table with a `unique`
hit policy needs the lower bound of one row and the upper bound of the row below to move as one,
or it would gain a gap or an overlap (which is reported as an error naming the value).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .bulk import MISSING, NOT_RATED, Layout, arrays_from_tallies, evaluate, judgement_codes, label
from .decide import DecisionTableError, compile_rulebook
from .errors import InputError, RulebookError
from .rulebook import DEFAULT_RULEBOOK, Rulebook, with_overrides

MAX_VALUES = 1000


def value_range(start: str, stop: str, step: str) -> list[str]:
    """Values from `start` to `stop` inclusive (when reached) by `step`, in exact decimal arithmetic."""
    try:
        a, b, s = Decimal(str(start)), Decimal(str(stop)), Decimal(str(step))
    except InvalidOperation:
        raise InputError(f"--from {start!r} --to {stop!r} --step {step!r}: give numbers") from None
    if not all(x.is_finite() for x in (a, b, s)):
        raise InputError(f"--from {start!r} --to {stop!r} --step {step!r}: give finite numbers")
    if s <= 0:
        raise InputError(f"--step {step!r}: give a positive step (the sweep goes from --from towards --to)")
    direction = 1 if b >= a else -1
    count = int((abs(b - a) / s).to_integral_value(rounding="ROUND_FLOOR")) + 1
    if count > MAX_VALUES:
        raise InputError(f"--step {step!r}: {count} values from {start} to {stop}; at most {MAX_VALUES}")
    return [_plain(a + direction * i * s) for i in range(count)]


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


@dataclass
class SweepReport:
    rulebook: Rulebook
    vary: list[str]
    values: list[str]
    units: list[str]
    sources: list[str]
    #: per value: {"overall": {label: n}, "standards": {id: {label: n}}, "key_questions": {label: n}}
    results: list[dict]
    warnings: list[str]

    def scale(self) -> list[str]:
        return list(reversed(self.rulebook.ratings))

    def labels(self, part: str, subject: str | None = None) -> list[str]:
        """Ratings high to low, then any other outcome that occurs anywhere in the sweep."""
        seen: dict[str, None] = {}
        for r in self.results:
            counts = r[part] if subject is None else r[part][subject]
            seen.update(dict.fromkeys(counts))
        return self.scale() + [x for x in seen if x not in self.scale()]

    def long_frame(self) -> pd.DataFrame:
        rows = []
        for value, r in zip(self.values, self.results):
            for name in self.labels("overall"):
                rows.append((value, "overall", "overall", name, r["overall"].get(name, 0)))
            for sid in r["standards"]:
                for name in self.labels("standards", sid):
                    rows.append((value, "standard", sid, name, r["standards"][sid].get(name, 0)))
            for name in self.labels("key_questions"):
                rows.append((value, "key_questions", "all", name, r["key_questions"].get(name, 0)))
        return pd.DataFrame(rows, columns=["value", "level", "subject", "rating", "count"])

    def to_dict(self) -> dict:
        rb = self.rulebook
        return {
            "format": "ratings-engine/sweep-1",
            "rulebook": {"id": rb.id, "version": rb.version, "sha256": rb.sha256},
            "vary": self.vary,
            "values": self.values,
            "corpus": self.sources,
            "units": len(self.units),
            "warnings": self.warnings,
            "results": [{"value": v, **r} for v, r in zip(self.values, self.results)],
        }


def sweep(corpus: Sequence[str | Path], rules=DEFAULT_RULEBOOK, *, vary: Sequence[str], values: Sequence[str],
          judgements: str | Path | None = None, allow_partial: bool = False, blank: str = "error",
          overrides: Sequence[str] = (), quiet: bool = True) -> SweepReport:
    """Count each overall, standard and key-question rating across the corpus, per value.

    `corpus`: case files, tally files, judgement files or folders of them, read by
    `corpus.load_corpus`; `judgements` is one more judgement file (with a unit column);
    `overrides` (`PATH=VALUE`, as `rate pdu --set`) change the base rulebook before the sweep.
    """
    from . import api
    from .corpus import load_corpus
    from .progress import Progress

    if not vary:
        raise InputError("--vary: give the rulebook path to vary, e.g. key_question_bands.rows[kq-good].min")
    if not values:
        raise InputError("give the values: --from/--to/--step or --values")
    started = time.monotonic()
    loaded = api.get_rulebook(rules, overrides=overrides) if overrides else api.get_rulebook(rules)
    base = loaded.rulebook
    layout = Layout(base)
    paths = [*corpus, *([judgements] if judgements is not None else [])]
    loaded_corpus = load_corpus(paths, base, blank=blank)
    units = list(loaded_corpus.units)
    arrays = arrays_from_tallies(loaded_corpus.tallies, base, units, layout)
    given = loaded_corpus.judgements
    warnings = list(loaded_corpus.warnings)
    sources = [i["file"] for i in loaded_corpus.inputs]

    # Validate every variant before the (possibly long) run.
    variants = []
    for value in values:
        try:
            variant = with_overrides(base, [f"{path}={value}" for path in vary])
        except RulebookError as exc:
            raise RulebookError(f"at value {value}: {exc.render()}") from None
        if variant.key_question_ids != base.key_question_ids or [s.id for s in variant.standards] != list(layout.standard_ids) \
                or [s.rated_by for s in variant.standards] != [s.rated_by for s in layout.standards] \
                or variant.ratings != base.ratings:
            raise InputError(f"--vary {', '.join(vary)} at value {value}: a sweep may not change the rating scale, "
                             "the standards or the key questions")
        variants.append(variant)

    results = []
    refused = 0
    with Progress(len(values), "Sweeping", quiet=quiet, started=started) as bar:
        for value, variant in zip(values, variants):
            judged = judgement_codes(variant, given, units, layout)
            try:
                ratings = evaluate(compile_rulebook(variant), arrays.sufficient, arrays.applicable, arrays.present,
                                   judged, allow_partial=allow_partial, layout=Layout(variant))
            except RulebookError as exc:
                hint = ""
                if isinstance(exc, DecisionTableError):
                    hint = ("; rows of a table with hit policy 'unique' must not gap or overlap: move the neighbouring "
                            "bound with the same value too (repeat --vary, e.g. --vary 'key_question_bands.rows[kq-good].min' "
                            "--vary 'key_question_bands.rows[kq-requires-improvement].below')")
                raise RulebookError(f"--vary {', '.join(vary)} at value {value}: {exc.render()}{hint}") from None
            results.append(_count(variant, layout, ratings))
            refused = int((ratings.overall == MISSING).sum())
            bar.update()
    if refused:
        warnings.append(f"{refused} unit(s) have no overall rating because judgement standards are missing "
                        "(give --judgements with a unit column, or --allow-partial)")
    return SweepReport(base, list(vary), list(values), units, sources, results, warnings)


def _count(rb: Rulebook, layout: Layout, ratings) -> dict:
    def counts(codes: np.ndarray, level: str) -> dict[str, int]:
        values, n = np.unique(codes, return_counts=True)
        out = {r: 0 for r in reversed(rb.ratings)}
        for code, k in sorted(zip(values.tolist(), n.tolist()), reverse=True):
            if level == "key_question" and code == MISSING:
                continue  # key questions without evidence are not counted
            out[label(rb, code, level)] = k
        return out

    return {
        "overall": counts(ratings.overall, "overall"),
        "standards": {sid: counts(ratings.standards[:, i], "standard") for i, sid in enumerate(layout.standard_ids)},
        "key_questions": counts(ratings.key_questions.ravel(), "key_question"),
    }


# ---------------------------------------------------------------------------------------------
# Rendering


def render_table(report: SweepReport, markdown: bool = False) -> str:
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


def render_csv(report: SweepReport) -> str:
    return report.long_frame().to_csv(index=False)


def render_json(report: SweepReport) -> str:
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
