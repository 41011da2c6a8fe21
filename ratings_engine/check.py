"""Static analysis of a rulebook: what `rate check-rules` reports.

Every decision the checker reasons about is taken by the compiled rulebook (durable_rules, via
`decide.DecisionTable.matching` and the table's own hit policy). The key-question band table is
in addition analysed symbolically: the row bounds cut 0-100% into elementary intervals, exact
fractions, on each of which every row either matches or not. The two analyses are compared on
every reachable (sufficient, applicable) pair up to the sample size and on one example pair per
interval; any disagreement is itself reported as an error (`engine_disagreement`).

Checks (errors unless noted):

* `load`: the rulebook does not load (YAML, schema, references that do not resolve).
* `gap` / `overlap`: a key-question percentage with no row, or several rows under `unique`.
* `never_matches`: a row no input can match; `shadowed` (hit policy `first`): a row that
  matches only where an earlier row matches too; `never_wins` (hit policy `priority`): a row
  that matches only where another row wins.
* `non_monotone`: a higher key-question percentage gives a lower rating; with the same number of
  scored standards and the same rating counts, a higher score gives a lower overall rating; or
  raising one standard's rating one step lowers the overall rating (what "more sufficient cases"
  means once count conditions exist: see docs/check-rules.md).
* `missing_band`: an overall input (score 0..max for every number of scored standards and every
  reachable combination of rating counts) that no overall band row matches.
* `unrated_standard`: a case standard no key-question band can rate.
* `engine_disagreement`: the symbolic analysis and durable_rules disagree (a bug: please report).
* warnings: `unreachable_rating`, `limit_never_matches`, `limit_never_lowers`, `no_provenance`,
  `sample_too_small`, `combinations_sampled`.
"""
from __future__ import annotations

import itertools
import json
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, Literal, Sequence

from . import explain
from .decide import CompiledRulebook, OverallInput, compile_rulebook, percentage_fact
from .errors import Location, RulebookError
from .rulebook import BandRow, LoadedRulebook, Rulebook, load_rulebook_file, resolve_rulebook_path, with_overrides

#: Largest applicable count whose every (sufficient, applicable) pair is decided by durable_rules.
DEFAULT_MAX_SAMPLE = 150
MAX_SAMPLE_LIMIT = 1000
#: Rating combinations enumerated for the overall checks before falling back to a seeded sample.
MAX_COMBINATIONS = 200_000
SAMPLED_COMBINATIONS = 20_000
#: Findings of one kind per table before the rest are summarised in one line.
MAX_FINDINGS_PER_KIND = 12

Severity = Literal["error", "warning"]
GRADES = ("confirmed", "recalled", "uncertain", "none")


@dataclass(frozen=True)
class Finding:
    """One problem found in a rulebook."""

    severity: Severity
    kind: str
    table: str | None
    rows: tuple[str, ...]
    message: str
    location: Location | None = None
    example: dict[str, Any] | None = None

    def __str__(self) -> str:
        where = [self.table] if self.table else []
        if self.rows:
            where.append(f"row{'s' if len(self.rows) > 1 else ''} {', '.join(self.rows)}")
        loc = _location_text(self.location)
        head = f"{self.severity}[{self.kind}]"
        if where:
            head += " " + " ".join(where)
        if loc:
            head += f" ({loc})"
        return f"{head}: {self.message}"

    def to_dict(self) -> dict:
        loc = self.location
        return {
            "severity": self.severity, "kind": self.kind, "table": self.table, "rows": list(self.rows),
            "message": self.message,
            "location": {"file": loc.file, "line": loc.line, "key_path": loc.key_path} if loc else None,
            "example": self.example,
        }


def _location_text(loc: Location | None) -> str:
    if loc is None:
        return ""
    parts = [p for p in (loc.file, f"line {loc.line}" if loc.line is not None else None) if p]
    return ", ".join(parts)


@dataclass
class CheckReport:
    """What `check_rulebook` found: findings, what was checked, and provenance counts."""

    rulebook_id: str | None
    version: str | None
    title: str | None
    sha256: str | None
    path: str | None
    max_sample: int
    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    provenance: dict[str, dict[str, int]] = field(default_factory=dict)
    rulebook: LoadedRulebook | None = field(default=None, repr=False)  # None when it did not load
    overrides: tuple[str, ...] = ()

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def can_rate(self) -> bool:
        """False when rating evidence with this rulebook could fail (it does not load, has gaps or overlaps)."""
        blocking = {"load", "gap", "overlap", "missing_band", "engine_disagreement"}
        return not any(f.kind in blocking for f in self.errors)

    def kinds(self, severity: Severity | None = None) -> set[str]:
        return {f.kind for f in self.findings if severity is None or f.severity == severity}

    def to_dict(self) -> dict:
        return {
            "rulebook": {"id": self.rulebook_id, "version": self.version, "title": self.title,
                         "sha256": self.sha256, "path": self.path, "overrides": list(self.overrides)},
            "ok": self.ok,
            "max_sample": self.max_sample,
            "errors": [f.to_dict() for f in self.errors],
            "warnings": [f.to_dict() for f in self.warnings],
            "checked": list(self.checked),
            "provenance": self.provenance,
        }


# ---------------------------------------------------------------------------------------------
# Entry points


