"""`rate serve`: the what-if workbench in the browser (the web layer is imported only when run)."""
from __future__ import annotations

import sys

import click

from .options import ANY_PATH, PATH, input_kwargs, input_options
from .output import echo_audit, echo_messages


def register(main: click.Group) -> None:
    main.add_command(serve_command)


@click.command("serve")
@click.argument("corpus", nargs=-1, required=True, type=ANY_PATH)
@click.option("--rules", "-r", default="probation-pdu-2021", show_default=True, metavar="RULEBOOK",
              help="The base rulebook: a file or shipped id (see 'rate frameworks').")
@click.option("--recorded", type=PATH, default=None, metavar="RATINGS",
              help="Compare with recorded ratings (CSV or .xlsx: unit, standard, rating; standard 'overall' for the "
                   "overall rating) instead of ratings recomputed under the base.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0: a free one).")
@click.option("--open", "open_browser", is_flag=True, help="Also open the page in the default web browser.")
@click.option("--allow-partial", is_flag=True,
              help="Give overall ratings, labelled partial, to units with judgement standards missing.")
@input_options()
def serve_command(corpus, rules, recorded, port, open_browser, allow_partial, audit, **options):
    """Open the what-if workbench: edit the rulebook's tables in the browser and watch CORPUS move.

    CORPUS: case files, tally files, judgement files and workbooks, or folders of them (as for
    'rate diff'). The page shows the rulebook's band tables, overall rows and limits as forms;
    every edit re-rates the corpus and shows the transition matrix, the units that move with the
    change that moves them, the key-question band chart, check-rules findings and scenario
    results. The candidate can be saved as a rulebook that extends RULEBOOK, and the diff
    exported (csv, xlsx, markdown).

    Listens on 127.0.0.1 only; the printed URL carries a random access token that every request
    needs. Reads only CORPUS, RULEBOOK (and what it extends), its shipped scenarios and RATINGS.
    Needs the web extra: pip install 'ratings-engine[web]'.
    """
    from ..model.extras import MissingExtraError
    from ..web import missing

    absent = missing()
    if absent:  # one line naming the extra and the exact install command (exit 2)
        raise MissingExtraError("rate serve", absent[0], "web")
    from .. import api
    from ..web.app import serve

    bench = api.workbench(list(corpus), rules, recorded=recorded, allow_partial=allow_partial, **input_kwargs(options))
    echo_messages(bench.corpus.warnings)
    if audit:
        echo_audit(bench.corpus.inputs)

    def ready(url: str) -> None:
        click.echo(f"Workbench for {bench.base.rulebook.id} over {len(bench.bulk.units)} units: {url}")
        click.echo("Open that URL (it carries the access token). Ctrl-C stops the server.")
        sys.stdout.flush()
        if open_browser:
            import webbrowser

            webbrowser.open(url)

    try:
        serve(bench, port=port, ready=ready)
    except KeyboardInterrupt:  # pragma: no cover - interactive
        pass
