"""`rate frameworks` (list the installed rulebooks) and `rate unit` (rate with any rulebook).

Registered from cli.py with `register(main)`; heavy imports happen inside the commands.
"""
from __future__ import annotations

import json

import click


def register(main: click.Group) -> None:
    from .main import _common_rating_options, _rate_and_render

    @main.command("frameworks")
    @click.argument("rulebooks", nargs=-1, metavar="[RULEBOOK]...")
    @click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
    def frameworks(rulebooks, fmt):
        """List the installed rulebooks (inspection frameworks), or the RULEBOOK ids / files given.

        For each: id, version, title, effective dates, number of standards and of scored
        standards, the numbers of scored standards that have their own overall band rows, the
        rulebook it extends, and how many of its rules are confirmed / recalled / uncertain.
        """
        from ..model.errors import InputError
        from ..toolkit.frameworks import list_frameworks

        infos, errors = list_frameworks(rulebooks or None)
        if fmt == "json":
            click.echo(json.dumps([i.to_dict() for i in infos], indent=2, ensure_ascii=False))
        else:
            click.echo(_table(infos))
        if errors:
            raise InputError([p for e in errors for p in e.problems])

    @main.command("unit")
    @_common_rating_options
    def unit(**kwargs):
        """Rate units of any framework: --rules names the rulebook (required; see 'rate frameworks').

        CASES is a CSV with one row per case: case_id, optional unit, and one column per key
        question id of that rulebook (yes / no / n/a). A standard whose key-question columns
        are all absent is "Not inspected" and leaves the score and the maximum.
        """
        if not kwargs.get("rules"):
            raise click.UsageError("--rules is required: a shipped rulebook id (see 'rate frameworks') or a rulebook file")
        _rate_and_render(**kwargs, default_rules=kwargs["rules"])


def _table(infos) -> str:
    from tabulate import tabulate

    rows = []
    for i in infos:
        p = i.provenance
        grades = f"{p['confirmed']} / {p['recalled']} / {p['uncertain']}"
        if p.get("none"):
            grades += f" ({p['none']} without)"
        rows.append([
            i.id, i.version, i.title,
            f"{i.effective_from} to {i.effective_to or 'open'}",
            f"{i.scored} of {i.standards}",
            ", ".join(str(n) for n in i.band_rows_for) or "mean rule",
            grades,
            i.extends or "-",
        ])
    headers = ["id", "version", "title", "effective", "scored", "band rows for", "confirmed / recalled / uncertain",
               "extends"]
    return tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)
