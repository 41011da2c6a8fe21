"""Benchmark of the workbench (issue 14), run by hand (not in CI):

    python bench/workbench.py            # 600 units x 100 cases x 15 key questions
    python bench/workbench.py --quick    # 60 units, to check the script itself

Builds the synthetic national corpus (bench/make_corpus.py) in a temporary folder, opens the
workbench on it, and measures the server time of one edit: POST /api/rate through the
application (token check, JSON, candidate built and validated, the corpus re-rated in bulk under
it with each change also applied alone for attribution, the HTML rendered), for a series of
distinct edits (each a new rulebook content, so nothing is answered from a cache). Target: under
300 ms per edit. Yardstick in the same run: the full explained diff of the same candidate (what
`rate diff` computes: every decision, rule and explanation). Also printed: the check-rules and
scenario panel (its own request, memoised per candidate).
"""
from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
TARGET_MS = 300.0


def edits(form: dict, n: int) -> list[tuple[str, dict]]:
    """Distinct edits a methodologist makes in a row: the Good threshold, a count row, a limit."""
    out = []
    for i in range(n):
        f = copy.deepcopy(form)
        good = 66 + i % 12
        f["key_question_bands"][1]["min"] = str(good)
        f["key_question_bands"][2]["below"] = str(good)
        label = f"Good from {good}%"
        if i % 3 >= 1:
            f["overall_bands"].insert(0, {"id": "count-two-inadequate", "then": "Inadequate",
                                          "counts": f"[{{ratings: [Inadequate], min: {2 + i % 2}}}]"})
            label += f", {2 + i % 2}+ Inadequate -> Inadequate"
        if i % 3 == 2:
            f["limits"][0]["enabled"] = True
            label += ", limit on"
        out.append((label, f))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--edits", type=int, default=12)
    args = parser.parse_args()
    units = 60 if args.quick else 600

    from make_corpus import make_corpus
    from starlette.testclient import TestClient

    from ratings_engine.api import workbench
    from ratings_engine.web.app import cookie_name, create_app

    with tempfile.TemporaryDirectory() as tmp:
        cases, judgements = make_corpus(Path(tmp) / "national", units, 100, seed=1)
        t = time.perf_counter()
        bench = workbench([cases, judgements], "probation-pdu-2021")
        opened = time.perf_counter() - t
        app, token = create_app(bench, port=8000)
        client = TestClient(app, base_url="http://127.0.0.1:8000")
        client.cookies.set(cookie_name(8000), token)
        assert client.post("/api/rate", json={"form": bench.form()}).status_code == 200  # warm: imports, templates

        rows = []
        for label, form in edits(bench.form(), args.edits):
            t = time.perf_counter()
            response = client.post("/api/rate", json={"form": form, "level": "overall"})
            wall = 1000 * (time.perf_counter() - t)
            assert response.status_code == 200, response.text
            data = response.json()
            rows.append((label, wall, data["server_ms"], data["moved"]))
        t = time.perf_counter()
        report = bench.diff_report(edits(bench.form(), 3)[2][1])
        yardstick = 1000 * (time.perf_counter() - t)
        t = time.perf_counter()
        bench.check(edits(bench.form(), 3)[2][1])
        check_ms = 1000 * (time.perf_counter() - t)

    print(f"Workbench benchmark: {len(bench.bulk.units)} units x {len(bench.bulk.layout.key_questions)} key questions "
          f"x 100 cases (corpus opened in {opened:.2f} s)")
    print()
    print(f"{'edit':48} {'request ms':>10} {'evaluate ms':>11} {'units moved':>11}")
    for label, wall, server, moved in rows:
        print(f"{label:48} {wall:10.0f} {server:11.0f} {moved:11d}")
    walls = [r[1] for r in rows]
    median, worst = statistics.median(walls), max(walls)
    print()
    print(f"one edit, POST /api/rate (server time, in process): median {median:.0f} ms, worst {worst:.0f} ms "
          f"over {len(walls)} distinct edits; target < {TARGET_MS:.0f} ms: "
          f"{'met' if worst < TARGET_MS else 'missed'} (worst), {'met' if median < TARGET_MS else 'missed'} (median)")
    print(f"yardstick, the full explained diff of one candidate (rate diff's path): {yardstick:.0f} ms "
          f"= {yardstick / median:.1f}x the median edit ({report.summary()['overall_changed']} overall changes)")
    print(f"check-rules + scenarios panel (its own request, first time for this candidate): {check_ms:.0f} ms")


if __name__ == "__main__":
    main()
