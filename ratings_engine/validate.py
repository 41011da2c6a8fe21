"""Validating a draft rating: compare inspectors' draft ratings with the computed ones.

A draft gives, per unit, a rating for each standard and optionally the overall rating and score
(formats: see `docs/inspector-workflow.md`). Each standard is marked `agrees`, `differs` or
`not in draft`; each difference is explained with the deciding key question(s), their tallies
and the band each fell in, and the margin to the DRAFT's band in cases: how many insufficient
cases turned sufficient (or the other way) on which key questions would give the draft's rating.
Margins are found by asking the compiled rulebook's band table about the neighbouring tallies
(the same rules and memo as the ratings themselves); nothing is decided here in Python.

The overall rating and score are compared too, with the points the computed score is from the
draft's band (other things equal), and the draft is checked against itself: what its own
standard ratings give through the rulebook's overall decision.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import explain
from .decide import OverallInput, compile_rulebook
from .errors import InputError, Location, Problem
from .evidence import Judgement, Judgements
from .overrides import override_of
from .rate import KeyQuestionBands, OverallBands
from .results import RatingReport, StandardResult, UnitResult
from .rulebook import NOT_INSPECTED, Rulebook
from .sources import Audit, TextTable, read_table, sheet_locations
from .yaml_input import read_yaml_mapping, yaml_line

AGREES, DIFFERS, NOT_IN_DRAFT, NO_RATING = "agrees", "differs", "not in draft", "no computed rating"
OVERALL_KEYS = ("overall",)
_DRAFT_COLUMNS = ("standard", "rating", "score", "unit", "name", "note")


# ---------------------------------------------------------------------------------------------
# The draft


@dataclass(frozen=True)
class DraftRating:
    standard: str
    rating: str
    where: Location
    note: str | None = None


@dataclass(frozen=True)
class DraftOverall:
    rating: str | None
    score: int | None
    max_score: int | None
    where: Location


@dataclass(frozen=True)
class UnitDraft:
    unit: str | None  # None: the single unit being rated
    standards: dict[str, DraftRating]
    overall: DraftOverall | None


@dataclass(frozen=True)
class Draft:
    source: str
    sha256: str | None
    units: tuple[UnitDraft, ...]
    audit: Audit
    sheet: str | None = None

    def for_unit(self, unit: str, only_unit: bool) -> UnitDraft | None:
        for d in self.units:
            if d.unit == unit or (d.unit is None and only_unit):
                return d
        return None

    def input_record(self) -> dict:
        return {"kind": "draft", "file": self.source, "sheet": self.sheet, "sha256": self.sha256,
                "audit": self.audit.to_dict()}


def read_draft(path: str | Path, rulebook: Rulebook, sheet: str | None = None) -> Draft:
    """A draft from CSV, .xlsx (`sheet`: default the first) or YAML."""
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        if sheet is not None:
            raise InputError(f"{path}: a sheet ({sheet!r}) was named, but this draft is a YAML file")
        return _draft_from_yaml(path, rulebook)
    table = read_table(path, "draft", sheet=sheet)
    with sheet_locations(table):
        return _draft_from_table(table, rulebook)


def _spellings(rulebook: Rulebook) -> dict[str, str]:
    return {r.lower(): r for r in (*rulebook.ratings, NOT_INSPECTED)}


def _parse_score(text: str) -> tuple[int, int | None] | None:
    """'8' or '8/24' -> (8, None) or (8, 24); None if not a score."""
    score, slash, top = text.replace(" ", "").partition("/")
    if not score.isdigit() or (slash and not top.isdigit()):
        return None
    return int(score), (int(top) if slash else None)


class _Collector:
    """Builds unit drafts from entries, checking them against the rulebook."""

    def __init__(self, rulebook: Rulebook, source: str):
        self.rulebook = rulebook
        self.source = source
        self.spelling = _spellings(rulebook)
        self.problems: list[Problem] = []
        self.standards: dict[str | None, dict[str, DraftRating]] = {}
        self.overall: dict[str | None, DraftOverall] = {}
        self.order: list[str | None] = []
        self.entries = 0  # standard and overall entries read (rows of a table, keys of a YAML draft)

    def _unit(self, unit: str | None) -> None:
        if unit not in self.order:
            self.order.append(unit)
            self.standards[unit] = {}

    def rating(self, text: str, where: Location, allow_blank: bool = False) -> str | None:
        if not text and allow_blank:
            return None
        canonical = self.spelling.get(text.strip().lower())
        if canonical is None:
            self.problems.append(Problem(
                f"unknown rating {text!r}; expected one of {', '.join(self.spelling.values())}" if text
                else "blank rating", where))
        return canonical

    def add_standard(self, unit: str | None, standard: str, rating_text: str, score_text: str, name: str,
                     note: str | None, where: Location, rating_where: Location, score_where: Location,
                     name_where: Location) -> None:
        rb = self.rulebook
        self._unit(unit)
        self.entries += 1
        std = rb.standards_by_id.get(standard)
        if std is None:
            self.problems.append(Problem(
                f"unknown standard {standard!r} (rulebook {rb.id} has {', '.join(s.id for s in rb.standards)}, "
                "and 'overall' for the overall rating)", where))
            return
        if name and name.strip().lower() != std.name.lower():
            self.problems.append(Problem(
                f"standard {standard} is {std.name!r} in rulebook {rb.id}, but the draft names it {name!r} "
                "(a misnumbered standard?)", name_where))
        rating = self.rating(rating_text, rating_where)
        if rating is None:
            return
        if score_text:
            expected = None if rating == NOT_INSPECTED or not std.scored else rb.score(rating)
            parsed = _parse_score(score_text)
            if expected is None or parsed is None or parsed[1] is not None or parsed[0] != expected:
                want = f"{expected} for {rating}" if expected is not None else "blank (the standard is not scored)"
                self.problems.append(Problem(f"score {score_text!r} does not match the rating: expected {want}",
                                             score_where))
                return
        if standard in self.standards[unit]:
            first = self.standards[unit][standard].where
            self.problems.append(Problem(f"standard {standard} drafted twice{f' for unit {unit!r}' if unit else ''} "
                                         f"(first: {first})", where))
            return
        self.standards[unit][standard] = DraftRating(standard, rating, where, note or None)

    def add_overall(self, unit: str | None, rating_text: str, score_text: str, where: Location,
                    rating_where: Location, score_where: Location) -> None:
        self._unit(unit)
        self.entries += 1
        if unit in self.overall:
            self.problems.append(Problem(f"overall rating given twice (first: {self.overall[unit].where})", where))
            return
        rating = self.rating(rating_text, rating_where, allow_blank=True)
        if rating == NOT_INSPECTED:
            self.problems.append(Problem("the overall rating cannot be 'Not inspected'", rating_where))
            return
        score = top = None
        if score_text:
            parsed = _parse_score(score_text)
            if parsed is None:
                self.problems.append(Problem(f"score {score_text!r} is not a whole number or 'score/maximum' "
                                             "(e.g. 8 or 8/24)", score_where))
                return
            score, top = parsed
        if rating is None and score is None:
            if rating_text:
                return  # unknown rating, already reported
            self.problems.append(Problem("the overall row gives neither a rating nor a score", where))
            return
        self.overall[unit] = DraftOverall(rating, score, top, where)

    def finish(self, sha256: str | None, audit: Audit, sheet: str | None) -> Draft:
        if self.problems:
            raise InputError(self.problems[:50])
        named = [u for u in self.order if u is not None]
        if None in self.order and named:
            raise InputError(f"{self.source}: some draft rows name a unit and some do not; name the unit on every row")
        if not any(self.standards[u] or u in self.overall for u in self.order):
            raise InputError(f"{self.source}: the draft rates nothing (no standard or overall rows)")
        units = tuple(UnitDraft(u, self.standards[u], self.overall.get(u)) for u in self.order)
        return Draft(self.source, sha256, units, audit, sheet)


def _draft_from_table(table: TextTable, rulebook: Rulebook) -> Draft:
    src = table.source
    cells = table.cells
    header = Location(file=src, sheet=table.sheet, row=1)
    problems = []
    for column in ("standard", "rating"):
        if column not in cells.columns:
            problems.append(Problem(f"no {column!r} column (a draft has columns standard, rating, and optionally "
                                    "score, unit, name, note)", header))
    for column in cells.columns:
        if column not in _DRAFT_COLUMNS:
            problems.append(Problem(f"unknown column (expected: {', '.join(_DRAFT_COLUMNS)})",
                                    Location(file=src, sheet=table.sheet, row=1, column=column)))
    if problems:
        raise InputError(problems)
    c = _Collector(rulebook, src)
    has_unit = "unit" in cells.columns
    for i, row in enumerate(cells.to_dict("records")):
        unit = (row.get("unit") or None) if has_unit else None
        standard = row["standard"]
        where = table.where(i)
        if not standard:
            c.problems.append(Problem("blank standard (a standard id, or 'overall')", table.where(i, "standard")))
        elif standard.lower() in OVERALL_KEYS:
            c.add_overall(unit, row["rating"], row.get("score", ""), where, table.where(i, "rating"),
                          table.where(i, "score"))
        else:
            c.add_standard(unit, standard, row["rating"], row.get("score", ""), row.get("name", ""),
                           row.get("note"), where, table.where(i, "rating"), table.where(i, "score"),
                           table.where(i, "name"))
    audit = Audit(src, rows_read=table.rows_read, rows_used=len(cells))
    audit.skip("blank row", len(table.blank_rows))
    return c.finish(table.sha256, audit, table.sheet)


# ---- YAML ----


load_yaml_mapping = read_yaml_mapping  # drafts and overrides files


_UNIT_KEYS = ("unit", "standards", "overall")
_OVERALL_KEYS = ("rating", "score", "max_score")


def _draft_from_yaml(path: Path, rulebook: Rulebook) -> Draft:
    raw, data = load_yaml_mapping(path, "draft")
    src = str(path)
    c = _Collector(rulebook, src)

    def at(node, key, key_path) -> Location:
        return Location(file=src, line=yaml_line(node, key), key_path=key_path)

    def text(node, key, key_path, *, number_ok=False) -> str:
        value = node.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int)) or (isinstance(value, int) and not number_ok):
            c.problems.append(Problem(f"{key!r} must be text (quote it)", at(node, key, key_path)))
            return ""
        return str(value).strip()

    def unit_block(block, prefix: str, unit: str | None) -> None:
        for key in block:
            if key not in _UNIT_KEYS and not (prefix == "" and key == "units"):
                c.problems.append(Problem(f"unknown key {key!r} (expected: {', '.join(_UNIT_KEYS)})",
                                          at(block, key, f"{prefix}{key}")))
        standards = block.get("standards")
        if standards is not None and not isinstance(standards, dict):
            c.problems.append(Problem("'standards' must map standard ids to ratings, e.g. \"2.2\": Inadequate",
                                      at(block, "standards", f"{prefix}standards")))
            standards = None
        for key, value in (standards or {}).items():
            kp = f"{prefix}standards.{key}"
            where = at(standards, key, kp)
            if not isinstance(key, str):
                c.problems.append(Problem(f"standard id {key!r} must be quoted text (YAML reads it as a number), "
                                          f"e.g. \"{key}\"", where))
                continue
            if not isinstance(value, str):
                c.problems.append(Problem("the rating must be text, e.g. Requires improvement", where))
                continue
            c.add_standard(unit, key.strip(), value, "", "", None, where, where, where, where)
        overall = block.get("overall")
        if overall is not None:
            kp = f"{prefix}overall"
            if isinstance(overall, str):
                where = at(block, "overall", kp)
                c.add_overall(unit, overall, "", where, where, where)
            elif isinstance(overall, dict):
                for key in overall:
                    if key not in _OVERALL_KEYS:
                        c.problems.append(Problem(f"unknown key {key!r} (expected: {', '.join(_OVERALL_KEYS)})",
                                                  at(overall, key, f"{kp}.{key}")))
                score = text(overall, "score", f"{kp}.score", number_ok=True)
                top = text(overall, "max_score", f"{kp}.max_score", number_ok=True)
                if top and score and "/" not in score:
                    score = f"{score}/{top}"
                elif top and not score:
                    c.problems.append(Problem("max_score without score", at(overall, "max_score", f"{kp}.max_score")))
                c.add_overall(unit, text(overall, "rating", f"{kp}.rating"), score, at(block, "overall", kp),
                              at(overall, "rating", f"{kp}.rating"), at(overall, "score", f"{kp}.score"))
            else:
                c.problems.append(Problem("'overall' is a rating or a mapping {rating, score, max_score}",
                                          at(block, "overall", kp)))

    if "units" in data:
        if any(k in data for k in _UNIT_KEYS):
            raise InputError(Problem("give either 'units' (a list of unit drafts) or one unit's keys "
                                     "(unit, standards, overall), not both", at(data, "units", "units")))
        units = data["units"]
        if not isinstance(units, list) or not units:
            raise InputError(Problem("'units' must be a list of {unit, standards, overall}", at(data, "units", "units")))
        for n, block in enumerate(units):
            prefix = f"units[{n}]."
            if not isinstance(block, dict):
                c.problems.append(Problem("each unit draft is a mapping {unit, standards, overall}",
                                          Location(file=src, line=yaml_line(units, n), key_path=f"units[{n}]")))
                continue
            name = text(block, "unit", f"{prefix}unit")
            if not name:
                c.problems.append(Problem("each unit draft needs 'unit' (the unit's name)",
                                          Location(file=src, line=yaml_line(units, n), key_path=f"units[{n}]")))
                continue
            unit_block(block, prefix, name)
    else:
        unit_block(data, "", text(data, "unit", "unit") or None)
    audit = Audit(src, rows_read=c.entries, rows_used=c.entries)
    return c.finish(hashlib.sha256(raw).hexdigest(), audit, None)


def draft_judgements(draft: Draft, rulebook: Rulebook) -> Judgements | None:
    """The draft's ratings of judgement standards, as judgements (used when no --judgements is given)."""
    items = []
    for d in draft.units:
        for r in d.standards.values():
            if rulebook.standards_by_id[r.standard].rated_by == "judgement":
                items.append(Judgement(d.unit, r.standard, r.rating, "taken from the draft (no --judgements given)",
                                       str(r.where), r.where.row or r.where.line or 0))
    if not items:
        return None
    audit = Audit(draft.source, rows_read=len(items), rows_used=len(items))
    return Judgements(tuple(items), f"{draft.source} (draft)", draft.sha256, audit)


