"""The `rate` command line: parse options, call the API, render. Exit 0 ok, 2 bad input or usage."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from . import api, render
from .errors import EngineError, InputError

FORMATS = ["table", "json", "markdown"]


def _fail(message: str, code: int = 2):
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


class _Group(click.Group):
    """Turns the engine's own errors into one clear message and exit code 2, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except InputError as exc:
            lines = exc.render().splitlines()
            _fail("\n       ".join(lines))
        except EngineError as exc:
            _fail(f"rule engine failure (please report): {exc}", 1)


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
        click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout."),
        click.option("--set", "assignments", multiple=True, metavar="PATH=VALUE",
                     help="What-if: change a rulebook value, e.g. key_question_bands.rows[kq-good].min=70 (repeatable)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _rate_and_render(cases, judgements, rules, unit, fmt, explain, allow_partial, blank, ignore_column, output,
                     default_rules: str, assignments=()):
    loaded = api.get_rulebook(rules or default_rules, overrides=assignments)
    if assignments:
        click.echo(f"note: rulebook {loaded.rulebook.id} changed by --set {' --set '.join(assignments)} "
                   f"(sha256 {loaded.rulebook.sha256[:12]})", err=True)
    report = api.rate(cases, loaded, judgements=judgements, unit=unit, blank=blank,
                      ignore_columns=ignore_column, allow_partial=allow_partial)
    domains = {d.domain: d.name for d in loaded.rulebook.framework}
    if fmt == "json":
        text = render.to_json(report)
    else:
        text = render.to_table(report, domains, explain=explain, fmt="github" if fmt == "markdown" else "simple")
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    if fmt == "json" or output:
        for w in report.warnings:
            click.echo(f"warning: {w}", err=True)


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


# Further command families live in their own modules; each defines `register(main)`.
# Add one line per module here.
from .cli_analysis import register as _register_analysis; _register_analysis(main)  # noqa: E402,E702
from .cli_methodology import register as _register_methodology; _register_methodology(main)  # noqa: E402,E702
from .cli_frameworks import register as _register_frameworks; _register_frameworks(main)  # noqa: E402,E702
from .cli_inspector import register as _register_inspector; _register_inspector(main)  # noqa: E402,E702
from .cli_check import register as _register_check; _register_check(main)  # noqa: E402,E702


if __name__ == "__main__":  # pragma: no cover
    main()
