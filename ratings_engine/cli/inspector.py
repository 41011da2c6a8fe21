"""`rate validate`, `rate report` and `rate export`: the inspector's workflow.

All three read the same inputs as `rate pdu` (and a draft, and panel overrides) and differ only in
what they write: a draft check (validate), a self-contained HTML report (report), a workbook or
CSV (export). Heavy modules are imported inside the commands.
"""
from __future__ import annotations

import sys

import click

from ..model.text import printable
from .options import (PATH, input_kwargs, input_options, output_options, rating_kwargs, rating_options, report_format,
                      report_options, rules_option)
from .output import EXIT_DIFFERENCE, EXIT_INCOMPLETE, EXIT_OK, choose, echo_audit, echo_messages

VALIDATE_FORMATS = ["table", "markdown", "json", "xlsx", "html", "pdf"]
REPORT_FORMATS = ["html", "pdf"]
DEFAULT_RULES = "probation-pdu-2021"
EXPORT_FORMATS = ["xlsx", "csv", "json"]


def register(main: click.Group) -> None:
    main.add_command(validate_command)
    main.add_command(report_command)
    main.add_command(export_command)


def _inspector_options(*, draft_required: bool, formats: list[str], default: str, report: bool = True):
    def decorate(f):
        if report:
            f = report_options()(f)
        f = output_options(formats, default=default)(f)
        f = input_options(draft=True, overrides=True)(f)
        f = rating_options()(f)
        f = click.option("--draft", "-d", type=PATH, required=draft_required,
                         help="The draft ratings: CSV, .xlsx or YAML (see docs/inspector-workflow.md).")(f)
        f = rules_option(shown_default=DEFAULT_RULES)(f)
        f = click.argument("cases", type=PATH)(f)
        return f

    return decorate


class _Run:
    """One inspector run: the rating (with overrides) and, with a draft, the draft check."""

    def __init__(self, cases, draft, rules, changes, options: dict):
        from .rating import load_rules, page_options

        self.fmt = report_format(options.pop("fmt", None), options.pop("pdf", False))
        self.open_it = options.pop("open_it", False)
        self.inputs = input_kwargs(options)
        self.rating = rating_kwargs(options)
        self.loaded = load_rules(cases, rules, changes, DEFAULT_RULES)
        self.page = page_options(options, cases, self.loaded, self.inputs, self.rating)
        self.files = [cases, draft, self.rating.get("judgements"),
                      *(o for o in self.rating.get("overrides", ()) if not isinstance(o, str))]
        self.cases, self.draft = cases, draft

    def run(self):
        from .. import api

        if self.draft is not None:
            self.validation = api.validate(self.cases, self.draft, self.loaded, **self.inputs, **self.rating)
            self.report = self.validation.report
        else:
            self.inputs.pop("draft_sheet", None)
            self.validation = None
            self.report = api.rate(self.cases, self.loaded, **self.inputs, **self.rating)
        return self

    @property
    def rulebook(self):
        return self.loaded.rulebook

    @property
    def warnings(self):
        return self.validation.warnings if self.validation is not None else self.report.warnings

    def finish(self, out, audit: bool) -> None:
        from .rating import open_report

        if out.to_file or out.fmt not in ("table", "markdown"):
            echo_messages(self.warnings, self.report.notes)
        if audit:
            echo_audit(self.report.inputs)
        if out.to_file:
            click.echo(f"wrote {out.path}", err=True)
        open_report(out, self.open_it)

    def exit_code(self) -> int:
        if self.validation is not None and not self.validation.agrees:
            return EXIT_DIFFERENCE
        if any(u.overall.status in ("incomplete", "not rated") for u in self.report.units):
            return EXIT_INCOMPLETE
        return EXIT_OK


def _files(run: _Run) -> list:
    return [f for f in run.files if f not in (None, "auto")]


@click.command("validate")
@_inspector_options(draft_required=True, formats=VALIDATE_FORMATS, default="table")
@click.option("--explain", "-e", is_flag=True, help="Also explain every decision (table and markdown).")
def validate_command(cases, draft, rules, changes, explain, output, force, audit, **options):
    """Check a draft rating against the rules: which standards agree, which differ and why.

    Every standard is marked agrees / differs / not in draft; each difference names the deciding
    key question, its tally and band, and the cases that would move it to the draft's band. The
    overall rating and score are compared too. Panel overrides (--override, --overrides) replace
    a standard's computed rating, with a mandatory reason, before the overall is recomputed, and
    are shown in every output.

    Exit 0: every standard and the overall agree with the draft; 1: something differs; 2: bad input.
    """
    from ..render.validation import render_validation
    from .rating import renderers

    run = _Run(cases, draft, rules, changes, options)
    out = choose(run.fmt, output, VALIDATE_FORMATS, inputs=_files(run), force=force)
    run.run()
    v = run.validation
    domains = {d.domain: d.name for d in run.rulebook.framework}
    rendered = renderers(run.report, run.rulebook, validation=v, **run.page)

    def as_json() -> str:
        import json

        return json.dumps(v.to_dict(), indent=2, ensure_ascii=False) + "\n"

    out.write({
        "table": lambda: render_validation(v, domains, markdown=False, explain_all=explain),
        "markdown": lambda: render_validation(v, domains, markdown=True, explain_all=explain),
        "json": as_json, "xlsx": rendered["xlsx"], "html": rendered["html"], "pdf": rendered["pdf"],
    })
    if out.fmt == "xlsx":
        click.echo(f"the draft {'AGREES' if v.agrees else 'DIFFERS'}", err=True)
    run.finish(out, audit)
    sys.exit(EXIT_OK if v.agrees else EXIT_DIFFERENCE)


@click.command("report")
@_inspector_options(draft_required=False, formats=REPORT_FORMATS, default="html")
def report_command(cases, draft, rules, changes, output, force, audit, **options):
    """Write one self-contained HTML report (no network requests; readable in print).

    It holds the ratings table in the annexe layout, a chart of each case standard's key-question
    percentages against the rulebook's band lines, the explanation and margin of every decision,
    panel overrides, the draft check (with --draft), the rulebook's id, version and hash, and each
    input file's sha256.
    """
    from .rating import renderers

    run = _Run(cases, draft, rules, changes, options)
    out = choose(run.fmt, output, REPORT_FORMATS, default="html", inputs=_files(run), force=force)
    run.run()
    out.write(renderers(run.report, run.rulebook, validation=run.validation, **run.page))
    for u in run.report.units:
        o = u.overall
        click.echo(f"{printable(u.unit)}: overall {o.rating or 'not given'}, score {o.score}/{o.max_score}", err=True)
    run.finish(out, audit)
    sys.exit(run.exit_code())


@click.command("export")
@_inspector_options(draft_required=False, formats=EXPORT_FORMATS, default="xlsx", report=False)
def export_command(cases, draft, rules, changes, output, force, audit, **options):
    """Export the ratings for working in Excel: an .xlsx workbook (ratings, key questions,
    decisions, overrides, inputs, and the draft check with --draft), or the ratings table as
    CSV or JSON.

    Text that a spreadsheet would read as a formula (starting with =, +, -, @, tab or CR) is
    escaped: an apostrophe in CSV, a quote-prefixed text cell in .xlsx.
    """
    from .rating import renderers

    run = _Run(cases, draft, rules, changes, options)
    out = choose(run.fmt, output, EXPORT_FORMATS, default="xlsx", inputs=_files(run), force=force)
    run.run()
    out.write(renderers(run.report, run.rulebook, validation=run.validation))
    run.finish(out, audit)
    sys.exit(run.exit_code())
