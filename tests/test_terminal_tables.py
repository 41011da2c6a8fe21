"""Text output on a terminal: tables fit its width (wrapped at spaces, never mid-word), colour for
differences and failures (not with NO_COLOR or --no-color, never in files or markdown)."""
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CASES
from hypothesis import given, settings
from hypothesis import strategies as st

from ratings_engine.cli import main
from ratings_engine.cli.output import terminal_style
from ratings_engine.render.text_table import Styled, TextStyle, fit_widths, line, table, use_style

# Paths relative to the repository root (the tests run from there): output that quotes a file name
# then has the same width wherever the repository is checked out.
EXAMPLE = Path("cases/redcar-cleveland-middlesbrough.csv")
JUDGEMENTS = Path("cases/redcar-cleveland-middlesbrough-judgements.csv")
DRAFT = Path("cases/redcar-cleveland-middlesbrough-draft.csv")


@pytest.fixture(autouse=True)
def _at_the_repository_root(monkeypatch):
    monkeypatch.chdir(CASES.parent)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def words(text: str) -> list[str]:
    """The words of a text, without colour and without the dashes under table headers."""
    return [w for w in ANSI.sub("", text).split() if set(w) != {"-"}]


def overflowing(text: str, width: int) -> list[str]:
    """Lines longer than `width` that could have been shorter: lines of a table (header, dashes, rows)
    whose columns are wider than they need be, and other lines of more than one word."""
    lines = text.splitlines()
    in_table: dict[int, bool] = {}  # line -> its table is at its narrowest
    for n, ln in enumerate(lines):
        if not (n and ln.strip() and set(ln.strip()) <= {"-", " "}):
            continue
        spans = [m.span() for m in re.finditer(r"-+", ln)]
        head = []
        for i in range(n - 1, -1, -1):  # the header, wrapped onto one line or more
            if not lines[i].strip():
                break
            head.append(i)
        body = []
        for i in range(n + 1, len(lines)):
            if not lines[i].strip():
                break
            body.append(i)
        # a column is at least its longest word wide, and its header's plus 2 (tabulate's padding)
        floors = [max([len(w) for i in body for w in lines[i][s:e].split()]
                      + [len(w) + 2 for i in head for w in lines[i][s:e].split()] + [0]) for s, e in spans]
        narrowest = all(e - s <= f for (s, e), f in zip(spans, floors))
        for i in (*head, n, *body):
            in_table[i] = narrowest
    return [ln for n, ln in enumerate(lines) if len(ln) > width
            and (not in_table[n] if n in in_table else len(ln.split()) > 1)]


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env or {})


@pytest.mark.parametrize("command", [
    ["validate", EXAMPLE, "-j", JUDGEMENTS, "--draft", DRAFT],
    ["pdu", EXAMPLE, "-j", JUDGEMENTS, "--explain"],
    ["diff", Path("cases/corpus"), "--base", "probation-pdu-2021", "--candidate", "experimental-count-caps"],
    ["confidence", EXAMPLE, "-j", JUDGEMENTS, "--resamples", "50", "-q"],
    ["check-rules", "probation-pdu-2021"],
    ["test", "probation-pdu-2021"],
])
@pytest.mark.parametrize("width", [100, 80])
def test_text_fits_the_terminal_and_no_word_is_split(command, width):
    wide = run(*command)
    narrow = run(*command, env={"COLUMNS": str(width)})
    assert narrow.exit_code == wide.exit_code, narrow.output
    assert overflowing(narrow.stdout, width) == []
    assert sorted(words(narrow.stdout)) == sorted(words(wide.stdout))  # nothing lost, no word split


def test_the_validate_table_at_100_columns_keeps_whole_words():
    out = run("validate", EXAMPLE, "-j", JUDGEMENTS, "--draft", DRAFT, env={"COLUMNS": "100"}).stdout
    assert max(len(ln) for ln in out.splitlines()) <= 100
    rows = [ln for ln in out.splitlines() if ln.startswith(("2.2 ", "1.1 "))]
    assert rows[0].split()[-1] == "agrees" and rows[1].split()[-1] == "DIFFERS"  # never 'agre' / 'es'


