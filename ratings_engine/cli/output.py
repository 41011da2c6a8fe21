"""The output layer of every command: which format, where, written safely; messages; exit codes.

* The format is `--format`, or else the `--output` file's extension (`EXTENSIONS`), or else the
  command's default; a `--format` that contradicts a known extension is a usage error, and so is
  a format the command cannot write.
* Files are written atomically (`io.files`): an interrupted run never leaves a half-written file
  under the user's name. The output may not be one of the run's own inputs, and a symbolic link
  is not written through without `--force`.
* Binary formats (xlsx, pdf) need `--output`.
* Text written to a terminal is fitted to its width and coloured (`terminal_style`); written to a
  file or a pipe it is neither.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterable, Union

import click

from ..model.extras import require
from ..model.text import safe_lines

#: Exit codes, one meaning each (README, "Exit codes").
EXIT_OK = 0
EXIT_DIFFERENCE = 1  # checked, and found a difference or a failure
EXIT_BAD_INPUT = 2  # bad input or usage
EXIT_INTERNAL = 3  # internal or rule-engine error
EXIT_INCOMPLETE = 4  # rated, but an overall rating was refused (e.g. judgement standards missing)

EXTENSIONS = {".txt": "table", ".text": "table", ".json": "json", ".md": "markdown", ".markdown": "markdown",
              ".csv": "csv", ".xlsx": "xlsx", ".html": "html", ".htm": "html", ".pdf": "pdf"}
BINARY = {"xlsx", "pdf"}

@dataclass(frozen=True)
class Streamed:
    """A renderer that writes its content piece by piece to a text handle (e.g. JSON unit by unit),
    never holding it whole; it takes the place of a renderer function in `Output.write`."""

    write_to: Callable[[IO[str]], None]


Content = Union[str, bytes]


class OutputError(click.UsageError):
    """A usage problem with --format / --output (exit 2)."""


@dataclass(frozen=True)
class Output:
    """Where and how one command writes its result."""

    fmt: str
    path: Path | None

    @property
    def to_file(self) -> bool:
        return self.path is not None

    @property
    def machine_readable(self) -> bool:
        return self.fmt in ("json", "csv", "xlsx")

    def write(self, renderers: dict[str, Callable[[], Content] | Streamed]) -> None:
        """Render in this output's format and write it (stdout or the file, atomically)."""
        if isinstance(renderers[self.fmt], Streamed):
            self._stream(renderers[self.fmt])
            return
        if self.path is None:
            from ..render.text_table import use_style

            ctx = click.get_current_context(silent=True)
            no_color = bool(ctx is not None and ctx.meta.get("ratings_engine.no_color"))
            with use_style(terminal_style(sys.stdout, os.environ, no_color=no_color)) as style:
                content = renderers[self.fmt]()
            if isinstance(content, bytes):
                raise OutputError(f"--format {self.fmt} is a binary format: give --output FILE")
            if self.machine_readable:  # JSON and CSV: the data's control characters escaped as \uXXXX (text and
                content = safe_lines(content)  # markdown escape each name themselves, and colour their own lines)
            click.echo(content, nl=False, color=style.colour)  # click would strip the colour on a pipe
            return
        content = renderers[self.fmt]()
        from ..io.files import write_bytes, write_text

        if isinstance(content, bytes):
            write_bytes(self.path, content)
        elif self.fmt == "csv":  # with a byte-order mark, so Excel reads it as UTF-8
            write_text(self.path, content, encoding="utf-8-sig", newline="")
        else:
            write_text(self.path, content)


    def _stream(self, content: Streamed) -> None:
        if self.path is None:
            try:
                content.write_to(_SafeText(sys.stdout))  # the data's control characters escaped as \uXXXX
                sys.stdout.flush()
            except BrokenPipeError:  # the reader stopped early (`| head`): nothing more to say to it
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            return
        from ..io.files import atomic_output

        with atomic_output(self.path) as handle:
            content.write_to(handle)


class _SafeText:
    """A text handle that escapes control characters on their way to a terminal (JSON reads them back)."""

    def __init__(self, handle: IO[str]):
        self._handle = handle

    def write(self, text: str) -> int:
        return self._handle.write(safe_lines(text))

    def flush(self) -> None:
        self._handle.flush()


