"""Fuzzing: random and mutated CSVs, .xlsx workbooks and rulebooks fed to the command line.

The only allowed outcomes are exit 0 (or 4: rated, an overall refused) with a rating, or exit 2
with a clean error: one paragraph starting `error: `, no traceback. Never exit 1 (a crash caught by
click), never a hang. A rating must also lose nothing silently and print nothing unsafe (issue 17):
the lines of a CSV case file, counted here, are all accounted for in the audit, every used case is
in the tallies, a workbook's hidden sheet is never the one read unless named, and no control
character from the data reaches the output.

The generators below take a `random.Random`, so hypothesis drives them here (small, for CI) and
`bench/fuzz_campaign.py` reuses them for a larger campaign run by hand.
"""
from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "cases"
EXAMPLE = CASES / "redcar-cleveland-middlesbrough.csv"
JUDGEMENTS = CASES / "redcar-cleveland-middlesbrough-judgements.csv"
TALLIES = CASES / "redcar-cleveland-middlesbrough-tallies.csv"
RULES = ROOT / "rules"

INTERESTING_CELLS = ["", " ", "N/A ", " yes", "Y", "no", "n/a", "NA", "maybe", "0", "1", "-1", "12.0", "1e9",
                     "=1+2", "@SUM(A1)", '"', '""', "a,b", "a;b", "\t", "x" * 300, "\x00", "é", "café", "£",
                     "\ufeff", "yes\nno", "Not inspected", "Good", "2.2.1", "case_id", "unit", "None", "null",
                     "\x1b[2K", "North\u202e", "\x07", "\x85", "a\rb", "[x](javascript:alert(1))", "# H"]
INTERESTING_BYTES = [b"\x00", b"\xff", b"\xfe", b"\xe9", b"\x81", b"\xef\xbb\xbf", b'"', b",", b";", b"\t", b"\r",
                     b"\n", b"\r\n", b",,,,", b"\\", b"\x1a", b"\xc3", b"\xe2\x80"]


# ---------------------------------------------------------------------------------------------
# Generators


@dataclass
class FuzzInput:
    """Files to write (name -> bytes) and the command-line arguments naming them."""

    kind: str
    files: dict[str, bytes] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)


def _csv_text(rows: list[list[str]], rng: random.Random) -> str:
    import csv

    out = io.StringIO()
    csv.writer(out, lineterminator=rng.choice(["\n", "\r\n"])).writerows(rows)
    return out.getvalue()


def _csv_rows(text: str) -> list[list[str]]:
    import csv

    return list(csv.reader(io.StringIO(text)))


def mutate_rows(rows: list[list[str]], rng: random.Random) -> list[list[str]]:
    rows = [list(r) for r in rows]
    for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
        op = rng.choices(range(9), weights=[8, 2, 2, 1, 1, 1, 1, 1, 0.5])[0]
        if not rows:
            rows = [["case_id"]]
        i = rng.randrange(len(rows))
        if op == 0 and rows[i]:  # replace a cell
            rows[i][rng.randrange(len(rows[i]))] = rng.choice(INTERESTING_CELLS)
        elif op == 1:  # delete a row
            del rows[i]
        elif op == 2:  # duplicate a row
            rows.insert(i, list(rows[i]))
        elif op == 3:  # a blank or title row
            rows.insert(i, rng.choice([[], [""] * 5, ["Inspection of somewhere"], [" "]]))
        elif op == 4 and rows[i]:  # delete a cell (a short row)
            del rows[i][rng.randrange(len(rows[i]))]
        elif op == 5:  # an extra cell (a ragged row)
            rows[i].append(rng.choice(INTERESTING_CELLS))
        elif op == 6 and rows[0]:  # delete or rename a column
            j = rng.randrange(len(rows[0]))
            if rng.random() < 0.5:
                rows = [r[:j] + r[j + 1:] for r in rows]
            else:
                rows[0][j] = rng.choice(INTERESTING_CELLS + ["2.2", "2.9.9", "notes", "Case_ID", rows[0][j] + " "])
        elif op == 7:  # swap two rows
            k = rng.randrange(len(rows))
            rows[i], rows[k] = rows[k], rows[i]
        else:  # keep only some rows
            rows = rows[: rng.randint(0, len(rows))]
    return rows


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        at = rng.randint(0, len(data))
        op = rng.randrange(5)
        if op == 0:
            data[at:at] = rng.choice(INTERESTING_BYTES)
        elif op == 1 and data:
            del data[at: at + rng.randint(1, 40)]
        elif op == 2 and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif op == 3:
            del data[at:]
        else:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(data)