def check_rulebook(rules: Rulebook | LoadedRulebook | str | Path, max_sample: int = DEFAULT_MAX_SAMPLE,
                   overrides: Sequence[str] = ()) -> CheckReport:
    """Check a rulebook (object, file path or shipped id), optionally changed by `PATH=VALUE` overrides.

    A file that does not exist, or an override that cannot be applied, raises RulebookError (bad
    input); a file that exists but does not load is reported as `load` errors with file and line.
    """
    if not 1 <= max_sample <= MAX_SAMPLE_LIMIT:
        raise RulebookError(f"--max-sample must be between 1 and {MAX_SAMPLE_LIMIT} (got {max_sample})")
    if isinstance(rules, LoadedRulebook):
        loaded = rules
    elif isinstance(rules, Rulebook):
        loaded = LoadedRulebook(rules, None, None)
    else:
        path = resolve_rulebook_path(rules)
        try:
            loaded = load_rulebook_file(path)
        except RulebookError as exc:
            report = CheckReport(None, None, None, None, str(path), max_sample)
            report.findings = [Finding("error", "load", None, (), p.message, p.location) for p in exc.problems]
            report.checked.append("loading: the rulebook does not load, so nothing else was checked")
            return report
    if overrides:
        loaded = LoadedRulebook(with_overrides(loaded.rulebook, list(overrides)), loaded.path, loaded.file_sha256)
    return _Checker(loaded, max_sample, tuple(overrides)).run()


def provenance_summary(rb: Rulebook) -> dict[str, dict[str, int]]:
    """How many rules of each kind are confirmed / recalled / uncertain (none: no grade given).

    Every key-question band row, overall band row, limit row (enabled or not), policy, the score
    table and every standard counts once; a row without its own provenance takes its table's.
    """
    counts: dict[str, Counter] = {}

    def add(category: str, prov) -> None:
        counts.setdefault(category, Counter())[prov.grade if prov is not None else "none"] += 1

    add("score table", rb.scores.provenance)
    for name in type(rb.policies).model_fields:
        add("policies", getattr(rb.policies, name).provenance)
    for std in rb.standards:
        add("standards", std.provenance)
    kq = rb.key_question_bands
    for row in kq.rows:
        add("key-question band rows", row.provenance or kq.provenance)
    ob = rb.overall.bands
    for row in ob.rows:
        add("overall band rows", row.provenance or ob.provenance)
    if rb.overall.limits is not None:
        for row in rb.overall.limits.rows:
            add("limit rows", row.provenance or rb.overall.limits.provenance)
    out = {cat: {g: c[g] for g in GRADES} for cat, c in counts.items()}
    out["total"] = {g: sum(c[g] for c in counts.values()) for g in GRADES}
    return out


# ---------------------------------------------------------------------------------------------
# Symbolic band semantics (compared with durable_rules on every pair the checker decides)


def band_row_matches(row: BandRow, pct: Fraction) -> bool:
    """Whether a band row's bounds admit a compared percentage (exact)."""
    return ((row.min is None or pct >= Fraction(row.min)) and (row.above is None or pct > Fraction(row.above))
            and (row.max is None or pct <= Fraction(row.max)) and (row.below is None or pct < Fraction(row.below)))


def compared_fraction(sufficient: int, applicable: int, rounding: str) -> Fraction:
    """The percentage the engine compares with band bounds, as an exact fraction."""
    fact = percentage_fact(sufficient, applicable, rounding)
    return Fraction(fact["x"], 100 * fact["d"])


@dataclass(frozen=True)
class _Piece:
    """An elementary piece of 0-100%: a point, or an open interval between two cuts."""

    lo: Fraction
    hi: Fraction

    @property
    def point(self) -> bool:
        return self.lo == self.hi

    @property
    def representative(self) -> Fraction:
        return self.lo if self.point else (self.lo + self.hi) / 2


def _pct(value: Fraction) -> str:
    if value.denominator == 1:
        return f"{value.numerator}%"
    return f"{float(value):.2f}".rstrip("0").rstrip(".") + "%"


def _range_text(pieces: Sequence[_Piece], whole: bool) -> str:
    first, last = pieces[0], pieces[-1]
    if whole:
        return f"{_pct(first.lo)}" if first.lo == last.hi else f"{_pct(first.lo)} to {_pct(last.hi)} (whole percentages)"
    if first.point and last.point and first.lo == last.lo:
        return f"exactly {_pct(first.lo)}"
    start = f"from {_pct(first.lo)}" if first.point else f"over {_pct(first.lo)}"
    end = f"to {_pct(last.hi)}" if last.point else f"to under {_pct(last.hi)}"
    return f"{start} {end}"


def _pair_text(s: int, a: int, rounding: str) -> str:
    return f"{_pct(Fraction(100 * s, a))} = {s} of {a} applicable cases" + (
        f", compared as {_pct(compared_fraction(s, a, rounding))}" if rounding != "exact" else "")


# ---------------------------------------------------------------------------------------------
# The checker


class _Lines:
    """Line numbers of tables and rows in the rulebook file, where the file has them."""

    def __init__(self, path: Path | None):
        self.path = str(path) if path else None
        self.data = None
        if path is not None:
            try:
                from ruamel.yaml import YAML

                self.data = YAML(typ="rt").load(path.read_text(encoding="utf-8-sig"))
            except Exception:  # noqa: BLE001 - locations are a courtesy; the rulebook loaded already
                self.data = None

    def _walk(self, keys: Sequence[str]):
        node, line = self.data, None
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                return None, line
            lc = getattr(node, "lc", None)
            if lc is not None:
                line = lc.key(key)[0] + 1
            node = node[key]
        return node, line

    def locate(self, table: str | None, row: str | None = None) -> Location | None:
        if table is None:
            return Location(file=self.path) if self.path else None
        keys = table.split(".")
        key_path = table + (f".rows[{row}]" if row else "")
        node, line = self._walk(keys)
        if row is not None and isinstance(node, dict):
            rows = node.get("rows")
            lc = getattr(rows, "lc", None)
            if isinstance(rows, list) and lc is not None:
                for i, item in enumerate(rows):
                    if isinstance(item, dict) and item.get("id") == row:
                        line = lc.item(i)[0] + 1
                        break
        if self.path is None and line is None:
            return Location(key_path=key_path)
        return Location(file=self.path, line=line, key_path=key_path)