# ---------------------------------------------------------------------------------------------
# Comparing


@dataclass(frozen=True)
class StandardCheck:
    id: str
    name: str
    basis: str
    computed: str | None
    draft: str | None
    status: str
    because: str  # why they differ (or agree)
    override: dict | None = None
    detail: dict = field(default_factory=dict)  # deciding key questions, tallies, bands, margin to the draft
    draft_from: str | None = None
    draft_note: str | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "basis": self.basis, "computed": self.computed,
                "draft": self.draft, "status": self.status, "because": self.because,
                "override": self.override, "draft_from": self.draft_from, "draft_note": self.draft_note,
                **self.detail}


@dataclass(frozen=True)
class OverallCheck:
    computed: str | None
    score: int
    max_score: int
    status: str  # rated | partial | incomplete | not rated
    draft: str | None
    draft_score: int | None
    draft_max: int | None
    rating_status: str
    score_status: str
    because: str
    margin_to_draft: dict | None
    draft_self: dict | None

    def to_dict(self) -> dict:
        return {"computed": self.computed, "score": self.score, "max_score": self.max_score,
                "computed_status": self.status, "draft": self.draft, "draft_score": self.draft_score,
                "draft_max_score": self.draft_max, "rating_status": self.rating_status,
                "score_status": self.score_status, "because": self.because,
                "margin_to_draft": self.margin_to_draft, "draft_own_standards_give": self.draft_self}


