"""Reading evidence of either kind, cases or tallies, told apart by the header; and judgements.

A case file has a `case_id` column (one row per case, see `io.cases`); a tally file has a
`key_question` column (one row per unit and key question, see `io.tallies`). DataFrames are
checked exactly like files.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import pandas as pd

from ..model.errors import InputError
from ..model.evidence import BlankPolicy, CaseEvidence, Judgements, TallyEvidence
from .cases import cases_from_frame, cases_from_reader
from .judgements import judgements_from_frame, read_judgements
from .tables import SPREADSHEET_SUFFIXES, open_table, sheet_locations
from .tallies import is_tally_header, tallies_from_frame, tallies_from_table

if TYPE_CHECKING:  # the pydantic models: a rulebook from the cache is a model.light record
    from ..model.rulebook import Rulebook

Evidence = CaseEvidence | TallyEvidence


def load_evidence(evidence: pd.DataFrame | str | Path, rulebook: Rulebook, *, unit: str | None = None,
                  blank: BlankPolicy = "error", ignore_columns: Sequence[str] = (),
                  sheet: str | None = None, encoding: str | None = None, delimiter: str | None = None,
                  others: Sequence[str] = (), text_columns: Sequence[str] = ()) -> Evidence:
    """A case file or a tally file (or a DataFrame of either), validated against `rulebook`.

    `encoding` and `delimiter` apply to CSV files; `sheet` names the worksheet of an .xlsx file.
    `others`: columns known to another rulebook of the same run (a regional run's), not read.
    `text_columns`: free-text columns, skipped like `ignore_columns`, whose quoted cells may span
    lines of a CSV file (counted in the audit); a name the file does not have is not an error.
    """
    ignore = tuple(ignore_columns)
    if isinstance(evidence, pd.DataFrame):
        if is_tally_header(evidence.columns):
            _no_blank_policy(blank, "<tallies DataFrame>")
            return tallies_from_frame(evidence, rulebook, unit=unit, ignore_columns=ignore)
        return cases_from_frame(evidence, rulebook, unit=unit, blank=blank, ignore_columns=ignore + tuple(
            c for c in others if c in evidence.columns))
    reader = open_table(evidence, "case", sheet=sheet, encoding=encoding, delimiter=delimiter,
                        text_columns=text_columns)
    ignore += tuple(c for c in reader.text_columns if c in reader.columns and c not in ignore)
    default_unit = unit or ("standard input" if str(evidence) == "-" else Path(evidence).stem)
    with sheet_locations(reader):
        if is_tally_header(reader.columns):
            _no_blank_policy(blank, reader.source)
            return tallies_from_table(reader.read_all(), rulebook, unit=unit, default_unit=default_unit,
                                      ignore_columns=ignore)
        return cases_from_reader(reader, rulebook, unit, default_unit, blank, ignore, tuple(others))


def load_cases(cases: pd.DataFrame | str | Path, rulebook: Rulebook, **options) -> CaseEvidence:
    """Case evidence only (one row per case): a tally file is refused with a clear error."""
    evidence = load_evidence(cases, rulebook, **options)
    if isinstance(evidence, TallyEvidence):
        raise InputError(f"{evidence.source}: this is a tally file (it has a 'key_question' column), but this "
                         "command needs case rows (a 'case_id' column)")
    return evidence


def load_judgements(judgements: pd.DataFrame | str | Path | Judgements | None, rulebook: Rulebook,
                    sheet: str | None = None, encoding: str | None = None,
                    delimiter: str | None = None, also: Rulebook | None = None,
                    text_columns: Sequence[str] = ()) -> Judgements | None:
    """Judgements from a file, a DataFrame, or as given (None: no judgements). `also`: a second
    rulebook whose standards the rows may judge too (a regional run's)."""
    if judgements is None or isinstance(judgements, Judgements):
        return judgements
    if isinstance(judgements, pd.DataFrame):
        return judgements_from_frame(judgements, rulebook, also=also)
    return read_judgements(judgements, rulebook, sheet=sheet, encoding=encoding, delimiter=delimiter, also=also,
                           text_columns=text_columns)


JUDGEMENTS_SUFFIX = "-judgements"


def find_judgements(cases: str | Path) -> Path | None:
    """The judgements that go with a case file by convention, if there are any: the workbook
    itself when it has a (visible) Judgements sheet, else `<stem>-judgements.csv` (or .xlsx)
    beside the case file."""
    path = Path(cases)
    if str(cases) == "-" or not path.is_file():
        return None
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        from .xlsx_files import sheet_names

        names = [n.strip().casefold() for n, state in sheet_names(path) if state == "visible"]
        return path if {"judgements", "judgments"} & set(names) else None
    for suffix in (".csv", ".xlsx"):
        candidate = path.with_name(path.stem + JUDGEMENTS_SUFFIX + suffix)
        if candidate.is_file():
            return candidate
    return None


def _no_blank_policy(blank: str, source: str) -> None:
    if blank != "error":
        raise InputError(f"{source}: --blank {blank} applies to case answers; this is a tally file, "
                         "where a blank count is always an error")