def encode(text: str, rng: random.Random) -> tuple[bytes, list[str]]:
    """Text in some encoding, and the options (if any) that say so."""
    choice = rng.randrange(6)
    if choice == 0:
        return b"\xef\xbb\xbf" + text.encode("utf-8"), []
    if choice == 1:
        return text.encode("utf-16"), rng.choice([[], ["--delimiter", "tab"]])
    if choice == 2:
        return text.encode("cp1252", errors="replace"), rng.choice([[], ["--encoding", "cp1252"]])
    return text.encode("utf-8"), []


def csv_input(rng: random.Random) -> FuzzInput:
    base = rng.choices([EXAMPLE, TALLIES, JUDGEMENTS], weights=[6, 3, 1])[0]
    text = base.read_text(encoding="utf-8")
    if base == EXAMPLE and rng.random() < 0.7:
        text = "".join(text.splitlines(keepends=True)[: rng.randint(1, 12)])  # small files: faster runs
    if rng.random() < 0.8:
        text = _csv_text(mutate_rows(_csv_rows(text), rng), rng)
    options: list[str] = []
    if rng.random() < 0.15:
        sep = rng.choice([";", "\t"])
        text = text.replace(",", sep)
        options = ["--delimiter", "tab" if sep == "\t" else sep] if rng.random() < 0.7 else []
    data, encoding = encode(text, rng)
    options += encoding if "--delimiter" not in options or "--delimiter" not in encoding else []
    if rng.random() < 0.25:
        data = mutate_bytes(data, rng)
    args = ["pdu", "cases.csv", "--allow-partial", "--format", rng.choice(["json", "table", "markdown"]), *options]
    files = {"cases.csv": data}
    if rng.random() < 0.3:
        judgements = _csv_rows(JUDGEMENTS.read_text(encoding="utf-8"))
        files["judgements.csv"] = _csv_text(mutate_rows(judgements, rng) if rng.random() < 0.7 else judgements,
                                            rng).encode()
        args += ["--judgements", "judgements.csv"]
    for option in rng.sample([["--blank", "not-applicable"], ["--unit", "Redcar, Cleveland and Middlesbrough"],
                              ["--unit", "Nowhere"], ["--ignore-column", "notes"], ["--explain"], ["--audit"],
                              ["--delimiter", "|"], ["--encoding", "latin-1"]], k=rng.choice([0, 0, 0, 1, 1, 2])):
        if option[0] not in args:
            args += option
    return FuzzInput("csv", files, args)


def xlsx_input(rng: random.Random) -> FuzzInput:
    import datetime as dt

    import openpyxl

    rows = mutate_rows(_csv_rows(EXAMPLE.read_text(encoding="utf-8"))[: rng.randint(1, 10)], rng)
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = rng.choice(["Cases", "Sheet1", "Données"])
    odd = [None, 0, 1, 2.5, -3, True, False, dt.datetime(2023, 1, 31), dt.date(2022, 12, 1), "=1/0", "=A1", "#N/A",
           "#DIV/0!", "=SUM(1,2)", "yes", "N/A "]
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = rng.choice(odd) if rng.random() < 0.01 else value
            try:
                ws.cell(r, c, cell)
            except Exception:  # noqa: BLE001 - openpyxl refuses some text (control characters): leave the cell
                pass
    if rng.random() < 0.2:
        book.create_sheet("Other").append(["case_id", "2.2.1"])
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    if rng.random() < 0.1:
        data = mutate_bytes(data, rng)
    args = ["pdu", "cases.xlsx", "--allow-partial", "--format", "json"]
    if rng.random() < 0.2:
        args += ["--sheet", rng.choice([ws.title, ws.title, "Other", "Missing"])]
    return FuzzInput("xlsx", {"cases.xlsx": data}, args)


