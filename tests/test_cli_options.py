"""One product: the same input and output options on every command, formats by extension, safe
writes, exit codes that mean one thing each, workbooks read by sheet name, and a documented API."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ratings_engine.cli import main
from ratings_engine.cli.main import LAZY_COMMANDS
from ratings_engine.cli.options import INPUT_OPTIONS, OUTPUT_OPTIONS

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "cases"
EXAMPLE = CASES / "redcar-cleveland-middlesbrough.csv"
JUDGEMENTS = CASES / "redcar-cleveland-middlesbrough-judgements.csv"
DRAFT_CSV = CASES / "redcar-cleveland-middlesbrough-draft.csv"
DRAFT_YAML = CASES / "redcar-cleveland-middlesbrough-draft.yaml"
WORKBOOK = CASES / "redcar-cleveland-middlesbrough.xlsx"
CORPUS = CASES / "corpus"

#: Written by hand: which commands read evidence (cases, tallies, judgements) and which write results.
READS_EVIDENCE = {"pdu", "unit", "validate", "report", "export", "confidence", "sweep", "diff", "serve", "region"}
WRITES_RESULTS = {"pdu", "unit", "validate", "report", "export", "confidence", "sweep", "diff", "test",
                  "check-rules", "frameworks", "template", "region", "show"}


def _options(command: click.Command) -> set[str]:
    return {opt for p in command.params if isinstance(p, click.Option) for opt in p.opts}


def _command(name: str) -> click.Command:
    return main.get_command(click.Context(main), name)


def invoke(*args: str) -> "click.testing.Result":
    return CliRunner().invoke(main, [str(a) for a in args])


#: Commands that write no result file: `serve` runs the workbench (its downloads are its outputs).
SERVES = {"serve"}


def test_the_command_table_is_the_hand_written_one():
    assert set(LAZY_COMMANDS) == WRITES_RESULTS | SERVES


@pytest.mark.parametrize("name", sorted(READS_EVIDENCE))
def test_every_command_that_reads_evidence_has_the_shared_input_options(name):
    missing = set(INPUT_OPTIONS) - _options(_command(name))
    assert not missing, f"rate {name} lacks {sorted(missing)}"
    help_text = invoke(name, "--help").stdout
    for option in INPUT_OPTIONS:
        assert option in help_text


@pytest.mark.parametrize("name", sorted(WRITES_RESULTS))
def test_every_command_that_writes_results_has_format_and_output(name):
    assert set(OUTPUT_OPTIONS) <= _options(_command(name))
    help_text = invoke(name, "--help").stdout
    assert "--format" in help_text and "--output" in help_text


@pytest.mark.parametrize("name", ["validate", "report", "export"])
def test_commands_that_read_drafts_and_overrides_have_their_sheet_options(name):
    assert {"--draft-sheet", "--overrides-sheet"} <= _options(_command(name))


# ---- formats chosen by the output file's extension -------------------------------------------

#: command -> (arguments, {extension: a check of the written file}). The checks are independent of the
#: renderers: JSON parses and has the command's document shape, xlsx is a zip (PK), html starts with a
#: doctype, markdown has a table row, csv a header row with the expected first column.
def _is_json(key):
    return lambda data: key in json.loads(data.decode("utf-8"))


def _is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def _is_html(data: bytes) -> bool:
    return data.lstrip().lower().startswith(b"<!doctype html")


def _is_markdown(data: bytes) -> bool:
    return b"\n|" in data or data.startswith(b"|") or b"# " in data


def _csv_starting(first: str):
    return lambda data: data.decode("utf-8-sig").splitlines()[0].split(",")[0] == first


CASES_ARGS = [EXAMPLE, "-j", JUDGEMENTS]
EXTENSION_CASES = {
    "pdu": (CASES_ARGS, {".json": _is_json("units"), ".md": _is_markdown, ".csv": _csv_starting("unit"),
                         ".xlsx": _is_xlsx, ".html": _is_html}),
    "unit": ([*CASES_ARGS, "--rules", "probation-pdu-2021"], {".json": _is_json("units"), ".xlsx": _is_xlsx}),
    "validate": ([*CASES_ARGS, "--draft", DRAFT_CSV], {".json": _is_json("agrees"), ".md": _is_markdown,
                                                       ".xlsx": _is_xlsx, ".html": _is_html}),
    "report": (CASES_ARGS, {".html": _is_html}),
    "export": (CASES_ARGS, {".xlsx": _is_xlsx, ".csv": _csv_starting("unit"), ".json": _is_json("units")}),
    "confidence": ([*CASES_ARGS, "--resamples", "20", "-q"], {".json": _is_json("units"), ".md": _is_markdown}),
    "sweep": ([CORPUS, "--vary", "key_question_bands.rows[kq-good].min", "--vary",
               "key_question_bands.rows[kq-requires-improvement].below", "--values", "60,65", "-q"],
              {".csv": _csv_starting("value"), ".json": _is_json("values"), ".md": _is_markdown}),
    "diff": ([CORPUS, "--base", "probation-pdu-2021", "--set", "key_question_bands.rows[kq-good].min=70",
              "--set", "key_question_bands.rows[kq-requires-improvement].below=70"],
             {".json": _is_json("transitions"), ".md": _is_markdown, ".csv": _csv_starting("unit"),
              ".xlsx": _is_xlsx}),
    "test": (["probation-pdu-2021"], {".json": _is_json("results"), ".md": _is_markdown}),
    "check-rules": (["probation-pdu-2021"], {".json": _is_json("errors")}),
    "frameworks": ([], {".json": lambda data: isinstance(json.loads(data), list)}),
    "template": (["--rules", "probation-pdu-2021"], {".xlsx": _is_xlsx, ".csv": _csv_starting("case_id")}),
    "region": ([CASES / "probation-region-2023-example.csv"],
               {".json": _is_json("regions"), ".md": _is_markdown, ".csv": _csv_starting("unit"), ".xlsx": _is_xlsx,
                ".html": _is_html}),
    "show": (["probation-region-2023"], {".json": _is_json("resolved"), ".md": _is_markdown, ".html": _is_html}),
}
EXTENSION_RUNS = [(name, ext) for name, (_, checks) in EXTENSION_CASES.items() for ext in checks]


@pytest.mark.parametrize("name,ext", EXTENSION_RUNS)
def test_the_output_extension_chooses_the_format(name, ext, tmp_path):
    args, checks = EXTENSION_CASES[name]
    target = tmp_path / f"out{ext}"
    result = invoke(name, *args, "-o", target)
    assert result.exit_code in (0, 1), result.output  # validate's draft differs: 1
    assert result.stdout == ""  # everything went to the file
    assert checks[ext](target.read_bytes()), target.read_bytes()[:200]


def test_every_command_is_covered_by_the_extension_test():
    assert set(EXTENSION_CASES) == WRITES_RESULTS


@pytest.mark.parametrize("args,message", [
    (["--format", "json", "-o", "{tmp}/x.csv"], "--format json contradicts --output"),
    (["--pdf", "-f", "json"], "--pdf contradicts --format json"),
    (["--format", "xlsx"], "binary format: give --output"),
    (["-o", "{tmp}"], "is a directory"),
])
def test_output_usage_errors_exit_2(args, message, tmp_path):
    result = invoke("pdu", *CASES_ARGS, *[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2 and message in result.stderr, result.output


def test_an_output_may_not_overwrite_an_input_of_the_run(tmp_path):
    cases = tmp_path / "cases.csv"
    shutil.copy(EXAMPLE, cases)
    before = cases.read_bytes()
    result = invoke("pdu", cases, "-j", JUDGEMENTS, "-o", cases)
    assert result.exit_code == 2 and "would overwrite an input of this run" in result.stderr
    assert cases.read_bytes() == before


def test_a_symbolic_link_is_written_through_only_with_force(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("earlier\n")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    refused = invoke("pdu", *CASES_ARGS, "-o", link)
    assert refused.exit_code == 2 and "symbolic link" in refused.stderr and real.read_text() == "earlier\n"
    forced = invoke("pdu", *CASES_ARGS, "-o", link, "--force")
    assert forced.exit_code == 0 and json.loads(link.read_text())["units"]


def test_an_interrupted_write_leaves_the_earlier_file_intact(tmp_path, monkeypatch):
    target = tmp_path / "ratings.json"
    target.write_text("the earlier, good file\n")
    from ratings_engine.render import ratings

    def half_written_then_killed(report, handle, pretty=False):
        handle.write('{"format":"ratings-engine/1","units":[')  # JSON is streamed: some of it is written
        raise KeyboardInterrupt  # as if the run were interrupted while rendering

    monkeypatch.setattr(ratings, "write_json", half_written_then_killed)
    result = invoke("pdu", *CASES_ARGS, "-o", target)
    assert result.exit_code != 0
    assert target.read_text() == "the earlier, good file\n"
    assert [p.name for p in tmp_path.iterdir()] == ["ratings.json"]  # no temporary file left behind


def test_an_interrupted_atomic_write_leaves_no_partial_file(tmp_path):
    from ratings_engine.io.files import atomic_output

    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as handle:
            handle.write("new, half")
            raise RuntimeError("disk full")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


# ---- exit codes -----------------------------------------------------------------------------

#: The README's exit-code table, written out by hand: (what, arguments, expected code).
EXIT_CODES = [
    ("a rating", ["pdu", *CASES_ARGS], 0),
    ("a draft that agrees", ["validate", *CASES_ARGS, "--draft", DRAFT_YAML], 0),
    ("a draft that differs", ["validate", *CASES_ARGS, "--draft", DRAFT_CSV], 1),
    ("a failing scenario", ["test", "probation-pdu-2021", "--set", "scores.values.Good=3"], 1),
    ("--fail-on-change with a change", ["diff", CORPUS, "--base", "probation-pdu-2021", "--fail-on-change",
                                        "--set", "key_question_bands.rows[kq-good].min=70",
                                        "--set", "key_question_bands.rows[kq-requires-improvement].below=70"], 1),
    ("a rulebook with errors", ["check-rules", ROOT / "tests" / "fixtures" / "rulebooks" / "non-monotone-bands.yaml"], 1),
    ("a missing file", ["pdu", CASES / "no-such-file.csv"], 2),
    ("an unknown option", ["pdu", EXAMPLE, "--no-such-option"], 2),
    ("an overall rating refused for missing judgements", ["pdu", EXAMPLE, "--no-judgements"], 4),
]


@pytest.mark.parametrize("what,args,code", EXIT_CODES, ids=[e[0] for e in EXIT_CODES])
def test_exit_codes_mean_one_thing_each(what, args, code):
    result = invoke(*args)
    assert result.exit_code == code, (what, result.output)
    assert "Traceback" not in result.output


def test_an_internal_error_exits_3_with_one_line_and_no_traceback(monkeypatch):
    from ratings_engine import api

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(api, "rate", broken)
    result = invoke("pdu", *CASES_ARGS)
    assert result.exit_code == 3
    assert result.stderr.startswith("error: internal error (please report): ZeroDivisionError: a bug")
    assert "Traceback" not in result.output


def test_the_readme_documents_the_exit_codes():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    for code in ("0", "1", "2", "3", "4"):
        assert f"| {code} |" in section


# ---- workbooks by sheet name; judgements by name; standard input ------------------------------

def test_the_shipped_workbook_rates_with_no_sheet_options():
    by_name = invoke("pdu", WORKBOOK, "--format", "json")
    assert by_name.exit_code == 0, by_name.output
    from_csv = invoke("pdu", *CASES_ARGS, "--format", "json")
    workbook, csv = json.loads(by_name.stdout), json.loads(from_csv.stdout)
    assert workbook["units"][0]["overall"] == csv["units"][0]["overall"]
    kinds = {i["kind"]: i for i in workbook["inputs"]}
    assert kinds["cases"]["sheet"] == "Cases" and kinds["judgements"]["sheet"] == "Judgements"
    assert any("Judgements sheet of the case workbook" in n for n in workbook["notes"])


def test_the_shipped_workbook_validates_its_own_draft_sheet_with_no_sheet_options():
    result = invoke("validate", WORKBOOK, "--draft", WORKBOOK, "--format", "json")
    assert result.exit_code == 1  # the shipped draft has one difference (2.2)
    data = json.loads(result.stdout)
    assert data["draft"]["sheet"] == "Draft" and data["units"][0]["standards_differing"] == ["2.2"]


def _workbook(tmp_path, sheets: list[tuple[str, str, list[list[str]]]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, state, rows in sheets:
        ws = book.create_sheet(title)
        ws.sheet_state = state
        for row in rows:
            ws.append(row)
    path = tmp_path / "book.xlsx"
    book.save(path)
    return path


def _case_rows(answer: str) -> list[list[str]]:
    import csv

    with EXAMPLE.open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    return [rows[0]] + [[*r[:2], *[answer] * (len(r) - 2)] for r in rows[1:]]


def test_a_hidden_sheet_is_never_read_unless_named(tmp_path):
    book = _workbook(tmp_path, [("Old", "hidden", _case_rows("yes")), ("Cases", "visible", _case_rows("no"))])
    result = invoke("pdu", book, "--no-judgements", "--allow-partial", "--format", "json")
    data = json.loads(result.stdout)
    assert data["inputs"][0]["sheet"] == "Cases"
    assert _standard(data, "2.2") == "Inadequate"  # all 'no': the visible sheet was read
    named = json.loads(invoke("pdu", book, "--sheet", "Old", "--no-judgements", "--allow-partial",
                              "--format", "json").stdout)
    assert named["inputs"][0]["sheet"] == "Old" and _standard(named, "2.2") == "Outstanding"


def _standard(data: dict, sid: str) -> str:
    return next(s["rating"] for s in data["units"][0]["standards"] if s["id"] == sid)


def test_a_workbook_without_a_sheet_of_that_name_lists_its_sheets(tmp_path):
    book = _workbook(tmp_path, [("Sheet1", "visible", _case_rows("yes")), ("Notes", "visible", [["x"]]),
                                ("Secret", "veryHidden", [["y"]])])
    result = invoke("pdu", book)
    assert result.exit_code == 2
    assert "No visible sheet is named 'Cases' or 'Tallies'" in result.stderr
    assert "'Sheet1', 'Notes', 'Secret' (veryHidden)" in result.stderr and "--sheet" in result.stderr


def test_a_case_file_reads_from_standard_input():
    piped = CliRunner().invoke(main, ["pdu", "-", "-j", str(JUDGEMENTS), "--unit", "Redcar, Cleveland and Middlesbrough",
                                      "--format", "json"], input=EXAMPLE.read_bytes())
    from_file = invoke("pdu", *CASES_ARGS, "--format", "json")
    assert piped.exit_code == 0, piped.output
    assert json.loads(piped.stdout)["units"] == json.loads(from_file.stdout)["units"]
    assert json.loads(piped.stdout)["inputs"][0]["file"] == "<stdin>"


@pytest.mark.parametrize("name", ["pdu", "validate", "confidence", "diff"])
def test_encoding_and_delimiter_reach_every_command_that_reads_evidence(name, tmp_path):
    import csv

    for source, target in ((EXAMPLE, tmp_path / "cases.csv"), (JUDGEMENTS, tmp_path / "cases-judgements.csv")):
        with source.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        with target.open("w", encoding="cp1252", newline="") as f:
            csv.writer(f, delimiter=";").writerows(rows)
    cases = tmp_path / "cases.csv"
    extra = {"validate": ["--draft", DRAFT_YAML], "confidence": ["--resamples", "10", "-q"],
             "diff": ["--base", "probation-pdu-2021", "--set", "key_question_bands.rows[kq-good].min=65"]}.get(name, [])
    target = [tmp_path] if name == "diff" else [cases]
    without = invoke(name, *target, *extra)
    assert without.exit_code == 2 and "--delimiter" in without.stderr
    result = invoke(name, *target, *extra, "--encoding", "cp1252", "--delimiter", ";")
    assert result.exit_code in (0, 1), result.output


# ---- fast start-up --------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["pdu", "--help"], ["validate", "--help"],
                                  ["sweep", "--help"], ["serve", "--help"]])
def test_help_and_version_load_neither_pandas_nor_pydantic(argv):
    code = ("import sys\nfrom ratings_engine.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            "heavy = sorted(m for m in ('pandas', 'numpy', 'pydantic', 'durable', 'openpyxl', 'ruamel') if m in sys.modules)\n"
            "print('HEAVY', heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip().splitlines()[-1] == "HEAVY []", out


def test_shell_completion_loads_neither_pandas_nor_pydantic():
    env = {**os.environ, "_RATE_COMPLETE": "bash_complete", "COMP_WORDS": "rate pdu --e", "COMP_CWORD": "2"}
    code = ("import sys\nfrom ratings_engine.cli import main\ntry:\n    main(prog_name='rate')\nexcept SystemExit:\n"
            "    pass\nprint('HEAVY', sorted(m for m in ('pandas', 'pydantic') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env).stdout
    assert "--explain" in out and "--encoding" in out
    assert out.strip().splitlines()[-1] == "HEAVY []", out
