"""`rate confidence` and `rate sweep`: sampling uncertainty and what-if sweeps."""
from __future__ import annotations

from pathlib import Path

import click

from .options import ANY_PATH, PATH, input_kwargs, input_options, output_options, rating_kwargs, rating_options, rules_option
from .output import choose, echo_audit, echo_messages

CONFIDENCE_FORMATS = ["table", "markdown", "json"]
SWEEP_FORMATS = ["table", "markdown", "csv", "json"]


def register(main: click.Group) -> None:
    main.add_command(confidence_command)
    main.add_command(sweep_command)


@click.command("confidence")
@click.argument("cases", type=PATH)
@rules_option(default="probation-pdu-2021")
@rating_options(overrides=False)
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
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@input_options()
@output_options(CONFIDENCE_FORMATS)
def confidence_command(cases, rules, changes, resamples, seed, level, method, fragile, quiet, fmt, output, force,
                       audit, **options):
    """How secure is each rating? Intervals for key-question percentages, and the probability of
    each standard and overall rating under bootstrap resampling of the unit's cases.

    Resamples keep each case's answers together; judgement standards are fixed across resamples.
    The output is reproducible: the same --seed gives the same probabilities.
    """
    from .. import api
    from ..render.confidence import to_json, to_text

    inputs, rating = input_kwargs(options), rating_kwargs(options)
    out = choose(fmt, output, CONFIDENCE_FORMATS, inputs=[cases, rating.get("judgements")], force=force)
    report = api.confidence(cases, rules, changes=changes, resamples=resamples, seed=seed, level=level,
                            method=method, fragile=fragile, quiet=quiet, **inputs, **rating)
    out.write({"table": lambda: to_text(report), "markdown": lambda: to_text(report, markdown=True),
               "json": lambda: to_json(report)})
    echo_messages(report.warnings)
    if audit:
        echo_audit(report.inputs)


@click.command("sweep")
@click.argument("corpus", nargs=-1, required=True, type=ANY_PATH)
@click.option("--vary", "vary", multiple=True, required=True, metavar="PATH",
              help="Rulebook value to vary, e.g. 'key_question_bands.rows[kq-good].min'. Repeat to move several "
                   "values together (they all take the same value).")
@click.option("--from", "start", metavar="A", help="First value.")
@click.option("--to", "stop", metavar="B", help="Last value (inclusive, when a whole number of steps away).")
@click.option("--step", metavar="S", help="Step (positive).")
@click.option("--values", "value_list", metavar="V1,V2,...", help="Explicit values instead of --from/--to/--step.")
@click.option("--judgements", "-j", type=PATH, help="One more judgements file, with a unit column (standard,rating,unit).")
@rules_option(default="probation-pdu-2021")
@click.option("--allow-partial", is_flag=True, help="Rate the overall, labelled PARTIAL, when judgements are missing.")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), help="Also draw the curves to this .png or .svg file.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@input_options()
@output_options(SWEEP_FORMATS)
def sweep_command(corpus, vary, start, stop, step, value_list, judgements, rules, changes, allow_partial, chart, quiet,
                  fmt, output, force, audit, **options):
    """Vary one rulebook value across a corpus and count, per value, the units with each overall
    and standard rating (and the key-question ratings).

    CORPUS is one or more case files, tally files, judgement files, workbooks or folders of them
    (as `rate diff` reads them); a file may hold several units (a unit column).
    """
    from .. import api
    from ..model.errors import InputError
    from ..model.extras import require
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
    if chart is not None:  # before the sweep, not after it: the [charts] extra, or one clear error
        require("matplotlib", "rate sweep --chart")
    out = choose(fmt, output, SWEEP_FORMATS, inputs=[*corpus, judgements], force=force)
    report = api.sweep(list(corpus), rules, vary=list(vary), values=values, judgements=judgements,
                       allow_partial=allow_partial, changes=changes, quiet=quiet, **input_kwargs(options))
    out.write({"table": lambda: to_text(report), "markdown": lambda: to_text(report, markdown=True),
               "csv": lambda: to_csv(report), "json": lambda: to_json(report)})
    if chart is not None:
        draw(report, chart)
        click.echo(f"chart written to {chart}", err=True)
    echo_messages(report.warnings)
    if audit:
        echo_audit(report.inputs)