@dataclass(frozen=True)
class UnitCheck:
    unit: str
    standards: tuple[StandardCheck, ...]
    overall: OverallCheck

    @property
    def differences(self) -> list[StandardCheck]:
        return [s for s in self.standards if s.status != AGREES]

    @property
    def agrees(self) -> bool:
        o = self.overall
        return not self.differences and o.rating_status in (AGREES, NOT_IN_DRAFT) and o.score_status in (AGREES, NOT_IN_DRAFT)

    def to_dict(self) -> dict:
        return {"unit": self.unit, "agrees": self.agrees,
                "standards_differing": [s.id for s in self.differences],
                "standards": [s.to_dict() for s in self.standards], "overall": self.overall.to_dict()}


@dataclass(frozen=True)
class Validation:
    report: RatingReport
    draft: Draft
    units: tuple[UnitCheck, ...]
    warnings: tuple[str, ...] = ()

    @property
    def agrees(self) -> bool:
        return all(u.agrees for u in self.units)

    @property
    def exit_code(self) -> int:
        return 0 if self.agrees else 1

    @property
    def overrides(self) -> list[dict]:
        return [{"unit": u.unit, "standard": s.id, "name": s.name, **override_of(s)}
                for u in self.report.units for s in u.standards if override_of(s)]

    def to_dict(self) -> dict:
        return {
            "format": "ratings-engine/validation-1",
            "agrees": self.agrees,
            "draft": self.draft.input_record(),
            "rulebook": self.report.rulebook.to_dict(),
            "overrides": self.overrides,
            "warnings": list(self.warnings),
            "units": [u.to_dict() for u in self.units],
            "report": self.report.to_dict(),
        }


