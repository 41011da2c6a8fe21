"""The what-if workbench: edit a rulebook's tables, watch a whole corpus move.

A `Workbench` reads a corpus once against the base rulebook and keeps it as arrays
(`attribution.BulkCorpus`). Each edit is the state of the editable tables (`form`: key-question
band rows, overall band rows, limits; see `workbench_form`), turned into a candidate rulebook
(validated like a file) and a list of changes (one per table, and one per limit row), and the
whole corpus is re-rated through the candidate's compiled tables in bulk (`engine.bulk`, as
`rate diff` decides one unit at a time; a test proves the matrices equal). The result: the
transition matrix with row percentages, the units that move with the change that alone moves
each (or "combination only"), and the key-question band chart data.

The slower questions are separate calls, memoised per candidate: `check` (the `check-rules`
findings and the rulebook's scenario results) and `diff_report` (the full diff with every
deciding rule, for export). `rulebook_yaml` writes the candidate as a rulebook that `extends`
the base (`io.candidates`).
"""
from __future__ import annotations

import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..io.candidates import candidate_yaml, plain
from ..io.recorded import RecordedRatings
from ..io.rulebooks import rulebook_from_mapping
from ..model.errors import InputError, RulebookError
from ..model.evidence import ReadOptions
from ..model.rulebook import LoadedRulebook, Rulebook
from .attribution import COMBINATION_ONLY, Attribution, BulkCorpus, ChangeSpec, attribute, labels
from .corpus import Corpus, load_corpus, rate_corpus
from .diff import LEVELS, DiffReport, Matrix, diff_recorded, diff_reports, matrix_of
from .diff_sides import ABSENT, NOT_RECORDED
from .workbench_form import candidate_tables, form_of

MAX_MOVED_SHOWN = 200
_CACHE = 32


@dataclass(frozen=True)
class MovedUnit:
    unit: str
    base: str
    candidate: str
    base_score: str
    candidate_score: str
    moved_by: tuple[str, ...]
    note: str | None = None  # e.g. the recorded rating differs from the recomputed one already


@dataclass(frozen=True)
class BandChart:
    """Key-question percentages of the corpus in 1% bins, with the band bounds of base and candidate."""

    bins: list[int]  # 101 bins: floor(pct), 100 in the last
    changed: list[int]  # of those, key questions whose band changes
    base_cuts: list[tuple[float, str]]  # (per cent, "row id min")
    candidate_cuts: list[tuple[float, str]]
    moved_cuts: list[float]  # candidate bounds not in the base


@dataclass(frozen=True)
class Evaluation:
    level: str
    sha256: str
    changes: tuple[ChangeSpec, ...]
    matrix: Matrix
    moved: tuple[MovedUnit, ...]
    moved_total: int
    combination_only: tuple[str, ...]
    attribution_errors: dict[str, str]
    chart: BandChart
    units: int
    server_ms: float
    reference: str  # "recomputed" or "recorded"