class _Checker:
    def __init__(self, loaded: LoadedRulebook, max_sample: int, overrides: tuple[str, ...] = ()):
        self.loaded = loaded
        self.overrides = overrides
        self.compiled: CompiledRulebook = compile_rulebook(loaded.rulebook)
        self.rb = self.compiled.rulebook  # the same content (compiled rulebooks are shared by hash)
        self.max_sample = max_sample
        self.lines = _Lines(loaded.path)
        self.findings: list[Finding] = []
        self.checked: list[str] = []
        self._per_kind: Counter = Counter()
        self._suppressed: Counter = Counter()

    def add(self, severity: Severity, kind: str, table: str | None, rows: Sequence[str], message: str,
            example: dict | None = None) -> None:
        key = (kind, table)
        self._per_kind[key] += 1
        if self._per_kind[key] > MAX_FINDINGS_PER_KIND:
            self._suppressed[(severity, kind, table)] += 1
            return
        rows = tuple(dict.fromkeys(r for r in rows if r))
        self.findings.append(Finding(severity, kind, table, rows, message,
                                     self.lines.locate(table, rows[0] if rows else None), example))

    def run(self) -> CheckReport:
        rb = self.rb
        kq_ratings = self._key_question_bands()
        self._standards(kq_ratings)
        self._overall(kq_ratings)
        self._provenance()
        for (severity, kind, table), n in self._suppressed.items():
            self.findings.append(Finding(severity, kind, table, (),
                                         f"... and {n} more {kind} finding(s) like the above", self.lines.locate(table)))
        order = {"error": 0, "warning": 1}
        self.findings.sort(key=lambda f: order[f.severity])
        return CheckReport(rb.id, rb.version, rb.title, rb.sha256, str(self.loaded.path) if self.loaded.path else None,
                           self.max_sample, self.findings, self.checked, provenance_summary(rb), self.loaded,
                           self.overrides)

    # ---- key-question bands ----
    def _key_question_bands(self) -> set[str]:
        rb, table = self.rb, self.compiled.key_question_bands
        name = "key_question_bands"
        rows = rb.key_question_bands.rows
        rounding = rb.policies.rounding.value
        whole = rounding != "exact"
        minimum = max(1, rb.policies.minimum_applicable.value)
        rank = rb.rank

        if whole:
            pieces = [_Piece(Fraction(k), Fraction(k)) for k in range(101)]
        else:
            cuts = sorted({Fraction(0), Fraction(100)}
                          | {Fraction(b) for r in rows for b in (r.min, r.above, r.max, r.below) if b is not None})
            pieces = []
            for i, cut in enumerate(cuts):
                pieces.append(_Piece(cut, cut))
                if i + 1 < len(cuts):
                    pieces.append(_Piece(cut, cuts[i + 1]))
        matched = [tuple(r for r in rows if band_row_matches(r, p.representative)) for p in pieces]
        chosen = [table.choose(m) if m else None for m in matched]
        examples = _piece_examples(pieces, rounding, minimum)

        # durable_rules decides one example per piece and every pair up to the sample size.
        facts = [percentage_fact(s, a, rounding) for s, a in examples]
        disagreements: list[str] = []
        for piece, (s, a), mine, engine in zip(pieces, examples, matched, table.matching(facts)):
            if tuple(r.id for r in mine) != tuple(r.id for r in engine):
                disagreements.append(f"{s} of {a}: symbolic {[r.id for r in mine]}, durable_rules {[r.id for r in engine]}")
        pairs = [(s, a) for a in range(minimum, self.max_sample + 1) for s in range(a + 1)]
        engine_rows = table.matching([percentage_fact(s, a, rounding) for s, a in pairs])
        sample: dict[tuple[int, int], Any] = {}
        memo: dict[Fraction, tuple[str, ...]] = {}
        sample_gaps = sample_overlaps = 0
        for (s, a), engine in zip(pairs, engine_rows):
            pct = compared_fraction(s, a, rounding)
            mine = memo.get(pct)
            if mine is None:
                mine = memo[pct] = tuple(r.id for r in rows if band_row_matches(r, pct))
            if mine != tuple(r.id for r in engine):
                disagreements.append(f"{s} of {a}: symbolic {list(mine)}, durable_rules {[r.id for r in engine]}")
            if not engine:
                sample_gaps += 1
            elif len(engine) > 1 and rb.key_question_bands.hit_policy == "unique":
                sample_overlaps += 1
            sample[(s, a)] = table.choose(engine) if engine else None
        for text in disagreements[:3]:
            self.add("error", "engine_disagreement", name, (),
                     f"the symbolic analysis and durable_rules disagree on {text} (please report this bug)")
        if minimum > self.max_sample:
            self.add("warning", "sample_too_small", name, (),
                     f"minimum_applicable is {minimum}, above the sample size {self.max_sample}: no pair was decided "
                     "through durable_rules beyond one example per interval (raise --max-sample)")

        reach = self._reach_text

        # Gaps: runs of pieces with no row.
        for run in _runs(range(len(pieces)), lambda i: not matched[i]):
            s, a = min((examples[i] for i in run), key=lambda e: (e[1], e[0]))
            below = _neighbour(chosen, matched, run[0], -1)
            above = _neighbour(chosen, matched, run[-1], +1)
            between = [f"{r.id} ({explain.band_row_text(r)})" for r in (below, above) if r is not None]
            self.add("error", "gap", name, [r.id for r in (below, above) if r is not None],
                     f"no row matches {_range_text([pieces[i] for i in run], whole)}: e.g. {_pair_text(s, a, rounding)}"
                     f"{reach(a)}" + (f"; between rows {' and '.join(between)}" if between else ""),
                     {"sufficient": s, "applicable": a})

        # Overlaps under 'unique'.
        if rb.key_question_bands.hit_policy == "unique":
            for run in _runs(range(len(pieces)), lambda i: len(matched[i]) > 1,
                             key=lambda i: tuple(r.id for r in matched[i])):
                s, a = min((examples[i] for i in run), key=lambda e: (e[1], e[0]))
                ids = [r.id for r in matched[run[0]]]
                self.add("error", "overlap", name, ids,
                         f"rows {', '.join(ids)} all match {_range_text([pieces[i] for i in run], whole)}, but the hit "
                         f"policy is 'unique': e.g. {_pair_text(s, a, rounding)}{reach(a)}",
                         {"sufficient": s, "applicable": a})

        self._dead_rows(name, rows, list(zip(matched, chosen)),
                        "no percentage from 0% to 100%" + (" (whole percentages)" if whole else ""),
                        lambda idxs: _range_list(idxs, pieces, whole))

        # Monotone: walk the pieces upwards.
        prev = None  # (piece index, row)
        seen_pairs: set[tuple[str, str]] = set()
        for i, row in enumerate(chosen):
            if row is None:
                continue
            if prev is not None and rank(row.then) < rank(prev[1].then) and (prev[1].id, row.id) not in seen_pairs:
                seen_pairs.add((prev[1].id, row.id))
                ps, pa = examples[prev[0]]
                s, a = examples[i]
                step = next(((ss, aa) for (ss, aa), r in sorted(sample.items(), key=lambda kv: (kv[0][1], kv[0][0]))
                             if _same_row(r, prev[1]) and _same_row(sample.get((ss + 1, aa)), row)), None)
                extra = ""
                if step is not None:
                    ss, aa = step
                    extra = (f"; one more sufficient case lowers it: {ss} of {aa} ({_pct(Fraction(100 * ss, aa))}) is "
                             f"{prev[1].then}, {ss + 1} of {aa} ({_pct(Fraction(100 * (ss + 1), aa))}) is {row.then}")
                self.add("error", "non_monotone", name, [prev[1].id, row.id],
                         f"a higher percentage gives a lower rating: {_pair_text(ps, pa, rounding)} gives {prev[1].then} "
                         f"(row {prev[1].id}, {explain.band_row_text(prev[1])}) but {_pair_text(s, a, rounding)} gives "
                         f"{row.then} (row {row.id}, {explain.band_row_text(row)}){extra}",
                         {"lower": {"sufficient": ps, "applicable": pa, "rating": prev[1].then},
                          "higher": {"sufficient": s, "applicable": a, "rating": row.then},
                          "one_more_case": {"sufficient": step[0], "applicable": step[1]} if step else None})
            prev = (i, row)

        reachable = {r.then for r in chosen if r is not None}
        n_pairs = len(pairs)
        self.checked.append(
            f"{name}: hit policy {rb.key_question_bands.hit_policy}, {len(rows)} rows, rounding {rounding}; "
            f"symbolic analysis with exact fractions over 0-100% ({len(pieces)} "
            f"{'whole percentages' if whole else 'points and open intervals'}); "
            f"{n_pairs:,} (sufficient, applicable) pairs with {minimum}-{self.max_sample} applicable cases, plus one "
            f"example per interval, decided through the compiled rulebook (durable_rules): {sample_gaps} without a row, "
            f"{sample_overlaps} with overlapping rows under 'unique'; "
            + ("the two analyses agree" if not disagreements else f"{len(disagreements)} DISAGREEMENT(S)")
            + f"; ratings a key question can get: {', '.join(r for r in rb.ratings if r in reachable) or 'none'}")
        return reachable

    def _reach_text(self, a: int) -> str:
        if a <= self.max_sample:
            return ""
        return (f" (no sample of up to {self.max_sample} applicable cases reaches it, but larger samples do; "
                "the table is still incomplete)")

    def _dead_rows(self, name: str, rows, decided: Sequence[tuple[tuple, Any]], nowhere: str, where_text) -> None:
        """Rows that never match, or (first / priority) never decide; `decided` is (matched, chosen) per input."""
        policy = {"key_question_bands": self.rb.key_question_bands.hit_policy,
                  "overall.bands": self.rb.overall.bands.hit_policy}[name]
        describe = explain.band_row_text if name == "key_question_bands" else explain.aggregate_row_text
        for row in rows:
            where = [i for i, (m, _) in enumerate(decided) if any(_same_row(r, row) for r in m)]
            if not where:
                self.add("error", "never_matches", name, [row.id],
                         f"row {row.id} ({describe(row)}, then {row.then}) can never match: {nowhere} satisfies it")
                continue
            if policy == "unique" or any(_same_row(decided[i][1], row) for i in where):
                continue
            winners = list(dict.fromkeys(decided[i][1].id for i in where if decided[i][1] is not None))
            if policy == "first":
                self.add("error", "shadowed", name, [row.id, *winners],
                         f"row {row.id} ({describe(row)}, then {row.then}) is shadowed: wherever it matches "
                         f"({where_text(where)}) an earlier row ({', '.join(winners)}) matches first, so it never decides")
            else:
                self.add("error", "never_wins", name, [row.id, *winners],
                         f"row {row.id} ({describe(row)}, then {row.then}) never wins under hit policy 'priority': "
                         f"wherever it matches ({where_text(where)}) row(s) {', '.join(winners)} give a lower or equal "
                         "rating and win")

    # ---- standards ----
    def _standards(self, kq_ratings: set[str]) -> None:
        rb = self.rb
        case = [s for s in rb.standards if s.rated_by == "cases"]
        if case and not kq_ratings:
            for std in case:
                self.add("error", "unrated_standard", None, (),
                         f"standard {std.id} {std.name} can never be rated: no key-question band row decides any percentage")
        elif case:
            missing = [r for r in rb.ratings if r not in kq_ratings]
            if missing:
                self.add("warning", "unreachable_rating", "key_question_bands", (),
                         f"no key-question band gives {', '.join(missing)}, so no case standard "
                         f"({', '.join(s.id for s in case)}) can be rated {' or '.join(missing)}")
        without = [s.id for s in rb.standards if s.provenance is None]
        if without:
            self.add("warning", "no_provenance", None, (),
                     f"standard(s) {', '.join(without)} have no provenance grade (confirmed / recalled / uncertain)")
        scored = [s for s in rb.standards if s.scored]
        self.checked.append(
            f"standards: {len(rb.standards)} ({len(case)} rated from cases, {len(rb.standards) - len(case)} by judgement; "
            f"{len(scored)} scored); every rating has a score ({', '.join(f'{r} {rb.score(r)}' for r in rb.ratings)}); "
            "references between tables, standards and ratings resolve (checked when loading)")

    # ---- overall ----
    def _overall(self, kq_ratings: set[str]) -> None:
        rb, compiled = self.rb, self.compiled
        bands = compiled.overall_bands
        name = "overall.bands"
        rank = rb.rank
        space = _RatingSpace(rb, compiled, kq_ratings)
        if space.sampled:
            self.add("warning", "combinations_sampled", "overall", (),
                     f"{space.size:,} combinations of standard ratings are too many to enumerate; the overall checks "
                     f"used a seeded sample of {len(space.keys):,} of them (gaps and score monotonicity are still "
                     "checked for every score)")
        reachable = space.inputs()  # OverallInput -> example ratings
        if not reachable:
            self.checked.append("overall: no scored standard, so no overall rating is ever given")
            return
        top = rb.max_standard_score
        families = sorted({(i.scored, i.counts) for i in reachable})
        grid = [OverallInput(s, n, c) for n, c in families for s in range(top * n + 1)]
        matched = dict(zip(grid, bands.matching([i.fact() for i in grid])))
        chosen = {i: bands.choose(m) if m else None for i, m in matched.items()}
        limits = compiled.limits
        reach_list = list(reachable)
        limit_rows = dict(zip(reach_list, limits.matching([i.fact() for i in reach_list]))) if limits else {}
        limit_chosen = {i: limits.choose(m) if m else None for i, m in limit_rows.items()} if limits else {}

        def final(i: OverallInput) -> tuple[str | None, str | None]:
            row = chosen.get(i)
            if row is None:
                return None, None
            cap = limit_chosen.get(i)
            if cap is not None and rank(cap.cap) < rank(row.then):
                return cap.cap, cap.id
            return row.then, row.id

        # Gaps and overlaps over the engine's grid: every score 0..max for each reachable count family.
        for n, c in families:
            scores = range(top * n + 1)
            gap_scores = [s for s in scores if not matched[OverallInput(s, n, c)]]
            for run in _int_runs(gap_scores):
                s0 = run[0]
                i0 = OverallInput(s0, n, c)
                below = chosen.get(OverallInput(run[0] - 1, n, c))
                above = chosen.get(OverallInput(run[-1] + 1, n, c))
                example = reachable.get(i0)
                self.add("error", "missing_band", name, [r.id for r in (below, above) if r is not None],
                         f"no row matches a score of {_score_range(run)} over {n} scored standard(s) "
                         f"(max {top * n}){space.counts_text(c)}: e.g. score {s0} of {top * n} "
                         f"(mean {s0 / n:.2f})" + (f", from ratings {space.ratings_text(example)}" if example else
                                                   ", a score these rating counts cannot reach, but the engine decides "
                                                   "every score 0..max when it computes margins, so rating fails")
                         + (f"; the rows around it: {', '.join(r.id for r in (below, above) if r is not None)}"
                            if below or above else ""),
                         {"score": s0, "scored": n, "counts": list(c), "ratings": example})
            if rb.overall.bands.hit_policy == "unique":
                multi = [s for s in scores if len(matched[OverallInput(s, n, c)]) > 1]
                by_rows: dict[tuple, list[int]] = {}
                for s in multi:
                    by_rows.setdefault(tuple(r.id for r in matched[OverallInput(s, n, c)]), []).append(s)
                for ids, ss in by_rows.items():
                    self.add("error", "overlap", name, ids,
                             f"rows {', '.join(ids)} all match a score of {_score_range(ss)} over {n} scored standard(s)"
                             f"{space.counts_text(c)}, but the hit policy is 'unique'",
                             {"score": ss[0], "scored": n, "counts": list(c)})

        # Rows that never match / never decide, over the reachable inputs.
        decided = [(matched[i], chosen[i]) for i in reach_list]

        def where_text(idxs: list[int]) -> str:
            ins = [reach_list[k] for k in idxs[:3]]
            return "; ".join(f"score {i.score} over {i.scored}{space.counts_text(i.counts)}" for i in ins) + (
                ", ..." if len(idxs) > 3 else "")

        self._dead_rows(name, rb.overall.bands.rows, decided, "no reachable combination of standard ratings", where_text)

        # Monotone in score, same number of scored standards and the same rating counts.
        by_family: dict[tuple, list[OverallInput]] = {}
        for i in reach_list:
            by_family.setdefault((i.scored, i.counts), []).append(i)
        seen: set[tuple] = set()
        for (n, c), ins in sorted(by_family.items()):
            ins.sort(key=lambda i: i.score)
            for lo, hi in zip(ins, ins[1:]):
                (r_lo, id_lo), (r_hi, id_hi) = final(lo), final(hi)
                if r_lo is None or r_hi is None or rank(r_hi) >= rank(r_lo) or (id_lo, id_hi) in seen:
                    continue
                seen.add((id_lo, id_hi))
                self.add("error", "non_monotone", name, [id_lo, id_hi],
                         f"a higher score gives a lower rating with {n} scored standard(s){space.counts_text(c)}: "
                         f"score {lo.score} gives {r_lo} ({id_lo}) but score {hi.score} gives {r_hi} ({id_hi}); "
                         f"e.g. {space.ratings_text(reachable[lo])} against {space.ratings_text(reachable[hi])}",
                         {"lower": {"score": lo.score, "scored": n, "rating": r_lo},
                          "higher": {"score": hi.score, "scored": n, "rating": r_hi}})

        # Monotone when one standard's rating goes up one step (what more sufficient cases can do).
        raised = 0
        for key, other, sid, before, after in space.raises():
            i, j = space.input_of(key), space.input_of(other)
            (r_i, id_i), (r_j, id_j) = final(i), final(j)
            raised += 1
            if r_i is None or r_j is None or rank(r_j) >= rank(r_i) or (id_i, id_j) in seen:
                continue
            seen.add((id_i, id_j))
            self.add("error", "non_monotone", "overall", [id_i, id_j],
                     f"raising standard {sid} from {before} to {after} lowers the overall rating from {r_i} ({id_i}) to "
                     f"{r_j} ({id_j}): e.g. {space.ratings_text(space.ratings_of(key))} "
                     f"(score {i.score}/{top * i.scored} -> {j.score}/{top * j.scored})",
                     {"before": space.ratings_of(key), "after": space.ratings_of(other), "standard": sid})

        # Score alone is legitimately non-monotone when rating counts differ (count rules): a note.
        legit = _score_inversions(reach_list, final, rank)

        # Limits.
        limit_note = ""
        if rb.overall.limits is not None:
            enabled = [r for r in rb.overall.limits.rows if r.enabled]
            disabled = [r.id for r in rb.overall.limits.rows if not r.enabled]
            for row in enabled:
                hits = [i for i in reach_list if any(_same_row(r, row) for r in limit_rows.get(i, ()))]
                if not hits:
                    self.add("warning", "limit_never_matches", "overall.limits", [row.id],
                             f"limit {row.id} ({row.description}: {explain.aggregate_row_text(row)}) never matches "
                             "a reachable combination of standard ratings")
                elif not any(chosen[i] is not None and rank(row.cap) < rank(chosen[i].then) for i in hits):
                    self.add("warning", "limit_never_lowers", "overall.limits", [row.id],
                             f"limit {row.id} ({row.description}) matches, but wherever it matches the band rating is "
                             f"already at or below its cap {row.cap}, so it never changes a rating")
            limit_note = (f"; limits: {len(enabled)} enabled (hit policy {rb.overall.limits.hit_policy})"
                          + (f", {len(disabled)} disabled and not checked ({', '.join(disabled)})" if disabled else ""))
        finals = {final(i)[0] for i in reach_list} - {None}
        missing = [r for r in rb.ratings if r not in finals]
        if missing:
            self.add("warning", "unreachable_rating", "overall", (),
                     f"no combination of standard ratings gives an overall rating of {', '.join(missing)}")
        ns = sorted({i.scored for i in reach_list})
        self.checked.append(
            f"overall.bands: hit policy {rb.overall.bands.hit_policy}, {len(rb.overall.bands.rows)} rows; "
            f"{space.describe()}: {len(reach_list):,} distinct overall inputs with {ns[0]}-{ns[-1]} scored standards; "
            f"{len(grid):,} (score 0..max, scored standards, rating counts) inputs decided through durable_rules; "
            f"{raised:,} one-step rating rises checked for monotonicity" + limit_note
            + (f"; note: with different rating counts a higher score gives a lower rating at {legit} (score, scored standards) input(s) "
               "(legitimate for count rules)" if legit else ""))

    def _provenance(self) -> None:
        total = provenance_summary(self.rb)["total"]
        self.checked.append("provenance: " + ", ".join(f"{total[g]} {g}" for g in GRADES if total[g] or g != "none"))


