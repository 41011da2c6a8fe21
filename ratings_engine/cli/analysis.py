"""`rate confidence` and `rate sweep`: sampling uncertainty and what-if sweeps.

Registered on the `rate` group by `register(main)`. Heavy modules are imported inside the
commands, so `rate pdu` does not pay for them.
"""
from __future__ import annotations

from pathlib import Path

import click


def _write(text: str, output: Path | None) -> None:
    from ..io.files import write_text

    if output:
        write_text(output, text)
    else:
        click.echo(text, nl=False)


def register(main: click.Group) -> None:
    main.add_command(confidence_command)
    main.add_command(sweep_command)


_path = click.Path(dir_okay=False, path_type=Path)


@click.command("confidence")
@click.argument("cases", type=_path)
@click.option("--judgements", "-j", type=_path, help="CSV of judgement standards' ratings: standard,rating[,reason][,unit].")
@click.option("--rules", "-r", default=None, metavar="RULEBOOK", help="Rulebook file or shipped rulebook id.")
@click.option("--unit", "-u", default=None, help="Only this unit (or name the unit of a file without a unit column).")
@click.option("--set", "assignments", multiple=True, metavar="PATH=VALUE",
              help="What-if: change a rulebook value first, e.g. policies.minimum_applicable.value=5 (repeatable).")
@click.option("--resamples", "-n", type=click.IntRange(1, 100_000), default=1000, show_default=True,
              help="Bootstrap resamples per unit.")
@click.option("--seed", type=click.IntRange(min=0), default=2021, show_default=True,
              help="Random seed: the same seed gives the same output.")
@click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95, show_default=True,
              help="Confidence level of the key-question intervals.")
@click.option("--interval", "method", type=click.Choice(["wilson", "exact"]), default="wilson", show_default=True,
              help="Wilson score or exact (Clopper-Pearson) intervals.")
@click.option("--fragile", type=click.FloatRange(0, 1, min_open=True), default=0.8, show_default=True,
              help="Flag a rating as FRAGILE when its most likely outcome has a probability under this.")
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table", show_default=True)
@click.option("--allow-partial", is_flag=True, help="Rate the overall, labelled PARTIAL, when judgements are missing.")
@click.option("--blank", type=click.Choice(["error", "not-applicable"]), default="error", show_default=True,
              help="What a blank answer cell means.")
@click.option("--ignore-column", multiple=True, metavar="NAME", help="A column to skip on purpose (repeatable).")
@click.option("--output", "-o", type=_path, help="Write here instead of stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def confidence_command(cases, judgements, rules, unit, assignments, resamples, seed, level, method, fragile, fmt,
                       allow_partial, blank, ignore_column, output, quiet):
    """How secure is each rating? Intervals for key-question percentages, and the probability of
    each standard and overall rating under bootstrap resampling of the unit's cases.

    Resamples keep each case's answers together; judgement standards are fixed across resamples.
    The output is reproducible: the same --seed gives the same probabilities.
    """
    from .. import api
    from ..render.confidence import to_json, to_text

    report = api.confidence(cases, rules or api.DEFAULT_RULEBOOK, judgements=judgements, unit=unit,
                            resamples=resamples, seed=seed, level=level, method=method, fragile=fragile,
                            allow_partial=allow_partial, blank=blank, ignore_columns=ignore_column, changes=assignments,
                            quiet=quiet)
    text = to_json(report) if fmt == "json" else to_text(report, markdown=fmt == "markdown")
    _write(text, output)
    for w in report.warnings:
        click.echo(f"warning: {w}", err=True)


@click.command("sweep")
@click.argument("corpus", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--vary", "vary", multiple=True, required=True, metavar="PATH",
              help="Rulebook value to vary, e.g. 'key_question_bands.rows[kq-good].min'. Repeat to move several "
                   "values together (they all take the same value).")
@click.option("--from", "start", metavar="A", help="First value.")
@click.option("--to", "stop", metavar="B", help="Last value (inclusive, when a whole number of steps away).")
@click.option("--step", metavar="S", help="Step (positive).")
@click.option("--values", "value_list", metavar="V1,V2,...", help="Explicit values instead of --from/--to/--step.")
@click.option("--judgements", "-j", type=_path, help="CSV of judgement ratings with a unit column (standard,rating,unit).")
@click.option("--rules", "-r", default=None, metavar="RULEBOOK", help="Rulebook file or shipped rulebook id.")
@click.option("--set", "assignments", multiple=True, metavar="PATH=VALUE",
              help="What-if: change a rulebook value first, e.g. policies.minimum_applicable.value=5 (repeatable).")
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--chart", type=_path, help="Also draw the curves to this .png or .svg file.")
@click.option("--allow-partial", is_flag=True, help="Rate the overall, labelled PARTIAL, when judgements are missing.")
@click.option("--blank", type=click.Choice(["error", "not-applicable"]), default="error", show_default=True)
@click.option("--output", "-o", type=_path, help="Write here instead of stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def sweep_command(corpus, vary, start, stop, step, value_list, judgements, rules, assignments, fmt, chart,
                  allow_partial, blank, output, quiet):
    """Vary one rulebook value across a corpus of case files and count, per value, the units
    with each overall and standard rating (and the key-question ratings).

    CORPUS is one or more case files, tally files, judgement files or folders of them (as read by
    the corpus reader); a file may hold several units (a unit column).
    """
    from .. import api
    from ..model.errors import InputError
    from ..render.sweep import chart as draw, to_csv, to_json, to_text
    from ..toolkit.sweep import value_range

    ranged = [x is not None for x in (start, stop, step)]
    if value_list is not None:
        if any(ranged):
            raise InputError("give either --values or --from/--to/--step, not both")
        values = [v.strip() for v in value_list.split(",") if v.strip()]
        if not values:
            raise InputError(f"--values {value_list!r}: give comma-separated values")
    elif all(ranged):
        values = value_range(start, stop, step)
    else:
        missing = [name for name, given in zip(("--from", "--to", "--step"), ranged) if not given]
        raise InputError(f"missing {', '.join(missing)}: give --from A --to B --step S (or --values)")
    if chart is not None and chart.suffix.lower() not in (".png", ".svg"):
        raise InputError(f"--chart {chart}: give a file name ending in .png or .svg")
    report = api.sweep(list(corpus), rules or api.DEFAULT_RULEBOOK, vary=list(vary), values=values,
                       judgements=judgements, allow_partial=allow_partial, blank=blank, changes=assignments, quiet=quiet)
    text = {"csv": to_csv, "json": to_json}.get(fmt, to_text)(report)
    _write(text, output)
    if chart is not None:
        draw(report, chart)
        click.echo(f"chart written to {chart}", err=True)
    for w in report.warnings:
        click.echo(f"warning: {w}", err=True)
