"""Sampling uncertainty: intervals for key-question percentages, bootstrap rating probabilities.

* Each key question's percentage gets a Wilson score interval (default) or an exact
  Clopper-Pearson interval (`toolkit.intervals`: standard library only, no scipy).
* Each standard and the overall rating get the probability of each rating under bootstrap
  resampling of the unit's cases: as many cases as the unit has, drawn with replacement, each
  case's answers kept together (so the correlation between its key questions is kept). Judgement standards are inspectors' ratings, not a sample: they are
  fixed across resamples.
* Every resample is rated by `bulk.evaluate`, i.e. by the compiled rulebook's decisions applied
  to arrays, which equal the one-by-one results of `rate.rate_tallies`.
* Reproducible: the random numbers of a unit come from (seed, the unit's name) only, so the
  same seed gives the same output, whatever other units the file holds.
"""
from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..engine.bulk import MISSING, CaseMatrix, Layout, case_matrices, evaluate, judgement_codes, label
from ..engine.decide import compile_rulebook
from ..io.evidence import load_cases, load_judgements
from ..io.progress import Progress
from ..io.rulebooks import load_rulebook
from ..model.errors import InputError
from ..model.audit import Audit
from ..model.evidence import CaseEvidence, Judgement, Judgements, ReadOptions
from ..model.rulebook import DEFAULT_RULEBOOK, LoadedRulebook, Rulebook
from ..rating.report import input_record, judgement_audit
from .intervals import METHODS, exact_interval, interval, wilson_interval  # noqa: F401 (public here too)

DEFAULT_SEED = 2021
DEFAULT_RESAMPLES = 1000
MAX_RESAMPLES = 100_000
#: Rows (units x resamples) evaluated per bulk call: bounds memory, keeps numpy calls large.
CHUNK_ROWS = 50_000


# ---------------------------------------------------------------------------------------------
# Bootstrap


def unit_rng(seed: int, unit: str) -> np.random.Generator:
    """The random numbers for one unit: from the seed and the unit's name only."""
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(zlib.crc32(unit.encode("utf-8")),)))