# ---------------------------------------------------------------------------------------------
# Helpers for the key-question analysis


def _piece_examples(pieces: Sequence[_Piece], rounding: str, minimum: int) -> list[tuple[int, int]]:
    """For each piece, the (sufficient, applicable) pair with the fewest applicable cases (>= minimum) in it."""
    if rounding != "exact":
        found: dict[Fraction, tuple[int, int]] = {}
        a = minimum
        while len(found) < 101 and a <= minimum + 1000:
            for s in range(a + 1):
                found.setdefault(compared_fraction(s, a, rounding), (s, a))
            a += 1
        return [found.get(p.lo, (0, minimum)) for p in pieces]
    out = []
    for p in pieces:
        if p.point:
            value = p.lo / 100
            d = value.denominator
            a = d * -(-minimum // d)
            out.append((value.numerator * (a // d), a))
            continue
        a = minimum
        while True:
            s = math.floor(p.lo * a / 100) + 1
            if Fraction(100 * s, a) < p.hi:
                out.append((s, a))
                break
            a += 1
    return out


def _runs(indices: Iterable[int], keep, key=None) -> list[list[int]]:
    """Maximal runs of consecutive indices that satisfy `keep` (and share `key`)."""
    runs: list[list[int]] = []
    for i in indices:
        if not keep(i):
            continue
        if runs and runs[-1][-1] == i - 1 and (key is None or key(runs[-1][-1]) == key(i)):
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _range_list(idxs: list[int], pieces: Sequence[_Piece], whole: bool) -> str:
    runs = _runs(idxs, lambda i: True)
    return ", ".join(_range_text([pieces[i] for i in run], whole) for run in runs[:4]) + (", ..." if len(runs) > 4 else "")


def _same_row(a, b) -> bool:
    """Rows of one table are the same row when their ids are (ids are unique within a table)."""
    return a is not None and b is not None and a.id == b.id


def _neighbour(chosen: Sequence, matched: Sequence, start: int, step: int):
    i = start + step
    while 0 <= i < len(chosen):
        if matched[i]:
            return chosen[i] or matched[i][0]
        i += step
    return None


def _int_runs(values: Sequence[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for v in values:
        if runs and runs[-1][-1] == v - 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return runs


def _score_range(scores: Sequence[int]) -> str:
    runs = _int_runs(sorted(scores))
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def _score_inversions(inputs: Sequence[OverallInput], final, rank) -> int:
    """Numbers of scored standards at which some higher score (different counts) gives a lower rating."""
    count = 0
    by_n: dict[int, dict[int, list[int]]] = {}
    for i in inputs:
        r = final(i)[0]
        if r is not None:
            by_n.setdefault(i.scored, {}).setdefault(i.score, []).append(rank(r))
    for per_score in by_n.values():
        best = -1
        for score in sorted(per_score):
            if min(per_score[score]) < best:
                count += 1
            best = max(best, max(per_score[score]))
    return count


# ---------------------------------------------------------------------------------------------
# Combinations of standard ratings for the overall checks


class _RatingSpace:
    """Every reachable combination of standard ratings, up to what the overall decision depends on.

    A standard can be not inspected (it leaves the score) or take any rating it can reach
    (judgement: any; cases: any rating a key-question band gives). Standards named in a count
    condition are enumerated one by one; the others only matter through how many of them have
    each rating, so scored standards with the same options are enumerated as multisets.
    """

    def __init__(self, rb: Rulebook, compiled: CompiledRulebook, kq_ratings: set[str]):
        self.rb, self.compiled = rb, compiled
        named: set[str] = set()
        for feature in compiled.count_features:
            named.update(feature.standards or ())
        def options(std) -> tuple[str | None, ...]:
            ratings = rb.ratings if std.rated_by == "judgement" else [r for r in rb.ratings if r in kq_ratings]
            return (None, *ratings)
        self.named = [s.id for s in rb.standards if s.id in named]
        self.options = {s.id: options(s) for s in rb.standards}
        groups: dict[tuple, list[str]] = {}
        for s in rb.standards:
            if s.scored and s.id not in named:
                groups.setdefault(self.options[s.id], []).append(s.id)
        self.groups = [(ids, opts) for opts, ids in groups.items()]
        self.size = math.prod(len(self.options[s]) for s in self.named) * math.prod(
            math.comb(len(ids) + len(opts) - 1, len(opts) - 1) for ids, opts in self.groups)
        self.sampled = self.size > MAX_COMBINATIONS
        if self.sampled:  # every relevant standard one by one, a seeded sample of assignments
            self.named = self.named + [sid for ids, _ in self.groups for sid in ids]
            self.groups = []
            rng = random.Random(0)
            keys = {(tuple(rng.randrange(len(self.options[s])) for s in self.named), ())
                    for _ in range(SAMPLED_COMBINATIONS)}
            self.keys = sorted(keys)
        else:
            self.keys = [
                (d, ms)
                for d in itertools.product(*(range(len(self.options[s])) for s in self.named))
                for ms in itertools.product(*(itertools.combinations_with_replacement(range(len(opts)), len(ids))
                                              for ids, opts in self.groups))
            ]
        self._inputs: dict[tuple, OverallInput] = {}
        self._labels = self._feature_labels()

    def ratings_of(self, key: tuple) -> dict[str, str]:
        d, ms = key
        out: dict[str, str] = {}
        for sid, k in zip(self.named, d):
            if self.options[sid][k] is not None:
                out[sid] = self.options[sid][k]
        for (ids, opts), multiset in zip(self.groups, ms):
            for sid, k in zip(ids, multiset):
                if opts[k] is not None:
                    out[sid] = opts[k]
        return out

    def input_of(self, key: tuple) -> OverallInput:
        found = self._inputs.get(key)
        if found is None:
            found = self._inputs[key] = self.compiled.overall_input(self.ratings_of(key))
        return found

    def inputs(self) -> dict[OverallInput, dict[str, str]]:
        """Each distinct reachable overall input (at least one scored standard) with an example."""
        out: dict[OverallInput, dict[str, str]] = {}
        for key in self.keys:
            i = self.input_of(key)
            if i.scored and i not in out:
                out[i] = self.ratings_of(key)
        return out

    def raises(self) -> Iterable[tuple[tuple, tuple, str, str, str]]:
        """(combination, the same with one standard one rating higher, standard, before, after)."""
        for key in self.keys:
            d, ms = key
            for pos, sid in enumerate(self.named):
                k = d[pos]
                if k and k + 1 < len(self.options[sid]):
                    other = (d[:pos] + (k + 1,) + d[pos + 1:], ms)
                    yield key, other, sid, self.options[sid][k], self.options[sid][k + 1]
            for g, ((ids, opts), multiset) in enumerate(zip(self.groups, ms)):
                for k in sorted(set(multiset)):
                    if not k or k + 1 >= len(opts):
                        continue
                    pos = max(p for p, v in enumerate(multiset) if v == k)  # the last: stays sorted
                    new = multiset[:pos] + (k + 1,) + multiset[pos + 1:]
                    yield key, (d, ms[:g] + (new,) + ms[g + 1:]), ids[pos], opts[k], opts[k + 1]

    def _feature_labels(self) -> list[str]:
        rb = self.rb
        labels = []
        for f in self.compiled.count_features:
            names = [rb.ratings[r] for r in sorted(f.ranks)]
            among = f" among {', '.join(f.standards)}" if f.standards else ""
            labels.append(f"standard(s){among} rated {' or '.join(names)}")
        return labels

    def counts_text(self, counts: Sequence[int]) -> str:
        if not counts:
            return ""
        return " with " + ", ".join(f"{c} {label}" for c, label in zip(counts, self._labels))

    def ratings_text(self, ratings: dict[str, str] | None) -> str:
        if not ratings:
            return "(none)"
        missing = [s.id for s in self.rb.standards if s.id not in ratings]
        text = ", ".join(f"{sid} {r}" for sid, r in ratings.items())
        return text + (f" (not inspected: {', '.join(missing)})" if missing else "")

    def describe(self) -> str:
        if self.sampled:
            return f"a seeded sample of {len(self.keys):,} of {self.size:,} rating combinations"
        parts = []
        if self.named:
            parts.append(f"{', '.join(self.named)} (named in count conditions) one by one")
        if self.groups:
            n = sum(len(ids) for ids, _ in self.groups)
            parts.append(f"{'the other ' if self.named else ''}{n} scored standard(s) as multisets of ratings")
        return (f"{len(self.keys):,} combinations of standard ratings, each standard rated or not inspected ("
                + "; ".join(parts) + ")")


# ---------------------------------------------------------------------------------------------
# Rendering


def format_report(report: CheckReport, fmt: str = "table", properties=None) -> str:
    """The report as text ('table') or JSON; `properties` is an optional properties.PropertiesReport."""
    if fmt == "json":
        data = report.to_dict()
        if properties is not None:
            data["properties"] = properties.to_dict()
        data["ok"] = report.ok and (properties is None or properties.ok)
        return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    from tabulate import tabulate

    out = []
    name = report.rulebook_id or "(rulebook did not load)"
    head = f"check-rules: {name}"
    if report.version:
        head += f" version {report.version}"
    if report.path:
        head += f" ({report.path})"
    out.append(head)
    if report.overrides:
        out.append(f"changed by --set {'; '.join(report.overrides)}")
    if report.sha256:
        out.append(f"sha256 {report.sha256}")
    out.append("")
    out.append(f"ERRORS ({len(report.errors)})")
    out += [f"  {f}" for f in report.errors] or ["  none"]
    out.append(f"WARNINGS ({len(report.warnings)})")
    out += [f"  {f}" for f in report.warnings] or ["  none"]
    out.append("")
    out.append("CHECKED")
    out += [f"  - {line}" for line in report.checked]
    if report.provenance:
        out.append("")
        out.append("PROVENANCE (rules by grade)")
        rows = [[cat, *(counts[g] for g in GRADES), sum(counts.values())] for cat, counts in report.provenance.items()]
        table = tabulate(rows, headers=["rules", *GRADES, "all"], tablefmt="simple")
        out += [f"  {line}" for line in table.splitlines()]
    if properties is not None:
        out.append("")
        out.append(properties.render())
    out.append("")
    failed_props = properties is not None and not properties.ok
    if report.ok and not failed_props:
        out.append(f"RESULT: OK ({len(report.warnings)} warning(s))")
    else:
        parts = [f"{len(report.errors)} error(s)", f"{len(report.warnings)} warning(s)"]
        if properties is not None and properties.skipped is None:
            parts.append(f"{len(properties.failed)} failed propert{'y' if len(properties.failed) == 1 else 'ies'}")
        out.append("RESULT: FAILED (" + ", ".join(parts) + ")")
    return "\n".join(out) + "\n"
