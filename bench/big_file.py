"""A 1,000,000-row case file, rated: time and peak memory (issue 7), run by hand (not in CI).

    python bench/big_file.py                       # 1,000,000 cases in 1,000 units
    python bench/big_file.py --rows 200000 --units 200
    python bench/big_file.py --keep /tmp/big       # keep the generated file there

The file is generated in a temporary folder (never in the repository): a `unit` column and the
15 key questions of probation-pdu-2021 answered Yes / No / N/A. Each step runs in a fresh child
process; its peak resident memory is read with `resource.getrusage(RUSAGE_CHILDREN)` in an
intermediate process, so steps do not see each other's peaks:

  baseline  `rate pdu` on the shipped 44-case example (what the interpreter, pandas and the
            engine cost before any data);
  read      `api.load_evidence` on the big file: chunked reading, validation, int8 answers;
  rate      `rate pdu BIG --allow-partial --format json --output ... --audit`, end to end.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "cases" / "redcar-cleveland-middlesbrough.csv"
KQS = ["2.1.1", "2.1.2", "2.1.3", "2.2.1", "2.2.2", "2.2.3", "2.3.1", "2.3.2", "2.3.3",
       "2.4.1", "2.4.2", "2.4.3", "2.5.1", "2.5.2", "2.5.3"]

MEASURE = r"""
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{done.returncode} {elapsed:.2f} {peak:.0f}")
sys.stderr.write(done.stderr[-2000:])
"""

READ = r"""
import sys
from ratings_engine import api
evidence = api.load_evidence(sys.argv[1], api.load_rulebook().rulebook)
print(len(evidence.answers), evidence.audit.to_dict())
"""


def generate(path: Path, rows: int, units: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    words = np.array(["Yes", "No", "N/A"])
    quality = rng.uniform(0.4, 0.9, size=units)  # each unit its own share of sufficient answers
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("case_id,unit," + ",".join(KQS) + "\r\n")
        for start in range(0, rows, 100_000):
            n = min(100_000, rows - start)
            unit = (np.arange(start, start + n) * units) // rows  # units in blocks, in file order
            draw = rng.random((n, len(KQS)))
            answer = np.where(draw < 0.08, 2, np.where(draw < 0.08 + 0.92 * quality[unit][:, None], 0, 1))
            cells = words[answer]
            lines = [f"C{start + i:07d},PDU {unit[i]:04d}," + ",".join(cells[i]) for i in range(n)]
            out.write("\r\n".join(lines) + "\r\n")


def measure(*command: str) -> tuple[int, float, float, str]:
    done = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True)
    code, seconds, peak = done.stdout.split()
    return int(code), float(seconds), float(peak), done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=1_000)
    parser.add_argument("--keep", type=Path, help="Generate into this folder and keep the files.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        big = folder / "cases.csv"
        start = time.perf_counter()
        generate(big, args.rows, args.units)
        size = big.stat().st_size / 1e6
        print(f"generated {big}: {args.rows:,} cases in {args.units:,} units, {size:.1f} MB "
              f"({time.perf_counter() - start:.1f} s)")
        rate = [str(Path(sys.executable).parent / "rate")] if (Path(sys.executable).parent / "rate").exists() else ["rate"]
        steps = {
            "baseline": [*rate, "pdu", str(EXAMPLE), "--allow-partial", "--format", "json", "--output",
                         str(folder / "example.json")],
            "read": [sys.executable, "-c", READ, str(big)],
            "rate": [*rate, "pdu", str(big), "--allow-partial", "--format", "json", "--output",
                     str(folder / "big.json"), "--audit"],
        }
        results = {}
        for name, command in steps.items():
            code, seconds, peak, stderr = measure(*command)
            results[name] = (seconds, peak)
            audit = [line for line in stderr.splitlines() if line.startswith(("audit", "  rows", "error"))]
            print(f"{name:<9} exit {code}  {seconds:7.1f} s  peak RSS {peak:7.0f} MB"
                  + (f"   {' | '.join(a.strip() for a in audit)}" if audit else ""))
            if code != 0:
                print(stderr[-1500:])
        base = results["baseline"][1]
        for name in ("read", "rate"):
            extra = results[name][1] - base
            print(f"{name}: {extra:.0f} MB above the baseline = {extra / size:.2f} x the file's {size:.1f} MB of text")
        out = folder / "big.json"
        if out.exists():
            data = json.loads(out.read_text(encoding="utf-8"))
            print(f"rated {len(data['units']):,} units; output {out.stat().st_size / 1e6:.1f} MB; "
                  f"audit {data['inputs'][0]['audit']}")


if __name__ == "__main__":
    main()
