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
    judgements_from_frame,
    read_cases,
    read_judgements,
)
from .rate import rate_tallies
from .results import RatingReport, RulebookStamp
from .rulebook import DEFAULT_RULEBOOK, LoadedRulebook, Rulebook, load_rulebook_file, resolve_rulebook_path
from .tally import tally



def get_rulebook(rules: Rulebook | LoadedRulebook | str | Path = DEFAULT_RULEBOOK) -> LoadedRulebook:
    """A rulebook from an object, a file path, or the id of a shipped rulebook."""
    if isinstance(rules, LoadedRulebook):
        return rules
    if isinstance(rules, Rulebook):
        return LoadedRulebook(rules, None, None)
    return load_rulebook_file(resolve_rulebook_path(rules))


def load_cases(cases: pd.DataFrame | str | Path, rulebook: Rulebook, *, unit: str | None = None,
               blank: BlankPolicy = "error", ignore_columns: Sequence[str] = ()) -> CaseEvidence:
    if isinstance(cases, pd.DataFrame):
        return cases_from_frame(cases, rulebook, unit=unit, blank=blank, ignore_columns=tuple(ignore_columns))
    return read_cases(cases, rulebook, unit=unit, blank=blank, ignore_columns=tuple(ignore_columns))


def load_judgements(judgements: pd.DataFrame | str | Path | Judgements | None, rulebook: Rulebook) -> Judgements | None:
    if judgements is None or isinstance(judgements, Judgements):
        return judgements
    if isinstance(judgements, pd.DataFrame):
        return judgements_from_frame(judgements, rulebook)
    return read_judgements(judgements, rulebook)


def rate(cases: pd.DataFrame | str | Path, rules: Rulebook | LoadedRulebook | str | Path = DEFAULT_RULEBOOK, *,
         judgements: pd.DataFrame | str | Path | Judgements | None = None, unit: str | None = None,
         blank: BlankPolicy = "error", ignore_columns: Sequence[str] = (), allow_partial: bool = False) -> RatingReport:
    """Rate every unit in a case file or DataFrame.

    `rules` is a Rulebook, a path to a rulebook file, or a shipped rulebook id (default: the PDU
    2021 framework). `judgements` gives the judgement standards' ratings (columns standard,
    rating, optional reason and unit). Without them the overall rating is refused, or with
    `allow_partial=True` computed from the rest and labelled partial.
    """
    loaded = get_rulebook(rules)
    rulebook = loaded.rulebook
    evidence = load_cases(cases, rulebook, unit=unit, blank=blank, ignore_columns=ignore_columns)
    given = load_judgements(judgements, rulebook)
    return rate_evidence(evidence, loaded, given, allow_partial=allow_partial)


def rate_evidence(evidence: CaseEvidence, loaded: LoadedRulebook, judgements: Judgements | None = None, *,
                  allow_partial: bool = False) -> RatingReport:
    """Rate validated evidence: tally, decide, aggregate, and stamp the report."""
    rulebook = loaded.rulebook
    units = evidence.units
    warnings: list[str] = []
    inputs = [{"kind": "cases", "file": evidence.source, "sha256": evidence.sha256, "audit": evidence.audit.to_dict()}]
    if judgements is not None:
        _check_judgement_units(judgements, units, warnings)
        inputs.append({"kind": "judgements", "file": judgements.source, "sha256": judgements.sha256,
                       "audit": judgements.audit.to_dict()})
    results = rate_tallies(tally(evidence), rulebook, judgements, allow_partial=allow_partial, units=units)
    for u in results:
        if u.overall.status == "incomplete":
            warnings.append(f"unit {u.unit!r}: no overall rating, judgement standard(s) "
                            f"{', '.join(u.overall.missing_judgements)} missing")
        elif u.overall.status == "partial":
            warnings.append(f"unit {u.unit!r}: PARTIAL overall rating, judgement standard(s) "
                            f"{', '.join(u.overall.missing_judgements)} missing")
    stamp = RulebookStamp(rulebook.id, rulebook.version, rulebook.title, rulebook.sha256,
                          str(loaded.path) if loaded.path else None, loaded.file_sha256)
    return RatingReport(stamp, results, tuple(inputs), tuple(warnings))


def _check_judgement_units(judgements: Judgements, units: list[str], warnings: list[str]) -> None:
    """Judgement rows must name a rated unit; with several units each row must name one."""
    audit = judgements.audit
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