def mutate_yaml(text: str, rng: random.Random) -> str:
    import re

    lines = text.splitlines()
    for _ in range(rng.randint(1, 3)):
        lines = lines or [""]
        i = rng.randrange(len(lines))
        op = rng.randrange(8)
        rows = [n for n, line in enumerate(lines) if "{id: " in line]
        if op == 7 and rows:  # a table row repeated many times (long tables, one fact matching many rows)
            n = rng.choice(rows)
            lines[n + 1:n + 1] = [lines[n].replace("{id: ", f"{{id: x{k}-", 1) for k in range(rng.randint(60, 520))]
            continue
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[i])
        elif op == 2 and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif op == 3:  # change a value: a number or a word
            tokens = list(re.finditer(r"-?\d+(\.\d+)?|\b[A-Za-z_]+\b", lines[i]))
            if tokens:
                t = rng.choice(tokens)
                new = rng.choice(["0", "-1", "100.5", "1e400", "999999999999", "65", "80", "Good", "Outstanding",
                                  "1e30", "100000", "-5", "9223372036854775808", "2.5e15", "100.01",
                                  "null", "true", "[]", "{}", "x" * 100, "first", "unique", "priority", "'", "&a",
                                  "*a", "!!str", "kq-good", "2.2"])
                lines[i] = lines[i][: t.start()] + new + lines[i][t.end():]
        elif op == 4:  # junk
            lines.insert(i, rng.choice(["- x", "key: [", "  bad: {", "\t- tab", "%YAML 9.9", "---", "...", "? x",
                                        "&anchor", "*alias", "extends: probation-pdu-2021", "id:", "  - {id: z}",
                                        "\x00", "é: ü", "  <<: *a", "<<: {id: x}", "- <<: *anchor"]))
        elif op == 5:  # indentation
            lines[i] = (" " * rng.choice([1, 2, 4]) + lines[i]) if rng.random() < 0.5 else lines[i].lstrip()
        else:
            lines = lines[: rng.randint(0, len(lines))]
    return "\n".join(lines) + "\n"


def rulebook_input(rng: random.Random) -> FuzzInput:
    base = rng.choice(sorted(RULES.glob("*.yaml")))
    text = mutate_yaml(base.read_text(encoding="utf-8"), rng)
    data = text.encode("utf-8")
    if rng.random() < 0.1:
        data = mutate_bytes(data, rng)
    cases = "cases.csv"
    files = {"rules.yaml": data}
    if base.stem == "probation-pdu-2021":
        files[cases] = EXAMPLE.read_bytes()
        args = ["pdu", cases, "--judgements", "judgements.csv", "--rules", "rules.yaml"]
        files["judgements.csv"] = JUDGEMENTS.read_bytes()
    else:
        example = CASES / f"{base.stem}-example.csv"
        if not example.exists():
            example = next(CASES.glob(f"{base.stem}*.csv"), EXAMPLE)
        files[cases] = example.read_bytes()
        args = ["unit", cases, "--rules", "rules.yaml", "--allow-partial"]
    args += ["--format", rng.choice(["json", "table"])]
    return FuzzInput("rulebook", files, args)


def quotes_input(rng: random.Random) -> FuzzInput:
    """A case file with a free-text column and stray quotes (a quote left open swallows lines)."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()[: rng.randint(2, 30)]
    lines = [lines[0] + ",notes"] + [line + "," + rng.choice(["ok", "", "fine", "see file"]) for line in lines[1:]]
    for _ in range(rng.choice([1, 1, 2, 3])):
        i = rng.randrange(1, len(lines)) if len(lines) > 1 else 0
        at = rng.choice([len(lines[i]), lines[i].rfind(",") + 1, rng.randint(0, len(lines[i]))])
        lines[i] = lines[i][:at] + rng.choice(['"', '"', '""', '"x\ny"', "'"]) + lines[i][at:]
    data = ("\n".join(lines) + rng.choice(["\n", "\r\n", ""])).encode()
    option = rng.choice([["--ignore-column", "notes"], ["--text-column", "notes"], []])
    return FuzzInput("quotes", {"cases.csv": data}, ["pdu", "cases.csv", "--allow-partial", "--format", "json", *option])


def sheets_input(rng: random.Random) -> FuzzInput:
    """A workbook whose sheets are shuffled and some hidden: a hidden sheet is read only when named."""
    import openpyxl

    rows = _csv_rows(EXAMPLE.read_text(encoding="utf-8"))[: rng.randint(2, 12)]
    book = openpyxl.Workbook()
    book.remove(book.active)
    names = rng.sample(["Cases", "Decoy", "Sheet1", "Notes"], k=rng.randint(1, 4))
    for name in names:
        ws = book.create_sheet(name)
        body = rows if name == "Cases" else [rows[0]] + [[r[0] + "-decoy", *r[1:]] for r in rows[1:3]]
        for row in body:
            ws.append(row)
        ws.sheet_state = rng.choice(["visible", "visible", "hidden", "veryHidden"])
    if all(book[n].sheet_state != "visible" for n in names):
        book[names[0]].sheet_state = "visible"
    out = io.BytesIO()
    book.save(out)
    args = ["pdu", "cases.xlsx", "--allow-partial", "--format", "json"]
    if rng.random() < 0.3:
        args += ["--sheet", rng.choice(names)]
    return FuzzInput("sheets", {"cases.xlsx": out.getvalue()}, args)


def sparse_input(rng: random.Random) -> FuzzInput:
    """A workbook whose XML numbers its rows far apart, or past the worksheet's limits."""
    import re
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    for row in _csv_rows(EXAMPLE.read_text(encoding="utf-8"))[:4]:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    number = rng.choice([5, 100, 10_000, 1_048_576, 1_048_577, 2_000_000_000, 10**15])
    column = rng.choice(["", "", "XFD", "XFE", "ZZZ", "AAAA"])

    def edit(xml: str) -> str:
        xml = xml.replace('<row r="4"', f'<row r="{number}"')
        xml = re.sub(r'r="([A-Z]+)4"', lambda m: f'r="{m.group(1)}{number}"', xml)
        return xml.replace(f'r="N{number}"', f'r="{column}{number}"') if column else xml

    source, target = zipfile.ZipFile(io.BytesIO(out.getvalue())), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as book_zip:
        for info in source.infolist():
            data = source.read(info.filename)
            book_zip.writestr(info.filename, edit(data.decode()).encode() if "worksheets/" in info.filename else data)
    return FuzzInput("sparse", {"cases.xlsx": target.getvalue()}, ["pdu", "cases.xlsx", "--allow-partial", "--format", "json"])


