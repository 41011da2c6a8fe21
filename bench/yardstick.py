"""The benchmarks' yardstick: a pandas/numpy-only rater of the probation-pdu-2021 framework.

    python bench/yardstick.py CASES.csv JUDGEMENTS.csv [OUT.json]
    python bench/yardstick.py --sweep CASES.csv JUDGEMENTS.csv FROM TO [OUT.json]

It reads the same case CSV as `rate pdu`, validates the same answer spellings (refusing any
other), tallies each unit's key questions, bands them 80 / 65 / 50% (exact fractions), takes a
standard's lowest key question, adds the judgement standards' scores and bands the mean score
(0.5 / 1.5 / 2.5), and writes one JSON record per unit: no explanations, no margins, no rule
engine. `bench/run.py` checks that it agrees with `rate pdu --format json` on every value, then
uses it as the baseline of every ratio. `--sweep` is the numpy sweep: the case file read once,
then the ratings counted for each Good threshold from FROM to TO (the Good / Requires improvement
boundary moving together, as `rate sweep --vary` both bounds). Nothing of the package is imported.
"""
from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd

RATINGS = ["Inadequate", "Requires improvement", "Good", "Outstanding"]
SCORES = {r: i for i, r in enumerate(RATINGS)}
#: The spellings `rate pdu` accepts (README, input formats), lower-cased: 1 yes, 0 no, -1 n/a.
SPELLINGS = {"yes": 1, "y": 1, "sufficient": 1, "no": 0, "n": 0, "insufficient": 0,
             "n/a": -1, "na": -1, "not applicable": -1}
STANDARDS = {f"2.{s}": [f"2.{s}.{k}" for k in range(1, 4)] for s in range(1, 6)}
JUDGED = ["1.1", "1.2", "1.3", "1.4"]


def tallies(cases: str):
    """(units, key questions, sufficient, applicable) of a case file, its spellings validated."""
    frame = pd.read_csv(cases, dtype=str, keep_default_na=False)
    kqs = [c for c in frame.columns if c not in ("case_id", "unit")]
    answers = frame[kqs]
    codes = np.empty(answers.shape, dtype=np.int8)
    for j, column in enumerate(kqs):
        positions, spelt = pd.factorize(answers[column])  # a handful of distinct spellings per column
        meaning = np.array([SPELLINGS.get(v.strip().lower(), 9) for v in spelt], dtype=np.int8)
        if (meaning == 9).any():
            bad = int(np.flatnonzero(meaning[positions] == 9)[0])
            raise SystemExit(f"{cases}: row {bad + 2}, column {column}: {answers[column].iloc[bad]!r} is not an answer")
        codes[:, j] = meaning[positions]
    if frame["case_id"].eq("").any() or frame.duplicated(["unit", "case_id"]).any():
        raise SystemExit(f"{cases}: blank or duplicate case ids")
    unit_codes, units = pd.factorize(frame["unit"])
    n_units = len(units)
    sufficient = np.stack([np.bincount(unit_codes, weights=codes[:, j] == 1, minlength=n_units)
                           for j in range(len(kqs))], axis=1).astype(np.int64)
    applicable = np.stack([np.bincount(unit_codes, weights=codes[:, j] >= 0, minlength=n_units)
                           for j in range(len(kqs))], axis=1).astype(np.int64)
    return units, kqs, sufficient, applicable


def rate(cases: str, judgements: str, good: float = 65) -> list[dict]:
    """Every unit's ratings; `good` is the lowest percentage of a Good key question."""
    units, kqs, sufficient, applicable = tallies(cases)
    return _rate(units, kqs, sufficient, applicable, _judged(judgements, units), good)


def _judged(judgements: str, units) -> pd.DataFrame:
    given = pd.read_csv(judgements, dtype=str, keep_default_na=False)
    return given.pivot(index="unit", columns="standard", values="rating").reindex(units)


def _codes(kqs, sufficient, applicable, judged, good):
    """(standard rank arrays by id, overall rank array, score array, number scored) as numpy arrays."""
    # Key-question bands: 100 s >= cut * a, exactly (cuts in hundredths of a per cent).
    band = sum((10000 * sufficient >= round(cut * 100) * applicable).astype(np.int64) for cut in (50, good, 80))
    column = {k: j for j, k in enumerate(kqs)}
    standards = {}
    for sid, members in STANDARDS.items():
        if all(k in column for k in members):
            standards[sid] = band[:, [column[k] for k in members]].min(axis=1)
    for sid in JUDGED:
        standards[sid] = judged[sid].map(SCORES).to_numpy(dtype=np.int64)
    score = sum(standards.values())
    scored = len(standards)
    # Mean score bands: at most 0.5 Inadequate, 1.5 Requires improvement, 2.5 Good, above Outstanding.
    overall = sum((2 * score > cut * scored).astype(np.int64) for cut in (1, 3, 5))
    return standards, overall, score, scored


def _rate(units, kqs, sufficient, applicable, judged, good) -> list[dict]:
    standards, overall, score, scored = _codes(kqs, sufficient, applicable, judged, good)
    return [{"unit": name, "rating": RATINGS[overall[u]], "score": int(score[u]), "max_score": 3 * scored,
             "standards": {sid: RATINGS[int(v[u])] for sid, v in standards.items()}}
            for u, name in enumerate(units)]


def sweep(cases: str, judgements: str, values: list[float]) -> list[dict]:
    """Units per overall and standard rating as the Good threshold moves over `values` (read once)."""
    units, kqs, sufficient, applicable = tallies(cases)
    judged = _judged(judgements, units)
    out = []
    for value in values:
        standards, overall, _, _ = _codes(kqs, sufficient, applicable, judged, value)

        def counts(codes):
            n = np.bincount(codes, minlength=len(RATINGS))
            return {RATINGS[r]: int(n[r]) for r in range(len(RATINGS)) if n[r]}

        out.append({"value": value, "overall": counts(overall),
                    "standards": {sid: counts(codes) for sid, codes in standards.items()}})
    return out


def main() -> None:
    args = sys.argv[1:]
    if args[0] == "--sweep":  # --sweep CASES JUDGEMENTS FROM TO [OUT.json]: the Good threshold, step 1
        result = sweep(args[1], args[2], list(range(int(args[3]), int(args[4]) + 1)))
        out = args[5] if len(args) > 5 else None
    else:  # CASES JUDGEMENTS [OUT.json]
        result = rate(args[0], args[1])
        out = args[2] if len(args) > 2 else None
    text = json.dumps(result, separators=(",", ":"), ensure_ascii=False) + "\n"
    if out:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
