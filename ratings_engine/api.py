"""The Python API: rate case evidence with a rulebook, in one call, from files or DataFrames.

    >>> from ratings_engine import rate
    >>> report = rate("cases/redcar-cleveland-middlesbrough.csv",
    ...               judgements="cases/redcar-cleveland-middlesbrough-judgements.csv")
    >>> report.units[0].overall.rating
    'Requires improvement'
    >>> report.standards_frame()  # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from .errors import InputError
from .evidence import (
    BlankPolicy,
    CaseEvidence,
    Judgements,
    cases_from_frame,
    cases_from_reader,
    judgements_from_frame,
    read_judgements,
)
from .rate import rate_tallies
from .results import RatingReport, RulebookStamp
from .rulebook import DEFAULT_RULEBOOK, LoadedRulebook, Rulebook, load_rulebook_file, resolve_rulebook_path, with_overrides
from .sources import open_table, sheet_locations
from .tallies_input import TallyEvidence, is_tally_header, tallies_from_frame, tallies_from_table
from .tally import tally

Evidence = CaseEvidence | TallyEvidence


def get_rulebook(rules: Rulebook | LoadedRulebook | str | Path = DEFAULT_RULEBOOK,
                 overrides: Sequence[str] = ()) -> LoadedRulebook:
    """A rulebook from an object, a file path, or the id of a shipped rulebook.

    `overrides` are `PATH=VALUE` what-ifs (see `rulebook.with_overrides`); the result's
    `rulebook.sha256` is the hash of the overridden content.
    """
    if isinstance(rules, LoadedRulebook):
        loaded = rules
    elif isinstance(rules, Rulebook):
        loaded = LoadedRulebook(rules, None, None)
    else:
        loaded = load_rulebook_file(resolve_rulebook_path(rules))
    if overrides:
        loaded = LoadedRulebook(with_overrides(loaded.rulebook, list(overrides)), loaded.path, loaded.file_sha256)
    return loaded


def load_cases(cases: pd.DataFrame | str | Path, rulebook: Rulebook, *, unit: str | None = None,
               blank: BlankPolicy = "error", ignore_columns: Sequence[str] = (), sheet: str | None = None,
               encoding: str | None = None, delimiter: str | None = None) -> CaseEvidence:
    """Case evidence (one row per case). A tally file is refused with a clear error: callers that
    accept tallies as well use `load_evidence`."""
    evidence = load_evidence(cases, rulebook, unit=unit, blank=blank, ignore_columns=ignore_columns, sheet=sheet,
                             encoding=encoding, delimiter=delimiter)
    if isinstance(evidence, TallyEvidence):
        raise InputError(f"{evidence.source}: this is a tally file (it has a 'key_question' column), but this "
                         "command needs case rows (a 'case_id' column); rate pdu, rate diff and rate test take tallies")
    return evidence


def load_evidence(evidence: pd.DataFrame | str | Path, rulebook: Rulebook, *, unit: str | None = None,
                  blank: BlankPolicy = "error", ignore_columns: Sequence[str] = (),
                  sheet: str | None = None, encoding: str | None = None, delimiter: str | None = None) -> Evidence:
    """A case file or a tally file, told apart by the header (a tally file has `key_question`).

    Case files: one row per case (see `evidence`), read in chunks. Tally files: one row per unit
    and key question with `sufficient` and `applicable` counts (see `tallies_input`). `encoding`
    and `delimiter` apply to CSV files (see `sources`).
    """
    ignore = tuple(ignore_columns)
    if isinstance(evidence, pd.DataFrame):
        if is_tally_header(evidence.columns):
            _no_blank_policy(blank, "<tallies DataFrame>")
            return tallies_from_frame(evidence, rulebook, unit=unit, ignore_columns=ignore)
        return cases_from_frame(evidence, rulebook, unit=unit, blank=blank, ignore_columns=ignore)
    reader = open_table(evidence, "case", sheet=sheet, encoding=encoding, delimiter=delimiter)
    default_unit = unit or Path(evidence).stem
    with sheet_locations(reader):
        if is_tally_header(reader.columns):
            _no_blank_policy(blank, reader.source)
            return tallies_from_table(reader.read_all(), rulebook, unit=unit, default_unit=default_unit,
                                      ignore_columns=ignore)
        return cases_from_reader(reader, rulebook, unit, default_unit, blank, ignore)


def _no_blank_policy(blank: str, source: str) -> None:
    if blank != "error":
        raise InputError(f"{source}: --blank {blank} applies to case answers; this is a tally file, "
                         "where a blank count is always an error")


def evidence_tallies(evidence: Evidence) -> pd.DataFrame:
    """The tally table of validated evidence (see `tally.TALLY_COLUMNS`)."""
    return evidence.tallies if isinstance(evidence, TallyEvidence) else tally(evidence)


def stamp(loaded: LoadedRulebook) -> RulebookStamp:
    """What a result records of the rulebook that made it: id, version, content and file hashes."""
    rb = loaded.rulebook
    return RulebookStamp(rb.id, rb.version, rb.title, rb.sha256, str(loaded.path) if loaded.path else None,
                         loaded.file_sha256)


def load_judgements(judgements: pd.DataFrame | str | Path | Judgements | None, rulebook: Rulebook,
                    sheet: str | None = None, encoding: str | None = None,
                    delimiter: str | None = None) -> Judgements | None:
    if judgements is None or isinstance(judgements, Judgements):
        return judgements
    if isinstance(judgements, pd.DataFrame):
        return judgements_from_frame(judgements, rulebook)
    return read_judgements(judgements, rulebook, sheet=sheet, encoding=encoding, delimiter=delimiter)


def rate(cases: pd.DataFrame | str | Path, rules: Rulebook | LoadedRulebook | str | Path = DEFAULT_RULEBOOK, *,
         judgements: pd.DataFrame | str | Path | Judgements | None = None, unit: str | None = None,
         blank: BlankPolicy = "error", ignore_columns: Sequence[str] = (), allow_partial: bool = False,
         sheet: str | None = None, judgements_sheet: str | None = None, encoding: str | None = None,
         delimiter: str | None = None) -> RatingReport:
    """Rate every unit in a case file or tally file (or a DataFrame of either).

    `rules` is a Rulebook, a path to a rulebook file, or a shipped rulebook id (default: the PDU
    2021 framework). `judgements` gives the judgement standards' ratings (columns standard,
    rating, optional reason and unit). Without them the overall rating is refused, or with
    `allow_partial=True` computed from the rest and labelled partial. `.xlsx` files are read from
    their first worksheet, or the one named by `sheet` / `judgements_sheet`. `encoding` and
    `delimiter` apply to every CSV file read (default UTF-8, comma; see `sources`).
    """
    loaded = get_rulebook(rules)
    rulebook = loaded.rulebook
    evidence = load_evidence(cases, rulebook, unit=unit, blank=blank, ignore_columns=ignore_columns, sheet=sheet,
                             encoding=encoding, delimiter=delimiter)
    given = load_judgements(judgements, rulebook, sheet=judgements_sheet, encoding=encoding, delimiter=delimiter)
    return rate_evidence(evidence, loaded, given, allow_partial=allow_partial)


def rate_evidence(evidence: Evidence, loaded: LoadedRulebook, judgements: Judgements | None = None, *,
                  allow_partial: bool = False) -> RatingReport:
    """Rate validated evidence (cases or tallies): tally, decide, aggregate, and stamp the report."""
    rulebook = loaded.rulebook
    units = evidence.units
    warnings: list[str] = list(evidence.warnings)
    kind = "tallies" if isinstance(evidence, TallyEvidence) else "cases"
    inputs = [{"kind": kind, "file": evidence.source, "sha256": evidence.sha256, "audit": evidence.audit.to_dict()}]
    if judgements is not None:
        audit = _check_judgement_units(judgements, units, warnings)
        inputs.append({"kind": "judgements", "file": judgements.source, "sha256": judgements.sha256,
                       "audit": audit.to_dict()})
    results = rate_tallies(evidence_tallies(evidence), rulebook, judgements, allow_partial=allow_partial, units=units)
    return RatingReport(stamp(loaded), results, tuple(inputs), tuple(warnings + rating_warnings(results)))


def rating_warnings(results) -> list[str]:
    """What a reader must not miss about rated units: refused or partial overall ratings, missing judgements."""
    warnings = []
    for u in results:
        if u.overall.status == "incomplete":
            warnings.append(f"unit {u.unit!r}: no overall rating, judgement standard(s) "
                            f"{', '.join(u.overall.missing_judgements)} missing")
        elif u.overall.status == "partial":
            warnings.append(f"unit {u.unit!r}: PARTIAL overall rating, judgement standard(s) "
                            f"{', '.join(u.overall.missing_judgements)} missing")
        unscored = [s.id for s in u.standards if s.rating is None and not s.scored]
        if unscored:
            warnings.append(f"unit {u.unit!r}: judgement for unscored standard(s) {', '.join(unscored)} missing "
                            "(shown as missing; the overall rating does not depend on it)")
    return warnings


def _check_judgement_units(judgements: Judgements, units: list[str], warnings: list[str]):
    """Judgement rows must name a rated unit; with several units each row must name one.

    Returns the judgements file's audit for this rating: a copy, so rating the same judgements
    again (other units, another rulebook) never counts a row twice.
    """
    import copy

    audit = copy.deepcopy(judgements.audit)
    named = [j for j in judgements.items if j.unit is not None]
    unnamed = [j for j in judgements.items if j.unit is None]
    if unnamed and len(units) > 1:
        raise InputError(f"{judgements.source}: the case file has {len(units)} units, so the judgements file needs a "
                         "'unit' column saying which unit each rating is for")
    unused = [j for j in named if j.unit not in units]
    if unused and len(unused) == len(named) and not unnamed:
        raise InputError(f"{judgements.source}: no judgement is for a unit being rated "
                         f"(judgements name {sorted({j.unit for j in named})}; rating {units})")
    audit.rows_used = len(judgements.items) - len(unused)
    audit.skip("unit not being rated", len(unused))
    for unit in sorted({j.unit for j in unused}):
        warnings.append(f"{judgements.source}: judgements for unit {unit!r} not used (no cases for it)")
    return audit


# ---------------------------------------------------------------------------------------------
# Methodology toolkit: corpora, rulebook diffs, scenario tests (modules imported on use)


def rate_corpus(corpus: str | Path | Sequence[str | Path], rules: Rulebook | LoadedRulebook | str | Path = DEFAULT_RULEBOOK,
                *, overrides: Sequence[str] = (), allow_partial: bool = False, blank: BlankPolicy = "error") -> RatingReport:
    """Rate every unit of a corpus: case files, tally files and judgement files, or folders of them.

    Judgements pair with units by a `unit` column, or by name (`X-judgements.csv` beside `X.csv`);
    see `corpus`.
    """
    from .corpus import rate_paths

    paths = [corpus] if isinstance(corpus, (str, Path)) else list(corpus)
    return rate_paths(paths, get_rulebook(rules, overrides), allow_partial=allow_partial, blank=blank)


def diff_rulebooks(corpus: str | Path | Sequence[str | Path], base: Rulebook | LoadedRulebook | str | Path,
                   candidate: Rulebook | LoadedRulebook | str | Path | None = None, *, overrides: Sequence[str] = (),
                   allow_partial: bool = False, blank: BlankPolicy = "error"):
    """Rate a corpus under `base` and `candidate` (default: the base) with `overrides` applied to the
    candidate, and compare: a `diff.DiffReport` (changed units with the deciding rules, transition
    matrix, summary, both rulebooks' hashes)."""
    from .diff import diff_corpus

    paths = [corpus] if isinstance(corpus, (str, Path)) else list(corpus)
    base_loaded = get_rulebook(base)
    cand_loaded = get_rulebook(candidate if candidate is not None else base_loaded, overrides)
    return diff_corpus(paths, base_loaded, cand_loaded, allow_partial=allow_partial, blank=blank,
                       candidate_overrides=overrides)


def run_scenarios(rules: Rulebook | LoadedRulebook | str | Path = DEFAULT_RULEBOOK,
                  scenarios: str | Path | Sequence[str | Path] | None = None, *, overrides: Sequence[str] = ()):
    """Replay scenario files (default: the rulebook's shipped `rules/scenarios/<id>.yaml`) against a
    rulebook: a `scenarios.ScenarioReport` (`.ok`, `.passed`, `.failed`, `.results`)."""
    from .scenarios import run_scenario_paths

    paths = [scenarios] if isinstance(scenarios, (str, Path)) else (list(scenarios) if scenarios else None)
    return run_scenario_paths(paths, get_rulebook(rules, overrides), overrides=overrides)
