"""Reading case files: one row per inspected case, validated against a rulebook.

Case files have `case_id`, an optional `unit`, and one column per key-question id holding
sufficient / insufficient / not applicable (the usual spellings, any case). Nothing is guessed:
blank cells, unknown values, unknown columns, duplicate case ids and half-present standards
are errors naming the file, row and column, unless an explicit option says otherwise. One
exception, said in a warning: a standard whose key-question columns are all blank on every
row (as in a case workbook from `rate template` where that standard was not inspected) is read
as if its columns were absent: "Not inspected".
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..model.audit import Audit
from ..model.errors import InputError, Location, Problem
from ..model.evidence import ANSWER_SPELLINGS, NOT_APPLICABLE, BlankPolicy, CaseEvidence
from ..model.views import RESERVED_COLUMNS
from ..model.suggest import did_you_mean
from .cell_codes import blank_cells, factorized
from .tables import (
    MAX_PROBLEMS,
    FirstRows,
    TextTable,
    open_table,
    sheet_locations,
    shown,
    spelling_key,
    table_from_frame,
    unit_spelling_warnings,
)
from .unit_columns import UnitColumns

if TYPE_CHECKING:  # the pydantic models: a rulebook from the cache is a model.light record
    from ..model.rulebook import Rulebook

ACCEPTED = "yes/no/n/a, y/n/na, sufficient/insufficient/not applicable (any case)"
#: The audit's name for cases that answer n/a to every key question (used, but flagged).
NO_ANSWERS = "no answers (every key question n/a)"


def read_cases(path: str | Path, rulebook: Rulebook, *, unit: str | None = None,
               blank: BlankPolicy = "error", ignore_columns: tuple[str, ...] = (),
               sheet: str | None = None, encoding: str | None = None, delimiter: str | None = None) -> CaseEvidence:
    """Read and validate a case file (CSV, or .xlsx: `sheet` names the worksheet, default the first)."""
    reader = open_table(path, "case", sheet=sheet, encoding=encoding, delimiter=delimiter)
    with sheet_locations(reader):
        return cases_from_reader(reader, rulebook, unit, unit or Path(path).stem, blank, ignore_columns)


def cases_from_frame(frame: pd.DataFrame, rulebook: Rulebook, *, unit: str | None = None,
                     blank: BlankPolicy = "error", ignore_columns: tuple[str, ...] = (),
                     source: str = "<DataFrame>") -> CaseEvidence:
    """Validate case answers given as a DataFrame (same columns as the CSV)."""
    table = table_from_frame(frame, source, "case")
    return cases_from_table(table, rulebook, unit, unit or "unit", blank, ignore_columns)


def cases_from_table(table: TextTable, rulebook: Rulebook, unit: str | None, default_unit: str,
                      blank: BlankPolicy, ignore_columns: tuple[str, ...]) -> CaseEvidence:
    return cases_from_reader(_OneTable(table), rulebook, unit, default_unit, blank, ignore_columns)


class _OneTable:
    """A whole table read already, seen as a reader of one chunk."""

    def __init__(self, table: TextTable):
        self.source, self.sheet, self.sha256 = table.source, table.sheet, table.sha256
        self.lines_read = table.lines_read
        self.columns = tuple(table.cells.columns)
        self._table = table

    def chunks(self):
        yield self._table


def _header_problems(src: str, columns: tuple[str, ...], rulebook: Rulebook,
                     ignore_columns: tuple[str, ...], others: tuple[str, ...] = ()) -> list[Problem]:
    """Unknown columns, --ignore-column naming nothing, and standards given in part."""
    problems: list[Problem] = []
    known_kqs = set(rulebook.key_question_ids)
    if "case_id" not in columns:
        near = [c for c in columns if spelling_key(c) == spelling_key("case_id")]
        hint = f"; there is {near[0]!r}: column names are exact" if near else ""
        return [Problem(f"no 'case_id' column (the first row must be the header){hint}", Location(file=src, row=1))]
    ignored = set(ignore_columns)
    for name in sorted(ignored - set(columns)):
        problems.append(Problem(f"--ignore-column {name!r} names no column of the file", Location(file=src, row=1)))
    ignored_quietly = ignored | set(others)  # `others`: the other rulebook's columns in a regional run
    unknown = [c for c in columns if c not in RESERVED_COLUMNS and c not in known_kqs and c not in ignored_quietly]
    other = other_framework([c for c in columns if c not in RESERVED_COLUMNS and c not in ignored_quietly], rulebook)
    if unknown and other:
        fits = " or ".join(f"--rules {rid}" for rid in other)
        return [Problem(f"the key-question columns ({', '.join(unknown[:6])}{', ...' if len(unknown) > 6 else ''}) "
                        f"are not rulebook {rulebook.id}'s but fit {'rulebook' if len(other) == 1 else 'rulebooks'} "
                        f"{', '.join(other)}: use {fits}", Location(file=src, row=1))]
    present = set(columns)  # (a set: a header can have 16,384 columns)
    absent = [k for k in (*rulebook.key_question_ids, "case_id", "unit") if k not in present]
    for column in unknown[:MAX_PROBLEMS]:  # no more are shown
        std = rulebook.standards_by_id.get(column)
        hint = (f"; {column!r} is a standard, give its key questions ({', '.join(k.id for k in std.case_key_questions)})"
                if std is not None and std.case_key_questions else did_you_mean(column, absent))
        problems.append(Problem(
            f"unknown column (not a key question of rulebook {rulebook.id}){hint}; "
            "use --ignore-column to skip a column on purpose",
            Location(file=src, row=1, column=column)))
    problems += [Problem(message, Location(file=src, row=1))
                 for message, _ in partial_standards(rulebook, set(columns) & known_kqs, "columns")]
    return problems


def other_framework(columns: list[str], rulebook: Rulebook) -> list[str]:
    """Ids of the other shipped rulebooks whose key questions include every one of `columns`, when
    the given rulebook's do not (the case file was written for one of those frameworks)."""
    from .rulebooks import load_rulebook, shipped_ids

    found: list[str] = []
    if not columns or set(columns) <= set(rulebook.key_question_ids):
        return found
    for rid in shipped_ids():
        if rid == rulebook.id:
            continue
        try:
            other = load_rulebook(rid)
        except InputError:
            continue  # a broken shipped rulebook is reported where it is used
        if set(columns) <= set(other.key_question_ids):
            found.append(rid)
    return found


