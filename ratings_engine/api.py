"""The Python API: every job the command line does, as one call, from files or DataFrames.

    >>> from ratings_engine import rate
    >>> report = rate("cases/redcar-cleveland-middlesbrough.csv",
    ...               judgements="cases/redcar-cleveland-middlesbrough-judgements.csv")
    >>> report.units[0].overall.rating
    'Requires improvement'
    >>> report.standards_frame()  # doctest: +SKIP

Paths are `str` or `pathlib.Path` everywhere; a corpus is one path or a list of them.
Rulebooks are a shipped id, a file path, or a rulebook from `load_rulebook`. Two kinds of
change are kept apart by name: `changes` are what-if edits of the rulebook (`--set
PATH=VALUE`); `overrides` are a ratings panel's overrides of standards' ratings, each with its
mandatory reason (`--override`, `--overrides FILE`).

This module is long because it is the whole public API in one place: one function per job, each
only composing the layers below. This module only composes the layers below (io reads, rating rates, toolkit analyses, render
writes); see docs/architecture.md.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Sequence

import pandas as pd

from .io.evidence import find_judgements, load_cases, load_evidence, load_judgements
from .io.rulebooks import RulebookLike, load_rulebook
from .model.errors import InputError
from .model.evidence import BlankPolicy, Judgements, ReadOptions
from .model.notices import Notice
from .model.overrides import OverrideSet
from .model.results import RatingReport
from .model.views import DEFAULT_RULEBOOK
from .rating.rate import rate_tallies
from .rating.report import rate_evidence
from .rating.tally import tally

PathLike = str | Path
Corpus = PathLike | Sequence[PathLike]
Overrides = OverrideSet | PathLike | Sequence[str] | None

__all__ = [
    "DEFAULT_RULEBOOK", "DEFAULT_REGIONAL_RULEBOOK", "check_rules", "confidence", "diff_rulebooks", "frameworks",
    "frameworks_on", "load_cases", "load_evidence", "load_judgements", "load_overrides", "load_rulebook", "rate",
    "rate_corpus", "rate_evidence", "rate_region", "rate_tallies", "report_confidence", "report_html", "run_scenarios",
    "show_rulebook", "sweep", "tally", "validate", "workbench", "workbook_rulebook",
]
DEFAULT_REGIONAL_RULEBOOK = "probation-region-2023"


def _paths(corpus: Corpus) -> list[PathLike]:
    """A corpus as a list of paths: one `str`/`Path`, or a sequence of them (never a string's characters)."""
    if isinstance(corpus, (str, Path)):
        return [corpus]
    paths = list(corpus)
    bad = [p for p in paths if not isinstance(p, (str, Path))]
    if bad:
        raise InputError(f"a corpus is a path or a list of paths (str or Path), not {type(bad[0]).__name__}")
    return paths


def load_overrides(overrides: Overrides, rules: RulebookLike = DEFAULT_RULEBOOK, *, sheet: str | None = None
                   ) -> OverrideSet:
    """Panel overrides: a file (CSV, .xlsx or YAML), `"STD=RATING:REASON"` strings, a list mixing
    both (a `Path`, or a string without '=', is a file), or an OverrideSet as given."""
    if overrides is None:
        return OverrideSet(())
    if isinstance(overrides, OverrideSet):
        return overrides
    rulebook = load_rulebook(rules).rulebook
    items = [overrides] if isinstance(overrides, (str, Path)) else list(overrides)
    texts = [o for o in items if isinstance(o, str) and "=" in o]
    files = [o for o in items if not (isinstance(o, str) and "=" in o)]
    from .io import overrides as _overrides  # imported when overrides are given

    sets = [_overrides.parse_override_options(texts, rulebook)] if texts else []
    sets += [_overrides.read_overrides(f, rulebook, sheet) for f in files]
    return _overrides.combine(*sets)


AUTO = "auto"
Given = pd.DataFrame | PathLike | Judgements | None


def _judgements_for(cases, judgements: Given) -> tuple[Given, str | None]:
    """The judgements to use, and a note when they were found by convention (`judgements="auto"`)."""
    if not (isinstance(judgements, str) and judgements == AUTO):
        return judgements, None
    found = find_judgements(cases) if isinstance(cases, (str, Path)) else None
    if found is None:
        return None, None
    where = "the Judgements sheet of the case workbook" if Path(found) == Path(cases) else "beside the case file"
    return found, f"judgements: {found} (found by name: {where})"


def workbook_rulebook(cases, rules: RulebookLike | None) -> tuple[RulebookLike | None, str | None, str | None]:
    """The rulebook to rate `cases` by: `rules` when given; else the one a workbook made by
    ratings-engine (`rate template`, `rate export`) names in its About sheet (see `io.workbooks`);
    else None. Returns (rules, a note saying the workbook's was used, a warning when the installed
    rulebook is not the version the workbook was made for)."""
    if rules is not None:
        return rules, None, None
    from .io import workbooks as _workbooks  # xlsx only

    info = _workbooks.workbook_info(cases) if isinstance(cases, (str, Path)) else None
    if info is None or not info.rulebook:
        return None, None, None
    try:
        loaded = load_rulebook(info.rulebook)
    except InputError as exc:
        raise InputError(f"{cases}: its About sheet names rulebook {info.rulebook!r}, which cannot be loaded "
                         f"({exc.render().splitlines()[0]}); give the rulebook with --rules") from None
    note = f"rulebook: {info.rulebook} (named by the About sheet of {cases})"
    warning = None
    if info.rulebook_sha256 and info.rulebook_sha256 != loaded.rulebook.sha256:
        warning = Notice(f"{cases} was made for rulebook {info.rulebook} version {info.rulebook_version} (sha256 "
                         f"{info.rulebook_sha256[:12]}); the installed one, used here, is version "
                         f"{loaded.rulebook.version} (sha256 {loaded.rulebook.sha256[:12]})", "input")
    return loaded, note, warning


def rate(cases: pd.DataFrame | PathLike, rules: RulebookLike | None = None, *,
         judgements: Given = AUTO, unit: str | None = None,
         blank: BlankPolicy = "error", ignore_columns: Sequence[str] = (), allow_partial: bool = False,
         sheet: str | None = None, judgements_sheet: str | None = None, encoding: str | None = None,
         delimiter: str | None = None, changes: Sequence[str] = (), overrides: Overrides = None,
         overrides_sheet: str | None = None, inspection_date: str | date | None = None,
         unit_kind: str | None = None, text_columns: Sequence[str] = ()) -> RatingReport:
    """Rate every unit in a case file or tally file (or a DataFrame of either).

    `rules`: a shipped rulebook id, a file, or `load_rulebook(...)`; by default the one a workbook
    made by `rate template` or `rate export` names, else the PDU 2021 framework (`DEFAULT_RULEBOOK`);
    `changes`: what-if `PATH=VALUE` edits of it. `judgements` gives the judgement standards'
    ratings (columns standard, rating, optional reason and unit): a file, a DataFrame, or "auto"
    (the default: a Judgements sheet of the case workbook, or `<stem>-judgements.csv` beside the
    case file, when there is one; the report's notes say which). Without judgements the overall
    rating is refused, or with `allow_partial=True` computed from the rest and labelled partial.
    `overrides`: panel overrides (a file, `"STD=RATING:REASON"` strings, or an OverrideSet).
    `.xlsx` files are read from the sheet named by `sheet` / `judgements_sheet`, else the sheet
    named Cases / Judgements. `encoding` and `delimiter` apply to every CSV file read;
    `text_columns` names free-text columns (of any of them) whose quoted cells may span lines.
    `inspection_date` (YYYY-MM-DD; or an `inspection_date` column per unit): with `rules=None`
    the shipped rulebook in force that day is picked (of `unit_kind`, fitting the case file's
    columns) and the notes say so; a unit inspected when the rulebook was not in force is warned about.
    """
    from .toolkit import frameworks as _frameworks  # imported when used: `rate --help` stays fast

    note_picked = rules_note = rules_warning = None
    day = _frameworks.parse_day(inspection_date) if inspection_date is not None else None
    if rules is None and day is not None:  # the rulebook in force on the inspection date
        rules, note_picked = _frameworks.pick_rulebook(day, _columns(cases, sheet, encoding, delimiter), unit_kind)
    else:  # the one a workbook made by `rate template` / `rate export` names, else the default
        rules, rules_note, rules_warning = workbook_rulebook(cases, rules)
    loaded = load_rulebook(rules if rules is not None else DEFAULT_RULEBOOK, changes=changes)
    rulebook = loaded.rulebook
    given_overrides = load_overrides(overrides, loaded, sheet=overrides_sheet)
    evidence = load_evidence(cases, rulebook, unit=unit, blank=blank, ignore_columns=ignore_columns, sheet=sheet,
                             encoding=encoding, delimiter=delimiter, text_columns=text_columns)
    judgements, note = _judgements_for(cases, judgements)
    given = load_judgements(judgements, rulebook, sheet=judgements_sheet, encoding=encoding, delimiter=delimiter,
                            text_columns=text_columns)
    report = rate_evidence(evidence, loaded, given, allow_partial=allow_partial)
    dates = {**evidence.inspection_dates, **({u: day for u in evidence.units} if day is not None else {})}
    notes = tuple(n for n in (note_picked, rules_note, note) if n)
    report = replace(report, notes=report.notes + notes,
                     warnings=((rules_warning,) if rules_warning else ()) + report.warnings
                     + tuple(_frameworks.date_warnings(rulebook, dates)))
    return _apply_overrides(report, given_overrides, rulebook, allow_partial)


def _apply_overrides(report: RatingReport, overrides: OverrideSet, rulebook, allow_partial: bool) -> RatingReport:
    if not overrides:
        return report
    from .rating.overrides import apply_overrides  # imported when overrides are given

    return apply_overrides(report, overrides, rulebook, allow_partial=allow_partial)


def _columns(cases, sheet, encoding, delimiter) -> list[str]:
    """The column names of a case file or DataFrame (to pick a rulebook that fits them)."""
    if isinstance(cases, pd.DataFrame):
        return [str(c) for c in cases.columns]
    from .io.tables import open_table

    return list(open_table(cases, "case", sheet=sheet, encoding=encoding, delimiter=delimiter).columns)


def rate_region(cases: pd.DataFrame | PathLike, rules: RulebookLike = DEFAULT_REGIONAL_RULEBOOK, *,
                judgements: Given = AUTO, regions: PathLike | dict[str, str] | None = None,
                allow_partial: bool = False, blank: BlankPolicy = "error", ignore_columns: Sequence[str] = (),
                sheet: str | None = None, judgements_sheet: str | None = None, encoding: str | None = None,
                delimiter: str | None = None, changes: Sequence[str] = (), text_columns: Sequence[str] = ()):
    """Rate every PDU of a case file under the PDU rulebook and every region under the regional one.

    `rules`: a rulebook with `pooling` (default: probation-region-2023); its `pooling.members`
    names the rulebook each PDU is rated by. The case file says each row's unit (a PDU, or the
    region itself for the regional sample's cases) and region: a `region` column, or `regions`
    (a units file with columns unit, region, or a dict unit -> region). One judgements file
    (with a `unit` column) holds both the PDUs' and the regions' judgements. Returns a
    `RegionalReport` (`.regions`, `.members`: RatingReports); pooled key questions carry each
    PDU's counts (`KeyQuestionResult.pooled`).
    """
    from .io.rulebooks import member_rulebook
    from .io.unit_columns import read_regions
    from .model.evidence import TallyEvidence
    from .rating.pooling import rate_region as rate_pooled

    region = load_rulebook(rules, changes=changes)
    if region.rulebook.pooling is None:
        raise InputError(f"rulebook {region.rulebook.id} rates units from their own cases (it has no 'pooling'): "
                         "use rate / rate unit")
    member = member_rulebook(region)
    read = dict(blank=blank, ignore_columns=ignore_columns, sheet=sheet, encoding=encoding, delimiter=delimiter,
                text_columns=text_columns)
    member_only = [k for k in member.key_question_ids if k not in set(region.key_question_ids)]
    region_only = [k for k in region.key_question_ids if k not in set(member.key_question_ids)]
    member_evidence = load_evidence(cases, member.rulebook, others=region_only, **read)
    region_evidence = load_evidence(cases, region.rulebook, others=member_only, **read)
    if isinstance(member_evidence, TallyEvidence):
        raise InputError(f"{member_evidence.source}: a regional run pools case rows; give a case file (one row per "
                         "case, with unit and region), not tallies")
    mapping = dict(region_evidence.regions)
    given = regions if isinstance(regions, dict) or regions is None else read_regions(regions, encoding=encoding,
                                                                                      delimiter=delimiter)
    for unit, name in (given or {}).items():
        if mapping.get(unit, name) != name:
            raise InputError(f"unit {unit!r}: region {mapping[unit]!r} in the case file but {name!r} in the units file")
        mapping[unit] = name
    judgements, note = _judgements_for(cases, judgements)
    given_judgements = load_judgements(judgements, member.rulebook, sheet=judgements_sheet, encoding=encoding,
                                       delimiter=delimiter, also=region.rulebook, text_columns=text_columns)
    report = rate_pooled(member_evidence, region_evidence, member, region, given_judgements, mapping,
                         allow_partial=allow_partial)
    if note:
        report = replace(report, regions=replace(report.regions, notes=report.regions.notes + (note,)))
    return report


def validate(cases: pd.DataFrame | PathLike, draft: PathLike, rules: RulebookLike | None = None, *,
             judgements: Given = AUTO, draft_sheet: str | None = None, **options):
    """Check a draft rating against the rules: a `toolkit.validate.Validation` (`.agrees`, `.units`).

    Rulebook and judgements as in `rate` (found by name by default); when there are no
    judgements, the draft's own ratings of judgement standards are used (and the report says so).
    Other options are those of `rate`.
    """
    from .io import drafts as _drafts
    from .toolkit.validate import validate as compare

    rules, rules_note, rules_warning = workbook_rulebook(cases, rules)
    loaded = load_rulebook(rules if rules is not None else DEFAULT_RULEBOOK, changes=options.pop("changes", ()))
    rulebook = loaded.rulebook
    given_overrides = load_overrides(options.pop("overrides", None), loaded, sheet=options.pop("overrides_sheet", None))
    the_draft = _drafts.read_draft(draft, rulebook, draft_sheet)
    warnings = []
    judgements, found = _judgements_for(cases, judgements)
    if judgements is None:
        judgements = _drafts.draft_judgements(the_draft, rulebook)
        if judgements is not None:
            ids = sorted({j.standard for j in judgements.items})
            warnings.append(Notice(f"no judgements given: the judgement standard(s) {', '.join(ids)} are rated as "
                                   f"in the draft ({the_draft.source}), so they agree with it by construction", "note"))
    report = rate(cases, loaded, judgements=judgements, **options)
    report = replace(report, warnings=((rules_warning,) if rules_warning else ()) + report.warnings + tuple(warnings),
                     notes=report.notes + tuple(n for n in (rules_note, found) if n))
    report = _apply_overrides(report, given_overrides, rulebook, options.get("allow_partial", False))
    return compare(report, the_draft, rulebook)


_READ_KEYS = ("encoding", "delimiter", "sheet", "judgements_sheet", "blank", "ignore_columns", "text_columns")


def _read_options(options: dict) -> ReadOptions:
    """Pop the input options (as `rate` takes them) into a ReadOptions value."""
    values = {k: options.pop(k) for k in _READ_KEYS if k in options}
    for key in ("ignore_columns", "text_columns"):
        if key in values:
            values[key] = tuple(values[key])
    return ReadOptions(**values)


def rate_corpus(corpus: Corpus, rules: RulebookLike = DEFAULT_RULEBOOK, *, changes: Sequence[str] = (),
                allow_partial: bool = False, **read) -> RatingReport:
    """Rate every unit of a corpus: case files, tally files, judgement files and workbooks, or folders
    of them. Judgements pair with units by a `unit` column, or by name (`X-judgements.csv` beside
    `X.csv`, a workbook's Judgements sheet). Input options (`encoding`, `sheet`, `blank`, ...) as in `rate`.
    """
    from .toolkit.corpus import rate_paths

    return rate_paths(_paths(corpus), load_rulebook(rules, changes=changes), allow_partial=allow_partial,
                      options=_read_options(read))


def diff_rulebooks(corpus: Corpus, base: RulebookLike, candidate: RulebookLike | None = None, *,
                   changes: Sequence[str] = (), allow_partial: bool = False, level: str = "all",
                   against: PathLike | None = None, against_sheet: str | None = None, attribute: bool = True,
                   **read):
    """Rate a corpus under `base` and `candidate` (default: the base) with `changes` applied to the
    candidate, and compare: a `toolkit.diff.DiffReport` (changed units with the deciding rules,
    transition matrices with row percentages, summary, both rulebooks' hashes). Input options as in `rate`.

    `level`: list and count only overall, standard or key_question ratings (default all).
    `against`: a recorded-ratings file (unit, standard, rating; standard `overall` for the
    overall rating) to compare the candidate with, instead of ratings recomputed under `base`.
    With two or more `changes` (each one `--set`; `;` groups assignments into one change) the
    report says which change alone moves which unit, and which move only under the combination
    (`report.attribution`, at `level`, or overall when all levels are listed).
    """
    from .io.recorded import read_recorded
    from .toolkit.diff import ALL, diff_corpus, level_name

    level = level_name(level)
    options = _read_options(read)
    base_loaded = load_rulebook(base)
    cand_loaded = load_rulebook(candidate if candidate is not None else base_loaded, changes=changes)
    recorded = None
    if against is not None:
        recorded = read_recorded(against, base_loaded.rulebook, against_sheet, encoding=options.encoding,
                                 delimiter=options.delimiter)
    report = diff_corpus(_paths(corpus), base_loaded, cand_loaded, allow_partial=allow_partial, options=options,
                         candidate_overrides=tuple(changes), level=level, against=recorded)
    if attribute and candidate is None and len(changes) >= 2:
        from .toolkit.attribution import BulkCorpus, attribute as attribute_changes, changes_from_sets
        from .toolkit.corpus import load_corpus

        bulk = BulkCorpus.of(load_corpus(_paths(corpus), base_loaded.rulebook, options=options), base_loaded.rulebook,
                             allow_partial=allow_partial)
        why = bulk.compatible(cand_loaded.rulebook)
        if why is None:
            found = attribute_changes(bulk, changes_from_sets(changes), cand_loaded.rulebook,
                                      "overall" if level == ALL else level)
            report = replace(report, attribution=found)
        else:
            report = replace(report, warnings=report.warnings + (f"no attribution of the changes: {why}",))
    return report


def workbench(corpus: Corpus, rules: RulebookLike = DEFAULT_RULEBOOK, *, recorded: PathLike | None = None,
              recorded_sheet: str | None = None, allow_partial: bool = False, **read):
    """The what-if workbench over a corpus (what `rate serve` shows): a `toolkit.workbench.Workbench`.

    `wb.form()` gives the editable tables of the rulebook; `wb.evaluate(form)` re-rates the
    corpus in bulk under the edited candidate (transition matrix, moved units with the change
    that moves each, band chart); `wb.check(form)` the check-rules findings and scenario
    results; `wb.diff_report(form)` the full diff; `wb.rulebook_yaml(form)` the candidate as a
    rulebook that extends `rules`. `recorded`: compare with recorded ratings (see `diff_rulebooks`).
    """
    from .io.recorded import read_recorded
    from .toolkit.workbench import Workbench

    options = _read_options(read)
    loaded = load_rulebook(rules)
    given = None
    if recorded is not None:
        given = read_recorded(recorded, loaded.rulebook, recorded_sheet, encoding=options.encoding,
                              delimiter=options.delimiter)
    ref = loaded.path.name if loaded.path is not None and str(rules) != loaded.rulebook.id else loaded.rulebook.id
    return Workbench.open(_paths(corpus), loaded, str(ref), recorded=given, options=options,
                          allow_partial=allow_partial)


def run_scenarios(rules: RulebookLike = DEFAULT_RULEBOOK, scenarios: Corpus | None = None, *,
                  changes: Sequence[str] = ()):
    """Replay scenario files (default: the rulebook's shipped `rules/scenarios/<id>.yaml`) against a
    rulebook: a `toolkit.scenarios.ScenarioReport` (`.ok`, `.passed`, `.failed`, `.results`)."""
    from .toolkit.scenarios import run_scenario_paths

    paths = _paths(scenarios) if scenarios is not None else None
    return run_scenario_paths(paths, load_rulebook(rules, changes=changes), overrides=tuple(changes))


def check_rules(rules: RulebookLike = DEFAULT_RULEBOOK, *, changes: Sequence[str] = (), max_sample: int | None = None):
    """Static analysis of a rulebook (gaps, overlaps, shadowed rows, monotonicity, provenance):
    a `toolkit.check.CheckReport` (`.ok`, `.errors`, `.warnings`)."""
    from .toolkit.check import DEFAULT_MAX_SAMPLE, check_rulebook

    target = rules if isinstance(rules, (str, Path)) else load_rulebook(rules)
    return check_rulebook(target, max_sample or DEFAULT_MAX_SAMPLE, tuple(changes))


def confidence(cases: pd.DataFrame | PathLike, rules: RulebookLike = DEFAULT_RULEBOOK, *,
               judgements: Given = AUTO, changes: Sequence[str] = (), **options):
    """Intervals for key-question percentages and bootstrap probabilities of every rating:
    a `toolkit.confidence.ConfidenceReport`. Options: unit, resamples, seed, level, method
    ('wilson' or 'exact'), fragile, allow_partial, quiet, and the input options of `rate`
    (judgements found by name by default, as in `rate`)."""
    from .toolkit.confidence import confidence as run

    judgements, note = _judgements_for(cases, judgements)
    report = run(cases, load_rulebook(rules, changes=changes), judgements=judgements, options=_read_options(options),
                 **options)
    if note:
        report.inputs_notes.append(note)
    return report


def sweep(corpus: Corpus, rules: RulebookLike = DEFAULT_RULEBOOK, *, vary: str | Sequence[str],
          values: Sequence[str | int | float], changes: Sequence[str] = (), **options):
    """Vary rulebook value(s) over `values` and count the ratings across a corpus, per value:
    a `toolkit.sweep.SweepReport` (`.long_frame()`). Options: judgements (one more judgements
    file with a unit column), allow_partial, quiet, and the input options of `rate`."""
    from .toolkit.sweep import sweep as run

    vary = [vary] if isinstance(vary, str) else list(vary)
    return run(_paths(corpus), load_rulebook(rules, changes=changes), vary=vary, values=[str(v) for v in values],
               options=_read_options(options), **options)


def report_confidence(report: RatingReport, cases: pd.DataFrame | PathLike, rules: RulebookLike, *,
                      unit: str | None = None, allow_partial: bool = False, resamples: int = 1000, seed: int = 2021,
                      fragile: float = 0.8, **options):
    """The bootstrap behind a report's "same rating in resamples" column and FRAGILE flags: the
    case file rated by `report` (with the same `unit` and input options), resampled with the
    report's judgements held fixed. None for tally evidence (no cases to resample) or `resamples=0`."""
    from .toolkit.confidence import confidence as run
    from .toolkit.confidence import judgements_of

    if not resamples or not report.inputs or report.inputs[0].get("kind") != "cases":
        return None
    return run(cases, load_rulebook(rules), judgements=judgements_of(report), unit=unit, resamples=resamples, seed=seed,
               fragile=fragile, allow_partial=allow_partial, options=_read_options(options), quiet=True)


def report_html(report: RatingReport, path: PathLike | None = None, *, rulebook: RulebookLike | None = None,
                validation=None, confidence=None, marking: str | None = None, generated=None) -> str:
    """The self-contained HTML report of a rating (and of a draft check); written to `path` if given.

    The band lines of its charts come from the rulebook that made the report: by default the one
    its stamp names; pass `rulebook=` for a rulebook changed in memory. `confidence`: a
    `report_confidence(...)` for the FRAGILE flags; `marking`: a protective marking (e.g.
    OFFICIAL-SENSITIVE) on every printed page; `generated`: the time shown (default now).
    """
    from .io.files import write_text
    from .render.html_report import render_html

    loaded = load_rulebook(rulebook if rulebook is not None else (report.rulebook.file or report.rulebook.id))
    if loaded.rulebook.sha256 != report.rulebook.sha256:
        raise InputError(f"the report was made by rulebook content {report.rulebook.sha256[:12]}, not "
                         f"{loaded.rulebook.sha256[:12]}: pass the rulebook that made it as rulebook=")
    html = render_html(report, loaded.rulebook, validation, confidence=confidence, marking=marking, generated=generated)
    if path is not None:
        write_text(path, html)
    return html


def frameworks(rulebooks: Sequence[PathLike] | None = None, *, on: str | date | None = None):
    """The installed rulebooks (or those named), described: a list of `toolkit.frameworks.FrameworkInfo`;
    with `on` (a date), only those in force that day (several may be: each rates its own kind of unit)."""
    from .toolkit import frameworks as _frameworks

    infos, errors = _frameworks.list_frameworks(list(rulebooks) if rulebooks else None)
    if errors:
        raise InputError([p for e in errors for p in e.problems])
    if on is not None:
        day = _frameworks.parse_day(on)
        infos = [i for i in infos if i.in_force(day)]
    return infos


def frameworks_on(day: str | date) -> tuple[list, str]:
    """The shipped frameworks in force on a day, and a sentence saying which and why several may be."""
    from .toolkit import frameworks as _frameworks

    parsed = _frameworks.parse_day(day)
    infos = frameworks(on=parsed)
    return infos, _frameworks.in_force_note(parsed, infos)


def show_rulebook(rules: RulebookLike = DEFAULT_RULEBOOK, *, changes: Sequence[str] = (), fmt: str = "table") -> str:
    """The resolved rulebook (after `extends` and `changes`) as a document to review: table, markdown,
    json or html (printable). Standards and key questions, every decision table with its rows, hit
    policy and provenance, the policies (sample sizes, pooling) and the limiting rules."""
    from .render import rulebook as render
    from .toolkit import frameworks as _frameworks

    loaded = load_rulebook(rules, changes=changes)
    extends = _frameworks.extends_of(loaded)
    if fmt in ("table", "markdown"):
        return render.to_text(loaded, extends, markdown=fmt == "markdown")
    writers = {"json": render.to_json, "html": render.to_html}
    if fmt not in writers:
        raise InputError(f"unknown format {fmt!r} (table, markdown, json, html)")
    return writers[fmt](loaded, extends)

