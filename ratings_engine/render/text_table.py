"""Text tables and lines for the terminal: fitted to its width, coloured where it helps.

Every plain-text renderer builds its tables with `table()` and its long lines with `line()`.
What they do depends on the current `TextStyle` (set by the command line for standard output,
`use_style`):

* `width`: the terminal's width. A table wider than that has its widest columns narrowed and
  their text wrapped onto more lines, at spaces only: a word is never split ("agrees" never
  becomes "agre / es"); a column never gets narrower than its longest word (a table of long
  unbreakable words may stay wider than the terminal). Long lines are wrapped the same way,
  with hanging indents. `None` (files, pipes, the Python API): nothing is wrapped.
* `colour`: ANSI colour for what must stand out: differences and failures in bold red,
  warnings and FRAGILE in yellow, agreement and passes in green. Off unless the command line
  turns it on (a terminal, no `NO_COLOR`, no `--no-color`).

Markdown tables are never wrapped or coloured.
"""
from __future__ import annotations

import textwrap
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Iterator, Sequence

#: ANSI styles by meaning.
STYLES = {"bad": "\x1b[1;31m", "warn": "\x1b[33m", "good": "\x1b[32m", "strong": "\x1b[1m"}
RESET = "\x1b[0m"
SEPARATOR = 2  # spaces between the columns of tabulate's "simple" and "plain" formats
HEADER_PADDING = 2  # tabulate makes a column at least as wide as its header plus this (tabulate.MIN_PADDING)


@dataclass(frozen=True)
class TextStyle:
    width: int | None = None
    colour: bool = False


_STYLE: ContextVar[TextStyle] = ContextVar("ratings_engine_text_style", default=TextStyle())


@contextmanager
def use_style(style: TextStyle) -> Iterator[TextStyle]:
    """Render with `style` inside the block (the command line wraps standard output in this)."""
    token = _STYLE.set(style)
    try:
        yield style
    finally:
        _STYLE.reset(token)


def current_style() -> TextStyle:
    return _STYLE.get()


@dataclass(frozen=True)
class Styled:
    """A table cell with a meaning (`bad`, `warn`, `good`, `strong`): coloured when colour is on."""

    text: str
    style: str

    def __str__(self) -> str:
        return self.text


def paint(text: str, style: str | None) -> str:
    """`text` in the colour of `style` when colour is on; as it is otherwise."""
    if not style or not current_style().colour or not text:
        return text
    return f"{STYLES[style]}{text}{RESET}"


def status_style(text: str) -> str | None:
    """The style of a result word: DIFFERS, FAIL... bad; agrees, PASS, OK good; FRAGILE warn."""
    word = text.strip().split(" ")[0].rstrip(":").upper() if text.strip() else ""
    if word in ("DIFFERS", "FAIL", "FAILED", "ERROR", "ERRORS", "NOT", "NO", "MISSING"):
        return "bad"
    if word in ("FRAGILE", "WARNING", "WARNINGS", "PARTIAL"):
        return "warn"
    if word in ("AGREES", "PASS", "PASSED", "OK"):
        return "good"
    return None


def _words_width(text: str) -> int:
    return max((len(word) for part in text.splitlines() for word in part.split()), default=0)


def _lines_width(text: str) -> int:
    return max((len(part) for part in text.splitlines()), default=0)


def fit_widths(columns: Sequence[Sequence[str]], width: int, separator: int = SEPARATOR,
               header_padding: int = 0) -> list[int]:
    """Column widths that fit `width` if they can: the widest column is narrowed first, never below
    its longest word. `columns` holds each column's texts, its header first (which needs
    `header_padding` more room)."""
    def room(col: Sequence[str], measure) -> int:
        return max([measure(col[0]) + header_padding if col and col[0] else 0, *(measure(t) for t in col[1:])])

    natural = [room(col, _lines_width) for col in columns]
    floor = [room(col, _words_width) for col in columns]
    widths = list(natural)
    excess = sum(widths) + separator * max(len(widths) - 1, 0) - width
    while excess > 0:
        candidates = [i for i, w in enumerate(widths) if w > floor[i]]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: (widths[i], i))
        others = [widths[i] for i in candidates if i != widest]
        step = max(1, min(excess, widths[widest] - floor[widest], widths[widest] - max(others, default=0) or 1))
        widths[widest] -= step
        excess -= step
    return widths


def _wrap(text: str, width: int) -> str:
    out: list[str] = []
    for part in text.splitlines() or [""]:
        out.extend(textwrap.wrap(part, width=max(width, 1), break_long_words=False, break_on_hyphens=False) or [""])
    return "\n".join(out)


def table(rows: Sequence[Sequence[object]], headers: Sequence[str] = (), *, fmt: str = "simple",
          colalign: Sequence[str] | None = None, indent: str = "") -> str:
    """A tabulate table of `rows` (cells: text, numbers, None or `Styled`), fitted to the width and
    coloured by the current style; `fmt` "github" (markdown) is never wrapped or coloured."""
    from tabulate import tabulate

    plain = [["" if c is None else str(c) for c in row] for row in rows]
    styles = [[c.style if isinstance(c, Styled) else None for c in row] for row in rows]
    heads = [str(h) for h in headers]
    style = current_style()
    options = {"tablefmt": fmt, "disable_numparse": True}
    if colalign:
        options["colalign"] = tuple(colalign)
    if fmt == "github":
        return tabulate(plain, headers=heads, **options) if heads else tabulate(plain, **options)
    if style.width and plain:
        ncols = max(len(r) for r in [*plain, heads])
        columns = [[heads[j] if j < len(heads) else "", *(r[j] if j < len(r) else "" for r in plain)]
                   for j in range(ncols)]
        padding = HEADER_PADDING if heads else 0
        widths = fit_widths(columns, style.width - len(indent), header_padding=padding)
        plain = [[_wrap(c, widths[j]) for j, c in enumerate(row)] for row in plain]
        heads = [_wrap(h, widths[j] - padding) for j, h in enumerate(heads)]
    if style.colour:
        plain = [["\n".join(paint(part, s) for part in c.split("\n")) for c, s in zip(row, srow)]
                 for row, srow in zip(plain, styles)]
    text = tabulate(plain, headers=heads, **options) if heads else tabulate(plain, **options)
    return "\n".join(indent + line for line in text.splitlines()) if indent else text


def line(text: str, *, indent: str = "", hanging: str | None = None, style: str | None = None) -> str:
    """A line of text, wrapped at spaces to the current width (continuation lines indented by
    `hanging`, default the same as `indent`), and coloured by `style` when colour is on."""
    width = current_style().width
    if width and len(indent) + len(text) > width:
        wrapped = textwrap.fill(text, width=width, initial_indent=indent,
                                subsequent_indent=indent if hanging is None else hanging,
                                break_long_words=False, break_on_hyphens=False)
    else:
        wrapped = indent + text
    return "\n".join(paint(part, style) for part in wrapped.split("\n")) if style else wrapped