def partial_standards(rulebook: Rulebook, present: set[str], noun: str) -> list[tuple[str, list[str]]]:
    """Standards with some but not all of their key questions in `present`: (message, those present)."""
    out = []
    for std in rulebook.standards:
        ids = [kq.id for kq in std.case_key_questions]
        have = [k for k in ids if k in present]
        if have and len(have) != len(ids):
            missing = [k for k in ids if k not in present]
            out.append((f"standard {std.id} {std.name} has {noun} {', '.join(have)} but not {', '.join(missing)}: "
                        "give all its key questions or none (none = not inspected)", have))
    return out


def cases_from_reader(reader, rulebook: Rulebook, unit: str | None, default_unit: str,
                      blank: BlankPolicy = "error", ignore_columns: tuple[str, ...] = (),
                      others: tuple[str, ...] = ()) -> CaseEvidence:
    """Validate a case table chunk by chunk, keeping only compact answers (int8) between chunks.

    `reader` is a `sources.TableReader` (or a whole table, see `_OneTable`). Problems name the
    file row; duplicate case ids are found across chunks.
    """
    src = reader.source
    columns = tuple(reader.columns)
    problems = _header_problems(src, columns, rulebook, ignore_columns, others)
    if problems:
        raise InputError(problems)
    kq_columns = [k for k in rulebook.key_question_ids if k in columns]  # rulebook order, whatever the file's
    blanks = _Blanks(kq_columns) if blank == "error" else None
    has_unit = "unit" in columns
    unit_columns = UnitColumns(columns)  # region and inspection_date: one value per unit
    audit = Audit(src, sheet=reader.sheet)
    text_lines = 0
    unit_codes: dict[str, int] = {}  # unit name -> code, in order of first appearance
    blocks: list[np.ndarray] = []
    unit_parts: list[np.ndarray] = []
    id_parts: list[np.ndarray] = []
    row_parts: list[np.ndarray] = []
    for table in reader.chunks():
        audit.rows_read += table.rows_read
        text_lines += table.text_lines
        audit.skip("blank row", len(table.blank_rows))
        block = _chunk_answers(table, kq_columns, has_unit, blank, problems, blanks)
        if len(problems) >= MAX_PROBLEMS:
            break
        if problems or not len(table.cells):
            continue
        names = table.cells["unit"].to_numpy(dtype=object) if has_unit else np.full(len(table.cells), default_unit, dtype=object)
        unit_columns.add_table(table, names, problems)
        if problems:
            continue
        positions, distinct = pd.factorize(names)
        codes = np.array([unit_codes.setdefault(u, len(unit_codes)) for u in distinct], dtype=np.int32)
        unit_parts.append(codes[positions])
        id_parts.append(table.cells["case_id"].to_numpy(dtype=object))
        row_parts.append(np.asarray(table.rows, dtype=np.int64))
        blocks.append(block)
    empty: list[str] = []
    if blanks is not None:
        empty = blanks.settle(rulebook, problems)
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])
    if empty:  # columns blank on every row: as if absent
        keep_columns = [j for j, c in enumerate(kq_columns) if c not in empty]
        blocks = [b[:, keep_columns] for b in blocks]
        kq_columns = [c for c in kq_columns if c not in empty]

    units = list(unit_codes)
    codes = np.concatenate(unit_parts) if unit_parts else np.zeros(0, dtype=np.int32)
    rows = np.concatenate(row_parts) if row_parts else np.zeros(0, dtype=np.int64)
    ids = np.concatenate(id_parts) if id_parts else np.zeros(0, dtype=object)
    id_parts.clear()
    keys = _case_index(units, codes, ids, rows, src, reader.sheet)
    answers = pd.DataFrame(np.concatenate(blocks) if blocks else np.zeros((0, len(kq_columns)), dtype=np.int8),
                           index=keys, columns=pd.Index(kq_columns, dtype=object))
    blocks.clear()

    if unit is not None and has_unit:
        keep = codes == unit_codes[unit] if unit in unit_codes else np.zeros(len(codes), dtype=bool)
        if not keep.any():
            found = ", ".join(repr(u) for u in units)
            raise InputError(f"{src}: no cases for unit {unit!r} (units in the file: {found})")
        audit.skip(f"unit other than {unit!r}", int((~keep).sum()))
        answers, codes, rows = answers[keep], codes[keep], rows[keep]
    audit.rows_used = len(answers)
    audit.lines_read = getattr(reader, "lines_read", None)
    audit.text_lines = text_lines
    if answers.empty:
        raise InputError(f"{src}: no cases (the file has a header but no case rows)")
    warnings = _unit_warnings(src, units, codes, rows) + _no_answer_warnings(src, answers, rows, audit)
    if empty:
        stds = [s for s in rulebook.standards if s.key_questions and all(k.id in empty for k in s.key_questions)]
        warnings.insert(0, f"{src}: key-question column(s) {', '.join(empty)} are blank on every row: read as not "
                           f"given, so {'; '.join(f'{s.id} {s.name}' for s in stds)} not inspected")
    regions, dates = unit_columns.keep(answers.index.get_level_values("unit").unique())
    return CaseEvidence(answers, src, reader.sha256, audit, tuple(warnings), regions, dates)


