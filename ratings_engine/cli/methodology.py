"""The methodology team's commands: `rate frameworks`, `rate check-rules`, `rate diff`, `rate test`."""
from __future__ import annotations

import sys

import click

from .options import ANY_PATH, PATH, input_kwargs, input_options, output_options
from .output import EXIT_DIFFERENCE, EXIT_OK, choose, echo_audit, echo_messages

TEXT_FORMATS = ["table", "markdown", "json"]


def register(main: click.Group) -> None:
    for command in (frameworks_command, check_rules_command, diff_command, test_command):
        main.add_command(command)


@click.command("frameworks")
@click.argument("rulebooks", nargs=-1, metavar="[RULEBOOK]...")
@click.option("--on", "on", default=None, metavar="DATE",
              help="Only the frameworks in force on this date (YYYY-MM-DD), and why several may be.")
@output_options(["table", "json"])
def frameworks_command(rulebooks, on, fmt, output, force):
    """List the installed rulebooks (inspection frameworks), or the RULEBOOK ids / files given.

    For each: id, version, title, effective dates, the kind of unit it rates, number of
    standards and of scored standards, the numbers of scored standards that have their own
    overall band rows, the rulebook it extends, and how many of its rules are confirmed /
    recalled / uncertain. With --on DATE: the ones in force that day (an experimental rulebook
    never is); several are when each rates its own kind of unit (PDU, region, youth service).
    """
    import json

    from .. import api
    from ..render.frameworks import to_table

    out = choose(fmt, output, ["table", "json"], inputs=rulebooks, force=force)
    infos = api.frameworks(rulebooks or None, on=on)
    note = api.frameworks_on(on)[1] if on is not None and not rulebooks else None
    if on is not None and rulebooks:
        note = f"{len(infos)} of the {len(rulebooks)} rulebook(s) named in force on {on}"

    def as_json() -> str:
        listed = [i.to_dict() for i in infos]
        doc = {"on": on, "in_force": listed, "note": note} if on is not None else listed
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

    out.write({"json": as_json, "table": lambda: to_table(infos) + "\n" + (f"\n{note[0].upper() + note[1:]}\n" if note else "")})


@click.command("check-rules")
@click.argument("rulebook", metavar="RULEBOOK")
@click.option("--set", "changes", multiple=True, metavar="PATH=VALUE",
              help="What-if: check the rulebook with a value changed, e.g. key_question_bands.rows[kq-good].min=70 "
                   "(repeatable).")
@click.option("--max-sample", type=click.IntRange(1, 1000), default=150, show_default=True,
              help="Decide every (sufficient, applicable) pair with up to this many applicable cases through the "
                   "compiled rulebook.")
@click.option("--properties", is_flag=True,
              help="Also run hypothesis property checks: monotonicity, permutation and not-applicable invariance.")
@click.option("--examples", type=click.IntRange(1, 10_000), default=None,
              help="Examples per property (with --properties; default 100).")
@click.option("--seed", type=int, default=None,
              help="hypothesis seed (with --properties; default 0): the same seed gives the same examples.")
@output_options(["table", "json"])
def check_rules_command(rulebook, changes, max_sample, properties, examples, seed, fmt, output, force):
    """Check a rulebook (file or shipped id): gaps, overlaps, hit policies, shadowed rows,
    monotonicity, overall bands for every number of scored standards, provenance grades.

    Exit 0 when clean (warnings allowed), 1 when it finds errors (or a property fails), 2 on
    bad input. A rulebook file that exists but does not load is a check error (exit 1).
    """
    from ..render.check import format_report
    from ..toolkit.check import check_rulebook

    if not properties and (examples is not None or seed is not None):
        given = " and ".join(name for name, v in (("--examples", examples), ("--seed", seed)) if v is not None)
        raise click.UsageError(f"{given} only appl{'y' if ' and ' in given else 'ies'} with --properties")
    out = choose(fmt, output, ["table", "json"], inputs=[rulebook], force=force)
    report = check_rulebook(rulebook, max_sample, changes)
    props = None
    if properties:
        from ..toolkit.properties import DEFAULT_EXAMPLES, DEFAULT_SEED, PropertiesReport, check_properties

        examples = examples or DEFAULT_EXAMPLES
        seed = DEFAULT_SEED if seed is None else seed
        if report.rulebook is not None and report.can_rate:
            props = check_properties(report.rulebook, examples, seed)
        else:
            props = PropertiesReport(report.rulebook_id or rulebook, examples, seed,
                                     skipped="the rulebook cannot rate every input (see the errors above)")
    out.write({f: (lambda f=f: format_report(report, f, props)) for f in ("table", "json")})
    sys.exit(EXIT_OK if report.ok and (props is None or props.ok) else EXIT_DIFFERENCE)


DIFF_FORMATS = ["table", "markdown", "json", "csv", "xlsx"]


