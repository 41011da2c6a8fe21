"""Benchmarks of issue 11, run by hand (not in CI): whole commands as users run them, against a yardstick.

    python bench/run.py            # every target, default sizes (about 5 minutes on 2 CPUs)
    python bench/run.py --quick    # small sizes and few runs: a smoke run of the script itself
    python bench/run.py --only a,c # some targets

Every timed figure is a whole process (`rate ...` through its console script, or the yardstick),
measured with `os.wait4`: CPU time (user + system) and peak memory (max RSS) of that process.
Processes of one comparison run interleaved, so load on the shared machine hits them alike;
ratios are of medians. The yardstick (`bench/yardstick.py`, pandas and numpy only) reads the same
CSV, validates the same spellings, tallies, bands 80/65/50, takes the lowest key question, adds
judgements and bands the mean score, with no explanations or margins; the script checks that it
agrees with `rate pdu --format json` on every value before using it.

Targets (issue 11):
 a. 10 units x 20,000 cases, `rate pdu --format json`: <= 3x the yardstick (CPU); a 15-row tally
    with 1,000,000 applicable cases per key question, rated with margins: < 3 s and < 200 MB.
 b. 600 x 100 x 15 `rate pdu --format json`: <= 2x the yardstick by CPU and by peak memory;
    5,000 units: <= 3x (CPU) and < 500 MB.
 c. `rate pdu` on the shipped example: <= 1.3x the import floor (`python -c "import pandas, durable.lang"`).
 d. one distinct decision through the adapter (`rule_engine.match`, one fact per call): at least the
    rate of raw durable_rules posting facts one by one.
 e. `rate sweep`, 16 values over 600 units: <= 1.5x a numpy sweep (`yardstick.py --sweep`).

The package's bytecode is compiled first, as `pip install` does (an editable checkout on a machine
with PYTHONDONTWRITEBYTECODE set would otherwise compile every module on every run). The first
run of each command warms the file cache and the rulebook cache (and, for `rate sweep`, the
cache of its validated variants); its CPU time is printed for (e) too.

Also printed: how many distinct decisions went through durable_rules in each rating command,
apart from the array lookups of the bulk path (bootstrap). Synthetic data goes to a temporary
folder, never into the repository.
"""
from __future__ import annotations

import argparse
import compileall
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
YARDSTICK = [sys.executable, str(ROOT / "bench" / "yardstick.py")]
SWEEP_VARY = ["--vary", "key_question_bands.rows[kq-good].min",
              "--vary", "key_question_bands.rows[kq-requires-improvement].below"]
#: Runs a rating command and prints, on stderr, how many distinct facts durable_rules decided.
COUNTING = ("import atexit, json, sys; from ratings_engine.engine import rule_engine; "
            "atexit.register(lambda: sys.stderr.write('DECISIONS ' + json.dumps(rule_engine.stats()) + '\\n')); "
            "from ratings_engine.cli import main; sys.argv[0] = 'rate'; main()")


def rate_command() -> list[str]:
    rate = shutil.which("rate", path=str(Path(sys.executable).parent)) or shutil.which("rate")
    return [rate] if rate else [sys.executable, "-m", "ratings_engine"]


#: Runs a command and reports its rusage. Linux counts, in a child's peak memory (ru_maxrss), the
#: memory of the process it was forked from; this small launcher is that process, so the figure
#: is the command's own (plus the launcher's few MB), not the benchmark script's.
LAUNCHER = ("import json, os, subprocess, sys, time\n"
            "start = time.perf_counter()\n"
            "proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
            "_, status, usage = os.wait4(proc.pid, 0)\n"
            "wall = time.perf_counter() - start\n"
            "sys.stderr.write(proc.stderr.read().decode(errors='replace'))\n"
            "print(json.dumps({'code': os.waitstatus_to_exitcode(status), 'wall': wall,"
            " 'cpu': usage.ru_utime + usage.ru_stime, 'mb': usage.ru_maxrss / 1024}))\n")


