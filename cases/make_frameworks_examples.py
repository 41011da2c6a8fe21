"""Write the illustrative examples of the 2023 regional and 2025 youth frameworks (seeded, reproducible).

    python cases/make_frameworks_examples.py

ILLUSTRATIVE DATA, invented for demonstration: no real unit, case or rating. The files:

* `probation-region-2023-example.csv`: the Midshire region (illustrative) with three PDUs.
  PDU rows are case supervision cases (answering the PDU key questions 2.1.1-2.4.3; licence
  cases also the resettlement key questions R2.3.x) and court reports (answering R2.4.x);
  rows whose unit is the region are the regional sample (unpaid work R2.5.x, statutory victim
  contact R2.6.x). `probation-region-2023-example-judgements.csv` judges the PDUs' domain one
  and the region's leadership and staffing.
* `youth-justice-2025-example.csv`: a youth justice service (illustrative): children's cases
  (2.1.x) and victims' cases (V1.1); `youth-justice-2025-example-judgements.csv` judges domain
  one and the victims' organisational key question V1.2.
"""
from __future__ import annotations

import csv
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
REGION = "Midshire region (illustrative)"
PDUS = {  # name: (supervision cases, court reports, chance a key question is sufficient)
    "Northshire PDU (illustrative)": (30, 12, 0.78),
    "Eastvale PDU (illustrative)": (24, 10, 0.6),
    "Westmoor PDU (illustrative)": (36, 14, 0.7),
}
PDU_KQS = [f"2.{s}.{k}" for s in range(1, 5) for k in range(1, 4)]
RESETTLEMENT = ["R2.3.1", "R2.3.2", "R2.3.3"]
COURT = ["R2.4.1", "R2.4.2", "R2.4.3"]
UNPAID = ["R2.5.1", "R2.5.2", "R2.5.3"]
VICTIM = ["R2.6.1", "R2.6.2"]


def answer(rng: random.Random, p: float) -> str:
    return "Yes" if rng.random() < p else "No"


def region_example() -> None:
    rng = random.Random(2024)
    header = ["case_id", "unit", "region", *PDU_KQS, *RESETTLEMENT, *COURT, *UNPAID, *VICTIM]
    rows = []
    for n, (pdu, (cases, reports, p)) in enumerate(PDUS.items(), start=1):
        for i in range(1, cases + 1):
            licence = i % 5 in (1, 3)  # two in five supervision cases are licence (resettlement) cases
            row = {k: answer(rng, p - (0.12 if k.endswith(".3") else 0)) for k in PDU_KQS}
            row.update({k: answer(rng, p - 0.05) if licence else "N/A" for k in RESETTLEMENT})
            row.update({k: "N/A" for k in (*COURT, *UNPAID, *VICTIM)})
            rows.append({"case_id": f"P{n}-{i:03d}", "unit": pdu, "region": REGION, **row})
        for i in range(1, reports + 1):
            row = {k: "N/A" for k in (*PDU_KQS, *RESETTLEMENT, *UNPAID, *VICTIM)}
            row.update({k: answer(rng, p + 0.05) for k in COURT})
            rows.append({"case_id": f"C{n}-{i:03d}", "unit": pdu, "region": REGION, **row})
    for i in range(1, 21):
        row = {k: "N/A" for k in (*PDU_KQS, *RESETTLEMENT, *COURT, *VICTIM)}
        row.update({k: answer(rng, 0.72) for k in UNPAID})
        rows.append({"case_id": f"UW-{i:03d}", "unit": REGION, "region": REGION, **row})
    for i in range(1, 13):
        row = {k: "N/A" for k in (*PDU_KQS, *RESETTLEMENT, *COURT, *UNPAID)}
        row.update({k: answer(rng, 0.85) for k in VICTIM})
        rows.append({"case_id": f"VC-{i:03d}", "unit": REGION, "region": REGION, **row})
    write("probation-region-2023-example.csv", header, rows)
    judgements = [
        ("Northshire PDU (illustrative)", "1.1", "Good", "Illustrative: a stable senior team with a clear plan"),
        ("Northshire PDU (illustrative)", "1.2", "Good", "Illustrative: staffing close to target"),
        ("Northshire PDU (illustrative)", "1.3", "Good", "Illustrative: a good range of services"),
        ("Eastvale PDU (illustrative)", "1.1", "Requires improvement", "Illustrative: frequent changes of head of service"),
        ("Eastvale PDU (illustrative)", "1.2", "Inadequate", "Illustrative: a third of probation officer posts vacant"),
        ("Eastvale PDU (illustrative)", "1.3", "Requires improvement", "Illustrative: long waits for accredited programmes"),
        ("Westmoor PDU (illustrative)", "1.1", "Good", "Illustrative: leaders visible and well regarded"),
        ("Westmoor PDU (illustrative)", "1.2", "Requires improvement", "Illustrative: high caseloads"),
        ("Westmoor PDU (illustrative)", "1.3", "Good", "Illustrative: strong partnerships"),
        (REGION, "R1.1", "Good", "Illustrative: a regional plan owned by every PDU"),
        (REGION, "R1.2", "Requires improvement", "Illustrative: staffing evidence from the three PDU inspections"),
    ]
    write("probation-region-2023-example-judgements.csv", ["unit", "standard", "rating", "reason"],
          [dict(zip(["unit", "standard", "rating", "reason"], j)) for j in judgements])


def youth_example() -> None:
    rng = random.Random(2025)
    unit = "Riverside youth justice service (illustrative)"
    kqs = ["2.1.1", "2.1.2", "2.1.3", "2.1.4"]
    header = ["case_id", "unit", *kqs, "V1.1"]
    rows = []
    for i in range(1, 31):
        rows.append({"case_id": f"CH-{i:03d}", "unit": unit, **{k: answer(rng, 0.74) for k in kqs}, "V1.1": "N/A"})
    for i in range(1, 13):
        rows.append({"case_id": f"VI-{i:03d}", "unit": unit, **{k: "N/A" for k in kqs}, "V1.1": answer(rng, 0.85)})
    write("youth-justice-2025-example.csv", header, rows)
    judgements = [("1.1", "Good", "Illustrative: a board that knows the service well"),
                  ("1.2", "Good", "Illustrative: a stable, well-trained team"),
                  ("1.3", "Requires improvement", "Illustrative: Appropriate Adult cover gaps at night"),
                  ("1.4", "Good", "Illustrative: good information sharing"),
                  ("V1.2", "Requires improvement", "Illustrative: victim work not yet planned across partners")]
    write("youth-justice-2025-example-judgements.csv", ["standard", "rating", "reason"],
          [dict(zip(["standard", "rating", "reason"], j)) for j in judgements])


def write(name: str, header: list[str], rows: list[dict]) -> None:
    with (HERE / name).open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    region_example()
    youth_example()