def validate(report: RatingReport, draft: Draft, rulebook: Rulebook) -> Validation:
    """Compare every unit's computed ratings (overrides applied) with the draft."""
    compiled = compile_rulebook(rulebook)
    names = [u.unit for u in report.units]
    warnings = list(report.warnings)
    if any(d.unit is None for d in draft.units) and len(names) > 1:
        raise InputError(f"{draft.source}: the case file has {len(names)} units, so the draft needs a 'unit' column "
                         "(or 'units' in YAML) saying which unit each rating is for, or rate one unit with --unit")
    unused = [d.unit for d in draft.units if d.unit is not None and d.unit not in names]
    if unused and len(unused) == len(draft.units):
        raise InputError(f"{draft.source}: no draft is for a unit being rated (draft names {unused}; rating {names})")
    audit = Audit(draft.source, draft.audit.rows_read, draft.audit.rows_used, dict(draft.audit.skipped))
    for unit in unused:
        warnings.append(f"{draft.source}: draft for unit {unit!r} not used (no cases for it)")
        n = sum(1 for _ in _rows_of(draft, unit))
        audit.skip("unit not being rated", n)
        audit.rows_used -= n
    draft = replace(draft, audit=audit)
    report = replace(report, inputs=tuple(report.inputs) + (draft.input_record(),))
    units = []
    for u in report.units:
        d = draft.for_unit(u.unit, len(names) == 1)
        if d is None:
            warnings.append(f"unit {u.unit!r}: the draft has no ratings for this unit")
            d = UnitDraft(u.unit, {}, None)
        units.append(UnitCheck(u.unit, tuple(_check_standard(rulebook, compiled, s, d.standards.get(s.id))
                                             for s in u.standards),
                               _check_overall(rulebook, compiled, u, d)))
    return Validation(report, draft, tuple(units), tuple(warnings))