def test_colour_for_differences_on_a_terminal_and_never_with_no_color():
    command = ["validate", EXAMPLE, "-j", JUDGEMENTS, "--draft", DRAFT]
    coloured = run(*command, env={"FORCE_COLOR": "1"}).stdout
    differs = next(ln for ln in coloured.splitlines() if ln.startswith("2.2 "))
    assert "\x1b[1;31mDIFFERS\x1b[0m" in differs
    assert "\x1b[32magrees\x1b[0m" in next(ln for ln in coloured.splitlines() if ln.startswith("2.3 "))
    assert "\x1b[1;31mOverall result: the draft DIFFERS" in coloured
    for env, extra in (({"FORCE_COLOR": "1", "NO_COLOR": "1"}, []), ({"FORCE_COLOR": "1"}, ["--no-color"]),
                       ({}, [])):
        assert "\x1b[" not in run(*command, *extra, env=env).stdout, (env, extra)
    assert "\x1b[" not in run("--no-color", *command, env={"FORCE_COLOR": "1"}).stdout  # on the group too
    assert "\x1b[" not in run(*command, "-f", "markdown", env={"FORCE_COLOR": "1"}).stdout


def test_files_are_never_coloured_or_wrapped(tmp_path):
    out = tmp_path / "check.txt"
    run("validate", EXAMPLE, "-j", JUDGEMENTS, "--draft", DRAFT, "-o", out, env={"FORCE_COLOR": "1", "COLUMNS": "60"})
    text = out.read_text(encoding="utf-8")
    assert "\x1b[" not in text and any(len(ln) > 60 for ln in text.splitlines())


class FakeStream(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty

    def fileno(self):
        raise OSError("no terminal here")


def test_the_terminal_decision():
    assert terminal_style(FakeStream(True), {}) == TextStyle(None, True)
    assert terminal_style(FakeStream(True), {"NO_COLOR": "1"}).colour is False
    assert terminal_style(FakeStream(True), {}, no_color=True).colour is False
    assert terminal_style(FakeStream(False), {}) == TextStyle(None, False)  # a pipe
    assert terminal_style(FakeStream(False), {"FORCE_COLOR": "1", "COLUMNS": "90"}) == TextStyle(90, True)
    assert terminal_style(FakeStream(True), {"NO_COLOR": ""}).colour is True  # empty: not set (no-color.org)


def test_markdown_tables_are_never_wrapped_or_coloured():
    rows = [["2.2", "Assessment with a long name indeed", Styled("DIFFERS", "bad")]]
    with use_style(TextStyle(width=20, colour=True)):
        text = table(rows, ["", "Standard", "Result"], fmt="github")
    assert "\x1b[" not in text and "Assessment with a long name indeed" in text


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="abcdefgh ", min_size=0, max_size=40), min_size=3, max_size=3),
                min_size=1, max_size=6),
       st.integers(min_value=20, max_value=120))
def test_wrapping_keeps_every_word_and_fits_when_it_can(rows, width):
    headers = ["one", "two", "three"]
    with use_style(TextStyle(width=width)):
        text = table(rows, headers)
    plain = table(rows, headers)
    assert sorted(words(text)) == sorted(words(plain))  # nothing lost, nothing split or joined
    longest = [max([len(h) + 2] + [len(w) for r in rows for w in r[j].split()]) for j, h in enumerate(headers)]
    if sum(longest) + 2 * 2 <= width:  # it can fit (a header is padded by 2): it does
        assert max(len(ln) for ln in text.splitlines()) <= width, text


def test_column_widths_shrink_the_widest_first_never_below_the_longest_word():
    columns = [["id", "2.2"], ["Standard", "Information and facilities"], ["Result", "agrees"]]
    assert fit_widths(columns, 200) == [3, 26, 6]
    assert fit_widths(columns, 30) == [3, 17, 6]  # 3 + 17 + 6 + 2 * 2 = 30: only the wide column gave
    assert fit_widths(columns, 10) == [3, 11, 6]  # 'Information' is 11 letters: not split
    assert fit_widths(columns, 10, header_padding=2) == [4, 11, 8]  # headers 'id' + 2, 'Result' + 2


def test_long_lines_wrap_with_a_hanging_indent():
    with use_style(TextStyle(width=30)):
        text = line("2.2 Assessment (DIFFERS): computed Inadequate, draft Requires improvement", indent="  ",
                    hanging="    ")
    lines = text.splitlines()
    assert all(len(ln) <= 30 for ln in lines) and lines[0].startswith("  2.2") and lines[1].startswith("    ")
    path = "/home/inspector/cases/" + "x" * 40 + ".csv"  # longer than the terminal: kept whole
    with use_style(TextStyle(width=30)):
        assert line(f"Input (cases): {path} (sha256 abc)").splitlines() == ["Input (cases):", path, "(sha256 abc)"]
        assert path in table([[path, "agrees"]], ["File", "Result"]).splitlines()[2]
