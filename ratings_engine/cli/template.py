"""`rate template`: a blank case workbook for a framework, to record an inspection's evidence in."""
from __future__ import annotations

import click

from .options import output_options, rules_option
from .output import choose

FORMATS = ["xlsx", "csv"]


def register(main: click.Group) -> None:
    main.add_command(template_command)


@click.command("template")
@rules_option(required=True)
@click.option("--cases", "cases", type=click.IntRange(1, 5000), default=60, show_default=True,
              help="Rows prepared (with drop-downs) on the Cases sheet; more can be added below.")
@output_options(FORMATS, default="xlsx")
def template_command(rules, changes, cases, fmt, output, force):
    """Write a blank case workbook for a rulebook: record the cases, judgements and a draft in it.

    \b
    FILE.xlsx: a Cases sheet (case_id, unit, one column per key question, the question's wording
    as a comment on its header, yes / no / n/a drop-downs), a Judgements sheet (the judgement
    standards, a rating drop-down and a reason), a Draft sheet, the key questions' wording, and
    an About sheet naming the rulebook. Filled in, it rates with no options:
    `rate pdu FILE.xlsx` (or `rate unit`, `rate report`, `rate validate FILE.xlsx --draft FILE.xlsx`).
    FILE.csv: the Cases header, and FILE-judgements.csv beside it (found by name when rating).
    """
    from .. import api
    from ..io.spreadsheets import csv_text, write_csv, xlsx_bytes
    from ..render.case_workbook import case_columns, judgement_rows, template_sheets

    if output is None:
        raise click.UsageError("give the file to write: --output FILE.xlsx (or FILE.csv)")
    out = choose(fmt, output, FORMATS, default="xlsx", force=force)
    rulebook = api.load_rulebook(rules, changes=changes).rulebook
    if out.fmt == "xlsx":
        out.write({"xlsx": lambda: xlsx_bytes(template_sheets(rulebook, cases))})
        click.echo(f"wrote {out.path}: {cases} case rows for rulebook {rulebook.id} version {rulebook.version}",
                   err=True)
        return
    out.write({"csv": lambda: csv_text(case_columns(rulebook), [])})
    judgements = out.path.with_name(out.path.stem + "-judgements.csv")
    rows = judgement_rows(rulebook)
    if rows:
        write_csv(judgements, ["standard", "name", "rating", "reason"], rows)
    click.echo(f"wrote {out.path} (the cases' header)" + (f" and {judgements} (the judgement standards)" if rows else "")
               + f" for rulebook {rulebook.id} version {rulebook.version}", err=True)