class _Blanks:
    """Blank answers, per column, held back until the whole file is read: a column blank on every
    row is read as absent, any other blank answer is an error."""

    def __init__(self, columns: list[str]):
        self.answered = dict.fromkeys(columns, 0)  # non-blank cells seen
        self.held = dict.fromkeys(columns, 0)  # blank answers held back
        self.deferred: list[tuple[int, str, Problem]] = []  # (where in `problems` it belongs, column, problem)

    def hold(self, position: int, column: str, problem: Problem) -> None:
        if self.held[column] < MAX_PROBLEMS:
            self.held[column] += 1
            self.deferred.append((position, column, problem))

    def settle(self, rulebook: Rulebook, problems: list[Problem]) -> list[str]:
        """The columns of standards blank in every key-question column on every row (read as absent);
        every other blank answer goes back into `problems`, where it would have been reported."""
        empty = [k.id for s in rulebook.standards if s.key_questions
                 and all(self.answered.get(k.id) == 0 and self.held[k.id] for k in s.key_questions)
                 for k in s.key_questions]
        kept = [(position, problem) for position, column, problem in self.deferred if column not in empty]
        if kept:
            merged, k = [], 0
            for i in range(len(problems) + 1):
                while k < len(kept) and kept[k][0] == i:
                    merged.append(kept[k][1])
                    k += 1
                if i < len(problems):
                    merged.append(problems[i])
            problems[:] = merged
        return empty


