"""The benchmarks' yardstick: a pandas/numpy-only rater of the probation-pdu-2021 framework.

    python bench/yardstick.py CASES.csv JUDGEMENTS.csv [OUT.json]

It reads the same case CSV as `rate pdu`, validates the same answer spellings (refusing any
other), tallies each unit's key questions, bands them 80 / 65 / 50% (exact fractions), takes a
standard's lowest key question, adds the judgement standards' scores and bands the mean score
(0.5 / 1.5 / 2.5), and writes one JSON record per unit: no explanations, no margins, no rule
engine. `bench/run.py` checks that it agrees with `rate pdu --format json` on every value, then
uses it as the baseline of every ratio. Nothing of the package is imported.
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


def rate(cases: str, judgements: str) -> list[dict]:
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
    # Key-question bands: 100 s >= cut * a, exactly, for cuts 50, 65, 80.
    band = sum((100 * sufficient >= cut * applicable).astype(np.int64) for cut in (50, 65, 80))
    column = {k: j for j, k in enumerate(kqs)}
    standards = {}
    for sid, members in STANDARDS.items():
        if all(k in column for k in members):
            cols = [column[k] for k in members]
            standards[sid] = band[:, cols].min(axis=1)
    given = pd.read_csv(judgements, dtype=str, keep_default_na=False)
    judged = given.pivot(index="unit", columns="standard", values="rating").reindex(units)
    score = sum(standards.values()) + sum(judged[sid].map(SCORES).to_numpy(dtype=np.int64) for sid in JUDGED)
    scored = len(standards) + len(JUDGED)
    # Mean score bands: at most 0.5 Inadequate, 1.5 Requires improvement, 2.5 Good, above Outstanding.
    overall = sum((2 * score > cut * scored).astype(np.int64) for cut in (1, 3, 5))
    out = []
    for u, name in enumerate(units):
        out.append({"unit": name, "rating": RATINGS[overall[u]], "score": int(score[u]), "max_score": 3 * scored,
                    "standards": {**{sid: RATINGS[int(v[u])] for sid, v in standards.items()},
                                  **{sid: judged[sid].iloc[u] for sid in JUDGED}}})
    return out


def main() -> None:
    cases, judgements = sys.argv[1], sys.argv[2]
    text = json.dumps(rate(cases, judgements), separators=(",", ":"), ensure_ascii=False) + "\n"
    if len(sys.argv) > 3:
        with open(sys.argv[3], "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