def _rows_of(draft: Draft, unit: str):
    for d in draft.units:
        if d.unit == unit:
            yield from d.standards.values()
            if d.overall:
                yield d.overall


def _check_standard(rb: Rulebook, compiled, s: StandardResult, drafted: DraftRating | None) -> StandardCheck:
    override = override_of(s)
    computed = s.rating
    base = dict(id=s.id, name=s.name, basis=s.basis, computed=computed, override=override,
                draft_from=str(drafted.where) if drafted else None, draft_note=drafted.note if drafted else None)
    via = (f"panel override to {override['rating']} (computed {override['computed'] or 'no rating'}; "
           f"reason: {override['reason']})" if override else None)
    if drafted is None:
        if computed == NOT_INSPECTED:
            return StandardCheck(**base, draft=None, status=AGREES,
                                 because="not inspected, and not in the draft")
        return StandardCheck(**base, draft=None, status=NOT_IN_DRAFT,
                             because=f"computed {computed or 'no rating'}, but the draft has no rating for it")
    if computed is None:
        return StandardCheck(**base, draft=drafted.rating, status=NO_RATING,
                             because=f"no computed rating: {s.decision.because}")
    if computed == drafted.rating:
        why = via or s.decision.because
        return StandardCheck(**base, draft=drafted.rating, status=AGREES, because=why)
    because = f"computed {computed}, draft {drafted.rating}. "
    detail: dict = {}
    if override:
        because += f"The computed rating is a {via}."
    elif s.basis == "judgement":
        because += (f"It is {s.decision.because}; a judgement standard has no case margin: correct the judgements "
                    "or the draft.")
    elif computed == NOT_INSPECTED:
        because += f"{s.decision.because[0].upper()}{s.decision.because[1:]}; give its cases to rate it."
    elif drafted.rating == NOT_INSPECTED:
        because += (f"The case file has evidence for its key questions "
                    f"({', '.join(k.id for k in s.key_questions)}); remove those columns if it was not inspected.")
    else:
        text, detail = _case_difference(rb, compiled, s, drafted.rating)
        because += text
    return StandardCheck(**base, draft=drafted.rating, status=DIFFERS, because=because, detail=detail)


