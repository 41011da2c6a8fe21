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

The checks live in three modules: this one (the report, the entry point, standards,
provenance, and rows that never match or never decide), `check_bands` (the key-question band
table, symbolic and through durable_rules) and `check_overall` (overall bands and limits over
every reachable combination of standard ratings).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Sequence

from ..engine.decide import CompiledRulebook, compile_rulebook
from ..io.rulebooks import load_rulebook_file, parent_rulebook, resolve_rulebook_path, with_changes
from ..io.yaml_files import parse_yaml_mapping
from ..model.errors import Location, RulebookError
from ..model.rulebook import LoadedRulebook, Rulebook, RulebookViews
from ..rating import explain
from .check_bands import same_row, check_key_question_bands
from .check_overall import check_overall

#: Largest applicable count whose every (sufficient, applicable) pair is decided by durable_rules.
DEFAULT_MAX_SAMPLE = 150
MAX_SAMPLE_LIMIT = 1000
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
    elif isinstance(rules, RulebookViews):  # validated, or a record from the rulebook cache
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
        loaded = LoadedRulebook(with_changes(loaded.rulebook, list(overrides)), loaded.path, loaded.file_sha256)
    return Checker(loaded, max_sample, tuple(overrides)).run()


def provenance_summary(rb: Rulebook) -> dict[str, dict[str, int]]:
    """How many rules of each kind are confirmed / recalled / uncertain (none: no grade given).

    Every key-question band row, overall band row, limit row (enabled or not), policy, sample,
    the pooling rule, the effective dates (where graded), the score table and every standard
    counts once; a row without its own provenance takes its table's.
    """
    counts: dict[str, Counter] = {}

    def add(category: str, prov) -> None:
        counts.setdefault(category, Counter())[prov.grade if prov is not None else "none"] += 1

    add("score table", rb.scores.provenance)
    for name in type(rb.policies).model_fields:
        policy = getattr(rb.policies, name)
        if name == "sample_sizes":  # a table: what a sample outside its limits does, and each sample's limits
            if policy is not None:
                add("policies", policy.below_minimum.provenance)
                add("policies", policy.above_maximum.provenance)
                for sample in policy.samples:
                    add("sample sizes", sample.provenance or policy.provenance)
            continue
        add("policies", policy.provenance)
    if rb.pooling is not None:
        add("pooling", rb.pooling.provenance)
        add("policies", rb.pooling.method.provenance)
    if rb.effective.provenance is not None:
        add("effective dates", rb.effective.provenance)
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
# The checker


class _Lines:
    """Line numbers of tables and rows in the rulebook file, where the file has them."""

    def __init__(self, path: Path | None):
        self.path = str(path) if path else None
        self.data = None
        if path is not None:
            try:  # the one bounded reader: the file was read once already, but may have changed since
                self.data = parse_yaml_mapping(Path(path).read_bytes(), str(path), "rulebook")
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


class Checker:
    """Runs every check on one loaded rulebook, collecting findings (at most MAX_FINDINGS_PER_KIND per kind)."""

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
        kq_ratings = check_key_question_bands(self)
        self._standards(kq_ratings)
        check_overall(self, kq_ratings)
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
    def reach_text(self, a: int) -> str:
        if a <= self.max_sample:
            return ""
        return (f" (no sample of up to {self.max_sample} applicable cases reaches it, but larger samples do; "
                "the table is still incomplete)")

    def dead_rows(self, name: str, rows, decided: Sequence[tuple[tuple, Any]], nowhere: str, where_text) -> None:
        """Rows that never match, or (first / priority) never decide; `decided` is (matched, chosen) per input."""
        policy = {"key_question_bands": self.rb.key_question_bands.hit_policy,
                  "overall.bands": self.rb.overall.bands.hit_policy}[name]
        describe = explain.band_row_text if name == "key_question_bands" else explain.aggregate_row_text
        for row in rows:
            where = [i for i, (m, _) in enumerate(decided) if any(same_row(r, row) for r in m)]
            if not where:
                self.add("error", "never_matches", name, [row.id],
                         f"row {row.id} ({describe(row)}, then {row.then}) can never match: {nowhere} satisfies it")
                continue
            if policy == "unique" or any(same_row(decided[i][1], row) for i in where):
                continue
            winners = list(dict.fromkeys(decided[i][1].id for i in where if decided[i][1] is not None))
            if policy == "first":
                self.add("error", "shadowed", name, [row.id, *winners],
                         f"row {row.id} ({describe(row)}, then {row.then}) is shadowed: wherever it matches "
                         f"({where_text(where)}) an earlier row ({', '.join(winners)}) matches first, so it never decides"
                         + self._placement_hint(name, row.id, rows, winners))
            else:
                self.add("error", "never_wins", name, [row.id, *winners],
                         f"row {row.id} ({describe(row)}, then {row.then}) never wins under hit policy 'priority': "
                         f"wherever it matches ({where_text(where)}) row(s) {', '.join(winners)} give a lower or equal "
                         "rating and win")

    def _placement_hint(self, name: str, row_id: str, rows, winners: list[str]) -> str:
        """How to let a shadowed row decide: place it before the first row that shadows it. A row this
        rulebook added to a table it inherits went to the end (after the fallback rows): say `$before`."""
        first = min(winners, key=[r.id for r in rows].index) if winners else None
        if first is None:
            return ""
        try:
            parent = parent_rulebook(self.loaded)
        except RulebookError:
            parent = None
        table = ({"key_question_bands": parent.key_question_bands, "overall.bands": parent.overall.bands}[name]
                 if parent is not None else None)
        if table is not None and row_id not in {r.id for r in table.rows}:
            return (f". It was added by this rulebook to the table of {parent.id} it extends, so it went after that "
                    f"table's rows; to let it decide, place it before {first}: write $before: {first} in the row "
                    f"(- {{id: {row_id}, $before: {first}, ...}})")
        return f". To let it decide, move it above {first} (or narrow {first})"

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
    def _provenance(self) -> None:
        total = provenance_summary(self.rb)["total"]
        self.checked.append("provenance: " + ", ".join(f"{total[g]} {g}" for g in GRADES if total[g] or g != "none"))


