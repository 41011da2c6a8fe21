"""What `KeyQuestionBands` gives a caller, with values worked out here: an outcome for a tally it
was not built with, and the percentages an explanation records (four decimal places)."""
from __future__ import annotations

from ratings_engine.engine.decide import compile_rulebook
from ratings_engine.io.rulebooks import load_rulebook, with_changes
from ratings_engine.rating.margins import KeyQuestionBands

PDU = load_rulebook("probation-pdu-2021")


def test_an_outcome_for_a_tally_the_bands_were_not_built_with_is_decided_on_request():
    bands = KeyQuestionBands(compile_rulebook(PDU), [(5, 10)])
    assert bands.outcome(13, 20).row.then == "Good"  # 65% exactly: Good from 65%
    assert bands.outcome(13, 20).row.then == "Good"  # and again, from the memo
    assert bands.outcome(5, 10).row.then == "Requires improvement"


def test_explained_percentages_are_kept_to_four_decimal_places():
    # 2 of 3 = 66.666...%; 1 of 7 = 14.2857142...%; 5 of 8 = 62.5% (rounded half up: 63)
    exact = KeyQuestionBands(compile_rulebook(PDU), [(2, 3), (1, 7)])
    details, because, up, down = exact.explained(2, 3, 0)
    assert (details["pct"], details["pct_compared"], details["rounding"]) == (66.6667, 66.6667, "exact")
    assert exact.explained(1, 7, 1)[0]["pct"] == 14.2857
    whole = KeyQuestionBands(compile_rulebook(with_changes(PDU, ["policies.rounding.value=nearest_whole_percent"])),
                             [(5, 8)])
    details = whole.explained(5, 8, 0)[0]
    assert (details["pct"], details["pct_compared"]) == (62.5, 63)


def test_overall_margins_skip_a_capped_stretch_to_the_next_higher_band():
    """8 scored standards (0-24 points): mean bands give Inadequate to 4, Requires improvement to
    12, Good to 20, Outstanding above; a limit caps scores 14-16 at Requires improvement."""
    from ratings_engine.engine.decide import OverallInput
    from ratings_engine.rating.margins import OverallBands
    from ratings_engine.model.results import Margin

    row = "overall.limits.rows[no-outstanding-with-inadequate]"
    rb = with_changes(PDU, [f"{row}.enabled=true", f"{row}.counts=[]", f"{row}.cap=Requires improvement",
                            f"{row}.score_min=14", f"{row}.score_max=16"])
    bands = OverallBands(compile_rulebook(rb), [OverallInput(13, 8, ())])
    expected = ["Inadequate"] * 5 + ["Requires improvement"] * 8 + ["Good"] + ["Requires improvement"] * 3 \
        + ["Good"] * 4 + ["Outstanding"] * 4
    assert [bands.final(OverallInput(s, 8, ())) for s in range(25)] == expected
    # Good at 13: the next higher band is Outstanding at 21, not the Good again at 17
    assert bands.margins(OverallInput(13, 8, ())) == (Margin("Outstanding", 8), Margin("Requires improvement", 1))
    assert bands.margins(OverallInput(15, 8, ())) == (Margin("Good", 2), Margin("Inadequate", 11))
    # 4 scored standards (0-12 points), a number the bands were not built with: RI from 3 to 6, Good to 10
    assert bands.final(OverallInput(5, 4, ())) == "Requires improvement"
    assert bands.margins(OverallInput(5, 4, ())) == (Margin("Good", 2), Margin("Inadequate", 3))


def test_overall_scores_in_a_gap_only_feed_margins_and_are_not_an_error():
    """A band table with a gap (mean above 2.25 up to 2.5: scores 19 and 20 of 24) rates a unit
    outside it; the gap's scores have no band and the margin up skips them."""
    from ratings_engine.engine.decide import OverallInput
    from ratings_engine.model.results import Margin
    from ratings_engine.rating.margins import OverallBands

    rb = with_changes(PDU, ["overall.bands.rows[overall-good].mean_max=2.25",
                            "overall.bands.rows[overall-outstanding].mean_above=2.5"])
    bands = OverallBands(compile_rulebook(rb), [OverallInput(13, 8, ())])
    assert [bands.final(OverallInput(s, 8, ())) for s in (18, 19, 20, 21)] == ["Good", None, None, "Outstanding"]
    assert bands.margins(OverallInput(13, 8, ())) == (Margin("Outstanding", 8), Margin("Requires improvement", 1))
