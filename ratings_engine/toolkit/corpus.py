"""A corpus: files and folders of case files, tally files and judgement files, rated unit by unit.

What each CSV file is comes from its header:

* a **case file** has a `case_id` column (one row per case, optional `unit` column);
* a **tally file** has a `key_question` column (one row per unit and key question);
* a **judgement file** has `standard` and `rating` columns (optional `reason`, `unit`).

A folder contributes every `*.csv` file below it (recursively, in name order; hidden files and
folders are skipped). The same file reached twice is read once.

How judgements pair with units:

* a judgement file **with a `unit` column** gives ratings for the units it names, wherever
  their evidence is in the corpus;
* a judgement file **without a `unit` column** must be named after an evidence file beside it:
  `X-judgements.csv` pairs with `X.csv` in the same folder, and that evidence file must hold
  exactly one unit.

A unit's evidence must come from one file (a unit in two evidence files is an error), a unit and
standard judged twice is an error naming both rows, and judgement rows for units with no
evidence are reported (warning, and counted as skipped in the file's audit), never dropped
silently.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import pandas as pd

from ..io.cases import cases_from_table
from ..io.judgements import judgements_from_table
from ..io.tables import SPREADSHEET_SUFFIXES, TextTable, read_table, sheet_locations
from ..io.tallies import is_tally_header, tallies_from_table
from ..model.audit import Audit
from ..model.errors import InputError, Location, Problem
from ..model.evidence import TALLY_COLUMNS, BlankPolicy, Judgement, Judgements, ReadOptions
from ..model.notices import Notice
from ..model.results import RatingReport
from ..model.views import LoadedRulebook
from ..rating.rate import rate_tallies
from ..rating.report import input_record, rating_warnings, stamp
from ..rating.tally import evidence_tallies

if TYPE_CHECKING:  # the pydantic model: a rulebook from the cache is a model.light record
    from ..model.rulebook import Rulebook

JUDGEMENT_SUFFIX = "-judgements"


@dataclass(frozen=True)
class Corpus:
    """Evidence for every unit of a corpus, validated against one rulebook."""

    tallies: pd.DataFrame  # tally.TALLY_COLUMNS, every unit
    judgements: Judgements | None  # every item names its unit
    units: tuple[str, ...]
    unit_files: dict[str, str]  # unit -> the evidence file it came from
    inputs: tuple[dict, ...]  # per file: kind, file, sha256, audit
    warnings: tuple[str, ...] = ()


CORPUS_SUFFIXES = (".csv", ".xlsx")


def corpus_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files named by `paths` (files, `-` for a CSV on standard input, or folders searched
    recursively for .csv and .xlsx files), each once."""
    out: list[Path] = []
    seen: set[Path] = set()
    paths = list(paths)
    if not paths:
        raise InputError("no corpus given: name case files, tally files, judgement files or folders of them")
    for given in paths:
        path = Path(given)
        if str(given) == "-":
            found = [path]
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in CORPUS_SUFFIXES and p.is_file()
                           and not any(part.startswith((".", "~$")) for part in p.relative_to(path).parts))
            if not found:
                raise InputError(f"{path}: folder holds no .csv or .xlsx files")
        elif path.is_file():
            found = [path]
        else:
            raise InputError(f"{path}: no such file or folder")
        for p in found:
            key = p if str(p) == "-" else p.resolve()
            if key not in seen:
                seen.add(key)
                out.append(p)
    return out


def kind_of(table: TextTable) -> str:
    """'cases', 'tallies' or 'judgements', from the header."""
    columns = set(table.cells.columns)
    if "case_id" in columns:
        return "cases"
    if is_tally_header(columns):
        return "tallies"
    if {"standard", "rating"} <= columns:
        return "judgements"
    raise InputError(Problem(
        "cannot tell what this file is: a case file has a 'case_id' column, a tally file a 'key_question' "
        "column, a judgement file 'standard' and 'rating' columns", Location(file=table.source, row=1)))


def load_corpus(paths: Iterable[str | Path], rulebook: Rulebook, *, blank: BlankPolicy | None = None,
                options: ReadOptions = ReadOptions()) -> Corpus:
    """Read, classify and validate every file of a corpus against `rulebook`, and pair judgements.

    A workbook contributes its evidence sheet (`options.sheet`, or the sheet named Cases or
    Tallies) and, when it has one, its Judgements sheet (paired with the workbook's unit).
    """
    if blank is not None:
        options = dataclasses.replace(options, blank=blank)
    files = corpus_files(paths)
    evidence = []  # (path, CaseEvidence | TallyEvidence)
    judgement_files = []  # (path, Judgements, the evidence file it pairs with by position, or None)
    for path in files:
        workbook = path.suffix.lower() in SPREADSHEET_SUFFIXES
        table = read_table(path, "corpus", options.sheet if workbook else None,
                           encoding=None if workbook else options.encoding,
                           delimiter=None if workbook else options.delimiter, text_columns=options.text_columns)
        ignored = options.ignore_columns + tuple(c for c in options.text_columns if c in table.cells.columns
                                                 and c not in options.ignore_columns)
        with sheet_locations(table):
            kind = kind_of(table)
            unit_name = "standard input" if str(path) == "-" else path.stem
            if kind == "cases":
                evidence.append((path, cases_from_table(table, rulebook, None, unit_name, options.blank, ignored)))
            elif kind == "tallies":
                evidence.append((path, tallies_from_table(table, rulebook, default_unit=unit_name,
                                                          ignore_columns=ignored)))
            else:
                judgement_files.append((path, judgements_from_table(table, rulebook), None))
        if workbook and kind != "judgements":
            sheet = options.judgements_sheet or _judgements_sheet(path)
            if sheet is not None:
                jtable = read_table(path, "judgements", sheet)
                with sheet_locations(jtable):
                    judgement_files.append((path, judgements_from_table(jtable, rulebook), path))
    if not evidence:
        raise InputError("the corpus has no case or tally files (only judgements): "
                         + ", ".join(str(p) for p, _ in judgement_files))

    unit_files: dict[str, str] = {}
    units_of_file: dict[Path, list[str]] = {}
    problems: list[Problem] = []
    for path, ev in evidence:
        units_of_file[path.resolve()] = ev.units
        for unit in ev.units:
            if unit in unit_files:
                problems.append(Problem(f"unit {unit!r} also has evidence in {unit_files[unit]}; a unit's evidence "
                                        "must be in one file", Location(file=str(path))))
            else:
                unit_files[unit] = str(path)
    if problems:
        raise InputError(problems)

    warnings: list[str] = [w for _, ev in evidence for w in ev.warnings]  # e.g. a unit spelt two ways
    items, audits = _pair_judgements(judgement_files, units_of_file, unit_files, warnings)
    tallies = pd.concat([evidence_tallies(ev) for _, ev in evidence],
                        ignore_index=True)[TALLY_COLUMNS]
    inputs = [input_record("tallies" if hasattr(ev, "tallies") else "cases", ev.source, ev.sha256, ev.audit)
              for _, ev in evidence]
    inputs += [input_record("judgements", j.source, j.sha256, audits[id(j)]) for _, j, _ in judgement_files]
    merged = Judgements(tuple(items), "corpus judgements", None, Audit("corpus judgements")) if judgement_files else None
    return Corpus(tallies, merged, tuple(unit_files), unit_files, tuple(inputs), tuple(warnings))


