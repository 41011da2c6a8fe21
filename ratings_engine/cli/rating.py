"""`rate pdu` and `rate unit`: rate units from a case file, tally file or workbook, and explain why."""
from __future__ import annotations

import sys

import click

from .options import PATH, input_kwargs, input_options, output_options, rating_kwargs, rating_options, rules_option
from .output import EXIT_INCOMPLETE, EXIT_OK, choose, echo_audit, echo_messages

FORMATS = ["table", "markdown", "json", "csv", "xlsx", "html"]


def register(main: click.Group) -> None:
    main.add_command(pdu_command)
    main.add_command(unit_command)


def _rate(cases, rules: str, changes, explain: bool, fmt, output, force, audit, options: dict,
          kind: str | None = None) -> None:
    from .. import api

    inputs = input_kwargs(options)
    rating = rating_kwargs(options)
    if rules is None and rating.get("inspection_date") is None:
        raise click.UsageError("give --rules RULEBOOK, or --inspection-date DATE to pick the rulebook in force")
    given = rating.get("judgements")
    out = choose(fmt, output, FORMATS, inputs=[cases, given if given not in ("auto", None) else None,
                                              *(o for o in rating.get("overrides", ()) if not isinstance(o, str))],
                 force=force)
    report = None
    if rules is None:  # picked by the inspection date: the rulebook in force that day (said in a note)
        report = api.rate(cases, None, changes=changes, unit_kind=kind, **inputs, **rating)
        rules = report.rulebook.file or report.rulebook.id
    loaded = api.load_rulebook(rules, changes=changes)
    if changes:
        click.echo(f"note: rulebook {loaded.rulebook.id} changed by --set {' --set '.join(changes)} "
                   f"(sha256 {loaded.rulebook.sha256[:12]})", err=True)
    if report is None:
        report = api.rate(cases, loaded, **inputs, **rating)
    out.write(renderers(report, loaded.rulebook, explain=explain))
    if out.to_file or out.fmt not in ("table", "markdown"):
        echo_messages(report.warnings, report.notes)
    if audit:
        echo_audit(report.inputs)
    if out.to_file:
        click.echo(f"wrote {out.path}", err=True)
    refused = any(u.overall.status in ("incomplete", "not rated") for u in report.units)
    sys.exit(EXIT_INCOMPLETE if refused else EXIT_OK)


def renderers(report, rulebook, *, explain: bool = False, validation=None) -> dict:
    """A rating report in every format `rate pdu` writes (each rendered only when asked for)."""
    from ..render import ratings

    domains = {d.domain: d.name for d in rulebook.framework}

    def csv() -> str:
        from ..io.spreadsheets import csv_text
        from ..render.xlsx_export import ratings_table

        return csv_text(*ratings_table(report))

    def xlsx() -> bytes:
        from ..io.spreadsheets import xlsx_bytes
        from ..render.xlsx_export import export_sheets

        return xlsx_bytes(export_sheets(report, rulebook, validation))

    def html() -> str:
        from ..render.html_report import render_html

        return render_html(report, rulebook, validation)

    return {
        "table": lambda: ratings.to_table(report, domains, explain=explain, fmt="simple"),
        "markdown": lambda: ratings.to_table(report, domains, explain=explain, fmt="github"),
        "json": lambda: ratings.to_json(report),
        "csv": csv, "xlsx": xlsx, "html": html,
    }


def _rating_command(name: str, default_rules: str | None, doc: str, kind: str | None = None):
    @click.command(name, help=doc)
    @click.argument("cases", type=PATH)
    @rules_option(default=default_rules)
    @rating_options(inspection_date=True)
    @click.option("--explain", "-e", is_flag=True, help="Explain every decision (table and markdown).")
    @input_options(overrides=True)
    @output_options(FORMATS)
    @click.pass_context
    def command(ctx, cases, rules, changes, explain, fmt, output, force, audit, **options):
        if options.get("inspection_date") and ctx.get_parameter_source("rules") is click.core.ParameterSource.DEFAULT:
            rules = None  # no --rules given: the inspection date picks the rulebook in force
        _rate(cases, rules, changes, explain, fmt, output, force, audit, options, kind)

    return command


_CASES_HELP = """

    CASES is a case file (CSV or .xlsx; `-` reads CSV from standard input) with one row per
    case: case_id, optional unit, and one column per key question id (yes / no / n/a). A
    standard whose key-question columns are all absent is "Not inspected". Or a tally file
    (told apart by its header): one row per unit and key question with columns unit,
    key_question, sufficient, applicable[, not_applicable].

    Judgement standards' ratings come from --judgements, or by name: the workbook's Judgements
    sheet, or <cases>-judgements.csv beside the case file. Without them the overall rating is
    refused (exit 4) unless --allow-partial.
"""

pdu_command = _rating_command(
    "pdu", "probation-pdu-2021",
    "Rate probation delivery units (default rulebook: probation-pdu-2021; with --inspection-date and no --rules, "
    "the PDU rulebook in force that day)." + _CASES_HELP, kind="probation delivery unit")
unit_command = _rating_command(
    "unit", None,
    "Rate units of any framework: --rules names the rulebook (see 'rate frameworks'), or --inspection-date picks "
    "the one in force that day whose key questions fit the case file." + _CASES_HELP)