def _kq_state(k, rating: str | None = None, sufficient: int | None = None) -> dict:
    s = k.sufficient if sufficient is None else sufficient
    return {"key_question": k.id, "sufficient": s, "applicable": k.applicable,
            "pct": round(100 * s / k.applicable, 4) if k.applicable else None, "rating": rating or k.rating}


def _case_difference(rb: Rulebook, compiled, s: StandardResult, target_rating: str) -> tuple[str, dict]:
    """Deciding key question(s), tallies, bands, and the cases to move to the draft's band."""
    rated = [k for k in s.key_questions if k.rating is not None]
    bands = KeyQuestionBands(compiled, [(k.sufficient, k.applicable) for k in rated])
    target = rb.rank(target_rating)
    here = rb.rank(s.rating)

    def kq_text(k) -> str:
        d = k.decision
        return (f"{k.id}: {k.sufficient} of {k.applicable} applicable cases sufficient ({explain.pct_text(k.pct)}), "
                f"rule {d.rule} gives {k.rating}")

    moves = []
    if target > here:
        direction = "up"
        deciding = [k for k in rated if bands.rank(k.sufficient, k.applicable) < target]
        for k in deciding:
            n = next((n for n in range(1, k.applicable - k.sufficient + 1)
                      if bands.rank(k.sufficient + n, k.applicable) >= target), None)
            if n is None:
                moves = None
                break
            moves.append((k, n, k.sufficient + n))
    else:
        direction = "down"
        best = None
        for k in rated:
            n = next((n for n in range(0, k.sufficient + 1) if bands.rank(k.sufficient - n, k.applicable) <= target), None)
            if n is not None and (best is None or n < best[1]):
                best = (k, n, k.sufficient - n)
        deciding = [best[0]] if best else []
        moves = [best] if best else None
    lead = ("Deciding key question" + ("s" if len(deciding) > 1 else "") + " for the draft's band: "
            if direction == "up" else "Nearest key question to the draft's band: ")
    text = lead + "; ".join(kq_text(k) for k in deciding) + ". " if deciding else ""
    detail: dict = {
        "deciding_key_question": s.deciding_key_question,
        "key_questions": [{**_kq_state(k), "rule": k.decision.rule} for k in rated],
    }
    if not moves:
        text += f"No change of case answers on its key questions gives {target_rating} (same sample)."
        detail["margin_to_draft"] = None
        return text, detail
    steps = []
    new_ranks = {k.id: bands.rank(k.sufficient, k.applicable) for k in rated}
    for k, n, s_new in moves:
        outcome = bands.outcome[(s_new, k.applicable)]
        new_ranks[k.id] = rb.rank(outcome.row.then)
        steps.append({"key_question": k.id, "cases": n, "from": _kq_state(k),
                      "to": {**_kq_state(k, outcome.row.then, s_new), "rule": outcome.rule}})
    total = sum(st["cases"] for st in steps)
    result = rb.ratings[min(new_ranks.values())]
    change = "insufficient -> sufficient" if direction == "up" else "sufficient -> insufficient"
    parts = [f"{st['cases']} on {st['key_question']} ({st['from']['sufficient']} -> {st['to']['sufficient']} of "
             f"{st['to']['applicable']}, {explain.pct_text(st['to']['pct'])}, rule {st['to']['rule']})" for st in steps]
    text += (f"Margin to the draft's {target_rating}: {total} case{'s' if total != 1 else ''} {change}: "
             + " + ".join(parts) + (f", giving {result}" if result != target_rating else "") + ".")
    detail["margin_to_draft"] = {"to": target_rating, "cases": total, "direction": direction, "change": change,
                                 "gives": result, "steps": steps}
    return text, detail


