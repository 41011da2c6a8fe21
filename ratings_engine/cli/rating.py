"""`rate pdu` and `rate unit`: rate units from a case file, tally file or workbook, and explain why."""
from __future__ import annotations

import gc
import sys

import click

from .options import (PATH, input_kwargs, input_options, json_options, output_options, rating_kwargs, rating_options,
                      report_format, report_options, rules_option)
from .output import EXIT_INCOMPLETE, EXIT_OK, Streamed, choose, echo_audit, echo_messages

FORMATS = ["table", "markdown", "json", "csv", "xlsx", "html", "pdf"]


def register(main: click.Group) -> None:
    main.add_command(pdu_command)
    main.add_command(unit_command)


def load_rules(cases, rules: str | None, changes, default: str | None):
    """The rulebook: --rules; else the one a workbook made by `rate template` / `rate export` names
    (said on stderr); else `default` (none: --rules is required)."""
    from .. import api

    chosen, note, warning = api.workbook_rulebook(cases, rules)
    if chosen is None:
        if default is None:
            raise click.UsageError("--rules is required (a shipped rulebook id, see 'rate frameworks', or a rulebook "
                                   "file), unless --inspection-date DATE picks the rulebook in force, or the workbook "
                                   "was made by 'rate template' or 'rate export'")
        chosen = default
    echo_messages([warning] if warning else (), [note] if note else ())
    loaded = api.load_rulebook(chosen, changes=changes)
    if changes:
        click.echo(f"note: rulebook {loaded.rulebook.id} changed by --set {' --set '.join(changes)} "
                   f"(sha256 {loaded.rulebook.sha256[:12]})", err=True)
    return loaded


def open_report(out, open_it: bool) -> None:
    """--open: show the written report in the browser."""
    if not open_it:
        return
    from ..io.browser import open_in_browser

    if not out.to_file or out.fmt not in ("html", "pdf"):
        raise click.UsageError("--open opens a written report: give --output FILE.html (or .pdf)")
    if not open_in_browser(out.path):
        click.echo(f"note: no browser could be started; open {out.path} yourself", err=True)


def page_options(options: dict, cases, loaded, inputs: dict, rating: dict) -> dict:
    """The HTML report's marking and (lazily) its bootstrap, from the report options."""
    from .. import api

    marking, resamples, seed = options.pop("marking", None), options.pop("resamples", 1000), options.pop("seed", 2021)

    def confidence(report):
        read = {k: v for k, v in inputs.items() if k not in ("draft_sheet", "overrides_sheet", "judgements_sheet")}
        return api.report_confidence(report, cases, loaded, unit=rating.get("unit"),
                                     allow_partial=rating.get("allow_partial", False), resamples=resamples, seed=seed,
                                     **read)

    return {"marking": marking, "confidence": confidence}


def _rate(cases, rules: str | None, changes, explain: bool, fmt, output, force, audit, options: dict,
          default_rules: str | None = None, kind: str | None = None, pretty: bool = False) -> None:
    from .. import api

    fmt = report_format(fmt, options.pop("pdf", False))
    open_it = options.pop("open_it", False)
    inputs = input_kwargs(options)
    rating = rating_kwargs(options)
    given = rating.get("judgements")
    if given == "auto":  # the judgements found beside the cases are an input too
        from ..io.evidence import find_judgements

        given = find_judgements(cases)
    out = choose(fmt, output, FORMATS, inputs=[cases, given, rules,
                                              *(o for o in rating.get("overrides", ()) if not isinstance(o, str))],
                 force=force)
    report = None
    if rules is None and rating.get("inspection_date") is not None:
        # no --rules: the inspection date picks the rulebook in force that day (said in a note)
        report = api.rate(cases, None, changes=changes, unit_kind=kind, **inputs, **rating)
        rules = report.rulebook.file or report.rulebook.id
    loaded = load_rules(cases, rules, changes, default_rules)
    page = page_options(options, cases, loaded, inputs, rating)
    from ..rating.rate import paused_collector

    with paused_collector():  # results are acyclic: no collector passes while they are built and written
        if report is None:
            report = api.rate(cases, loaded, **inputs, **rating)
        out.write(renderers(report, loaded.rulebook, explain=explain, pretty=pretty, **page))
        gc.freeze()  # the process ends soon: spare the collector's final pass over what it built
    if out.to_file or out.fmt not in ("table", "markdown"):
        echo_messages(report.warnings, report.notes)
    if audit:
        echo_audit(report.inputs)
    if out.to_file:
        click.echo(f"wrote {out.path}", err=True)
    open_report(out, open_it)
    refused = any(u.overall.status in ("incomplete", "not rated") for u in report.units)
    sys.exit(EXIT_INCOMPLETE if refused else EXIT_OK)


def renderers(report, rulebook, *, explain: bool = False, validation=None, marking: str | None = None,
              confidence=None, pretty: bool = False) -> dict:
    """A rating report in every format `rate pdu` writes (each rendered only when asked for; JSON is
    streamed unit by unit, compact unless `pretty`).

    `marking` and `confidence` (a function of the report giving its bootstrap, or None) are for
    the HTML and PDF report."""
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

        return render_html(report, rulebook, validation, marking=marking,
                           confidence=confidence(report) if confidence is not None else None)

    def pdf() -> bytes:
        from ..io.browser import pdf_bytes

        return pdf_bytes(html())

    return {
        "table": lambda: ratings.to_table(report, domains, explain=explain, fmt="simple"),
        "markdown": lambda: ratings.to_table(report, domains, explain=explain, fmt="github"),
        "json": Streamed(lambda handle: ratings.write_json(report, handle, pretty=pretty)),
        "csv": csv, "xlsx": xlsx, "html": html, "pdf": pdf,
    }


def _rating_command(name: str, default_rules: str | None, doc: str, kind: str | None = None):
    @click.command(name, help=doc)
    @click.argument("cases", type=PATH)
    @rules_option(shown_default=default_rules)
    @rating_options(inspection_date=True)
    @click.option("--explain", "-e", is_flag=True, help="Explain every decision (table and markdown).")
    @input_options(overrides=True)
    @output_options(FORMATS)
    @json_options()
    @report_options()
    def command(cases, rules, changes, explain, pretty, fmt, output, force, audit, **options):
        _rate(cases, rules, changes, explain, fmt, output, force, audit, options, default_rules, kind, pretty)

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
