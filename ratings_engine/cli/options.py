"""Options declared once, for every command: inputs, rating, output.

A command stacks the decorators it needs; the options it gets have the same names, spellings,
defaults and help everywhere. `input_kwargs` and `rating_kwargs` turn the parsed options into
the keyword arguments of the API, so a new input option reaches every command at once.

Only click is imported here: `rate --help` and shell completion stay fast.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import click

#: A file argument or option: a path, or `-` for standard input where a CSV is read.
PATH = click.Path(dir_okay=False, path_type=Path, allow_dash=True)
#: A file or folder (corpus arguments).
ANY_PATH = click.Path(path_type=Path, allow_dash=True)

#: Option names of each group (for tests and for the option walk in docs).
INPUT_OPTIONS = ("--encoding", "--delimiter", "--sheet", "--judgements-sheet", "--blank", "--ignore-column",
                 "--text-column", "--audit")
OUTPUT_OPTIONS = ("--format", "--output", "--force", "--no-color")
#: Options of every command that writes the HTML report (pdu, unit, validate, report).
REPORT_OPTIONS = ("--marking", "--open", "--pdf", "--resamples", "--seed")
#: Where `--no-color` is remembered (click's context meta is shared by a command and its group).
NO_COLOR = "ratings_engine.no_color"


def _stack(options: list[Callable]) -> Callable:
    def decorate(f):
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


def input_options(*, draft: bool = False, overrides: bool = False) -> Callable:
    """How evidence files are read: every command that reads cases, tallies or judgements has these.

    `draft` / `overrides` add the sheet options of those inputs (commands that read them).
    """
    options = [
        click.option("--encoding", default=None, metavar="NAME",
                     help="Encoding of CSV inputs, e.g. cp1252 (default: UTF-8, or UTF-16 with a byte-order mark)."),
        click.option("--delimiter", default=None, metavar="CHAR",
                     help="Delimiter of CSV inputs: one character such as ';' or '|', or tab (default: comma)."),
        click.option("--sheet", default=None, metavar="NAME",
                     help="Worksheet of an .xlsx case file (default: the sheet named Cases, or the only one)."),
        click.option("--judgements-sheet", default=None, metavar="NAME",
                     help="Worksheet of an .xlsx judgements file (default: the sheet named Judgements)."),
    ]
    if draft:
        options.append(click.option("--draft-sheet", default=None, metavar="NAME",
                                    help="Worksheet of an .xlsx draft (default: the sheet named Draft)."))
    if overrides:
        options.append(click.option("--overrides-sheet", default=None, metavar="NAME",
                                    help="Worksheet of an .xlsx overrides file (default: the sheet named Overrides)."))
    options += [
        click.option("--blank", type=click.Choice(["error", "not-applicable"]), default="error", show_default=True,
                     help="What a blank answer cell means."),
        click.option("--ignore-column", "ignore_columns", multiple=True, metavar="NAME",
                     help="A column of a case or tally file to skip on purpose (repeatable)."),
        click.option("--text-column", "text_columns", multiple=True, metavar="NAME",
                     help="A free-text column whose quoted cells may span lines of a CSV (skipped in case and tally "
                          "files; counted in the audit); elsewhere a cell spanning lines is an error (repeatable)."),
        click.option("--audit", is_flag=True,
                     help="Also report, on stderr, each input file's rows: read, used, and skipped by reason."),
    ]
    return _stack(options)


def rules_option(*, required: bool = False, default: str | None = None, shown_default: str | None = None) -> Callable:
    """--rules and --set: which rulebook, and what-if changes to it. `shown_default`: a default the
    command applies itself (after looking for a workbook's own rulebook), named in the help."""
    help_default = (f" (default: {default})" if default else
                    f" (default: the rulebook a workbook made by 'rate template' or 'rate export' names, else "
                    f"{shown_default})" if shown_default else
                    " (default: the rulebook a workbook made by 'rate template' or 'rate export' names)")
    extra = {"default": default} if default is not None else {}  # click >= 8.3: default=None would satisfy required
    return _stack([
        click.option("--rules", "-r", required=required, metavar="RULEBOOK",
                     help=f"Rulebook file or shipped rulebook id (see 'rate frameworks'){help_default}.", **extra),
        click.option("--set", "changes", multiple=True, metavar="PATH=VALUE",
                     help="What-if: change a rulebook value, e.g. key_question_bands.rows[kq-good].min=70 (repeatable)."),
    ])


def rating_options(*, judgements: bool = True, unit: bool = True, overrides: bool = True,
                   inspection_date: bool = False) -> Callable:
    """Judgements, unit, partial ratings and panel overrides: every command that rates evidence
    (`inspection_date`: also --inspection-date, on the commands that rate one framework's units)."""
    options = []
    if inspection_date:
        options.append(click.option(
            "--inspection-date", default=None, metavar="DATE",
            help="The inspection's date (YYYY-MM-DD; or an inspection_date column): warns when the rulebook was not in "
                 "force that day, and without --rules picks the rulebook in force."))
    if judgements:
        options.append(click.option(
            "--judgements", "-j", type=PATH, default=None,
            help="Judgement standards' ratings (CSV or .xlsx): standard, rating[, reason][, unit]. Default: the "
                 "case workbook's Judgements sheet, or <cases>-judgements.csv beside the case file, if there is one."))
        options.append(click.option("--no-judgements", is_flag=True,
                                    help="Do not look for a judgements file by name."))
    if unit:
        options.append(click.option("--unit", "-u", default=None,
                                    help="Rate only this unit (or name the unit of a file without a unit column)."))
    options.append(click.option("--allow-partial", is_flag=True,
                                help="Give an overall rating, labelled PARTIAL, when judgement standards are missing."))
    if overrides:
        options += [
            click.option("--override", "override_texts", multiple=True, metavar="STD=RATING:REASON",
                         help="Panel override of one standard's rating, with its mandatory reason (repeatable)."),
            click.option("--overrides", "overrides_file", type=PATH, default=None,
                         help="Panel overrides file (CSV, .xlsx or YAML): standard, rating, reason[, unit]."),
        ]
    return _stack(options)


def _remember_no_color(ctx: click.Context, _param, value: bool) -> bool:
    if value:
        ctx.meta[NO_COLOR] = True
    return value


#: --no-color, on the group (`rate --no-color ...`) and on every command that writes results.
no_color_option = click.option("--no-color", is_flag=True, expose_value=False, callback=_remember_no_color,
                               help="No colour in terminal output (setting NO_COLOR in the environment does the same).")


def output_options(formats: list[str], *, default: str = "table") -> Callable:
    """--format, --output, --force and --no-color: every command that writes results."""
    return _stack([
        click.option("--format", "-f", "fmt", type=click.Choice(formats), default=None,
                     help=f"Output format (default: from the --output file's extension, else {default})."),
        click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Write here instead of standard output (atomically); the extension chooses the format: "
                          + ", ".join(f for f in _EXTENSIONS_HELP if f.split()[-1].strip("()") in formats) + "."),
        click.option("--force", is_flag=True,
                     help="Write the output even through a symbolic link."),
        no_color_option,
    ])


