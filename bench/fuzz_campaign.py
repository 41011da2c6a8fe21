"""A fuzzing campaign (issue 7), run by hand: thousands of mutated inputs through the command line.

    python bench/fuzz_campaign.py                    # 10,000 inputs of six kinds (MIX below)
    python bench/fuzz_campaign.py -n 2000 --seed 7 --save /tmp/crashes

Inputs come from the generators of tests/test_fuzz.py (mutated case, tally and judgement CSVs in
several encodings and delimiters with control characters and markup in cells, mutated .xlsx
workbooks, mutated rulebooks with merge keys and huge numbers; and since issue 17 case files with
stray quotes, workbooks with shuffled and hidden sheets, and worksheets with sparse or oversized
row and column numbers). Each is run in
process through click's CliRunner (fast), in worker processes that are recycled every few hundred
inputs (every distinct rulebook registers rulesets that live as long as the process). An input
that takes longer than --timeout seconds counts as a hang. Prints the count of each outcome per
kind of input: `rating` (exit 0, or 4 when an overall rating is refused), `clean error` (exit 2,
one paragraph), `crash` (anything else: a traceback, exit 1, an exception), `hang`, `silent loss`
(a rating whose audit does not account for every line of the CSV, whose tallies miss a used case,
or that read a hidden sheet nobody named) and `unsafe output` (a control character from the data
printed raw). Seeds of failures are printed (and inputs saved
with --save) so each can be replayed: `--replay KIND:SEED`.
"""
from __future__ import annotations

import argparse
import multiprocessing
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

#: Address space of a worker: an input that needs more is a crash (MemoryError), reported as one.
MEMORY_LIMIT = 4 << 30
MIX = (("csv", 0.35), ("xlsx", 0.1), ("rulebook", 0.2), ("quotes", 0.2), ("sheets", 0.08), ("sparse", 0.07))


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def run_one(job: tuple[str, int, float]) -> tuple[str, int, str, str]:
    """(kind, seed, outcome, why) for one generated input."""
    from test_fuzz import GENERATORS, run_in_process

    kind, seed, timeout = job
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))  # a runaway input fails, not the machine
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        item = GENERATORS[kind](random.Random(seed))
        with tempfile.TemporaryDirectory() as tmp:
            outcome, why = run_in_process(item, Path(tmp))
    except Hang:
        outcome, why = "hang", f"no answer in {timeout} s"
    except Exception as exc:  # noqa: BLE001 - the harness itself must survive anything
        outcome, why = "crash", f"{type(exc).__name__}: {exc}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return kind, seed, outcome, why


def jobs(n: int, seed: int, timeout: float) -> list[tuple[str, int, float]]:
    rng = random.Random(seed)
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    return [(rng.choices(kinds, weights)[0], seed * 1_000_003 + i, timeout) for i in range(n)]


def save(kind: str, seed: int, folder: Path) -> None:
    from test_fuzz import GENERATORS

    item = GENERATORS[kind](random.Random(seed))
    target = folder / f"{kind}-{seed}"
    target.mkdir(parents=True, exist_ok=True)
    for name, data in item.files.items():
        (target / name).write_bytes(data)
    (target / "command.txt").write_text("rate " + " ".join(repr(a) for a in item.args) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000, help="Number of inputs.")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--timeout", type=float, default=60.0, help="Seconds before an input counts as a hang.")
    parser.add_argument("--workers", type=int, default=max(1, multiprocessing.cpu_count()))
    parser.add_argument("--save", type=Path, help="Save failing inputs (files and command) here.")
    parser.add_argument("--replay", metavar="KIND:SEED", help="Run one input and print its outcome.")
    args = parser.parse_args()
    if args.replay:
        kind, seed = args.replay.split(":")
        print(run_one((kind, int(seed), args.timeout)))
        if args.save:
            save(kind, int(seed), args.save)
        return
    todo = jobs(args.n, args.seed, args.timeout)
    counts: Counter = Counter()
    failures = []
    reasons: Counter = Counter()
    answered: set[int] = set()
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(args.workers, maxtasksperchild=300) as pool:
        results = pool.imap_unordered(run_one, todo, chunksize=1)
        for done in range(1, len(todo) + 1):
            try:  # a worker killed by a crash in C code never answers: count what is missing
                kind, seed, outcome, why = results.next(timeout=args.timeout + 60)
            except multiprocessing.TimeoutError:
                lost = [(k, sd) for k, sd, _ in todo if sd not in answered]
                counts[("all", "worker died")] += len(lost)
                for k, sd in lost:
                    failures.append((k, sd, "worker died", "no answer: the worker process died"))
                    print(f"  worker died: {k}:{sd} (replay it with --replay {k}:{sd})", flush=True)
                break
            answered.add(seed)
            counts[(kind, outcome)] += 1
            if outcome == "clean error":
                reasons[why.split(":", 2)[-1].strip()[:70]] += 1
            if outcome not in ("rating", "clean error"):
                failures.append((kind, seed, outcome, why))
                print(f"  {outcome}: {kind}:{seed}: {why[:300]}", flush=True)
                if args.save:
                    save(kind, seed, args.save)
            if done % 1000 == 0:
                print(f"  {done:,} inputs, {time.perf_counter() - start:.0f} s", flush=True)
    elapsed = time.perf_counter() - start
    print(f"\n{args.n:,} inputs (seed {args.seed}) in {elapsed:.0f} s, {args.workers} worker(s)\n")
    outcomes = ["rating", "clean error", "crash", "hang", "silent loss", "unsafe output"]
    print(f"{'input':<10}" + "".join(f"{o:>14}" for o in outcomes) + f"{'total':>9}")
    for kind, _ in MIX:
        row = [counts[(kind, o)] for o in outcomes]
        print(f"{kind:<10}" + "".join(f"{n:>14,}" for n in row) + f"{sum(row):>9,}")
    if counts[("all", "worker died")]:
        print(f"{'(died)':<10}{counts[('all', 'worker died')]:>13,} inputs never answered (a worker process died)")
    totals = [sum(counts[(k, o)] for k, _ in MIX) for o in outcomes]
    print(f"{'all':<10}" + "".join(f"{n:>14,}" for n in totals) + f"{sum(totals):>9,}")
    print("\nmost frequent clean errors:")
    for why, n in reasons.most_common(12):
        print(f"  {n:>6,}  ...{why}")
    if failures:
        print(f"\n{len(failures)} failure(s); replay one with: python bench/fuzz_campaign.py --replay KIND:SEED")
        sys.exit(1)


if __name__ == "__main__":
    main()