GENERATORS = {"csv": csv_input, "xlsx": xlsx_input, "rulebook": rulebook_input, "quotes": quotes_input,
              "sheets": sheets_input, "sparse": sparse_input}


# ---------------------------------------------------------------------------------------------
# Running one input and judging the outcome


def classify(exit_code: int, stdout: str, stderr: str, exception: BaseException | None = None) -> tuple[str, str]:
    """('rating' | 'clean error' | 'crash', why) for one run."""
    if "Traceback" in stdout + stderr:
        return "crash", "traceback"
    if exception is not None and not isinstance(exception, SystemExit):
        return "crash", f"{type(exception).__name__}: {exception}"
    if exit_code in (0, 4):  # 4: rated, an overall rating refused (judgements missing, nothing rated from cases)
        return ("rating", "") if stdout.strip() else ("crash", f"exit {exit_code} without output")
    if exit_code == 2:
        errors = [line for line in stderr.splitlines() if line.startswith(("error: ", "Error: "))]
        if len(errors) != 1:
            return "crash", f"exit 2 with {len(errors)} error lines"
        block = stderr[stderr.index(errors[0]):]
        if "\n\n" in block.strip():
            return "crash", "the error is more than one paragraph"
        return "clean error", errors[0][:200]
    return "crash", f"exit {exit_code}: {stderr[-300:]}"


def run_in_process(item: FuzzInput, folder: Path) -> tuple[str, str]:
    import os

    from ratings_engine.cli import main

    for name, data in item.files.items():
        (folder / name).write_bytes(data)
    here = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(main, item.args)
    finally:
        os.chdir(here)
    outcome = classify(result.exit_code, result.stdout, result.stderr, result.exception)
    if outcome[0] != "crash" and UNSAFE.search(result.stdout.replace("\r\n", "\n") + result.stderr):
        return "unsafe output", repr(UNSAFE.search(result.stdout + result.stderr).group())
    if outcome[0] == "rating" and "--format" in item.args and item.args[item.args.index("--format") + 1] == "json":
        try:
            report = json.loads(result.stdout)
            report["units"]
        except (ValueError, KeyError) as exc:
            return "crash", f"exit 0 but not a rating in JSON: {exc}"
        loss = silent_loss(item, report)
        if loss:
            return "silent loss", loss
    return outcome


#: Characters no output may carry raw (control and invisible format characters; JSON escapes them).
UNSAFE = __import__("re").compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def physical_lines(data: bytes, args: list[str]) -> int | None:
    """Lines of a CSV file, counted here (None when the text's encoding is not clear)."""
    encoding = args[args.index("--encoding") + 1] if "--encoding" in args else None
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            encoding = codec
    try:
        text = data.decode(encoding or "utf-8")
    except (UnicodeDecodeError, LookupError):
        return None
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    return breaks + (1 if text and text[-1] not in "\r\n" else 0)


