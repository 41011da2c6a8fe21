"""What-if sweeps: vary one rulebook value over a range and count the ratings across a corpus.

The corpus is read, validated and tallied once; for every value the rulebook is re-derived with
`with_changes` (validated like a file), compiled, and every unit is rated by `bulk.evaluate`
(each distinct key-question or overall input decided once through durable_rules).

Several `--vary` paths move together (all take the same value): a band table with a `unique`
hit policy needs the lower bound of one row and the upper bound of the row below to move as one,
or it would gain a gap or an overlap (which is reported as an error naming the value).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

from ..engine.bulk import MISSING, Layout, arrays_from_tallies, evaluate, judgement_codes, label
from ..engine.decide import DecisionTableError, compile_rulebook
from ..io.progress import Progress
from ..io.rulebooks import load_rulebook, value_at, with_changes
from ..model.errors import InputError, RulebookError
from ..model.evidence import ReadOptions
from ..model.views import DEFAULT_RULEBOOK
from .corpus import load_corpus

if TYPE_CHECKING:  # the pydantic model: a rulebook from the cache is a model.light record
    from ..model.rulebook import Rulebook

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
    inputs: tuple[dict, ...] = ()  # per input file: kind, file, sheet, sha256, audit
    #: each varied path's value in the base rulebook (None where it has none)
    current: list = field(default_factory=list)

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
            "current": self.current,
            "values": self.values,
            "corpus": self.sources,
            "units": len(self.units),
            "warnings": self.warnings,
            "results": [{"value": v, **r} for v, r in zip(self.values, self.results)],
        }


def sweep(corpus: Sequence[str | Path], rules=DEFAULT_RULEBOOK, *, vary: Sequence[str], values: Sequence[str],
          judgements: str | Path | None = None, allow_partial: bool = False, options: ReadOptions = ReadOptions(),
          changes: Sequence[str] = (), quiet: bool = True) -> SweepReport:
    """Count each overall, standard and key-question rating across the corpus, per value.

    `corpus`: case files, tally files, judgement files or folders of them, read by
    `corpus.load_corpus`; `judgements` is one more judgement file (with a unit column);
    `changes` (`PATH=VALUE`, as `rate pdu --set`) change the base rulebook before the sweep.
    """
    if not vary:
        raise InputError("--vary: give the rulebook path to vary, e.g. key_question_bands.rows[kq-good].min")
    if not values:
        raise InputError("give the values: --from/--to/--step or --values")
    started = time.monotonic()
    loaded = load_rulebook(rules, changes=changes)
    base = loaded.rulebook
    layout = Layout(base)
    paths = [*corpus, *([judgements] if judgements is not None else [])]
    loaded_corpus = load_corpus(paths, base, options=options)
    units = list(loaded_corpus.units)
    arrays = arrays_from_tallies(loaded_corpus.tallies, base, units, layout)
    given = loaded_corpus.judgements
    warnings = list(loaded_corpus.warnings)
    sources = [i["file"] for i in loaded_corpus.inputs]

    # Validate every variant before the (possibly long) run.
    variants = []
    for value in values:
        try:
            variant = with_changes(base, [f"{path}={value}" for path in vary])
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
    judged = judgement_codes(base, given, units, layout)  # the same for every variant (same scale and standards)
    with Progress(len(values), "Sweeping", quiet=quiet, started=started) as bar:
        for value, variant in zip(values, variants):
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
    return SweepReport(base, list(vary), list(values), units, sources, results, warnings, loaded_corpus.inputs,
                       [value_at(base, path) for path in vary])


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
