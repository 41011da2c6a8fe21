"""`rate check-rules`: static analysis of a rulebook, and (`--properties`) hypothesis property checks.

Exit 0 when clean (warnings allowed), 1 when the check finds errors or a property fails, 2 on
bad input or usage (a rulebook file that does not exist, a bad option). A rulebook file that
exists but does not load is a check error (exit 1), reported with its file and line.
Heavy imports (hypothesis) happen inside the command, so the CLI starts quickly.
"""
from __future__ import annotations

import sys

import click

from ..toolkit.check import DEFAULT_MAX_SAMPLE, MAX_SAMPLE_LIMIT
from ..toolkit.properties import DEFAULT_EXAMPLES, DEFAULT_SEED


def register(main: click.Group) -> None:
    @main.command("check-rules")
    @click.argument("rulebook", metavar="RULEBOOK")
    @click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
    @click.option("--max-sample", type=click.IntRange(1, MAX_SAMPLE_LIMIT), default=DEFAULT_MAX_SAMPLE, show_default=True,
                  help="Decide every (sufficient, applicable) pair with up to this many applicable cases through "
                       "the compiled rulebook.")
    @click.option("--set", "assignments", multiple=True, metavar="PATH=VALUE",
                  help="What-if: check the rulebook with a value changed, e.g. "
                       "key_question_bands.rows[kq-good].min=70 (repeatable).")
    @click.option("--properties", is_flag=True,
                  help="Also run hypothesis property checks: monotonicity, permutation and not-applicable invariance.")
    @click.option("--examples", type=click.IntRange(1, 10_000), default=DEFAULT_EXAMPLES, show_default=True,
                  help="Examples per property (with --properties).")
    @click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
                  help="hypothesis seed (with --properties): the same seed gives the same examples.")
    @click.pass_context
    def check_rules(ctx: click.Context, rulebook: str, fmt: str, max_sample: int, assignments: tuple[str, ...],
                    properties: bool, examples: int, seed: int) -> None:
        """Check a rulebook (file or shipped id): gaps, overlaps, hit policies, shadowed rows,
        monotonicity, overall bands for every number of scored standards, provenance grades.

        Exit 0 when clean, 1 when it finds errors (or a property fails), 2 on bad input.
        """
        from ..render.check import format_report
        from ..toolkit.check import check_rulebook

        if not properties:
            given = [f"--{name}" for name in ("examples", "seed")
                     if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT]
            if given:
                raise click.UsageError(f"{' and '.join(given)} only appl{'y' if len(given) > 1 else 'ies'} with --properties")
        report = check_rulebook(rulebook, max_sample, assignments)
        props = None
        if properties:
            from ..toolkit.properties import PropertiesReport, check_properties

            if report.rulebook is not None and report.can_rate:
                props = check_properties(report.rulebook, examples, seed)
            else:
                props = PropertiesReport(report.rulebook_id or rulebook, examples, seed,
                                         skipped="the rulebook cannot rate every input (see the errors above)")
        click.echo(format_report(report, fmt, props), nl=False)
        sys.exit(0 if report.ok and (props is None or props.ok) else 1)