def silent_loss(item: FuzzInput, report: dict) -> str:
    """What a rating lost without saying so ('' when nothing): lines of a CSV not accounted for, used
    cases missing from the tallies, an audit that does not balance, a hidden sheet read unnamed."""
    for given in report.get("inputs", []):
        audit = given.get("audit") or {}
        if "rows_read" in audit and audit["rows_read"] != audit["rows_used"] + sum(audit["rows_skipped"].values()):
            return f"{given['file']}: rows read {audit['rows_read']} != used + skipped"
    cases = next((i for i in report.get("inputs", []) if i.get("kind") == "cases"), None)
    if cases is None:
        return ""
    audit, name = cases["audit"], Path(cases["file"]).name
    if name.endswith(".csv") and name in item.files:
        lines = physical_lines(item.files[name], item.args)
        if lines is not None and audit.get("lines_read") != lines - 1:
            return f"{name}: {lines - 1} lines below the header, the audit read {audit.get('lines_read')}"
    tallied = sum(max((k["sufficient"] + k["insufficient"] + k["not_applicable"] for s in u["standards"]
                       for k in s["key_questions"]), default=0) for u in report["units"])
    if tallied and tallied != audit["rows_used"]:
        return f"{name}: {audit['rows_used']} cases used, {tallied} in the tallies"
    if item.kind == "sheets" and "--sheet" not in item.args and audit.get("sheet") not in (None, "Cases", "Decoy",
                                                                                         "Sheet1", "Notes"):
        return f"read sheet {audit.get('sheet')!r}"
    if item.kind == "sheets" and "--sheet" not in item.args:
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(item.files["cases.xlsx"]), read_only=True)
        if book[audit["sheet"]].sheet_state != "visible":
            return f"read the hidden sheet {audit['sheet']!r} without being asked"
    return ""


def run_in_subprocess(item: FuzzInput, folder: Path, timeout: float = 120) -> tuple[str, str]:
    for name, data in item.files.items():
        (folder / name).write_bytes(data)
    try:
        done = subprocess.run([sys.executable, "-c", "from ratings_engine.cli import main; main()", *item.args],
                              cwd=folder, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "hang", f"no answer in {timeout} s"
    return classify(done.returncode, done.stdout, done.stderr)


# ---------------------------------------------------------------------------------------------
# The tests (small: bench/fuzz_campaign.py runs thousands)

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
                derandomize=True)


def check(kind: str, rng: random.Random) -> None:
    item = GENERATORS[kind](rng)
    with tempfile.TemporaryDirectory() as tmp:
        outcome, why = run_in_process(item, Path(tmp))
    assert outcome in ("rating", "clean error"), (outcome, why, item.args)


@settings(FUZZ, max_examples=80)
@given(st.randoms(use_true_random=False))
def test_mutated_csv_files_give_a_rating_or_a_clean_error(rng):
    check("csv", rng)


@settings(FUZZ, max_examples=25)
@given(st.randoms(use_true_random=False))
def test_mutated_xlsx_workbooks_give_a_rating_or_a_clean_error(rng):
    check("xlsx", rng)


@settings(FUZZ, max_examples=30)
@given(st.randoms(use_true_random=False))
def test_mutated_rulebooks_give_a_rating_or_a_clean_error(rng):
    check("rulebook", rng)


@settings(FUZZ, max_examples=40)
@given(st.randoms(use_true_random=False))
def test_stray_quotes_give_a_clean_error_or_a_rating_that_loses_no_line(rng):
    check("quotes", rng)


@settings(FUZZ, max_examples=15)
@given(st.randoms(use_true_random=False))
def test_hidden_and_shuffled_sheets_are_never_read_unnamed(rng):
    check("sheets", rng)


@settings(FUZZ, max_examples=15)
@given(st.randoms(use_true_random=False))
def test_sparse_and_oversized_worksheets_give_a_clean_error_or_a_rating(rng):
    check("sparse", rng)


@settings(FUZZ, max_examples=40)
@given(st.binary(max_size=400))
def test_random_bytes_as_a_case_file_give_a_clean_error_or_a_rating(data):
    with tempfile.TemporaryDirectory() as tmp:
        outcome, why = run_in_process(FuzzInput("bytes", {"cases.csv": data}, ["pdu", "cases.csv", "--allow-partial"]),
                                      Path(tmp))
    assert outcome in ("rating", "clean error"), (outcome, why)


def test_a_few_fuzzed_inputs_through_a_real_process_with_a_timeout(tmp_path):
    rng = random.Random(2021)
    for kind in ("csv", "xlsx", "rulebook"):
        folder = tmp_path / kind
        folder.mkdir()
        outcome, why = run_in_subprocess(GENERATORS[kind](rng), folder, timeout=120)
        assert outcome in ("rating", "clean error"), (kind, outcome, why)
