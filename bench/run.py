"""Benchmarks for issue 5, run by hand (not in CI):

    python bench/run.py                 # everything, default sizes
    python bench/run.py --only b,d      # some parts
    python bench/run.py --quick         # small sizes, to check the script itself

(a) a synthetic national corpus (600 units x 100 cases x 15 key questions) rated end to end,
    against a baseline that only reads the same CSV with pandas and tallies it;
(b) 1,000 bootstrap resamples for 200 units: bulk vs one by one through `rate_tallies` (one call
    per resample, all units in it; timed on a few resamples and extrapolated), with a check that
    the results are identical, and bulk key-question decisions per second;
(c) peak memory (max RSS) of the processes of (a);
(d) whole-process wall time of `rate pdu` on the shipped example vs
    `python -c "import pandas, durable.lang"` (medians of several runs).

Synthetic data goes to a temporary folder (or --data DIR), never into the repository.
Timings of (a) are taken in fresh child processes, after their imports.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
EXAMPLE = ROOT / "cases" / "redcar-cleveland-middlesbrough.csv"
EXAMPLE_J = ROOT / "cases" / "redcar-cleveland-middlesbrough-judgements.csv"

TARGETS = {"a": 3.0, "b_ratio": 100.0, "b_rate": 1_000_000, "c_mb": 1024, "d": 1.5}


# ---------------------------------------------------------------------------------------------
# Child process for (a) and (c): time one way of rating the corpus, after the imports


def child(mode: str, cases: str, judgements: str) -> None:
    import resource

    import numpy as np
    import pandas as pd

    if mode == "baseline":
        start, cpu = time.perf_counter(), time.process_time()
        frame = pd.read_csv(cases, dtype=str, keep_default_na=False)
        answers = frame.drop(columns=["case_id", "unit"])  # the generator's exact spellings: no cleaning
        grouped = pd.concat({"sufficient": answers == "Yes", "insufficient": answers == "No",
                             "not_applicable": answers == "N/A"}, axis=1).groupby(frame["unit"], sort=False).sum()
        units = len(grouped)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    else:
        from ratings_engine import api
        from ratings_engine.rating.bulk import rate_bulk
        from ratings_engine.rating.tally import tally

        start, cpu = time.perf_counter(), time.process_time()
        loaded = api.load_rulebook("probation-pdu-2021")
        if mode == "full":  # explained results for every unit: what `rate pdu` computes
            report = api.rate(cases, loaded, judgements=judgements)
            units = len(report.units)
        else:  # bulk: read, validate, tally, then decide through the compiled rulebook on arrays
            rb = loaded.rulebook
            evidence = api.load_cases(cases, rb)
            given = api.load_judgements(judgements, rb)
            result = rate_bulk(tally(evidence), rb, given, units=evidence.units)
            result.overall_frame()
            units = len(result.units)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"mode": mode, "seconds": seconds, "cpu": cpu, "peak_mb": peak, "units": units}))
    del np


def run_child(mode: str, cases: Path, judgements: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(cases), str(judgements)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def part_a(data: Path, units: int, cases: int, runs: int) -> dict:
    from make_corpus import make_corpus

    path, jpath = make_corpus(data / f"national-{units}x{cases}", units, cases, seed=1)
    size = path.stat().st_size / 1e6
    print(f"(a) corpus: {units} units x {cases} cases x 15 key questions ({size:.1f} MB CSV), {runs} runs each")
    results: dict[str, list[dict]] = {"baseline": [], "bulk": [], "full": []}
    for _ in range(runs):  # interleaved, so load on the machine hits every mode alike
        for mode in results:
            results[mode].append(run_child(mode, path, jpath))
    med = {m: statistics.median(r["seconds"] for r in rs) for m, rs in results.items()}
    cpu = {m: statistics.median(r["cpu"] for r in rs) for m, rs in results.items()}
    peak = {m: max(r["peak_mb"] for r in rs) for m, rs in results.items()}
    for mode in ("baseline", "bulk", "full"):
        print(f"    {mode:9s} median wall {med[mode]:6.3f} s (x{med[mode] / med['baseline']:5.2f})   "
              f"CPU {cpu[mode]:6.3f} s (x{cpu[mode] / cpu['baseline']:5.2f})   peak RSS {peak[mode]:5.0f} MB")
    return {"seconds": med, "cpu_seconds": cpu, "peak_mb": peak, "ratio_bulk": med["bulk"] / med["baseline"],
            "ratio_full": med["full"] / med["baseline"], "cpu_ratio_bulk": cpu["bulk"] / cpu["baseline"],
            "cpu_ratio_full": cpu["full"] / cpu["baseline"]}


# ---------------------------------------------------------------------------------------------
# (b) bootstrap: bulk vs one by one


def part_b(data: Path, units: int, cases: int, resamples: int, one_by_one: int) -> dict:
    import numpy as np
    import pandas as pd

    from make_corpus import make_corpus
    from ratings_engine import api
    from ratings_engine.engine import rule_engine
    from ratings_engine.engine.bulk import Layout, case_matrices, evaluate, judgement_codes
    from ratings_engine.engine.decide import compile_rulebook
    from ratings_engine.rating.bulk import codes_of_results, same
    from ratings_engine.rating.rate import rate_tallies
    from ratings_engine.toolkit.confidence import bootstrap, resample_counts

    path, jpath = make_corpus(data / f"boot-{units}x{cases}", units, cases, seed=2)
    rb = api.load_rulebook("probation-pdu-2021").rulebook
    evidence = api.load_cases(path, rb)
    given = api.load_judgements(jpath, rb)
    layout = Layout(rb)
    matrices = case_matrices(evidence, rb, layout)
    judged = judgement_codes(rb, given, [m.unit for m in matrices], layout)
    seed = 2021
    n_kq = int(sum(m.present.sum() for m in matrices))
    print(f"(b) bootstrap: {units} units x {cases} cases, {resamples} resamples, {n_kq} key questions per resample")

    before = rule_engine.stats()["facts_asserted"]
    start = time.perf_counter()
    bootstrap(rb, matrices, judged, resamples=resamples, seed=seed)
    bulk_s = time.perf_counter() - start
    asserted = rule_engine.stats()["facts_asserted"] - before
    decisions = n_kq * resamples
    print(f"    bulk, cold: {bulk_s:.3f} s (resampling included) = {decisions / bulk_s:,.0f} key-question decisions/s; "
          f"{asserted} distinct inputs decided by durable_rules on the way")
    before = rule_engine.stats()["facts_asserted"]
    start = time.perf_counter()
    bootstrap(rb, matrices, judged, resamples=resamples, seed=seed + 1)
    warm_s = time.perf_counter() - start
    print(f"    bulk, warm (another seed; {rule_engine.stats()['facts_asserted'] - before} new inputs): {warm_s:.3f} s = "
          f"{decisions / warm_s:,.0f} key-question decisions/s")

    # One by one: each resample's tallies for every unit through rate_tallies (its batched best).
    counts = [resample_counts(m, resamples, seed) for m in matrices]
    compiled = compile_rulebook(rb)
    rows = []
    start = time.perf_counter()
    identical = True
    for r in range(one_by_one):
        frame = pd.DataFrame([(m.unit, layout.key_questions[k], int(c[0][r, k]), int(c[1][r, k] - c[0][r, k]), 0,
                               int(c[1][r, k])) for m, c in zip(matrices, counts) for k in np.flatnonzero(m.present)],
                             columns=["unit", "key_question", "sufficient", "insufficient", "not_applicable", "applicable"])
        rows.append(codes_of_results(rate_tallies(frame, rb, given, units=[m.unit for m in matrices]), rb))
    obo_s = (time.perf_counter() - start) / one_by_one * resamples
    for r, ref in enumerate(rows):
        mine = evaluate(compiled, np.stack([c[0][r] for c in counts]), np.stack([c[1][r] for c in counts]),
                        np.stack([m.present for m in matrices]), judged, layout=layout)
        identical &= same(mine, ref)
    ratio = obo_s / bulk_s
    print(f"    one by one: {obo_s / resamples:.3f} s per resample, {obo_s:.1f} s for {resamples} (extrapolated from "
          f"{one_by_one}); bulk is x{ratio:,.0f} faster; results identical on the {one_by_one} resamples "
          f"compared: {identical}")
    return {"bulk_seconds": bulk_s, "bulk_warm_seconds": warm_s, "one_by_one_seconds": obo_s, "ratio": ratio, "rate": decisions / bulk_s,
            "identical": identical, "distinct_inputs": asserted}


# ---------------------------------------------------------------------------------------------
# (d) startup


def part_d(runs: int) -> dict:
    rate = shutil.which("rate")
    cli = [rate] if rate else [sys.executable, "-m", "ratings_engine"]
    commands = {
        "rate pdu": [*cli, "pdu", str(EXAMPLE), "-j", str(EXAMPLE_J)],
        "import floor": [sys.executable, "-c", "import pandas, durable.lang"],
    }
    times: dict[str, list[float]] = {k: [] for k in commands}
    subprocess.run(commands["rate pdu"], capture_output=True, check=True)  # warm the file cache
    for _ in range(runs):
        for name, cmd in commands.items():
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            times[name].append(time.perf_counter() - start)
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["rate pdu"] / med["import floor"]
    print(f"(d) startup, medians of {runs}: rate pdu {med['rate pdu']:.3f} s, import floor {med['import floor']:.3f} s, "
          f"x{ratio:.2f}")
    return {"seconds": med, "ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description="issue 5 benchmarks")
    parser.add_argument("--only", default="a,b,c,d", help="parts to run, e.g. b,d ((c) comes with (a))")
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the script")
    parser.add_argument("--data", type=Path, help="folder for the synthetic corpora (default: a temporary folder)")
    parser.add_argument("--runs", type=int, default=5, help="runs per timing of (a) and (d)")
    parser.add_argument("--one-by-one", type=int, default=5, help="resamples timed one by one in (b)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    parts = set(args.only.replace(" ", "").split(","))
    sizes = dict(units=60, cases=100, boot_units=20, resamples=100) if args.quick else \
        dict(units=600, cases=100, boot_units=200, resamples=1000)
    tmp = None
    if args.data is None:
        tmp = tempfile.TemporaryDirectory(prefix="ratings-bench-")
        data = Path(tmp.name)
    else:
        data = args.data
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU(s); load average {os.getloadavg()[0]:.2f}")
    figures: dict = {}
    try:
        if parts & {"a", "c"}:
            figures["a"] = part_a(data, sizes["units"], sizes["cases"], args.runs)
        if "b" in parts:
            figures["b"] = part_b(data, sizes["boot_units"], 100, sizes["resamples"], args.one_by_one)
        if "d" in parts:
            figures["d"] = part_d(max(args.runs, 5))
    finally:
        if tmp is not None:
            tmp.cleanup()
    print("\ntargets:")
    if "a" in figures:
        a = figures["a"]
        for kind in ("bulk", "full"):
            wall, cpu = a[f"ratio_{kind}"], a[f"cpu_ratio_{kind}"]
            print(f"  (a) {kind} end to end <= {TARGETS['a']}x baseline: wall x{wall:.2f} "
                  f"[{'met' if wall <= TARGETS['a'] else 'MISSED'}], CPU x{cpu:.2f} [{'met' if cpu <= TARGETS['a'] else 'MISSED'}]")
        worst = max(a["peak_mb"]["bulk"], a["peak_mb"]["full"])
        print(f"  (c) peak memory < 1 GB: {worst:.0f} MB [{'met' if worst < TARGETS['c_mb'] else 'MISSED'}]")
    if "b" in figures:
        b = figures["b"]
        print(f"  (b) >= 100x one by one: x{b['ratio']:,.0f} [{'met' if b['ratio'] >= TARGETS['b_ratio'] else 'MISSED'}]; "
              f">= 1,000,000 decisions/s: {b['rate']:,.0f} [{'met' if b['rate'] >= TARGETS['b_rate'] else 'MISSED'}]; "
              f"identical: {b['identical']}")
    if "d" in figures:
        d = figures["d"]
        print(f"  (d) <= {TARGETS['d']}x import floor: x{d['ratio']:.2f} [{'met' if d['ratio'] <= TARGETS['d'] else 'MISSED'}]")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
    else:
        main()