def _check_overall(rb: Rulebook, compiled, u: UnitResult, d: UnitDraft) -> OverallCheck:
    o = u.overall
    drafted = d.overall
    draft_rating = drafted.rating if drafted else None
    draft_score = drafted.score if drafted else None
    draft_max = drafted.max_score if drafted else None
    # What the draft's own standard ratings give, through the same overall decision.
    draft_self = None
    own = {sid: r.rating for sid, r in d.standards.items() if r.rating != NOT_INSPECTED}
    covered = set(d.standards) | {s.id for s in u.standards if s.rating == NOT_INSPECTED}
    if own and covered >= set(rb.standards_by_id):  # the draft rates every standard
        i = compiled.overall_input(own)
        if i.scored:
            own_bands = OverallBands(compiled, [i])
            draft_self = {"rating": own_bands.final(i), "score": i.score,
                          "max_score": rb.max_standard_score * i.scored,
                          "rule": own_bands.band[i].rule}
    if o.rating is None:
        rating_status = NOT_IN_DRAFT if draft_rating is None else NO_RATING
    else:
        rating_status = NOT_IN_DRAFT if draft_rating is None else (AGREES if draft_rating == o.rating else DIFFERS)
    if draft_score is None:
        score_status = NOT_IN_DRAFT
    else:
        same = draft_score == o.score and (draft_max is None or draft_max == o.max_score)
        score_status = AGREES if same and o.status in ("rated", "partial") else DIFFERS
    parts = []
    if o.rating is not None:
        parts.append(f"computed {o.rating}, score {o.score}/{o.max_score} ({o.decision.because})")
    else:
        parts.append(f"no computed overall rating ({o.status}): {o.decision.because}")
    if drafted:
        shown = draft_rating or "no rating"
        if draft_score is not None:
            shown += f", score {draft_score}" + (f"/{draft_max}" if draft_max is not None else "")
        parts.append(f"draft {shown}")
    if score_status == DIFFERS and draft_score is not None:
        gap = draft_score - o.score
        text = f"the draft's score {draft_score} is {gap:+d} point{'s' if abs(gap) != 1 else ''} from the computed {o.score}"
        if draft_max is not None and draft_max != o.max_score:
            text += (f", and its maximum {draft_max} differs from the computed {o.max_score} "
                     f"({o.scored} scored standards rated)")
        parts.append(text)
    margin = None
    if rating_status == DIFFERS and o.scored:
        i = compiled.overall_input({s.id: s.rating for s in u.standards if s.rated})
        grid_bands = OverallBands(compiled, [i])
        top = rb.max_standard_score * i.scored
        reach = [sc for sc in range(0, top + 1)
                 if grid_bands.final(OverallInput(sc, i.scored, i.counts)) == draft_rating]
        if reach:
            nearest = min(reach, key=lambda sc: (abs(sc - i.score), sc))
            points = nearest - i.score
            margin = {"to": draft_rating, "points": points, "score": nearest, "max_score": top}
            parts.append(f"the draft's {draft_rating} needs a score of {nearest}/{top}: {points:+d} point"
                         f"{'s' if abs(points) != 1 else ''} (other things equal)")
        else:
            margin = {"to": draft_rating, "points": None}
            parts.append(f"no score over {i.scored} scored standards gives {draft_rating}")
    if draft_self is not None and drafted is not None:
        own_text = (f"the draft's own standard ratings give {draft_self['rating']}, score "
                    f"{draft_self['score']}/{draft_self['max_score']} (rule {draft_self['rule']})")
        if (draft_rating and draft_rating != draft_self["rating"]) or (
                draft_score is not None and draft_score != draft_self["score"]):
            own_text += ": the draft is not consistent with itself"
        parts.append(own_text)
    return OverallCheck(o.rating, o.score, o.max_score, o.status, draft_rating, draft_score, draft_max,
                        rating_status, score_status, "; ".join(parts), margin, draft_self)


# ---------------------------------------------------------------------------------------------
# Rendering: table and markdown