def _chunk_answers(table: TextTable, kq_columns: list[str], has_unit: bool, blank: BlankPolicy,
                   problems: list[Problem], blanks: _Blanks | None = None) -> np.ndarray:
    """One chunk's answers as int8 codes; blank ids and units and unknown answers go to `problems`,
    blank answers to `blanks` (when given: they are settled once the whole file is read)."""
    cells = table.cells
    if has_unit:
        for i in np.flatnonzero(blank_cells(table, "unit"))[:MAX_PROBLEMS]:
            problems.append(Problem("blank unit", table.where(i, "unit")))
    for i in np.flatnonzero(blank_cells(table, "case_id"))[:MAX_PROBLEMS]:
        problems.append(Problem("blank case_id", table.where(i, "case_id")))
    block = np.empty((len(cells), len(kq_columns)), dtype=np.int8)
    for j, column in enumerate(kq_columns):
        # Each distinct spelling is looked up once (a column holds a handful), then broadcast.
        positions, spellings = factorized(table, column)
        lookup = np.array([NOT_APPLICABLE if blank == "not-applicable" and s == "" else ANSWER_SPELLINGS.get(s.lower(), np.nan)
                           for s in spellings], dtype=np.float64)
        mapped = lookup[positions]
        bad = np.flatnonzero(np.isnan(mapped))
        if blanks is not None:
            blanks.answered[column] += len(positions) - int(blank_cells(table, column).sum())
        for i in bad[:MAX_PROBLEMS]:
            value = cells[column].iat[i]
            if value == "" and blanks is not None:
                blanks.hold(len(problems), column, Problem(_blank_message(table), table.where(i, column)))
                continue
            message = (_blank_message(table) if value == ""
                       else f"unknown answer {shown(value)}; accepted: {ACCEPTED}")
            problems.append(Problem(message, table.where(i, column)))
            if len(problems) > MAX_PROBLEMS:
                break
        block[:, j] = np.nan_to_num(mapped, nan=0)  # rows with a problem are never used
    return block


def _case_index(units: list[str], codes: np.ndarray, ids: np.ndarray, rows: np.ndarray, src: str,
                sheet: str | None) -> pd.MultiIndex:
    """The (unit, case_id) index of every case, refusing a case id given twice in a unit."""
    unit_level = pd.Index(units, dtype=object)
    id_level = pd.Index(ids, dtype=object)
    if id_level.is_unique:  # every id distinct (the usual case), so every (unit, id): no factorising needed
        return pd.MultiIndex(levels=[unit_level, id_level], codes=[codes, np.arange(len(ids))],
                             names=["unit", "case_id"], verify_integrity=False)
    keys = pd.MultiIndex.from_arrays([pd.Categorical.from_codes(codes, categories=unit_level), id_level],
                                     names=["unit", "case_id"])
    keys = keys.set_levels([level.astype(object) for level in keys.levels])
    _check_duplicates(keys, rows, src, sheet)
    return keys


def _check_duplicates(keys: pd.MultiIndex, rows: np.ndarray, src: str, sheet: str | None) -> None:
    dup = keys.duplicated(keep=False)
    if not dup.any():
        return
    first = FirstRows()
    problems = []
    for i in np.flatnonzero(dup):
        key = keys[i]
        earlier = first.repeat_of(key, int(rows[i]))
        if earlier is not None:
            problems.append(Problem(f"duplicate case_id {shown(key[1])} (unit {key[0]!r}) first given in row {earlier}",
                                    Location(file=src, sheet=sheet, row=int(rows[i]), column="case_id")))
            if len(problems) >= MAX_PROBLEMS:
                break
    raise InputError(problems)


def _unit_warnings(src: str, units: list[str], codes: np.ndarray, rows: np.ndarray) -> list[str]:
    """A unit spelt two ways (by case, spaces or punctuation) is warned about, naming both."""
    if len(units) < 2 or len({spelling_key(u) for u in units}) == len(units):
        return []
    present, first = np.unique(codes, return_index=True)
    counts = np.bincount(codes, minlength=len(units))
    return unit_spelling_warnings(src, [(units[c], int(rows[i]), int(counts[c])) for c, i in zip(present, first)])


def _no_answer_warnings(src: str, answers: pd.DataFrame, rows: np.ndarray, audit: Audit) -> list[str]:
    """Cases answering n/a to every key question change no rating: warned about and counted."""
    if answers.shape[1] == 0:
        return []
    none = (answers.to_numpy() == NOT_APPLICABLE).all(axis=1)
    n = int(none.sum())
    if not n:
        return []
    audit.flag(NO_ANSWERS, n)
    where = np.flatnonzero(none)
    listed = ", ".join(f"row {rows[i]} ({shown(answers.index[i][1])})" for i in where[:5])
    more = f" and {n - 5} more" if n > 5 else ""
    return [f"{src}: {n} case(s) answer n/a to every key question: {listed}{more}; they change no rating "
            "(check they are not blank or misaligned rows)"]


def _blank_message(table: TextTable) -> str:
    if table.from_frame:
        return ("blank answer (NaN); pandas reads 'N/A', 'NA' and empty cells as missing by default: read the CSV "
                "with pd.read_csv(..., keep_default_na=False), or pass blank='not-applicable' to read blanks as not "
                "applicable")
    return "blank answer (use --blank not-applicable to read blanks as not applicable)"
