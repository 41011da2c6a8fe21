"""Every documented input limit, hit by a small hostile file: how long the refusal (or the rating) takes.

    python bench/limits.py            # all cases, each in a fresh process, with a 10 s goal
    python bench/limits.py --only xlsx

Issue 17: "every documented limit holds in under 10 seconds on this machine". Each case writes a
file in a temporary folder, runs `rate ...` on it in a child process (peak memory read from
`resource.getrusage(RUSAGE_CHILDREN)` in an intermediate process, as bench/big_file.py does) and
prints the exit code, seconds, peak resident memory and the first line of stderr. A yardstick (the
shipped example rated) runs first: the machine is shared and noisy, so compare with it.
"""
from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "cases" / "redcar-cleveland-middlesbrough.csv"
JUDGEMENTS = ROOT / "cases" / "redcar-cleveland-middlesbrough-judgements.csv"
RULES = ROOT / "rules" / "probation-pdu-2021.yaml"
GOAL = 10.0

MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[2:], cwd=sys.argv[1], capture_output=True, text=True)
print(json.dumps({"exit": done.returncode, "seconds": time.perf_counter() - start,
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "stderr": done.stderr.strip().splitlines()[:1]}))
"""


def rate(*args) -> list[str]:
    return [sys.executable, "-m", "ratings_engine", *map(str, args)]


def workbook(folder: Path, edit, rows=4) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Cases"
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines()[:rows]:
        book.active.append(next(__import__("csv").reader([line])))
    raw = io.BytesIO()
    book.save(raw)
    source, out = zipfile.ZipFile(io.BytesIO(raw.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, edit(data.decode()).encode() if "worksheets/" in info.filename else data)
    path = folder / "cases.xlsx"
    path.write_bytes(out.getvalue())
    return path


def renumber(row: int, column: str | None = None):
    def edit(xml: str) -> str:
        xml = xml.replace('<row r="4"', f'<row r="{row}"')
        xml = re.sub(r'r="([A-Z]+)4"', lambda m: f'r="{m.group(1)}{row}"', xml)
        return xml.replace(f'r="N{row}"', f'r="{column}{row}"') if column else xml
    return edit


def rulebook(folder: Path, old: str, new: str) -> Path:
    path = folder / "rules.yaml"
    text = RULES.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def text_file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def comments_rulebook(folder: Path) -> Path:
    anchor = '          - {id: "2.1.3", text: "Is the pre-sentence information and advice to court focused sufficiently on keeping other people safe?"}\n'
    extra = "".join(f'          - id: "2.1.{i}"   # a comment on item {i}\n            text: "Key question {i}"  # and another\n'
                    for i in range(4, 470))
    return rulebook(folder, anchor, anchor + extra)


def band_rows(folder: Path, n: int = 490) -> Path:
    old = ("    - {id: kq-outstanding, min: 80, then: Outstanding}\n    - {id: kq-good, min: 65, below: 80, then: Good}\n"
           "    - {id: kq-requires-improvement, min: 50, below: 65, then: Requires improvement}\n"
           "    - {id: kq-inadequate, below: 50, then: Inadequate}\n")
    scale = ["Inadequate", "Requires improvement", "Good", "Outstanding"]
    rows = []
    for i in range(n):
        lo, hi = round(i * 100 / n, 2), round((i + 1) * 100 / n, 2)
        bounds = (f"below: {hi}" if i == 0 else f"min: {lo}" if i == n - 1 else f"min: {lo}, below: {hi}")
        rows.append(f"    - {{id: r{i}, {bounds}, then: {scale[min(3, i * 4 // n)]}}}\n")
    return rulebook(folder, old, "".join(rows))


def tallies(folder: Path) -> Path:
    kqs = [f"2.{s}.{k}" for s in range(2, 6) for k in range(1, 4)]
    lines = ["unit,key_question,sufficient,applicable"] + [f"U,{kq},{600_000 + i},1000000" for i, kq in enumerate(kqs)]
    return text_file(folder, "tallies.csv", "\n".join(lines) + "\n")


H = "case_id,unit,2.2.1,2.2.2,2.2.3"
CASES = {
    # name: (what it shows, build(folder) -> argv)
    "yardstick": ("the shipped example rated (compare the others with it)",
                  lambda f: rate("pdu", EXAMPLE, "-j", JUDGEMENTS)),
    "csv-unclosed-quote": ("a quote opened on line 2 of a 200,000-line file, never closed",
                           lambda f: rate("pdu", text_file(f, "c.csv", H + ",notes\n" + 'a,U,yes,no,yes,"open\n'
                                                            + "".join(f"c{i},U,yes,no,yes,x\n" for i in range(200_000))),
                                          "--ignore-column", "notes", "--allow-partial")),
    "csv-100k-columns": ("a header of 100,000 cells (the limit is 16,384)",
                         lambda f: rate("pdu", text_file(f, "c.csv", H + "," + ",".join(f"x{i}" for i in range(100_000))
                                                         + "\n"), "--allow-partial")),
    "csv-wide-empty-lines": ("16,000 columns over 1,000,000 empty lines (2 MB)",
                             lambda f: rate("pdu", text_file(f, "c.csv", H + "," + ",".join(f"x{i}" for i in range(16_000))
                                                             + "\n" + "\n" * 1_000_000), "--allow-partial")),
    "csv-row-1M-cells": ("a row of 1,000,000 cells",
                         lambda f: rate("pdu", text_file(f, "c.csv", H + "\na,U,yes,no,yes" + "," * 1_000_000 + "\n"),
                                        "--allow-partial")),
    "xlsx-row-2e9": ("a worksheet row numbered 2,000,000,000",
                     lambda f: rate("pdu", workbook(f, renumber(2_000_000_000)), "--allow-partial")),
    "xlsx-gap-and-XFD": ("a cell in column XFD of row 1,048,576 (a million skipped rows, 16,384 columns)",
                         lambda f: rate("pdu", workbook(f, renumber(1_048_576, "XFD")), "--allow-partial")),
    "xlsx-300M-char-cell": ("a 300-million-character cell in a 300 KB workbook",
                            lambda f: rate("pdu", workbook(f, lambda x: x.replace(
                                "</sheetData>", '<row r="9"><c r="A9" t="inlineStr"><is><t>' + "x" * 300_000_000
                                + "</t></is></c></row></sheetData>")), "--allow-partial")),
    "yaml-commented-list": ("a 60 KB rulebook whose 466 list items carry comments",
                            lambda f: rate("pdu", EXAMPLE, "-j", JUDGEMENTS, "--rules", comments_rulebook(f))),
    "yaml-merge-key": ("a merge key in a rulebook",
                       lambda f: rate("pdu", EXAMPLE, "--rules", rulebook(f, "    - {id: kq-good,", "    - {<<: {x: 1}, id: kq-good,"))),
    "rulebook-score-100000": ("a score of 100,000",
                              lambda f: rate("pdu", EXAMPLE, "--rules", rulebook(f, "Outstanding: 3}", "Outstanding: 100000}"))),
    "rulebook-bound-1e30": ("an overall bound of 1e30",
                            lambda f: rate("check-rules", rulebook(f, "mean_max: 0.5,", "mean_max: 1e30,"))),
    "check-rules-490-rows": ("check-rules on a 490-row key-question table",
                             lambda f: rate("check-rules", band_rows(f))),
    "tallies-1M-applicable": ("a tally file at the documented limit (1,000,000 applicable cases per key question)",
                              lambda f: rate("pdu", tallies(f), "--allow-partial")),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="Run the cases whose name contains this.")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    over = 0
    print(f"{'case':<24}{'exit':>5}{'seconds':>9}{'peak MB':>9}  first line of stderr")
    for name, (what, build) in CASES.items():
        if args.only not in name and name != "yardstick":
            continue
        with tempfile.TemporaryDirectory() as tmp:
            argv = build(Path(tmp))
            try:
                done = subprocess.run([sys.executable, "-c", MEASURE, tmp, *argv], capture_output=True, text=True,
                                      timeout=args.timeout, cwd=ROOT)
                result = json.loads(done.stdout)
            except subprocess.TimeoutExpired:
                result = {"exit": "-", "seconds": args.timeout, "peak_mb": 0, "stderr": ["(timed out)"]}
        slow = result["seconds"] > GOAL and name != "yardstick"
        over += slow
        line = (result["stderr"] or [""])[0]
        print(f"{name:<24}{result['exit']:>5}{result['seconds']:>9.1f}{result['peak_mb']:>9.0f}  {line[:110]}"
              + ("  <- over the 10 s goal" if slow else ""), flush=True)
    print(f"\n{over} case(s) over {GOAL:.0f} s")
    sys.exit(1 if over else 0)


if __name__ == "__main__":
    main()
