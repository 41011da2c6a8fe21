"""Issue 17: spoofing and disclosure, bounded work, no silent loss (beyond the catalogue's entries).

The catalogue (docs/input-problems.md, tests/test_input_problems.py) tests each message; these
tests check what the messages cannot show: that printed output carries no control characters or
markup from the data, that YAML copies stay cheap, that the rule engine's numbers stay exact,
that check-rules' fast interval search agrees with a brute-force one, and that outputs never
overwrite an input of the run.
"""
from __future__ import annotations

import copy
import json
import re
import shutil
from fractions import Fraction

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import CASES, SHIPPED_RULEBOOK
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratings_engine import api
from ratings_engine.cli import main
from ratings_engine.engine import decide
from ratings_engine.io.yaml_files import parse_yaml_mapping
from ratings_engine.model.errors import InputError, RulebookError
from ratings_engine.model.rulebook import BandRow
from ratings_engine.model.text import printable, safe_lines
from ratings_engine.render import ratings as render
from ratings_engine.render.markdown import md_escape
from ratings_engine.engine import changepoints
from ratings_engine.toolkit import check_bands

EXAMPLE = CASES / "redcar-cleveland-middlesbrough.csv"
JUDGEMENTS = CASES / "redcar-cleveland-middlesbrough-judgements.csv"
KQS = ["2.2.1", "2.2.2", "2.2.3"]
#: What a hostile unit name tries: a fake line, a terminal escape that erases it, a bidi override.
SPOOF = "North\nOverall rating: Outstanding\x1b[2K\r\u202eevil"
#: Control and invisible characters no text output may print raw (tab and newline only as the output's own).
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def frame(unit: str) -> pd.DataFrame:
    return pd.DataFrame({"case_id": ["a", "b"], "unit": [unit, unit], **{k: ["yes", "no"] for k in KQS}})


# ---------------------------------------------------------------------------------------------
# Terminal and markdown safety


def test_printable_escapes_every_control_character_and_keeps_the_rest():
    assert printable(SPOOF) == "North\\nOverall rating: Outstanding\\x1b[2K\\r\\u202eevil"
    assert printable("Café “North” – 2.2 | x") == "Café “North” – 2.2 | x"
    # Where the two escape forms meet: the last C1 control and the first format character.
    assert printable("\x9f|\u061c|\xa0\u061b") == "\\x9f|\\u061c|\xa0\u061b"
    assert safe_lines("line one\nline\ttwo\x1b[31m\x85") == "line one\nline\ttwo\\u001b[31m\\u0085"
    assert json.loads(safe_lines(json.dumps({"u": "\x85\u202e\u2028"}, ensure_ascii=False))) == {"u": "\x85\u202e\u2028"}


def test_a_unit_name_cannot_print_a_fake_overall_line_in_the_table():
    report = api.rate(frame(SPOOF), allow_partial=True)
    text = render.to_table(report, {}, explain=True)
    assert not RAW_CONTROL.search(text)
    overall = [line for line in text.splitlines() if line.startswith("Overall rating:")]
    assert len(overall) == 1 and "Outstanding" not in overall[0]  # the real rating, on the only such line
    assert "North\\nOverall rating: Outstanding\\x1b[2K\\r\\u202eevil" in text


