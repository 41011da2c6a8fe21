"""`rate diff` and `rate test`: compare rulebooks over a corpus, and replay scenario tests.

Registered on the `rate` group by `register(main)`. The modules doing the work are imported
inside the commands, so other commands do not pay for them.

Exit codes: 0 ok; 1 `rate diff --fail-on-change` found a change, or a scenario failed; 2 bad
input, a malformed rulebook or scenario file, or bad usage.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

FORMATS = ["table", "json", "markdown"]


def register(main: click.Group) -> None:
    main.add_command(diff_command)
    main.add_command(test_command)


def _emit(text: str, output: Path | None) -> None:
    if output:
        from ..io.files import write_text

        write_text(output, text)
    else:
        click.echo(text, nl=False)


@click.command("diff")
@click.argument("corpus", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--base", "-b", required=True, metavar="RULEBOOK", help="The rulebook in force: a file or shipped id.")
@click.option("--candidate", "-c", default=None, metavar="RULEBOOK",
              help="The proposed rulebook (default: the base, changed by --set).")
@click.option("--set", "assignments", multiple=True, metavar="PATH=VALUE",
              help="Change a value of the CANDIDATE rulebook, e.g. key_question_bands.rows[kq-good].min=70 (repeatable).")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--fail-on-change", is_flag=True, help="Exit 1 if any overall, standard or key-question rating changes (for CI).")
@click.option("--allow-partial", is_flag=True,
              help="Give overall ratings, labelled partial, to units with judgement standards missing.")
@click.option("--blank", type=click.Choice(["error", "not-applicable"]), default="error", show_default=True,
              help="What a blank answer cell in a case file means.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
def diff_command(corpus, base, candidate, assignments, fmt, fail_on_change, allow_partial, blank, output):
    """Rate every unit of a corpus under two rulebooks and report what changes.

    CORPUS: case files, tally files and judgement files, or folders of them (every *.csv
    below). A judgement file pairs with units through its 'unit' column, or, without one,
    by name: X-judgements.csv gives the judgements of the single unit in X.csv beside it.

    Lists each unit whose overall, standard or key-question rating changes, with the rule
    that decided it under each rulebook, a transition matrix of overall ratings, and a
    summary. Both rulebooks' sha256 content hashes are named.
    """
    from .. import api
    from ..model.errors import InputError
    from ..render.diff import to_json, to_text
    from ..toolkit.diff import diff_corpus

    if candidate is None and not assignments:
        raise InputError("nothing to compare: give --candidate RULEBOOK, or --set PATH=VALUE to change the base")
    base_loaded = api.load_rulebook(base)
    cand_loaded = api.load_rulebook(candidate if candidate is not None else base_loaded, changes=assignments)
    report = diff_corpus(corpus, base_loaded, cand_loaded, allow_partial=allow_partial, blank=blank,
                         candidate_overrides=assignments)
    _emit(to_json(report) if fmt == "json" else to_text(report, markdown=fmt == "markdown"), output)
    if fmt == "json" or output:
        for w in report.warnings:
            click.echo(f"warning: {w}", err=True)
    if fail_on_change and report.changed:
        sys.exit(1)


@click.command("test")
@click.argument("rulebook", metavar="RULEBOOK")
@click.argument("scenarios", nargs=-1, type=click.Path(path_type=Path))
@click.option("--set", "assignments", multiple=True, metavar="PATH=VALUE",
              help="Change a value of the rulebook before replaying (repeatable).")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
def test_command(rulebook, scenarios, assignments, fmt, output):
    """Replay scenario tests against a rulebook: expected vs actual, with the rules' explanations.

    SCENARIOS: scenario files or folders of them (*.yaml); default: the rulebook's shipped
    rules/scenarios/<rulebook id>.yaml. The format is docs/scenario-format.md. Exit 1 if any
    scenario fails, 2 if a scenario file is malformed.
    """
    from .. import api
    from ..render.scenarios import to_json, to_text
    from ..toolkit.scenarios import run_scenario_paths

    loaded = api.load_rulebook(rulebook, changes=assignments)
    report = run_scenario_paths(list(scenarios), loaded, overrides=assignments)
    _emit(to_json(report) if fmt == "json" else to_text(report, markdown=fmt == "markdown"), output)
    if not report.ok:
        sys.exit(1)