def report_options() -> Callable:
    """The HTML report's options: every command that can write it (pdu, unit, validate, report)."""
    return _stack([
        click.option("--marking", default=None, metavar="TEXT",
                     help="A protective marking shown on every page of the HTML or PDF report, e.g. DRAFT or "
                          "OFFICIAL-SENSITIVE."),
        click.option("--pdf", is_flag=True,
                     help="Write the report as PDF (the same as --format pdf; printed by headless Chromium)."),
        click.option("--open", "open_it", is_flag=True, help="Open the written HTML or PDF report in the browser."),
        click.option("--resamples", type=click.IntRange(0, 100_000), default=1000, show_default=True,
                     help="Bootstrap resamples behind the report's 'same rating in resamples' column and FRAGILE "
                          "flags (0: intervals only)."),
        click.option("--seed", type=click.IntRange(min=0), default=2021, show_default=True,
                     help="Random seed of those resamples."),
    ])


def report_format(fmt: str | None, pdf: bool) -> str | None:
    """--pdf is --format pdf; with another --format it is a contradiction."""
    if pdf and fmt not in (None, "pdf"):
        raise click.UsageError(f"--pdf contradicts --format {fmt}: give one of them")
    return "pdf" if pdf else fmt


_EXTENSIONS_HELP = [".txt (table)", ".json (json)", ".md (markdown)", ".csv (csv)", ".xlsx (xlsx)", ".html (html)"]


def input_kwargs(options: dict[str, Any]) -> dict[str, Any]:
    """Pop the input options into the API's keyword arguments (`encoding`, `sheet`, ...)."""
    out = {name: options.pop(name) for name in ("encoding", "delimiter", "sheet", "judgements_sheet", "blank")
           if name in options}
    for name in ("ignore_columns", "text_columns"):
        if name in options:
            out[name] = tuple(options.pop(name))
    for name in ("draft_sheet", "overrides_sheet"):
        if name in options:
            out[name] = options.pop(name)
    return out


def rating_kwargs(options: dict[str, Any]) -> dict[str, Any]:
    """Pop the rating options into the API's keyword arguments (`judgements`, `overrides`, ...)."""
    out: dict[str, Any] = {}
    if "judgements" in options:
        given, no = options.pop("judgements"), options.pop("no_judgements", False)
        if given is not None and no:
            raise click.UsageError("give --judgements FILE or --no-judgements, not both")
        out["judgements"] = None if no else (given if given is not None else "auto")
    for name in ("unit", "allow_partial", "inspection_date"):
        if name in options:
            out[name] = options.pop(name)
    texts, file = options.pop("override_texts", ()), options.pop("overrides_file", None)
    if texts or file is not None:
        out["overrides"] = [*texts, *([file] if file is not None else [])]
    return out


def json_options() -> Callable:
    """--pretty: commands whose JSON is written unit by unit, compact unless asked otherwise."""
    return _stack([click.option("--pretty", is_flag=True,
                                help="Indent JSON output by two spaces (default: compact, one line).")])