def test_the_command_line_prints_no_control_characters_from_a_case_file(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("case_id,unit,2.2.1,2.2.2,2.2.3\na,North\x1b[2K\u202eX\x07,yes,no,yes\n", encoding="utf-8")
    for fmt in ("table", "markdown", "json", "csv"):
        result = invoke("pdu", path, "--allow-partial", "-f", fmt)
        assert result.exit_code == 0, result.output
        assert not RAW_CONTROL.search(result.stdout.replace("\r\n", "\n")), fmt
        assert not RAW_CONTROL.search(result.stderr), fmt
    data = json.loads(invoke("pdu", path, "--allow-partial", "-f", "json").stdout)
    assert data["units"][0]["unit"] == "North\x1b[2K\u202eX\x07"  # JSON keeps the exact name, escaped
    bad = tmp_path / "bad\x1b[2K.csv"
    bad.write_text("nothing,here\n", encoding="utf-8")
    error = invoke("pdu", bad)
    assert error.exit_code == 2 and not RAW_CONTROL.search(error.stderr)


def test_markdown_from_data_makes_no_link_image_heading_or_html():
    markdown_it = pytest.importorskip("markdown_it")
    hostile = ("[click](javascript:alert(1)) ![x](https://evil.example/x.png) <img src=x onerror=alert(1)> "
               "# Heading *bold* `code` | cell www.evil.example a@b.example &amp;\n## Overall rating: Outstanding")
    report = api.rate(frame(hostile), allow_partial=True)
    md = render.to_table(report, {}, explain=True, fmt="github")
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(md)
    assert "<a " not in html and "<img" not in html and "<em>" not in html and "<code>" not in html
    assert html.count("<h2>") == 1 and "<h1>" not in html  # the unit's own heading only
    assert "javascript:alert(1)" in html.replace("\\", "")  # shown literally, as text
    rows = [line for line in md.splitlines() if line.startswith("|")]
    assert all(line.count("|") - line.count("\\|") == 6 for line in rows)  # five cells on every row
    assert md_escape("2.2 Assessment: Inadequate.") == "2.2 Assessment: Inadequate."  # plain text stays readable


# ---------------------------------------------------------------------------------------------
# YAML: plain containers (cheap copies), merge keys refused everywhere


def test_parsed_yaml_is_plain_data_with_lines_so_copies_are_cheap():
    text = "items:\n" + "".join(f"  - a{i}   # comment {i}\n" for i in range(300)) + "m: {x: 1.0, y: 0x10, z: 'q'}\n"
    data = parse_yaml_mapping(text.encode(), "x.yaml", "rulebook")
    kinds = {type(v).__name__ for v in data["items"]} | {type(v).__name__ for v in data["m"].values()}
    assert kinds == {"str", "float", "int"}  # no ruamel.yaml scalar or comment-carrying types
    assert type(data).__mro__[1] is dict and type(data["items"]).__mro__[1] is list
    assert data["items"].lc.item(2) == (3, 4) and data.lc.key("m") == (301, 0)
    assert copy.deepcopy(data) == data and not hasattr(data["items"], "ca")  # no comment attribute to copy


@pytest.mark.parametrize("what", ["rulebook", "draft", "overrides", "scenario"])
def test_merge_keys_are_refused_in_every_yaml_file(what):
    text = b"base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n"
    with pytest.raises(InputError, match=r"line 3: YAML merge keys \('<<: \*anchor'\) are not allowed"):
        parse_yaml_mapping(text, "x.yaml", what)


# ---------------------------------------------------------------------------------------------
# Numbers the rule engine compares


def test_compiled_numbers_stay_within_what_the_engine_holds_exactly():
    assert decide._fits(2**53 - 1) == 2**53 - 1
    with pytest.raises(RulebookError, match="beyond what the rule engine's numbers hold exactly"):
        decide._fits(2**53)
    big = BandRow.model_construct(id="r", min=None, above=None, max=None, below=__import__("decimal").Decimal("1e30"),
                                  then="Good")
    with pytest.raises(RulebookError):
        decide.band_condition(big)  # a Rulebook built in code, past validation, is still refused


@pytest.mark.parametrize("edit", [
    ("score_max: 13", "score_max: 20001"), ("mean_max: 0.5,", "mean_max: 100.01,"),
])
def test_bounds_past_the_limits_are_refused(edit, tmp_path):
    text = SHIPPED_RULEBOOK.read_text(encoding="utf-8")
    old, new = edit
    if old not in text:
        text = text.replace("mean_max: 0.5,", "mean_max: 0.5, score_max: 13,", 1)
    path = tmp_path / "rules.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RulebookError, match="less than or equal to"):
        api.load_rulebook(path)


# ---------------------------------------------------------------------------------------------
# check-rules: the interval search agrees with testing every row on every piece


def brute_force(rows, pieces):
    return [tuple(r for r in rows if check_bands.band_row_matches(r, p.representative)) for p in pieces]


bounds = st.one_of(st.none(), st.integers(0, 10_000).map(lambda n: f"{n / 100:.2f}"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(bounds, bounds, st.booleans(), st.booleans()), min_size=1, max_size=12))
def test_matched_pieces_equal_a_brute_force_search(specs):
    rows = []
    for i, (lo, hi, strict_lo, strict_hi) in enumerate(specs):
        lower = {"above" if strict_lo else "min": lo} if lo is not None else {}
        upper = {"below" if strict_hi else "max": hi} if hi is not None else {}
        rows.append(BandRow.model_validate({"id": f"r{i}", "then": "Good", **lower, **upper}))
    pieces = changepoints.band_pieces(rows, "exact")
    cuts = [p.lo for p in pieces if p.point]
    assert changepoints.matched_pieces(rows, pieces, True) == tuple(brute_force(rows, pieces))
    for p_index, piece in enumerate(pieces):
        assert changepoints.piece_index(cuts, piece.representative) == p_index


# ---------------------------------------------------------------------------------------------
# Outputs: formula escaping, never overwriting an input


def test_sweep_csv_escapes_formula_like_cells():
    from ratings_engine.render.sweep import to_csv

    class Report:
        def long_frame(self):
            return pd.DataFrame({"value": [1, 2], "level": ["overall", "overall"], "subject": ["overall", "overall"],
                                 "rating": ["=HYPERLINK(\"http://x\")", "+1+1"], "count": [3, -1]})

    rows = to_csv(Report()).splitlines()
    assert rows[1].split(",", 3)[3].startswith("\"'=HYPERLINK") and rows[2] == "2,overall,overall,'+1+1,-1"


def test_an_output_may_not_overwrite_the_judgements_found_beside_the_cases(tmp_path):
    cases = tmp_path / "north.csv"
    shutil.copy(EXAMPLE, cases)
    found = tmp_path / "north-judgements.csv"
    shutil.copy(JUDGEMENTS, found)
    before = found.read_bytes()
    result = invoke("pdu", cases, "-o", found, "--force")
    assert result.exit_code == 2 and "would overwrite an input of this run" in result.stderr
    assert found.read_bytes() == before


def test_an_output_may_not_overwrite_the_rulebook_or_a_file_of_the_corpus(tmp_path):
    rules = tmp_path / "rules.yaml"
    shutil.copy(SHIPPED_RULEBOOK, rules)
    before = rules.read_bytes()
    result = invoke("pdu", EXAMPLE, "-j", JUDGEMENTS, "--rules", rules, "-o", rules, "-f", "json")
    assert result.exit_code == 2 and "would overwrite an input" in result.stderr and rules.read_bytes() == before
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(EXAMPLE, corpus / "cases.csv")
    kept = (corpus / "cases.csv").read_bytes()
    sweep = ["sweep", corpus, "--vary", "key_question_bands.rows[kq-good].min", "--vary",
             "key_question_bands.rows[kq-requires-improvement].below", "--from", "60", "--to", "70", "--step", "5",
             "--quiet"]
    result = invoke(*sweep, "-o", corpus / "cases.csv")
    assert result.exit_code == 2 and "would overwrite an input" in result.stderr
    assert (corpus / "cases.csv").read_bytes() == kept
    fresh = invoke(*sweep, "-o", corpus / "sweep.csv")
    assert fresh.exit_code == 0, fresh.output  # a new file beside the inputs is fine


def test_an_output_link_to_an_input_is_refused_even_with_force(tmp_path):
    cases = tmp_path / "cases.csv"
    shutil.copy(EXAMPLE, cases)
    link = tmp_path / "out.json"
    link.symlink_to(cases)
    before = cases.read_bytes()
    result = invoke("pdu", cases, "-j", JUDGEMENTS, "-o", link, "--force")
    assert result.exit_code == 2 and cases.read_bytes() == before