def measure(command: list[str]) -> dict:
    """Run a command to its end: CPU seconds, wall seconds and peak memory (MB) of the process."""
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *command], capture_output=True, text=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if figures["code"] not in (0, 4):
        raise SystemExit(f"failed ({figures['code']}): {' '.join(command)}\n{done.stderr[-2000:]}")
    return figures


def interleaved(commands: dict[str, list[str]], runs: int) -> dict[str, dict]:
    """Medians of CPU and wall time and the largest peak memory of each command, run in turn."""
    first = {name: measure(command) for name, command in commands.items()}  # warms the file and rulebook caches
    samples: dict[str, list[dict]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            samples[name].append(measure(command))
    return {name: {"cpu": statistics.median(s["cpu"] for s in rows), "wall": statistics.median(s["wall"] for s in rows),
                   "mb": max(s["mb"] for s in rows), "first_cpu": first[name]["cpu"]} for name, rows in samples.items()}


def decisions(args: list[str]) -> int:
    """Distinct facts durable_rules decided while one rating command ran."""
    done = subprocess.run([sys.executable, "-c", COUNTING, *args], capture_output=True, text=True)
    line = next(x for x in done.stderr.splitlines() if x.startswith("DECISIONS "))
    return json.loads(line.split(" ", 1)[1])["facts_asserted"]


def agree(rate_json: Path, yard_json: Path) -> None:
    """The yardstick and `rate pdu --format json` give the same ratings and scores for every unit."""
    mine = json.loads(rate_json.read_text(encoding="utf-8"))["units"]
    theirs = json.loads(yard_json.read_text(encoding="utf-8"))
    assert len(mine) == len(theirs)
    for m, t in zip(mine, theirs):
        same = (m["unit"] == t["unit"] and m["overall"]["rating"] == t["rating"] and m["overall"]["score"] == t["score"]
                and m["overall"]["max_score"] == t["max_score"]
                and {s["id"]: s["rating"] for s in m["standards"]} == t["standards"])
        if not same:
            raise SystemExit(f"the yardstick disagrees with rate pdu on unit {m['unit']}")


class Targets:
    def __init__(self):
        self.rows: list[tuple[str, str, str, bool]] = []

    def add(self, name: str, measured: str, target: str, met: bool) -> None:
        self.rows.append((name, measured, target, met))
        print(f"    -> {name}: {measured} (target {target}) {'met' if met else 'MISSED'}")


# ---------------------------------------------------------------------------------------------
# The targets


def corpus(data: Path, units: int, cases: int, seed: int) -> tuple[Path, Path]:
    from make_corpus import make_corpus

    return make_corpus(data / f"national-{units}x{cases}", units, cases, seed=seed)


def versus_yardstick(label: str, cases: Path, judgements: Path, data: Path, runs: int) -> dict:
    out, yard = data / "rate.json", data / "yardstick.json"
    commands = {"rate pdu": [*rate_command(), "pdu", str(cases), "-j", str(judgements), "--format", "json", "-o", str(out)],
                "yardstick": [*YARDSTICK, str(cases), str(judgements), str(yard)]}
    result = interleaved(commands, runs)
    agree(out, yard)
    r, y = result["rate pdu"], result["yardstick"]
    n = decisions(["pdu", str(cases), "-j", str(judgements), "--format", "json", "-o", str(out)])
    print(f"({label}) rate pdu --format json: CPU {r['cpu']:.2f} s, wall {r['wall']:.2f} s, {r['mb']:.0f} MB; "
          f"yardstick: CPU {y['cpu']:.2f} s, wall {y['wall']:.2f} s, {y['mb']:.0f} MB; "
          f"{n:,} distinct decisions through durable_rules")
    return {"rate": r, "yardstick": y, "cpu_ratio": r["cpu"] / y["cpu"], "mb_ratio": r["mb"] / y["mb"], "decisions": n}


def part_a(data: Path, runs: int, quick: bool, targets: Targets) -> dict:
    cases = 2_000 if quick else 20_000
    path, jpath = corpus(data, 10, cases, seed=3)
    a = versus_yardstick(f"a, 10 units x {cases:,} cases", path, jpath, data, runs)
    targets.add(f"a. 10 x {cases:,} rate pdu --format json vs yardstick (CPU)", f"{a['cpu_ratio']:.2f}x", "<= 3x",
                a["cpu_ratio"] <= 3)
    # One unit, 15 key questions, a million applicable cases each (the tally cells' limit).
    big = 100_000 if quick else 1_000_000
    tallies = data / "million.csv"
    with tallies.open("w", encoding="utf-8") as f:
        f.write("unit,key_question,sufficient,applicable,not_applicable\n")
        for i, kq in enumerate(f"2.{s}.{k}" for s in range(1, 6) for k in range(1, 4)):
            f.write(f"PDU 0000,{kq},{big * (45 + 3 * i) // 100 + i},{big},0\n")
    jfile = data / "million-judgements.csv"
    jfile.write_text("unit,standard,rating\n" + "".join(f"PDU 0000,1.{k},Good\n" for k in range(1, 5)), encoding="utf-8")
    command = [*rate_command(), "pdu", str(tallies), "-j", str(jfile), "--format", "json", "-o", str(data / "m.json")]
    m = interleaved({"tally": command}, runs)["tally"]
    n = decisions(command[len(rate_command()):])
    margins = [k["decision"]["margin"] for s in json.loads((data / "m.json").read_text())["units"][0]["standards"]
               for k in s["key_questions"]]
    print(f"(a) 15-row tally, {big:,} applicable cases per key question, with margins "
          f"({sum(1 for g in margins if g['up'] or g['down'])} key questions with a margin): wall {m['wall']:.2f} s, "
          f"CPU {m['cpu']:.2f} s, {m['mb']:.0f} MB; {n:,} distinct decisions through durable_rules")
    targets.add(f"a. 15-row tally x {big:,} applicable, with margins: time", f"{m['wall']:.2f} s wall", "< 3 s",
                m["wall"] < 3)
    targets.add(f"a. 15-row tally x {big:,} applicable, with margins: memory", f"{m['mb']:.0f} MB", "< 200 MB",
                m["mb"] < 200)
    return {"corpus": a, "tally": {**m, "decisions": n}}


def part_b(data: Path, runs: int, quick: bool, targets: Targets) -> dict:
    units = 60 if quick else 600
    path, jpath = corpus(data, units, 100, seed=1)
    b = versus_yardstick(f"b, {units} units x 100 cases", path, jpath, data, runs)
    targets.add(f"b. {units} x 100 rate pdu --format json vs yardstick (CPU)", f"{b['cpu_ratio']:.2f}x", "<= 2x",
                b["cpu_ratio"] <= 2)
    targets.add(f"b. {units} x 100 peak memory vs yardstick", f"{b['mb_ratio']:.2f}x ({b['rate']['mb']:.0f} MB)",
                "<= 2x", b["mb_ratio"] <= 2)
    many = 500 if quick else 5_000
    path, jpath = corpus(data, many, 100, seed=4)
    big = versus_yardstick(f"b, {many:,} units x 100 cases", path, jpath, data, max(1, runs - 2))
    targets.add(f"b. {many:,} x 100 rate pdu --format json vs yardstick (CPU)", f"{big['cpu_ratio']:.2f}x", "<= 3x",
                big["cpu_ratio"] <= 3)
    targets.add(f"b. {many:,} x 100 peak memory", f"{big['rate']['mb']:.0f} MB", "< 500 MB", big["rate"]["mb"] < 500)
    return {"national": b, "many": big}


def part_c(runs: int, targets: Targets) -> dict:
    commands = {"rate pdu": [*rate_command(), "pdu", str(EXAMPLE), "-j", str(EXAMPLE_J)],
                "import floor": [sys.executable, "-c", "import pandas, durable.lang"]}
    result = interleaved(commands, runs)
    r, f = result["rate pdu"], result["import floor"]
    ratio = r["cpu"] / f["cpu"]
    print(f"(c) rate pdu on the example: CPU {r['cpu']:.3f} s, wall {r['wall']:.3f} s; import floor: CPU "
          f"{f['cpu']:.3f} s, wall {f['wall']:.3f} s (medians of {runs}); wall ratio {r['wall'] / f['wall']:.2f}x")
    targets.add("c. rate pdu on the example vs import floor (CPU)", f"{ratio:.2f}x", "<= 1.3x", ratio <= 1.3)
    return {"rate": r, "floor": f, "ratio": ratio}


def part_d(quick: bool, targets: Targets) -> dict:
    """In process: one distinct fact per call through the adapter, and through raw durable_rules."""
    import uuid

    import durable.engine

    from ratings_engine.engine import rule_engine
    from ratings_engine.engine.decide import band_condition
    from ratings_engine.io.rulebooks import load_rulebook

    n = 2_000 if quick else 20_000
    rows = load_rulebook().rulebook.key_question_bands.rows
    conditions = [(f"r{i}", band_condition(r)) for i, r in enumerate(rows)]
    rates = {"adapter": [], "raw": []}
    for trial in range(3):
        name = rule_engine.register(conditions + [(f"never_{uuid.uuid4().hex}", {"$lt": {"d": 0}})])
        facts = [{"x": 10000 * s, "d": 1_000_003 + s} for s in range(n)]
        start = time.process_time()
        for fact in facts:
            rule_engine.match(name, [fact])
        rates["adapter"].append(n / (time.process_time() - start))

        hits = []

        class Host(durable.engine.Host):
            def _run(self):  # no dispatcher threads: the same synchronous use as the adapter's
                return None

        host = Host()
        body = {rule: {"all": [{"m": {"$and": [{"t": "fact"}, c]}}],
                       "run": (lambda rule: lambda c: hits.append((c.m["fid"], rule)))(rule)} for rule, c in conditions}
        host.register_rulesets({f"raw{trial}": body})
        start = time.process_time()
        for i, fact in enumerate(facts):
            host.post(f"raw{trial}", {**fact, "t": "fact", "fid": i})
        rates["raw"].append(n / (time.process_time() - start))
        assert len(hits) == n  # one row matches each fact (an event is consumed by the rule it fires)
    adapter, raw = statistics.median(rates["adapter"]), statistics.median(rates["raw"])
    print(f"(d) one distinct decision per call, {n:,} facts, medians of 3: adapter {adapter:,.0f}/s (a session, "
          f"the sentinel proof, memo); raw durable_rules posting one by one {raw:,.0f}/s (the same rules, no "
          f"sentinel, one action per fact)")
    targets.add("d. adapter vs raw durable_rules, one fact at a time", f"{adapter / raw:.2f}x", ">= 1x", adapter >= raw)
    return {"adapter": adapter, "raw": raw}


def part_e(data: Path, runs: int, quick: bool, targets: Targets) -> dict:
    units = 60 if quick else 600
    path, jpath = corpus(data, units, 100, seed=1)
    commands = {"rate sweep": [*rate_command(), "sweep", str(path), "-j", str(jpath), *SWEEP_VARY, "--from", "60",
                               "--to", "75", "--step", "1", "--format", "json", "-o", str(data / "sweep.json"), "-q"],
                "numpy sweep": [*YARDSTICK, "--sweep", str(path), str(jpath), "60", "75", str(data / "ysweep.json")]}
    result = interleaved(commands, runs)
    mine = json.loads((data / "sweep.json").read_text(encoding="utf-8"))["results"]
    theirs = json.loads((data / "ysweep.json").read_text(encoding="utf-8"))
    for m, t in zip(mine, theirs):
        if {k: v for k, v in m["overall"].items() if v} != t["overall"]:
            raise SystemExit(f"the numpy sweep disagrees with rate sweep at value {m['value']}")
    r, y = result["rate sweep"], result["numpy sweep"]
    ratio = r["cpu"] / y["cpu"]
    print(f"(e) sweep of 16 values over {units} units: rate sweep CPU {r['cpu']:.2f} s, numpy sweep CPU {y['cpu']:.2f} s "
          f"(the first run, with the 16 variants not yet in the rulebook cache: {r['first_cpu']:.2f} s, "
          f"{r['first_cpu'] / y['cpu']:.2f}x)")
    targets.add(f"e. rate sweep, 16 values x {units} units, vs numpy sweep (CPU)", f"{ratio:.2f}x", "<= 1.5x",
                ratio <= 1.5)
    return {"rate": r, "numpy": y, "ratio": ratio}


def bulk_lookups(data: Path, quick: bool) -> dict:
    """The bulk path (bootstrap): array lookups per second, and the distinct decisions behind them."""
    from ratings_engine import api
    from ratings_engine.engine import rule_engine
    from ratings_engine.engine.bulk import Layout, case_matrices, judgement_codes
    from ratings_engine.toolkit.confidence import bootstrap

    units, resamples = (20, 100) if quick else (200, 1000)
    path, jpath = corpus(data, units, 100, seed=2)
    rb = api.load_rulebook("probation-pdu-2021").rulebook
    matrices = case_matrices(api.load_cases(path, rb), rb, Layout(rb))
    judged = judgement_codes(rb, api.load_judgements(jpath, rb), [m.unit for m in matrices], Layout(rb))
    before = rule_engine.stats()["facts_asserted"]
    start = time.process_time()
    bootstrap(rb, matrices, judged, resamples=resamples, seed=2021)
    seconds = time.process_time() - start
    distinct = rule_engine.stats()["facts_asserted"] - before
    cells = int(sum(m.present.sum() for m in matrices)) * resamples
    print(f"(info) bootstrap, {units} units x {resamples} resamples: {cells:,} key-question ratings as array lookups "
          f"({cells / seconds:,.0f}/s, CPU {seconds:.2f} s), from {distinct:,} distinct decisions through durable_rules")
    return {"cells": cells, "seconds": seconds, "distinct_decisions": distinct}


def main() -> None:
    parser = argparse.ArgumentParser(description="issue 11 benchmarks: whole commands against a yardstick")
    parser.add_argument("--only", default="a,b,c,d,e", help="targets to run, e.g. b,c")
    parser.add_argument("--quick", action="store_true", help="small sizes and two runs: a smoke run")
    parser.add_argument("--runs", type=int, help="interleaved runs per comparison (default 5; 9 for c; --quick 2)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    parts = set(args.only.replace(" ", "").split(","))
    runs = args.runs or (2 if args.quick else 5)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f}; "
          f"{runs} interleaved runs per comparison; rate = {' '.join(rate_command())}")
    compiled = compileall.compile_dir(str(ROOT / "ratings_engine"), quiet=2)
    print("the package's bytecode compiled first, as pip does when it installs" + ("" if compiled else " (failed)")
          + (": this machine sets PYTHONDONTWRITEBYTECODE, so an editable checkout would otherwise compile every "
             "module from source on every run" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""))
    targets = Targets()
    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="ratings-bench-") as tmp:
        data = Path(tmp)
        os.environ.setdefault("RATINGS_ENGINE_CACHE_DIR", str(data / "cache"))  # the user's cache is left alone
        if "a" in parts:
            figures["a"] = part_a(data, runs, args.quick, targets)
        if "b" in parts:
            figures["b"] = part_b(data, runs, args.quick, targets)
        if "c" in parts:
            figures["c"] = part_c(args.runs or (3 if args.quick else 9), targets)
        if "d" in parts:
            figures["d"] = part_d(args.quick, targets)
        if "e" in parts:
            figures["e"] = part_e(data, runs, args.quick, targets)
        figures["bulk"] = bulk_lookups(data, args.quick)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}\n")
    print("| target | measured | target | |\n|---|---|---|---|")
    for name, measured, target, met in targets.rows:
        print(f"| {name} | {measured} | {target} | {'met' if met else 'missed'} |")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