@dataclass
class Workbench:
    base: LoadedRulebook
    base_ref: str  # how a saved candidate names its base in `extends`
    corpus: Corpus
    bulk: BulkCorpus
    recorded: RecordedRatings | None = None
    scenarios: list = field(default_factory=list)  # io.scenario_files.LoadedScenarios of the base
    sources: list[str] = field(default_factory=list)
    _cache: OrderedDict = field(default_factory=OrderedDict)

    @classmethod
    def open(cls, paths: Sequence[str | Path], base: LoadedRulebook, base_ref: str, *,
             recorded: RecordedRatings | None = None, options: ReadOptions = ReadOptions(),
             allow_partial: bool = False) -> "Workbench":
        from ..io.scenario_files import load_scenario_file
        from ..io.rulebooks import rules_dir

        corpus = load_corpus(paths, base.rulebook, options=options)
        bulk = BulkCorpus.of(corpus, base.rulebook, allow_partial=allow_partial)
        shipped = rules_dir() / "scenarios" / f"{base.rulebook.id}.yaml"
        scenarios = [load_scenario_file(shipped)] if shipped.is_file() else []
        bench = cls(base, base_ref, corpus, bulk, recorded, scenarios, [i["file"] for i in corpus.inputs])
        bench._base_ratings = bulk.rate(base.rulebook)
        bench._base_labels = {lv: labels(bench._base_ratings, lv) for lv in LEVELS}
        bench._pct = _percentages(bulk)
        return bench

    # ---- the form ----
    def form(self) -> dict:
        """The base's editable tables as form state (what the page shows first)."""
        return form_of(self.base.rulebook)

    def candidate(self, form: dict) -> tuple[Rulebook, list[ChangeSpec], list[Rulebook | None]]:
        """The candidate rulebook of a form, its changes, and each change alone applied to the base."""
        key = json.dumps(form, sort_keys=True)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        base_data = plain(self.base.rulebook)
        tables, changes = candidate_tables(self.base.rulebook, form)
        data = _with_tables(base_data, tables)
        candidate = rulebook_from_mapping(data, "<workbench candidate>")
        why = self.bulk.compatible(candidate)
        if why:
            raise RulebookError(f"the candidate cannot be compared on this corpus: {why}")
        variants = []
        for change in changes:
            alone = _with_tables(base_data, {change.table: change.value})
            try:
                variants.append(rulebook_from_mapping(alone, f"<{change.spec.label}>"))
            except RulebookError:
                variants.append(None)
        result = (candidate, [c.spec for c in changes], variants)
        self._cache[key] = result
        if len(self._cache) > _CACHE:
            self._cache.popitem(last=False)
        return result

    # ---- the fast path: one edit ----
    def evaluate(self, form: dict, level: str = "overall") -> Evaluation:
        started = time.perf_counter()
        if level not in LEVELS:
            raise InputError(f"unknown level {level!r}")
        candidate, changes, variants = self.candidate(form)
        cand = self.bulk.rate(candidate)
        found = attribute(self.bulk, changes, candidate, level, base_ratings=self._base_ratings,
                          candidate_ratings=cand, variants=variants)
        cand_labels = labels(cand, level)
        reference = self._reference_labels(level)
        pairs = [p for p in zip(_flat(reference), _flat(cand_labels)) if p != (ABSENT, ABSENT)]  # as rate diff
        matrix = matrix_of(level, pairs, self.base.rulebook.ratings)
        differs = (reference != cand_labels) if reference.ndim == 1 else (reference != cand_labels).any(axis=1)
        moved_units = self._moved(cand, found, differs, level)
        chart = self._chart(candidate, cand)
        return Evaluation(level, candidate.sha256, tuple(changes), matrix, moved_units[:MAX_MOVED_SHOWN],
                          len(moved_units), found.combination_only, found.errors, chart, len(self.bulk.units),
                          1000 * (time.perf_counter() - started), "recorded" if self.recorded else "recomputed")

    def _reference_labels(self, level: str) -> np.ndarray:
        if self.recorded is None:
            return self._base_labels[level]
        if level == "key_question":
            raise InputError("recorded ratings have no key-question ratings: choose the overall or standard level")
        if level == "overall":
            return np.array([(r.rating if (r := self.recorded.overall(u)) else NOT_RECORDED) for u in self.bulk.units],
                            dtype=object)
        ids = self.bulk.layout.standard_ids
        return np.array([[(r.rating if (r := self.recorded.standard(u, s)) else NOT_RECORDED) for s in ids]
                         for u in self.bulk.units], dtype=object).reshape(len(self.bulk.units), len(ids))

    def _moved(self, cand, found: Attribution, differs: np.ndarray, level: str) -> tuple[MovedUnit, ...]:
        base = self._base_ratings
        ref_overall = self._reference_labels("overall")
        cand_overall = labels(cand, "overall")
        top = self.base.rulebook.max_standard_score
        out = []
        for i in np.flatnonzero(differs):
            unit = self.bulk.units[i]
            by = tuple(found.deciding(unit))
            note = None
            if self.recorded is not None:
                recomputed = self._base_labels["overall"][i]
                if recomputed != ref_overall[i]:
                    note = f"recorded {ref_overall[i]}, recomputed under the base rules {recomputed}"
                if not by:
                    by = ("differs from the recorded rating under the base rules already",)
            out.append(MovedUnit(unit, str(ref_overall[i]), str(cand_overall[i]),
                                 f"{base.score[i]}/{top * base.scored[i]}", f"{cand.score[i]}/{top * cand.scored[i]}",
                                 by, note))
        return tuple(out)

    def _chart(self, candidate: Rulebook, cand) -> BandChart:
        rated = self._base_ratings.key_questions >= 0
        pct = self._pct[rated]
        bins = np.minimum(np.floor(pct).astype(int), 100)
        counts = np.bincount(bins, minlength=101)
        changed_mask = (self._base_ratings.key_questions != cand.key_questions)[rated]
        changed = np.bincount(bins[changed_mask], minlength=101)
        base_cuts, cand_cuts = _cuts(self.base.rulebook), _cuts(candidate)
        base_values = {v for v, _ in base_cuts}
        return BandChart(counts.tolist(), changed.tolist(), base_cuts, cand_cuts,
                         sorted({v for v, _ in cand_cuts} - base_values))

    # ---- the slower questions, memoised per candidate ----
    def check(self, form: dict) -> tuple[Any, Any]:
        """(check-rules report, scenario report or None) of the candidate."""
        from .check import DEFAULT_MAX_SAMPLE, check_rulebook
        from .scenarios import run_scenarios

        candidate, _, _ = self.candidate(form)
        key = ("check", candidate.sha256)
        if key not in self._cache:
            loaded = LoadedRulebook(candidate, None, None)
            checked = check_rulebook(loaded, DEFAULT_MAX_SAMPLE, ())
            scenarios = run_scenarios(self.scenarios, loaded) if self.scenarios else None
            self._cache[key] = (checked, scenarios)
            if len(self._cache) > _CACHE:
                self._cache.popitem(last=False)
        return self._cache[key]

    def diff_report(self, form: dict, level: str = "all") -> DiffReport:
        """The full diff of base (or recorded ratings) and candidate, as `rate diff` gives it, with attribution."""
        candidate, changes, variants = self.candidate(form)
        loaded = LoadedRulebook(candidate, None, None)
        scale = list(self.base.rulebook.ratings)
        labels_ = tuple(c.label for c in changes)
        cand_report = rate_corpus(self.corpus, loaded, allow_partial=self.bulk.allow_partial)
        if self.recorded is not None:
            report = diff_recorded(self.recorded, self.base, cand_report, ratings=scale, candidate_overrides=labels_,
                                   level=level)
        else:
            key = ("base-report",)
            if key not in self._cache:
                self._cache[key] = rate_corpus(self.corpus, self.base, allow_partial=self.bulk.allow_partial)
            report = diff_reports(self._cache[key], cand_report, ratings=scale, candidate_overrides=labels_,
                                  level=level)
        found = attribute(self.bulk, changes, candidate, "overall" if level == "all" else level,
                          base_ratings=self._base_ratings, variants=variants)
        return replace(report, attribution=found)

    def rulebook_yaml(self, form: dict, new_id: str | None = None, title: str | None = None) -> str:
        """The candidate as a rulebook file extending the base (and passing the same validation)."""
        candidate, changes, _ = self.candidate(form)
        data = plain(candidate)
        base = self.base.rulebook
        data["id"] = (new_id or f"{base.id}-candidate").strip()
        data["title"] = (title or f"Candidate: {base.title}").strip()
        named = rulebook_from_mapping(data, "<workbench candidate>")
        lines = [f"Candidate rulebook made in the workbench (rate serve) from {base.id} version {base.version}.",
                 "Changes:"] + [f"  - {c.label}" for c in changes] + [
                 "", f"Check it: rate check-rules FILE; compare: rate diff --base {self.base_ref} --candidate FILE CORPUS"]
        return candidate_yaml(base, self.base_ref, named, "\n".join(lines))


