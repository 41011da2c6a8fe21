"""The `rate` command line: parse options, call the API, render. Exit 0 ok, 2 bad input or usage."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import api
from ..model.errors import EngineError, InputError
from ..render import ratings as render

FORMATS = ["table", "json", "markdown"]


def _fail(message: str, code: int = 2):
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


class _Group(click.Group):
    """Turns the engine's own errors into one clear message and exit code 2, never a traceback.

    Also loads command families lazily (see LAZY_COMMANDS).
    """

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx, name):
        if name not in self.commands and name in LAZY_COMMANDS:
            import importlib

            importlib.import_module(f".{LAZY_COMMANDS[name]}", __package__).register(self)
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except InputError as exc:
            lines = exc.render().splitlines()
            _fail("\n       ".join(lines))
        except EngineError as exc:
            _fail(f"rule engine failure (please report): {exc}", 1)
        except OSError as exc:  # e.g. --output into a folder that does not exist: a usage problem, not a crash
            _fail(f"{exc.filename}: {exc.strerror or exc}" if exc.filename else str(exc))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ratings-engine")
def main():
    """Inspection ratings from case evidence, by declarative rulebooks, with explanations."""


def _common_rating_options(f):
    options = [
        click.argument("cases", type=click.Path(dir_okay=False, path_type=Path)),
        click.option("--judgements", "-j", type=click.Path(dir_okay=False, path_type=Path),
                     help="CSV of judgement standards' ratings: standard,rating[,reason][,unit]."),
        click.option("--rules", "-r", default=None, metavar="RULEBOOK",
                     help="Rulebook file or shipped rulebook id."),
        click.option("--unit", "-u", default=None, help="Rate only this unit (or name the unit of a file without a unit column)."),
        click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="table", show_default=True),
        click.option("--explain", "-e", is_flag=True, help="Explain every decision (table and markdown)."),
        click.option("--allow-partial", is_flag=True,
                     help="Give an overall rating, labelled PARTIAL, when judgement standards are missing."),
        click.option("--blank", type=click.Choice(["error", "not-applicable"]), default="error", show_default=True,
                     help="What a blank answer cell means."),
        click.option("--ignore-column", multiple=True, metavar="NAME", help="A column to skip on purpose (repeatable)."),
        click.option("--sheet", default=None, metavar="NAME", help="Worksheet of an .xlsx case file (default: the first)."),
        click.option("--judgements-sheet", default=None, metavar="NAME", help="Worksheet of an .xlsx judgements file."),
        click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout."),
        click.option("--set", "assignments", multiple=True, metavar="PATH=VALUE",
                     help="What-if: change a rulebook value, e.g. key_question_bands.rows[kq-good].min=70 (repeatable)."),
    ]
    f = input_options(f)  # listed after the options above
    for option in reversed(options):
        f = option(f)
    return f


def input_options(f):
    """--encoding, --delimiter (how CSV inputs are read) and --audit (what happened to every row)."""
    options = [
        click.option("--encoding", default=None, metavar="NAME",
                     help="Encoding of CSV inputs, e.g. cp1252 (default: UTF-8, or UTF-16 with a byte-order mark)."),
        click.option("--delimiter", default=None, metavar="CHAR",
                     help="Delimiter of CSV inputs: one character such as ';' or '|', or tab (default: comma)."),
        click.option("--audit", is_flag=True,
                     help="Also report, on stderr, each input file's rows: read, used, and skipped by reason."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def audit_text(inputs) -> str:
    """Each input file's rows as a small table: read = used + skipped (by reason), and flagged rows."""
    from tabulate import tabulate

    blocks = []
    for i in inputs:
        audit = i.get("audit") or {}
        digest = f" (sha256 {i['sha256'][:12]})" if i.get("sha256") else ""
        sheet = f", sheet {i['sheet']!r}" if i.get("sheet") else ""
        rows = [["rows read", audit.get("rows_read")], ["rows used", audit.get("rows_used")]]
        rows += [[f"skipped: {reason}", n] for reason, n in (audit.get("rows_skipped") or {}).items()]
        rows += [[f"flagged (used): {reason}", n] for reason, n in (audit.get("rows_flagged") or {}).items()]
        table = tabulate(rows, tablefmt="plain", disable_numparse=True, colalign=("left", "right"))
        blocks.append(f"audit: {i['kind']} {i['file']}{sheet}{digest}\n" + "\n".join("  " + line for line in table.splitlines()))
    return "\n".join(blocks) + "\n"


def write_output(path: Path, text: str) -> None:
    from ..io.files import write_text

    write_text(path, text)


def _rate_and_render(cases, judgements, rules, unit, fmt, explain, allow_partial, blank, ignore_column, output,
                     default_rules: str, assignments=(), sheet=None, judgements_sheet=None, encoding=None,
                     delimiter=None, audit=False):
    loaded = api.load_rulebook(rules or default_rules, changes=assignments)
    if assignments:
        click.echo(f"note: rulebook {loaded.rulebook.id} changed by --set {' --set '.join(assignments)} "
                   f"(sha256 {loaded.rulebook.sha256[:12]})", err=True)
    if judgements_sheet is not None and judgements is None:
        raise click.UsageError("--judgements-sheet needs --judgements")
    report = api.rate(cases, loaded, judgements=judgements, unit=unit, blank=blank, ignore_columns=ignore_column,
                      allow_partial=allow_partial, sheet=sheet, judgements_sheet=judgements_sheet,
                      encoding=encoding, delimiter=delimiter)
    domains = {d.domain: d.name for d in loaded.rulebook.framework}
    if fmt == "json":
        text = render.to_json(report)
    else:
        text = render.to_table(report, domains, explain=explain, fmt="github" if fmt == "markdown" else "simple")
    if output:
        write_output(output, text)
    else:
        click.echo(text, nl=False)
    if fmt == "json" or output:
        for w in report.warnings:
            click.echo(f"warning: {w}", err=True)
    if audit:
        click.echo(audit_text(report.inputs), err=True, nl=False)


@main.command("pdu")
@_common_rating_options
def pdu(**kwargs):
    """Rate probation delivery units from a case file or tally file (default rulebook: probation-pdu-2021).

    CASES is a CSV with one row per case: case_id, optional unit, and one column per key
    question id (yes / no / n/a). A standard whose key-question columns are all absent is
    "Not inspected". Or a tally file (told apart by its header): one row per unit and key
    question with columns unit, key_question, sufficient, applicable[, not_applicable].
    """
    _rate_and_render(**kwargs, default_rules=api.DEFAULT_RULEBOOK)


# Further command families live in their own modules, each defining `register(main)`. They are
# imported only when one of their commands is asked for, so `rate pdu` starts fast.
LAZY_COMMANDS = {
    "frameworks": "frameworks", "unit": "frameworks",
    "check-rules": "check",
    "diff": "methodology", "test": "methodology",
    "validate": "inspector", "report": "inspector", "export": "inspector",
    "confidence": "analysis", "sweep": "analysis",
}


if __name__ == "__main__":  # pragma: no cover
    main()