@click.command("diff")
@click.argument("corpus", nargs=-1, required=True, type=ANY_PATH)
@click.option("--base", "-b", required=True, metavar="RULEBOOK", help="The rulebook in force: a file or shipped id.")
@click.option("--candidate", "-c", default=None, metavar="RULEBOOK",
              help="The proposed rulebook (default: the base, changed by --set).")
@click.option("--set", "changes", multiple=True, metavar="PATH=VALUE",
              help="Change a value of the CANDIDATE rulebook, e.g. key_question_bands.rows[kq-good].min=70 (repeatable; "
                   "each --set is one change, and 'P1=V1; P2=V2' makes two values one change).")
@click.option("--level", type=click.Choice(["all", "overall", "standard", "key-question"]), default="all",
              show_default=True, help="List and count only the changes of overall, standard or key-question ratings.")
@click.option("--against", type=PATH, default=None, metavar="RECORDED",
              help="Compare the candidate with recorded ratings (CSV or .xlsx: unit, standard, rating; standard "
                   "'overall' for the overall rating) instead of ratings recomputed under --base.")
@click.option("--against-sheet", default=None, metavar="NAME",
              help="Worksheet of an .xlsx RECORDED file (default: the sheet named Recorded, or the only one).")
@click.option("--fail-on-change", is_flag=True, help="Exit 1 if any overall, standard or key-question rating changes (for CI).")
@click.option("--allow-partial", is_flag=True,
              help="Give overall ratings, labelled partial, to units with judgement standards missing.")
@input_options()
@output_options(DIFF_FORMATS)
def diff_command(corpus, base, candidate, changes, level, against, against_sheet, fail_on_change, allow_partial, fmt,
                 output, force, audit, **options):
    """Rate every unit of a corpus under two rulebooks and report what changes.

    CORPUS: case files, tally files, judgement files and workbooks, or folders of them (every
    .csv and .xlsx below). A judgement file pairs with units through its 'unit' column, or,
    without one, by name: X-judgements.csv gives the judgements of the single unit in X.csv
    beside it; a workbook's Judgements sheet those of its Cases sheet.

    Lists each unit whose overall, standard or key-question rating changes (--level: one
    level only), with the rule that decided it under each rulebook, the transition matrix with
    row percentages, and a summary. Both rulebooks' sha256 content hashes are named. With two
    or more --set changes it also says which change alone moves which unit, and which units
    move only under the combination. --against compares with the ratings actually recorded.
    """
    from .. import api
    from ..model.errors import InputError
    from ..render.diff import to_csv, to_json, to_text, to_xlsx

    if candidate is None and not changes:
        raise InputError("nothing to compare: give --candidate RULEBOOK, or --set PATH=VALUE to change the base")
    if against_sheet is not None and against is None:
        raise click.UsageError("--against-sheet only applies with --against")
    out = choose(fmt, output, DIFF_FORMATS, inputs=[*corpus, against], force=force)
    report = api.diff_rulebooks(list(corpus), base, candidate, changes=changes, allow_partial=allow_partial,
                                level=level, against=against, against_sheet=against_sheet, **input_kwargs(options))
    out.write({"table": lambda: to_text(report), "markdown": lambda: to_text(report, markdown=True),
               "json": lambda: to_json(report), "csv": lambda: to_csv(report), "xlsx": lambda: to_xlsx(report)})
    if out.to_file or out.machine_readable:
        echo_messages(report.warnings)
    if audit:
        echo_audit(report.inputs)
    sys.exit(EXIT_DIFFERENCE if fail_on_change and report.changed else EXIT_OK)


@click.command("test")
@click.argument("rulebook", metavar="RULEBOOK")
@click.argument("scenarios", nargs=-1, type=ANY_PATH)
@click.option("--set", "changes", multiple=True, metavar="PATH=VALUE",
              help="Change a value of the rulebook before replaying (repeatable).")
@output_options(TEXT_FORMATS)
def test_command(rulebook, scenarios, changes, fmt, output, force):
    """Replay scenario tests against a rulebook: expected vs actual, with the rules' explanations.

    SCENARIOS: scenario files or folders of them (*.yaml); default: the rulebook's shipped
    rules/scenarios/<rulebook id>.yaml. The format is docs/scenario-format.md. Exit 1 if any
    scenario fails, 2 if a scenario file is malformed.
    """
    from .. import api
    from ..render.scenarios import to_json, to_text

    out = choose(fmt, output, TEXT_FORMATS, inputs=[rulebook, *scenarios], force=force)
    report = api.run_scenarios(rulebook, list(scenarios) or None, changes=changes)
    out.write({"table": lambda: to_text(report), "markdown": lambda: to_text(report, markdown=True),
               "json": lambda: to_json(report)})
    sys.exit(EXIT_OK if report.ok else EXIT_DIFFERENCE)
