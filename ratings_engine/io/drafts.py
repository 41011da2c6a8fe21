"""Reading a draft rating: the inspectors' ratings to check against the computed ones.

A draft gives, per unit, a rating for each standard and optionally the overall rating and score,
as CSV, .xlsx (columns standard, rating, and optionally score, unit, name, note; the overall on
a row whose standard is `overall`; from a workbook, the sheet named Draft unless another is
named) or YAML (see docs/inspector-workflow.md). A row naming a standard with no rating, score
or note is a form row not filled in: not in the draft (counted in the audit). Unknown standards,
ratings that do not match their scores, a misnumbered standard's name and a standard drafted
twice are errors naming the file, row or line. Comparing is `toolkit.validate`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..model.audit import Audit
from ..model.errors import InputError, Location, Problem
from ..model.evidence import Judgement, Judgements
from ..model.rulebook import NOT_INSPECTED, Rulebook
from ..model.suggest import did_you_mean
from .tables import TextTable, read_table, sheet_locations
from .yaml_files import read_yaml_mapping, yaml_line

OVERALL_KEYS = ("overall",)
_DRAFT_COLUMNS = ("standard", "rating", "score", "unit", "name", "note")



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
                f"unknown rating {text!r}{did_you_mean(text, self.spelling.values())}; expected one of "
                f"{', '.join(self.spelling.values())}" if text
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
                f"unknown standard {standard!r}{did_you_mean(standard, [s.id for s in rb.standards])} "
                f"(rulebook {rb.id} has {', '.join(s.id for s in rb.standards)}, "
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
    not_drafted = 0
    for i, row in enumerate(cells.to_dict("records")):
        unit = (row.get("unit") or None) if has_unit else None
        standard = row["standard"]
        where = table.where(i)
        known = standard.lower() in OVERALL_KEYS or standard in rulebook.standards_by_id
        if known and not (row["rating"] or row.get("score") or row.get("note")):
            not_drafted += 1  # a form row not filled in (as `rate template` writes): not in the draft
            continue
        if not standard:
            c.problems.append(Problem("blank standard (a standard id, or 'overall')", table.where(i, "standard")))
        elif standard.lower() in OVERALL_KEYS:
            c.add_overall(unit, row["rating"], row.get("score", ""), where, table.where(i, "rating"),
                          table.where(i, "score"))
        else:
            c.add_standard(unit, standard, row["rating"], row.get("score", ""), row.get("name", ""),
                           row.get("note"), where, table.where(i, "rating"), table.where(i, "score"),
                           table.where(i, "name"))
    audit = Audit(src, rows_read=table.rows_read, rows_used=len(cells) - not_drafted, sheet=table.sheet,
                  lines_read=table.lines_read, text_lines=table.text_lines)
    audit.skip("blank row", len(table.blank_rows))
    audit.skip("no rating given", not_drafted)
    return c.finish(table.sha256, audit, table.sheet)


# ---- YAML ----


_UNIT_KEYS = ("unit", "standards", "overall")
_OVERALL_KEYS = ("rating", "score", "max_score")


def _draft_from_yaml(path: Path, rulebook: Rulebook) -> Draft:
    raw, data = read_yaml_mapping(path, "draft")
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
