"""`rate validate`, `rate report` and `rate export`: the inspector's workflow.

Registered on the `rate` group by `register(main)`. openpyxl and the renderers are imported
inside the commands, so `rate pdu` does not pay for them.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import click

_path = click.Path(dir_okay=False, path_type=Path)


def register(main: click.Group) -> None:
    main.add_command(validate_command)
    main.add_command(report_command)
    main.add_command(export_command)


def _inspector_options(*, draft_required: bool):
    options = [
        click.argument("cases", type=_path),
        click.option("--draft", "-d", type=_path, required=draft_required,
                     help="The draft ratings: CSV, .xlsx or YAML (see docs/inspector-workflow.md)."),
        click.option("--judgements", "-j", type=_path,
                     help="Judgement standards' ratings (CSV or .xlsx): standard,rating[,reason][,unit]. "
                          "Without it, the draft's ratings of judgement standards are used, and said so."),
        click.option("--rules", "-r", default=None, metavar="RULEBOOK", help="Rulebook file or shipped rulebook id."),
        click.option("--unit", "-u", default=None,
                     help="Only this unit (or name the unit of a file without a unit column)."),
        click.option("--override", "override_options", multiple=True, metavar="STD=RATING:REASON",
                     help="Panel override of one standard's rating, with its mandatory reason (repeatable)."),
        click.option("--overrides", "overrides_file", type=_path,
                     help="Panel overrides file (CSV, .xlsx or YAML): standard, rating, reason[, unit]."),
        click.option("--sheet", default=None, metavar="NAME", help="Worksheet of an .xlsx case file (default: the first)."),
        click.option("--judgements-sheet", default=None, metavar="NAME", help="Worksheet of an .xlsx judgements file."),
        click.option("--draft-sheet", default=None, metavar="NAME", help="Worksheet of an .xlsx draft."),
        click.option("--overrides-sheet", default=None, metavar="NAME", help="Worksheet of an .xlsx overrides file."),
        click.option("--allow-partial", is_flag=True,
                     help="Give an overall rating, labelled PARTIAL, when judgement standards are missing."),
        click.option("--blank", type=click.Choice(["error", "not-applicable"]), default="error", show_default=True,
                     help="What a blank answer cell means."),
        click.option("--ignore-column", multiple=True, metavar="NAME", help="A column to skip on purpose (repeatable)."),
    ]

    def decorate(f):
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


@dataclass
class _Run:
    loaded: object
    report: object
    validation: object | None

    @property
    def rulebook(self):
        return self.loaded.rulebook

    @property
    def domains(self) -> dict[str, str]:
        return {d.domain: d.name for d in self.rulebook.framework}


def _run(cases, draft, judgements, rules, unit, override_options, overrides_file, sheet, judgements_sheet,
         draft_sheet, overrides_sheet, allow_partial, blank, ignore_column) -> _Run:
    from .. import api
    from ..io.drafts import draft_judgements, read_draft
    from ..io.overrides import combine, parse_override_options, read_overrides
    from ..model.overrides import OverrideSet
    from ..rating.overrides import apply_overrides
    from ..toolkit.validate import validate

    loaded = api.load_rulebook(rules or api.DEFAULT_RULEBOOK)
    rb = loaded.rulebook
    if judgements is None and judgements_sheet is not None:
        raise click.UsageError("--judgements-sheet needs --judgements")
    if draft is None and draft_sheet is not None:
        raise click.UsageError("--draft-sheet needs --draft")
    if overrides_file is None and overrides_sheet is not None:
        raise click.UsageError("--overrides-sheet needs --overrides")
    # Read everything first, so every bad input is reported before any rating is made.
    given_overrides = combine(parse_override_options(override_options, rb),
                              read_overrides(overrides_file, rb, overrides_sheet) if overrides_file else OverrideSet(()))
    the_draft = read_draft(draft, rb, draft_sheet) if draft else None
    evidence = api.load_evidence(cases, rb, unit=unit, blank=blank, ignore_columns=ignore_column, sheet=sheet)
    notes = []
    if judgements is not None:
        given = api.load_judgements(judgements, rb, sheet=judgements_sheet)
    elif the_draft is not None:
        given = draft_judgements(the_draft, rb)
        if given is not None:
            ids = sorted({j.standard for j in given.items})
            notes.append(f"no --judgements given: the judgement standard(s) {', '.join(ids)} are rated as in the "
                         f"draft ({the_draft.source}), so they agree with it by construction")
    else:
        given = None
    report = api.rate_evidence(evidence, loaded, given, allow_partial=allow_partial)
    sheets = {"cases": sheet, "tallies": sheet, "judgements": judgements_sheet if judgements is not None else None}
    report = replace(report, inputs=tuple({**i, "sheet": sheets[i["kind"]]} if sheets.get(i["kind"]) else i
                                          for i in report.inputs))
    if notes:
        report = replace(report, warnings=tuple(report.warnings) + tuple(notes))
    report = apply_overrides(report, given_overrides, rb, allow_partial=allow_partial)
    validation = validate(report, the_draft, rb) if the_draft is not None else None
    if validation is not None:
        report = validation.report
    return _Run(loaded, report, validation)


def _write(path: Path, text: str) -> None:
    from ..io.files import write_text

    write_text(path, text)


def _emit(text: str, output: Path | None) -> None:
    if output:
        _write(output, text)
    else:
        click.echo(text, nl=False)


@click.command("validate")
@_inspector_options(draft_required=True)
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json", "markdown", "xlsx"]), default="table",
              show_default=True, help="xlsx needs --output.")
@click.option("--explain", "-e", is_flag=True, help="Also explain every decision (table and markdown).")
@click.option("--output", "-o", type=_path, help="Write here instead of stdout (required for xlsx).")
def validate_command(fmt, explain, output, **kwargs):
    """Check a draft rating against the rules: which standards agree, which differ and why.

    Every standard is marked agrees / differs / not in draft; each difference names the deciding
    key question, its tally and band, and the cases that would move it to the draft's band. The
    overall rating and score are compared too. Panel overrides (--override, --overrides) replace
    a standard's computed rating, with a mandatory reason, before the overall is recomputed, and
    are shown in every output.

    Exit 0: every standard and the overall agree with the draft; 1: something differs; 2: bad input.
    """
    from ..render.validation import render_validation

    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx needs --output FILE.xlsx")
    run = _run(**kwargs)
    v = run.validation
    if fmt == "json":
        _emit(json.dumps(v.to_dict(), indent=2, ensure_ascii=False) + "\n", output)
    elif fmt == "xlsx":
        from ..io.spreadsheets import write_xlsx
        from ..render.xlsx_export import export_sheets

        write_xlsx(output, export_sheets(run.report, run.rulebook, v))
        click.echo(f"wrote {output}: the draft {'AGREES' if v.agrees else 'DIFFERS'}", err=True)
    else:
        _emit(render_validation(v, run.domains, markdown=fmt == "markdown", explain_all=explain), output)
    if fmt in ("json", "xlsx") or output:
        for w in v.warnings:
            click.echo(f"warning: {w}", err=True)
    sys.exit(v.exit_code)


@click.command("report")
@_inspector_options(draft_required=False)
@click.option("--out", "--output", "-o", "out", type=_path, required=True, help="The HTML file to write.")
def report_command(out, **kwargs):
    """Write one self-contained HTML report (no network requests; readable in print).

    It holds the ratings table in the annexe layout, a chart of each case standard's key-question
    percentages against the rulebook's band lines, the explanation and margin of every decision,
    panel overrides, the draft check (with --draft), the rulebook's id, version and hash, and each
    input file's sha256.
    """
    from ..render.html_report import render_html

    run = _run(**kwargs)
    html = render_html(run.report, run.rulebook, run.validation)
    _write(out, html)
    for u in run.report.units:
        o = u.overall
        click.echo(f"{u.unit}: overall {o.rating or 'not given'}, score {o.score}/{o.max_score}")
    click.echo(f"wrote {out}")
    for w in run.report.warnings if run.validation is None else run.validation.warnings:
        click.echo(f"warning: {w}", err=True)


@click.command("export")
@_inspector_options(draft_required=False)
@click.option("--output", "-o", type=_path, required=True,
              help="FILE.xlsx (a workbook of ratings, key questions, decisions, overrides, inputs, and the draft "
                   "check with --draft) or FILE.csv (the ratings table).")
def export_command(output, **kwargs):
    """Export the ratings to a spreadsheet (.xlsx workbook or .csv) for working in Excel.

    Text that a spreadsheet would read as a formula (starting with =, +, -, @, tab or CR) is
    escaped: an apostrophe in CSV, a quote-prefixed text cell in .xlsx.
    """
    from ..io.spreadsheets import write_csv, write_xlsx
    from ..render.xlsx_export import export_sheets, ratings_table

    suffix = output.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise click.UsageError(f"--output {output}: give a .xlsx or .csv file name")
    run = _run(**kwargs)
    if suffix == ".xlsx":
        write_xlsx(output, export_sheets(run.report, run.rulebook, run.validation))
    else:
        header, rows = ratings_table(run.report)
        write_csv(output, header, rows)
    click.echo(f"wrote {output}")
    for w in run.report.warnings if run.validation is None else run.validation.warnings:
        click.echo(f"warning: {w}", err=True)
