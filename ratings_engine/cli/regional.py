"""`rate region` (a region and its PDUs in one run) and `rate show` (a rulebook to read)."""
from __future__ import annotations

import sys

import click

from .options import PATH, input_kwargs, input_options, output_options, rating_kwargs, rating_options, rules_option
from .output import EXIT_INCOMPLETE, EXIT_OK, choose, echo_audit, echo_messages

FORMATS = ["table", "markdown", "json", "csv", "xlsx", "html"]
SHOW_FORMATS = ["table", "markdown", "json", "html"]


def register(main: click.Group) -> None:
    main.add_command(region_command)
    main.add_command(show_command)


@click.command("region")
@click.argument("cases", type=PATH)
@rules_option(default="probation-region-2023")
@click.option("--regions", type=PATH, default=None,
              help="Units file (CSV or .xlsx): columns unit, region. Default: the case file's 'region' column.")
@rating_options(unit=False, overrides=False)
@click.option("--explain", "-e", is_flag=True, help="Explain every decision, pooled figures by PDU (table and markdown).")
@input_options()
@output_options(FORMATS)
def region_command(cases, rules, changes, regions, explain, fmt, output, force, audit, **options):
    """Rate a region and its PDUs in one run: each PDU under the PDU rulebook, the region under the
    regional rulebook (default probation-region-2023, whose `pooling.members` names the PDUs').

    \b
    CASES: one row per case with case_id, unit, region and key-question columns. A row whose
    unit is a PDU is that PDU's case: it counts for the PDU and, pooled, for its region's pooled
    standards (desistance, public protection, resettlement, court work). A row whose unit is the
    region itself is a case of the regional sample (unpaid work, statutory victim work). Instead
    of a region column, --regions names a units file (unit, region). Judgements: one file with a
    unit column, judging the PDUs' and the region's judgement standards.

    Every pooled figure says which PDUs and how many cases it came from.
    """
    from .. import api
    from ..render import regional

    inputs = input_kwargs(options)
    rating = rating_kwargs(options)
    given = rating.get("judgements")
    out = choose(fmt, output, FORMATS, inputs=[cases, regions, given if given not in ("auto", None) else None],
                 force=force)
    report = api.rate_region(cases, rules, regions=regions, changes=changes, **inputs, **rating)
    out.write({"table": lambda: regional.to_table(report, explain=explain),
               "markdown": lambda: regional.to_table(report, explain=explain, markdown=True),
               "json": lambda: regional.to_json(report), "csv": lambda: regional.to_csv(report),
               "xlsx": lambda: regional.to_xlsx(report), "html": lambda: regional.to_html(report)})
    if out.to_file or out.fmt not in ("table", "markdown"):
        echo_messages(report.warnings, report.notes)
    if audit:
        echo_audit(report.inputs)
    if out.to_file:
        click.echo(f"wrote {out.path}", err=True)
    refused = any(u.overall.status in ("incomplete", "not rated") for r in report.reports for u in r.units)
    sys.exit(EXIT_INCOMPLETE if refused else EXIT_OK)


@click.command("show")
@click.argument("rulebook", metavar="RULEBOOK")
@click.option("--set", "changes", multiple=True, metavar="PATH=VALUE",
              help="Show the rulebook with a value changed, e.g. key_question_bands.rows[kq-good].min=70 (repeatable).")
@output_options(SHOW_FORMATS)
def show_command(rulebook, changes, fmt, output, force):
    """Show a rulebook (file or shipped id) resolved after `extends` and --set, for review without
    reading YAML: when it is in force, scale and scores, policies (sample sizes, pooling), standards
    and key questions, every decision table with its rows in order, hit policy and provenance, and
    the limiting rules. --format html is a printable page."""
    from .. import api

    out = choose(fmt, output, SHOW_FORMATS, inputs=[rulebook], force=force)
    out.write({f: (lambda f=f: api.show_rulebook(rulebook, changes=changes, fmt=f)) for f in SHOW_FORMATS})