def md_escape(text: str) -> str:
    """Text safe inside a markdown table cell or line (pipes and line breaks)."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


_SHOWN = {AGREES: "agrees", DIFFERS: "DIFFERS", NOT_IN_DRAFT: "NOT IN DRAFT", NO_RATING: "NO COMPUTED RATING"}


def status_text(status: str) -> str:
    return _SHOWN.get(status, status)


def overall_cell(rating: str | None, score: int | None, top: int | None) -> str:
    text = rating or "none"
    if score is not None:
        text += f" ({score}" + (f"/{top}" if top is not None else "") + ")"
    return text


def render_validation(v: Validation, domains: dict[str, str], *, markdown: bool = False,
                      explain_all: bool = False) -> str:
    """The validation as a plain-text table, or as markdown for pasting into a report."""
    from tabulate import tabulate

    from .render import explanation_lines

    esc = md_escape if markdown else (lambda t: t)
    h2, h3 = ("## ", "### ") if markdown else ("", "")
    bullet = "- " if markdown else "  "
    out: list[str] = []
    out.append(f"{h2}Draft check: {esc(v.draft.source)}" + (f" (sheet {esc(v.draft.sheet)})" if v.draft.sheet else ""))
    out.append("")
    overrides_by_unit: dict[str, list[dict]] = {}
    for o in v.overrides:
        overrides_by_unit.setdefault(o["unit"], []).append(o)
    for u, result in zip(v.units, v.report.units):
        o = u.overall
        diff = len(u.differences)
        out.append(f"{h3}{esc(u.unit)}")
        out.append("")
        summary = (f"{diff} of {len(u.standards)} standards do not agree" if diff
                   else f"all {len(u.standards)} standards agree")
        summary += f"; overall rating {status_text(o.rating_status)}; score {status_text(o.score_status)}"
        out.append(f"{'**Result:** ' if markdown else 'Result: '}{'AGREES' if u.agrees else 'DIFFERS'} ({summary})")
        out.append("")
        rows = []
        domain = None
        for s, sr in zip(u.standards, result.standards):
            if sr.domain != domain:
                domain = sr.domain
                rows.append([f"{domain}.", esc(domains.get(domain, "")), "", "", ""])
            computed = (s.computed or "(no rating)") + (" (panel override)" if s.override else "")
            rows.append([s.id, esc(s.name), esc(computed), esc(s.draft or "-"), status_text(s.status)])
        rows.append(["", "Overall", overall_cell(o.computed, o.score, o.max_score),
                     overall_cell(o.draft, o.draft_score, o.draft_max) if (o.draft or o.draft_score is not None) else "-",
                     f"rating {status_text(o.rating_status)}; score {status_text(o.score_status)}"])
        out.append(tabulate(rows, headers=["", "Standard", "Computed", "Draft", "Result"],
                            tablefmt="github" if markdown else "simple", disable_numparse=True))
        out.append("")
        differing = [s for s in u.standards if s.status != AGREES]
        out.append(f"{h3 and '#### '}Differences" + ("" if markdown else ":"))
        out.append("")
        if not differing and o.rating_status in (AGREES, NOT_IN_DRAFT) and o.score_status in (AGREES, NOT_IN_DRAFT):
            out.append(f"{bullet}No standard differs.")
        for s in differing:
            out.append(f"{bullet}{'**' if markdown else ''}{s.id} {esc(s.name)}{'**' if markdown else ''} "
                       f"({status_text(s.status)}): {esc(s.because)}")
        out.append(f"{bullet}{'**' if markdown else ''}Overall{'**' if markdown else ''}: {esc(o.because)}")
        out.append("")
        mine = overrides_by_unit.get(u.unit, [])
        if mine:
            out.append(f"{h3 and '#### '}Panel overrides (professional discretion)" + ("" if markdown else ":"))
            out.append("")
            for ov in mine:
                out.append(f"{bullet}{ov['standard']} {esc(ov['name'])}: {esc(ov['rating'])} instead of the computed "
                           f"{esc(ov['computed'] or 'no rating')}. Reason: {esc(ov['reason'])} [{esc(ov['from'])}]")
            out.append("")
        if explain_all:
            out.extend(esc(line) if markdown and not line.startswith("#") else line
                       for line in explanation_lines(result, markdown))
    rb = v.report.rulebook
    out.append(f"Rulebook: {rb.id} version {rb.version} (sha256 {rb.sha256[:12]})" + ("  " if markdown else ""))
    for i in v.report.inputs:
        digest = (i.get("sha256") or "")[:12]
        out.append(f"Input ({i['kind']}): {esc(i['file'])}" + (f" (sha256 {digest})" if digest else "")
                   + ("  " if markdown else ""))
    for w in v.warnings:
        out.append(f"{'**Warning:**' if markdown else 'WARNING:'} {esc(w)}" + ("  " if markdown else ""))
    out.append("")
    out.append(f"{'**Overall result:**' if markdown else 'Overall result:'} "
               + ("the draft AGREES with the computed ratings" if v.agrees
                  else "the draft DIFFERS from the computed ratings"))
    return "\n".join(out).rstrip() + "\n"