def resample_counts(matrix: CaseMatrix, resamples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sufficient and applicable counts (resamples, K) of bootstrap resamples of whole cases."""
    n = len(matrix.answers)
    rng = unit_rng(seed, matrix.unit)
    picks = rng.integers(0, n, size=(resamples, n))
    offsets = (np.arange(resamples) * n)[:, None]
    weights = np.bincount((picks + offsets).ravel(), minlength=resamples * n).reshape(resamples, n)
    # Counts = weights @ indicators. Every partial sum is an integer <= n, so float32 is exact
    # below 2**24 cases (and several times faster than float64); integers come back exactly.
    real = np.float32 if n < 2 ** 24 else np.float64
    both = np.concatenate([matrix.answers == 1, matrix.answers >= 0], axis=1).astype(real)
    counts = np.rint(weights.astype(real) @ both).astype(np.int64)
    k = matrix.answers.shape[1]
    return counts[:, :k], counts[:, k:]


@dataclass
class Distribution:
    """How often each code came out, over the resamples."""

    counts: dict[int, int]
    total: int

    def probability(self, code: int) -> float:
        return self.counts.get(code, 0) / self.total

    @property
    def most_likely(self) -> tuple[int, float]:
        code = max(self.counts, key=lambda c: (self.counts[c], c))
        return code, self.counts[code] / self.total


@dataclass
class KeyQuestionConfidence:
    id: str
    standard: str
    sufficient: int
    applicable: int
    rating: int  # code on the sample
    interval: tuple[float, float] | None  # as percentages
    distribution: Distribution


@dataclass
class StandardConfidence:
    id: str
    name: str
    basis: str
    rating: int  # code on the sample
    distribution: Distribution


@dataclass
class UnitConfidence:
    unit: str
    cases: int
    key_questions: list[KeyQuestionConfidence]
    standards: list[StandardConfidence]
    overall: int
    overall_status: str
    overall_distribution: Distribution
    score: int
    max_score: int


@dataclass
class ConfidenceReport:
    rulebook: Rulebook
    rulebook_file: str | None
    units: list[UnitConfidence]
    resamples: int
    seed: int
    level: float
    method: str
    fragile: float
    source: str
    warnings: list[str] = field(default_factory=list)
    inputs_notes: list[str] = field(default_factory=list)  # e.g. which judgements file was found by name
    inputs: tuple[dict, ...] = ()  # per input file: kind, file, sheet, sha256, audit

    @property
    def notes(self) -> list[str]:
        method = "Wilson score" if self.method == "wilson" else "exact (Clopper-Pearson)"
        return list(self.inputs_notes) + [
            f"Intervals: {method} {self.level:.0%} intervals for each key question's percentage.",
            f"Probabilities: {self.resamples} bootstrap resamples of each unit's cases (seed {self.seed}); a resample "
            "draws as many cases as the unit has, with replacement, keeping each case's answers together.",
            "Judgement standards are fixed across resamples: they are inspectors' ratings, not a sample.",
            f"FRAGILE: the most likely rating has a probability under {self.fragile:.0%}.",
        ]

    def is_fragile(self, dist: Distribution) -> bool:
        return dist.most_likely[1] < self.fragile

    def to_dict(self) -> dict:
        rb = self.rulebook

        def probs(dist: Distribution, level: str) -> dict[str, float]:
            out = {r: 0.0 for r in reversed(rb.ratings)}
            for code, n in sorted(dist.counts.items(), reverse=True):
                out[label(rb, code, level)] = round(n / dist.total, 6)
            return out

        def verdict(dist: Distribution, level: str) -> dict:
            code, p = dist.most_likely
            return {"probabilities": probs(dist, level), "most_likely": label(rb, code, level),
                    "most_likely_probability": round(p, 6), "fragile": self.is_fragile(dist)}

        units = []
        for u in self.units:
            units.append({
                "unit": u.unit,
                "cases": u.cases,
                "key_questions": [{
                    "id": k.id, "standard": k.standard, "sufficient": k.sufficient, "applicable": k.applicable,
                    "pct": None if not k.applicable else round(100 * k.sufficient / k.applicable, 4),
                    "interval": None if k.interval is None else {"lower": round(k.interval[0], 4),
                                                                   "upper": round(k.interval[1], 4)},
                    "rating": label(rb, k.rating, "key_question"),
                    **verdict(k.distribution, "key_question"),
                } for k in u.key_questions],
                "standards": [{
                    "id": s.id, "name": s.name, "basis": s.basis, "rating": label(rb, s.rating),
                    **verdict(s.distribution, "standard"),
                    **({"fixed": True} if s.basis == "judgement" else {}),
                } for s in u.standards],
                "overall": {"rating": label(rb, u.overall, "overall"), "status": u.overall_status,
                            "score": u.score, "max_score": u.max_score,
                            **verdict(u.overall_distribution, "overall")},
            })
        return {
            "format": "ratings-engine/confidence-1",
            "rulebook": {"id": rb.id, "version": rb.version, "sha256": rb.sha256, "file": self.rulebook_file},
            "cases": self.source,
            "method": self.method,
            "level": self.level,
            "resamples": self.resamples,
            "seed": self.seed,
            "fragile_below": self.fragile,
            "notes": self.notes,
            "warnings": self.warnings,
            "units": units,
        }


def check_options(resamples: int, seed: int, level: float, fragile: float, method: str) -> None:
    problems = []
    if not isinstance(resamples, (int, np.integer)) or not 1 <= resamples <= MAX_RESAMPLES:
        problems.append(f"--resamples {resamples!r}: give a whole number from 1 to {MAX_RESAMPLES}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        problems.append(f"--seed {seed!r}: give a whole number, 0 or more")
    if not isinstance(level, (int, float)) or not 0 < level < 1:
        problems.append(f"--level {level!r}: give a confidence level strictly between 0 and 1, e.g. 0.95")
    if not isinstance(fragile, (int, float)) or not 0 < fragile <= 1:
        problems.append(f"--fragile {fragile!r}: give a probability above 0 and at most 1, e.g. 0.8")
    if method not in METHODS:
        problems.append(f"--interval {method!r}: expected one of {', '.join(METHODS)}")
    if problems:
        raise InputError(problems)


def bootstrap(rulebook: Rulebook, matrices: Sequence[CaseMatrix], judgements: np.ndarray, *, resamples: int,
              seed: int, allow_partial: bool = False, progress=None):
    """Per unit, the resamples' codes counted: (kq (K, L), standards (S, L), overall (L,)).

    L = len(ratings) + 2 categories; category c holds code c - 2 (MISSING, NOT_RATED, ranks).
    `judgements` is (U, J) codes, fixed across resamples.
    """
    compiled = compile_rulebook(rulebook)
    layout = Layout(rulebook)
    width = len(rulebook.ratings) + 2
    per_chunk = max(1, CHUNK_ROWS // max(resamples, 1))
    out = []
    for start in range(0, len(matrices), per_chunk):
        chunk = matrices[start:start + per_chunk]
        counts = [resample_counts(m, resamples, seed) for m in chunk]
        suff = np.concatenate([c[0] for c in counts])
        appl = np.concatenate([c[1] for c in counts])
        present = np.repeat(np.stack([m.present for m in chunk]), resamples, axis=0)
        judged = np.repeat(judgements[start:start + len(chunk)], resamples, axis=0)
        ratings = evaluate(compiled, suff, appl, present, judged, allow_partial=allow_partial, layout=layout)
        for i in range(len(chunk)):
            rows = slice(i * resamples, (i + 1) * resamples)
            out.append((_tabulate(ratings.key_questions[rows], width), _tabulate(ratings.standards[rows], width),
                        np.bincount(ratings.overall[rows].astype(np.int64) + 2, minlength=width)))
        if progress is not None:
            progress.update(len(chunk))
    return out


def _tabulate(codes: np.ndarray, width: int) -> np.ndarray:
    """(R, C) codes -> (C, width) counts per category."""
    r, c = codes.shape
    flat = (codes.astype(np.int64) + 2) + width * np.arange(c)[None, :]
    return np.bincount(flat.ravel(), minlength=c * width).reshape(c, width)


def _distribution(row: np.ndarray, total: int) -> Distribution:
    return Distribution({int(i) - 2: int(n) for i, n in enumerate(row) if n}, total)


# ---------------------------------------------------------------------------------------------
# The whole analysis


def confidence(cases, rules=DEFAULT_RULEBOOK, *, judgements=None, unit: str | None = None,
               resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED, level: float = 0.95,
               method: str = "wilson", fragile: float = 0.8, allow_partial: bool = False,
               options: ReadOptions = ReadOptions(), changes: Sequence[str] = (), quiet: bool = True) -> ConfidenceReport:
    """Intervals and bootstrap rating probabilities for every unit of a case file or DataFrame.

    `changes`: `PATH=VALUE` what-ifs applied to the rulebook first (as `rate pdu --set`)."""
    started = time.monotonic()
    check_options(resamples, seed, level, fragile, method)
    loaded = load_rulebook(rules, changes=changes)
    rb = loaded.rulebook
    evidence = load_cases(cases, rb, unit=unit, blank=options.blank, ignore_columns=options.ignore_columns,
                          sheet=options.sheet, encoding=options.encoding, delimiter=options.delimiter,
                          text_columns=options.text_columns)
    given = load_judgements(judgements, rb, sheet=options.judgements_sheet, encoding=options.encoding,
                            delimiter=options.delimiter, text_columns=options.text_columns)
    return confidence_of(evidence, loaded, given, resamples=resamples, seed=seed, level=level, method=method,
                         fragile=fragile, allow_partial=allow_partial, quiet=quiet, started=started)


def confidence_of(evidence: CaseEvidence, loaded: LoadedRulebook, given: Judgements | None, *,
                  resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED, level: float = 0.95,
                  method: str = "wilson", fragile: float = 0.8, allow_partial: bool = False, quiet: bool = True,
                  started: float | None = None) -> ConfidenceReport:
    """`confidence` of case evidence already read (as `rate report` does, for the evidence it rated)."""
    started = time.monotonic() if started is None else started
    check_options(resamples, seed, level, fragile, method)
    rb = loaded.rulebook
    layout = Layout(rb)
    matrices = case_matrices(evidence, rb, layout)
    units = [m.unit for m in matrices]
    warnings: list[str] = []
    judged_audit = judgement_audit(given, units, warnings) if given is not None else None
    judged = judgement_codes(rb, given, units, layout)
    compiled = compile_rulebook(rb)

    observed = evaluate(compiled, np.stack([m.sufficient for m in matrices]), np.stack([m.applicable for m in matrices]),
                        np.stack([m.present for m in matrices]), judged, allow_partial=allow_partial, layout=layout)
    with Progress(len(matrices), "Resampling units", quiet=quiet, started=started) as bar:
        dists = bootstrap(rb, matrices, judged, resamples=resamples, seed=seed, allow_partial=allow_partial,
                          progress=bar)
    status = observed.status()
    out = []
    for u, m in enumerate(matrices):
        kq_counts, std_counts, overall_counts = dists[u]
        kqs = []
        # every key question rated from cases: of case standards and the case part of mixed ones
        sampled = [*layout.case_standards, *((i, cols) for i, cols, _ in layout.mixed_standards)]
        for std_index, cols in sorted(sampled, key=lambda entry: entry[0]):
            for k in cols:
                if not m.present[k]:
                    continue
                s, a = int(m.sufficient[k]), int(m.applicable[k])
                bounds = interval(s, a, level, method)
                kqs.append(KeyQuestionConfidence(
                    layout.key_questions[k], layout.standard_ids[std_index], s, a, int(observed.key_questions[u, k]),
                    None if bounds is None else (100 * bounds[0], 100 * bounds[1]),
                    _distribution(kq_counts[k], resamples)))
        stds = [StandardConfidence(s.id, s.name, s.rated_by, int(observed.standards[u, i]),
                                   _distribution(std_counts[i], resamples))
                for i, s in enumerate(layout.standards)]
        out.append(UnitConfidence(m.unit, len(m.answers), kqs, stds, int(observed.overall[u]), str(status[u]),
                                  _distribution(overall_counts, resamples), int(observed.score[u]),
                                  rb.max_standard_score * int(observed.scored[u])))
        if observed.overall[u] == MISSING:
            missing = [sid for sid, c in zip(layout.judgement_ids, judged[u]) if c == MISSING]
            warnings.append(f"unit {m.unit!r}: no overall rating, " + (
                f"judgement standard(s) {', '.join(missing)} missing (give --judgements, or --allow-partial)" if missing
                else "no standard rated from the cases (all n/a?); --allow-partial rates the judgements alone"))
    inputs = [input_record("cases", evidence.source, evidence.sha256, evidence.audit)]
    if given is not None:
        inputs.append(input_record("judgements", given.source, given.sha256, judged_audit))
    return ConfidenceReport(rb, str(loaded.path) if loaded.path else None, out, resamples, seed, level, method,
                            fragile, evidence.source, warnings, inputs=tuple(inputs))


def judgements_of(report) -> Judgements | None:
    """The judgement standards' ratings a rating report used, as judgements (before any panel
    override): what a bootstrap of the same evidence holds fixed (the report's FRAGILE flags)."""
    source = "<the report's judgements>"
    items = []
    for u in report.units:
        for s in u.standards:
            if s.basis != "judgement":
                continue
            rating = s.override["computed"] if s.override else s.rating
            if rating is not None:
                items.append(Judgement(u.unit, s.id, rating, None, source, 0))
    if not items:
        return None
    return Judgements(tuple(items), source, None, Audit(source, len(items), len(items)))
