"""The `rate` command line: the group, lazy command loading, and errors turned into exit codes.

Commands live in their own modules (see LAZY_COMMANDS) and are imported only when run, so
`rate --help`, `rate --version` and shell completion import neither pandas nor pydantic. Every
command is thin: shared options (`cli.options`) -> one API call -> the output layer
(`cli.output`). Exit codes (one meaning each): 0 success; 1 checked and found a difference or
a failure; 2 bad input or usage; 3 internal or rule-engine error; 4 rated, but an overall
rating was refused (e.g. judgement standards missing).
"""
from __future__ import annotations

import importlib
import sys

import click

from .._version import __version__
from ..model.text import safe_lines
from .options import no_color_option
from .output import EXIT_BAD_INPUT, EXIT_INTERNAL, debug

#: command -> the module (in this package) that defines and registers it.
LAZY_COMMANDS = {
    "pdu": "rating", "unit": "rating",
    "validate": "inspector", "report": "inspector", "export": "inspector",
    "frameworks": "methodology", "check-rules": "methodology", "diff": "methodology", "test": "methodology",
    "confidence": "analysis", "sweep": "analysis",
    "serve": "serve",
    "template": "template",
    "region": "regional", "show": "regional",
}


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {safe_lines(message)}", err=True)  # file names and cells quoted: no control codes
    sys.exit(code)


class _Group(click.Group):
    """Loads command modules lazily, and turns the engine's errors into one clear message and an
    exit code (2 bad input, 3 internal error), never a traceback."""

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx, name):
        if name not in self.commands and name in LAZY_COMMANDS:
            importlib.import_module(f".{LAZY_COMMANDS[name]}", __package__).register(self)
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        from ..model.errors import EngineError, InputError

        try:
            return super().invoke(ctx)
        except InputError as exc:
            _fail("\n       ".join(exc.render().splitlines()), EXIT_BAD_INPUT)
        except EngineError as exc:
            _fail(f"rule engine failure (please report): {exc}", EXIT_INTERNAL)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except OSError as exc:  # e.g. a file that vanished mid-run: an input problem, not a crash
            _fail(f"{exc.filename}: {exc.strerror or exc}" if exc.filename else str(exc), EXIT_BAD_INPUT)
        except Exception as exc:  # noqa: BLE001 - a bug: one line, exit 3; the traceback on request
            if debug():
                raise
            _fail(f"internal error (please report): {type(exc).__name__}: {exc} "
                  "(set RATINGS_ENGINE_DEBUG=1 for the traceback)", EXIT_INTERNAL)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rate")
@no_color_option
def main():
    """Inspection ratings from case evidence, by declarative rulebooks, with explanations.

    \b
    Exit codes: 0 success; 1 checked and found a difference or failure (a draft differs, a
    scenario or rule check failed, --fail-on-change); 2 bad input or usage; 3 internal or
    rule-engine error; 4 rated, but an overall rating was refused (judgement standards missing).
    """


if __name__ == "__main__":  # pragma: no cover
    main()