def choose(fmt: str | None, path: Path | None, formats: Iterable[str], default: str = "table", *,
           inputs: Iterable[Path | str | None] = (), force: bool = False) -> Output:
    """The output of a command that can write `formats`, from its --format, --output and --force."""
    formats = list(formats)
    implied = EXTENSIONS.get(path.suffix.lower()) if path is not None else None
    if fmt is not None and implied is not None and fmt != implied and not (fmt == "table" and implied == "table"):
        raise OutputError(f"--format {fmt} contradicts --output {path} (a {path.suffix} file is {implied}): "
                          "change one of them")
    chosen = fmt or implied or default
    if chosen not in formats:
        raise OutputError(f"this command cannot write {chosen}"
                          + (f" (from the extension of {path})" if fmt is None and implied else "")
                          + f"; formats: {', '.join(formats)}")
    if chosen in BINARY and path is None:
        raise OutputError(f"--format {chosen} is a binary format: give --output FILE.{'xlsx' if chosen == 'xlsx' else chosen}")
    if path is not None:
        _check_target(path, inputs, force)
    if chosen == "xlsx":  # before the work, not after it: the [excel] extra, or one clear error
        require("openpyxl", f"writing {path} (an .xlsx workbook)")
    return Output(chosen, path)


def _check_target(path: Path, inputs: Iterable[Path | str | None], force: bool) -> None:
    if path.is_dir():
        raise OutputError(f"--output {path} is a folder; give a file name")
    if path.is_symlink() and not force:
        raise OutputError(f"--output {path} is a symbolic link; refusing to write through it (use --force)")
    target = path.resolve()
    for given in inputs:
        if given is None or str(given) == "-":
            continue
        try:
            source = Path(given).resolve()
            same = source == target or (source.is_dir() and source in target.parents and target.exists())
            # (a file of a corpus folder read by this run)
        except OSError:
            same = False
        if same:
            raise OutputError(f"--output {path} would overwrite an input of this run ({given}); choose another file")


def terminal_style(stream, environ, *, no_color: bool = False):
    """How text for `stream` looks: fitted to the terminal's width (or $COLUMNS when set), and in
    colour on a terminal unless `--no-color` or $NO_COLOR (any value); $FORCE_COLOR turns colour
    on for a pipe (e.g. `| less -R`). A file or pipe gets no wrapping and no colour."""
    from ..render.text_table import TextStyle

    try:
        tty = bool(stream.isatty())
    except (AttributeError, ValueError):
        tty = False
    columns = environ.get("COLUMNS", "").strip()
    width = int(columns) if columns.isdigit() and int(columns) > 20 else None
    if width is None and tty:
        try:
            width = os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            width = None
    colour = not no_color and not environ.get("NO_COLOR") and (tty or bool(environ.get("FORCE_COLOR")))
    return TextStyle(width, colour)


def echo_messages(warnings: Iterable[str] = (), notes: Iterable[str] = ()) -> None:
    """Warnings and notes on stderr (for outputs that do not carry them: files, JSON, CSV)."""
    for n in notes:
        click.echo(f"note: {safe_lines(n)}", err=True)  # data in messages: no control codes reach a terminal
    for w in warnings:
        click.echo(f"warning: {safe_lines(w)}", err=True)


def audit_text(inputs) -> str:
    """Each input file's rows as a small table: read = used + skipped (by reason), and flagged rows."""
    from tabulate import tabulate

    blocks = []
    for i in inputs:
        audit = i.get("audit") or {}
        digest = f" (sha256 {i['sha256'][:12]})" if i.get("sha256") else ""
        sheet = f", sheet {i['sheet']!r}" if i.get("sheet") else ""
        rows = [["lines read", audit["lines_read"]]] if "lines_read" in audit else []
        if audit.get("line_breaks_in_text_cells"):
            rows.append(["  of which inside free-text cells", audit["line_breaks_in_text_cells"]])
        rows += [["rows read", audit.get("rows_read")], ["rows used", audit.get("rows_used")]]
        rows += [[f"skipped: {reason}", n] for reason, n in (audit.get("rows_skipped") or {}).items()]
        rows += [[f"flagged (used): {reason}", n] for reason, n in (audit.get("rows_flagged") or {}).items()]
        table = tabulate(rows, tablefmt="plain", disable_numparse=True, colalign=("left", "right"))
        blocks.append(f"audit: {i['kind']} {i['file']}{sheet}{digest}\n"
                      + "\n".join("  " + line for line in table.splitlines()))
    return "\n".join(blocks) + "\n"


def echo_audit(inputs) -> None:
    click.echo(audit_text(inputs), err=True, nl=False)


def debug() -> bool:
    """RATINGS_ENGINE_DEBUG=1 shows the traceback of an internal error."""
    return os.environ.get("RATINGS_ENGINE_DEBUG", "") not in ("", "0")


def stderr_is_tty() -> bool:
    return sys.stderr.isatty()
