"""Start-up cost of the command line: CPU time of `rate --version`, `rate --help` and `rate pdu`
on the example, next to `python -c pass` and the import floor, in one interleaved run.

    python bench/startup.py [--runs 7]

Prints the median CPU time (user + system, of the child process) of each command and its ratio
to `python -c pass`. Not a test: the machine is shared and noisy, so the figures are medians of
interleaved runs and the yardsticks are measured in the same run.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "cases" / "redcar-cleveland-middlesbrough.csv"
RATE = [sys.executable, "-m", "ratings_engine"]
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import floor (pandas, durable.lang)": [sys.executable, "-c", "import pandas, durable.lang"],
    "rate --version": [*RATE, "--version"],
    "rate --help": [*RATE, "--help"],
    "rate pdu --help": [*RATE, "pdu", "--help"],
    "rate pdu (the example)": [*RATE, "pdu", str(EXAMPLE)],
}


def cpu_seconds(command: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                   env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for command in COMMANDS.values():  # warm the file cache and byte-code once
        cpu_seconds(command)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, command in COMMANDS.items():  # interleaved, so load changes hit every command alike
            times[name].append(cpu_seconds(command))
    floor = statistics.median(times["python -c pass"])
    print(f"CPU time, median of {args.runs} interleaved runs (load average {os.getloadavg()[0]:.1f})")
    print(f"{'command':40} {'seconds':>8} {'x python -c pass':>17}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:40} {median:8.3f} {median / floor:17.1f}")


if __name__ == "__main__":
    main()