def _with_tables(base_data: dict, tables: dict[str, Any]) -> dict:
    """A copy of the base's plain data with some tables' rows replaced (keys: see workbench_form.TABLES)."""
    data = json.loads(json.dumps(base_data))
    for table, rows in tables.items():
        node = data
        *path, last = table.split(".")
        for part in path:
            node = node.setdefault(part, {})
        node[last] = rows
    return data


def _flat(values: np.ndarray) -> list:
    return values.ravel().tolist()


def _percentages(bulk: BulkCorpus) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(bulk.applicable > 0, 100.0 * bulk.sufficient / np.maximum(bulk.applicable, 1), 0.0)


def _cuts(rb: Rulebook) -> list[tuple[float, str]]:
    cuts = []
    for row in rb.key_question_bands.rows:
        for key in ("min", "above"):
            value = getattr(row, key)
            if value is not None:
                cuts.append((float(value), f"{row.then}: {key} {_num(value)}"))
    return sorted(cuts)


def _num(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


__all__ = ["COMBINATION_ONLY", "BandChart", "Evaluation", "MovedUnit", "Workbench"]


def form_from_yaml(bench: Workbench, raw: bytes, source: str = "<uploaded rulebook>") -> dict:
    """The form of an uploaded rulebook (YAML, read by the safe loader with the rulebook limits).

    It may `extends` the base only (by the id or file name the workbench uses); otherwise it is a
    whole rulebook. It must have the base's standards, key questions and scale, and differ from
    the base only in the tables the workbench edits, so nothing in it is dropped silently.
    """
    from ..io.rulebooks import parse_rulebook_yaml
    from .workbench_form import form_of

    data = parse_rulebook_yaml(raw, source)
    base = bench.base
    if "extends" in data:
        ref = str(data["extends"]).strip()
        known = {bench.base_ref, base.rulebook.id} | ({base.path.name, str(base.path)} if base.path else set())
        if ref not in known:
            raise RulebookError(f"{source}: extends {ref!r}; the workbench reads only its base rulebook "
                                f"({bench.base_ref}), so an uploaded rulebook may extend only that")
        data["extends"] = str(base.path.resolve()) if base.path is not None else base.rulebook.id
    uploaded = rulebook_from_mapping(data, source)
    why = bench.bulk.compatible(uploaded)
    if why:
        raise RulebookError(f"{source}: {why}")
    mine, theirs = plain(base.rulebook), plain(uploaded)
    for key in ("id", "version", "title", "description", "effective"):
        mine.pop(key, None)
        theirs.pop(key, None)
    for data_ in (mine, theirs):
        data_["key_question_bands"].pop("rows")
        data_["overall"]["bands"].pop("rows")
        data_["overall"].pop("limits", None)
    if mine != theirs:
        differ = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
        raise RulebookError(f"{source}: it also changes {', '.join(differ)}, which the workbench does not edit; "
                            f"compare it with rate diff --base {bench.base_ref} --candidate FILE instead")
    return form_of(uploaded)
