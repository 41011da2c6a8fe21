"""Synthetic national corpus for the benchmarks: N units x M cases x the 15 key questions of
probation-pdu-2021 (2.1.1 .. 2.5.3), plus a judgements file with a unit column.

    python bench/make_corpus.py OUT_DIR [--units 600] [--cases 100] [--seed 1]

Writes OUT_DIR/national.csv and OUT_DIR/national-judgements.csv. Keep OUT_DIR out of the
repository (the benchmark uses a temporary folder).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

KEY_QUESTIONS = [f"2.{s}.{k}" for s in range(1, 6) for k in range(1, 4)]
JUDGED = ["1.1", "1.2", "1.3", "1.4"]
RATINGS = ["Inadequate", "Requires improvement", "Good", "Outstanding"]


def make_corpus(out: Path, units: int = 600, cases: int = 100, seed: int = 1) -> tuple[Path, Path]:
    """Answers drawn per case with a unit quality, a key-question offset and a case effect, so
    a case's answers are correlated and units spread over the bands."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    n_kq = len(KEY_QUESTIONS)
    quality = rng.uniform(0.35, 0.9, size=units)  # per unit
    offset = rng.normal(0, 0.08, size=(units, n_kq))  # per unit and key question
    case_effect = rng.normal(0, 0.12, size=(units, cases, 1))  # per case: answers hang together
    p = np.clip(quality[:, None, None] + offset[:, None, :] + case_effect, 0.02, 0.98)
    yes = rng.random((units, cases, n_kq)) < p
    na = rng.random((units, cases, n_kq)) < 0.08
    words = np.where(na, "N/A", np.where(yes, "Yes", "No")).reshape(units * cases, n_kq)
    unit_names = np.repeat([f"PDU {u:04d}" for u in range(units)], cases)
    case_ids = [f"C{u:04d}-{c:03d}" for u in range(units) for c in range(cases)]
    cases_path = out / "national.csv"
    with cases_path.open("w", encoding="utf-8", newline="") as f:
        f.write(",".join(["case_id", "unit", *KEY_QUESTIONS]) + "\n")
        for cid, unit, row in zip(case_ids, unit_names, words):
            f.write(f"{cid},{unit},{','.join(row)}\n")
    judgements_path = out / "national-judgements.csv"
    picks = rng.integers(0, 4, size=(units, len(JUDGED)))
    with judgements_path.open("w", encoding="utf-8", newline="") as f:
        f.write("unit,standard,rating\n")
        for u in range(units):
            for j, sid in enumerate(JUDGED):
                f.write(f"PDU {u:04d},{sid},{RATINGS[picks[u, j]]}\n")
    return cases_path, judgements_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--units", type=int, default=600)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for path in make_corpus(args.out, args.units, args.cases, args.seed):
        print(path)


if __name__ == "__main__":
    main()