def _pair_judgements(judgement_files, units_of_file: dict[Path, list[str]], unit_files: dict[str, str],
                     warnings: list[str]) -> tuple[list[Judgement], dict[int, Audit]]:
    problems: list[Problem] = []
    items: list[Judgement] = []
    audits: dict[int, Audit] = {}
    first: dict[tuple[str, str], Judgement] = {}
    for path, judgements, partner in judgement_files:
        audit = judgements.audit
        audits[id(judgements)] = audit
        paired_unit = None
        if any(j.unit is None for j in judgements.items):
            paired_unit = _paired_unit(path, units_of_file, problems, partner)
            if paired_unit is None:
                continue
        used = 0
        unused_units: dict[str, int] = {}
        for j in judgements.items:
            unit = j.unit if j.unit is not None else paired_unit
            if unit not in unit_files:
                unused_units[unit] = unused_units.get(unit, 0) + 1
                continue
            key = (unit, j.standard)
            if key in first:
                other = first[key]
                problems.append(Problem(f"standard {j.standard} of unit {unit!r} is also judged in {other.source} "
                                        f"row {other.row}", Location(file=j.source, row=j.row, column="standard")))
                continue
            item = j if j.unit == unit else dataclasses.replace(j, unit=unit)
            first[key] = item
            items.append(item)
            used += 1
        audit.rows_used = used
        for unit, n in sorted(unused_units.items()):
            audit.skip(f"unit {unit!r} has no evidence in the corpus", n)
            warnings.append(Notice(f"{judgements.source}: {n} judgement(s) for unit {unit!r} not used (no case or "
                                   "tally evidence for it in the corpus)", "unused"))
    if problems:
        raise InputError(problems)
    return items, audits


def _paired_unit(path: Path, units_of_file: dict[Path, list[str]], problems: list[Problem],
                 partner: Path | None = None) -> str | None:
    where = Location(file=str(path), row=1)
    if partner is None and not path.stem.endswith(JUDGEMENT_SUFFIX):
        problems.append(Problem(
            f"judgement file without a 'unit' column: either add a 'unit' column, or name it "
            f"<evidence file>{JUDGEMENT_SUFFIX}.csv beside the case or tally file of its unit", where))
        return None
    if partner is None:
        partner = path.with_name(path.stem[: -len(JUDGEMENT_SUFFIX)] + path.suffix)
    units = units_of_file.get(partner.resolve())
    if units is None:
        problems.append(Problem(f"judgement file without a 'unit' column pairs with {partner}, which is not a case "
                                "or tally file of the corpus", where))
        return None
    if len(units) != 1:
        problems.append(Problem(f"judgement file without a 'unit' column pairs with {partner}, which holds "
                                f"{len(units)} units ({', '.join(map(repr, units))}); add a 'unit' column", where))
        return None
    return units[0]


def rate_corpus(corpus: Corpus, loaded: LoadedRulebook, *, allow_partial: bool = False):
    """Rate every unit of a corpus with one rulebook; a RatingReport stamped with the rulebook's hashes."""
    results = rate_tallies(corpus.tallies, loaded.rulebook, corpus.judgements, allow_partial=allow_partial,
                           units=list(corpus.units))
    warnings = list(corpus.warnings) + rating_warnings(results)
    return RatingReport(stamp(loaded), results, corpus.inputs, tuple(warnings), scale=tuple(loaded.rulebook.ratings))


def rate_paths(paths: Sequence[str | Path], loaded: LoadedRulebook, *, allow_partial: bool = False,
               options: ReadOptions = ReadOptions()):
    """Load a corpus against `loaded` and rate it."""
    return rate_corpus(load_corpus(paths, loaded.rulebook, options=options), loaded, allow_partial=allow_partial)


def _judgements_sheet(path: Path) -> str | None:
    """The visible sheet of a corpus workbook named Judgements (any case), if any."""
    from ..io.xlsx_files import sheet_names

    return next((n for n, state in sheet_names(path) if state == "visible"
                 and n.strip().casefold() in ("judgements", "judgments")), None)
