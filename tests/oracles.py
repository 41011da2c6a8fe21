"""Independent oracles: the rating rules written again, small and by hand, for tests to compare with.

Nothing here imports the package. The thresholds and tables are transcribed from the methodology
(shared/methodology.md, docs/frameworks.md, the README's framework table), not read from the
rulebooks or the compiled decision tables, so a test that compares the package with these
functions is not checking the code against itself.
"""
from __future__ import annotations

import itertools
import math
from fractions import Fraction

OUT, GOOD, RI, INAD = "Outstanding", "Good", "Requires improvement", "Inadequate"
#: Lowest first, as in every shipped rulebook.
LADDER = (INAD, RI, GOOD, OUT)
RANK = {r: i for i, r in enumerate(LADDER)}
SCORE = {INAD: 0, RI: 1, GOOD: 2, OUT: 3}

#: Key-question bands of every shipped rulebook: the lowest percentage (inclusive) of each band.
KQ_CUTS = ((OUT, 80), (GOOD, 65), (RI, 50))
#: The row id of each key-question band in the shipped rulebooks.
KQ_RULE = {OUT: "kq-outstanding", GOOD: "kq-good", RI: "kq-requires-improvement", INAD: "kq-inadequate"}

#: Tallies (sufficient, applicable) that give each rating under the shipped key-question bands.
TALLY_FOR = {OUT: (9, 10), GOOD: (7, 10), RI: (5, 10), INAD: (0, 10)}


def compared_percentage(s: int, a: int, rounding: str = "exact") -> Fraction:
    """The percentage a band bound is compared with: exact, rounded half up, or truncated."""
    exact = Fraction(100 * s, a)
    if rounding == "exact":
        return exact
    if rounding == "nearest_whole_percent":
        return Fraction(math.floor(exact + Fraction(1, 2)))
    if rounding == "truncate_whole_percent":
        return Fraction(math.floor(exact))
    raise ValueError(rounding)


def kq_band(s: int, a: int, rounding: str = "exact", cuts=KQ_CUTS) -> str:
    """The rating of a key question with s of a applicable cases sufficient."""
    pct = compared_percentage(s, a, rounding)
    for rating, lowest in cuts:
        if pct >= lowest:
            return rating
    return INAD


def margins_on_a_line(rank_at, here: int, lowest: int, highest: int):
    """(up, down) for a value `here` on a line of integer positions lowest..highest.

    `rank_at(position)` gives a (rank, label) pair or None where nothing is decided. Up: the
    nearest position above with a higher rank, as (label, distance); down likewise below.
    """
    mine = rank_at(here)[0]
    up = down = None
    for k in range(1, highest - here + 1):
        got = rank_at(here + k)
        if got is not None and got[0] > mine:
            up = (got[1], k)
            break
    for k in range(1, here - lowest + 1):
        got = rank_at(here - k)
        if got is not None and got[0] < mine:
            down = (got[1], k)
            break
    return up, down


def kq_margins(s: int, a: int, rounding: str = "exact", cuts=KQ_CUTS):
    """Fewest insufficient->sufficient (up) or sufficient->insufficient (down) changes that change the band."""
    def at(t):
        band = kq_band(t, a, rounding, cuts)
        return RANK[band], band
    return margins_on_a_line(at, s, 0, a)


def standard_rating(tallies, rounding: str = "exact", cuts=KQ_CUTS) -> str:
    """A case standard's rating: its lowest key question."""
    return min((kq_band(s, a, rounding, cuts) for s, a in tallies), key=RANK.__getitem__)


def standard_margins(tallies, rounding: str = "exact", cuts=KQ_CUTS):
    """Brute force over every way of turning cases: (up, down) as (fewest conversions, set of bands reached).

    Up moves only turn insufficient cases sufficient, down moves only the reverse; the sample
    sizes stay the same.
    """
    here = RANK[standard_rating(tallies, rounding, cuts)]
    best_up: dict[int, set[str]] = {}
    best_down: dict[int, set[str]] = {}
    for shift in itertools.product(*[range(-s, a - s + 1) for s, a in tallies]):
        if all(d >= 0 for d in shift) or all(d <= 0 for d in shift):
            rating = standard_rating([(s + d, a) for (s, a), d in zip(tallies, shift)], rounding, cuts)
            moved = sum(abs(d) for d in shift)
            if RANK[rating] > here and all(d >= 0 for d in shift):
                best_up.setdefault(moved, set()).add(rating)
            if RANK[rating] < here and all(d <= 0 for d in shift):
                best_down.setdefault(moved, set()).add(rating)
    up = (min(best_up), best_up[min(best_up)]) if best_up else None
    down = (min(best_down), best_down[min(best_down)]) if best_down else None
    return up, down


# ---------------------------------------------------------------------------------------------
# Overall ratings


def mean_band(score: int, scored: int) -> str:
    """The mean-score rule: mean score per standard cut at 0.5, 1.5 and 2.5 (at or below a cut: the lower band)."""
    mean = Fraction(score, scored)
    if mean <= Fraction(1, 2):
        return INAD
    if mean <= Fraction(3, 2):
        return RI
    if mean <= Fraction(5, 2):
        return GOOD
    return OUT


MEAN_RULES = {"overall": {INAD: "overall-inadequate", RI: "overall-requires-improvement", GOOD: "overall-good",
                          OUT: "overall-outstanding"},
              "mean": {INAD: "mean-inadequate", RI: "mean-requires-improvement", GOOD: "mean-good",
                       OUT: "mean-outstanding"}}

#: Explicit score tables of the shipped rulebooks (README's framework table, docs/frameworks.md):
#: rulebook -> (scored standards the table is for, [(lowest score, highest score, rating, row id)]),
#: with the mean-score rule (row ids mean-*) for any other number of scored standards.
EXPLICIT_TABLES = {
    "youth-justice-2018": (12, [(0, 6, INAD, "youth-12-inadequate"), (7, 18, RI, "youth-12-requires-improvement"),
                                (19, 30, GOOD, "youth-12-good"), (31, 36, OUT, "youth-12-outstanding")]),
    "probation-pdu-2023": (7, [(0, 3, INAD, "pdu23-7-inadequate"), (4, 10, RI, "pdu23-7-requires-improvement"),
                               (11, 17, GOOD, "pdu23-7-good"), (18, 21, OUT, "pdu23-7-outstanding")]),
    "probation-crc-nps-2018": (10, [(0, 5, INAD, "crcnps-10-inadequate"), (6, 15, RI, "crcnps-10-requires-improvement"),
                                    (16, 25, GOOD, "crcnps-10-good"), (26, 30, OUT, "crcnps-10-outstanding")]),
}
EXPLICIT_TABLES["youth-justice-2021"] = EXPLICIT_TABLES["youth-justice-2018"]
# The regional table for 8 scored standards (derived, uncertain), written out by hand.
EXPLICIT_TABLES["probation-region-2023"] = (8, [(0, 4, INAD, "region-8-inadequate"),
                                                (5, 12, RI, "region-8-requires-improvement"),
                                                (13, 20, GOOD, "region-8-good"), (21, 24, OUT, "region-8-outstanding")])


def overall_band(rulebook_id: str, score: int, scored: int) -> tuple[str, str]:
    """(rating, deciding row id) of a shipped rulebook's overall band table (no count rows, no limits)."""
    if rulebook_id in EXPLICIT_TABLES:
        n, rows = EXPLICIT_TABLES[rulebook_id]
        if scored == n:
            (rating, rule), = [(r, rule) for lo, hi, r, rule in rows if lo <= score <= hi]
            return rating, rule
        rating = mean_band(score, scored)
        return rating, MEAN_RULES["mean"][rating]
    if rulebook_id == "probation-pdu-2021":
        rating = mean_band(score, scored)
        return rating, MEAN_RULES["overall"][rating]
    if rulebook_id == "youth-justice-2025":  # the mean-score rule only (assumed), rows named mean-*
        rating = mean_band(score, scored)
        return rating, MEAN_RULES["mean"][rating]
    raise KeyError(rulebook_id)


def overall_margins(rulebook_id: str, score: int, scored: int):
    """Points to the nearest score (same number of scored standards) with a higher / lower overall band."""
    def at(t):
        rating = overall_band(rulebook_id, t, scored)[0]
        return RANK[rating], rating
    return margins_on_a_line(at, score, 0, 3 * scored)


def ratings_summing_to(score: int, scored: int) -> list[str]:
    """`scored` ratings whose scores add up to `score`: as many Outstanding as fit, then the rest."""
    assert 0 <= score <= 3 * scored
    out = []
    left = score
    for _ in range(scored):
        take = min(3, left)
        out.append(LADDER[take])
        left -= take
    return out


# ---------------------------------------------------------------------------------------------
# A whole PDU 2021 unit from its case answers


NOT_INSPECTED = "Not inspected"


def rate_pdu_unit_by_hand(answers: dict[str, list[str]], judgements: dict[str, str | None], *,
                          rounding: str = "exact", minimum_applicable: int = 1,
                          no_applicable_cases: str = "skip_key_question", no_outstanding_with_inadequate: bool = False,
                          allow_partial: bool = False, case_standards=("2.1", "2.2", "2.3", "2.4", "2.5")) -> dict:
    """A PDU 2021 unit rated by hand.

    `answers` maps key-question ids to the unit's answers coded "yes" / "no" / "n/a";
    `judgements` maps each judgement standard to its rating (None: missing). Every standard is
    scored; the overall band is the mean-score rule, with the optional limit "not Outstanding
    with an Inadequate standard" (cap Good).
    """
    standards: dict[str, str | None] = {}
    for std in case_standards:
        columns = [f"{std}.{k}" for k in (1, 2, 3)]
        if not any(c in answers for c in columns):
            standards[std] = NOT_INSPECTED
            continue
        bands, skipped = [], False
        for c in columns:
            s, n = answers[c].count("yes"), answers[c].count("no")
            if s + n < minimum_applicable:
                skipped = True
            else:
                bands.append(kq_band(s, s + n, rounding))
        if not bands or (skipped and no_applicable_cases == "standard_not_rated"):
            standards[std] = NOT_INSPECTED
        else:
            standards[std] = min(bands, key=RANK.__getitem__)
    # issue 17: a unit with cases none of whose case standards got a rating (all n/a) is not rated
    # from its cases: its overall is refused, or partial, as when judgements are missing
    has_cases = any(c in answers for std in case_standards for c in (f"{std}.1", f"{std}.2", f"{std}.3"))
    no_cases = has_cases and all(standards[std] == NOT_INSPECTED for std in case_standards)
    standards.update(judgements)
    scored = [r for r in standards.values() if r is not None and r != NOT_INSPECTED]
    missing = sorted(s for s, r in standards.items() if r is None)
    score, n = sum(SCORE[r] for r in scored), len(scored)
    if (missing or no_cases) and not allow_partial:
        overall, status = None, "incomplete"
    elif n == 0:
        overall, status = None, "not rated"
    else:
        overall, status = mean_band(score, n), ("partial" if missing or no_cases else "rated")
        if no_outstanding_with_inadequate and overall == OUT and INAD in scored:
            overall = GOOD
    return {"standards": standards, "score": score if n else 0, "scored": n, "max_score": 3 * n,
            "overall": overall, "status": status, "missing": missing, "no_cases": no_cases}
