"""The sweep chart: step plots in the report's rating colours, the current value marked, the axis
named after the rule varied; SVG (text kept as text) and PNG."""
import re
import xml.etree.ElementTree as ET

from click.testing import CliRunner
from conftest import CASES

from ratings_engine import api
from ratings_engine.cli import main
from ratings_engine.render.sweep import vary_label

CORPUS = CASES / "corpus"
GOOD = ["key_question_bands.rows[kq-good].min", "key_question_bands.rows[kq-requires-improvement].below"]
SVG = "{http://www.w3.org/2000/svg}"


def chart(tmp_path, suffix: str, *extra):
    out = tmp_path / f"sweep{suffix}"
    result = CliRunner().invoke(main, ["sweep", str(CORPUS), "--vary", GOOD[0], "--vary", GOOD[1], "--from", "55",
                                       "--to", "75", "--step", "5", "-q", "--chart", str(out), *extra])
    assert result.exit_code == 0, result.output + result.stderr
    return out


def test_axis_label_names_the_rule_not_the_path():
    rb = api.load_rulebook().rulebook
    assert vary_label(rb, GOOD) == "Good from / Requires improvement below (% of applicable cases sufficient)"
    assert vary_label(rb, ["policies.minimum_applicable.value"]) == "policy minimum applicable"
    assert vary_label(rb, ["overall.bands.rows[overall-inadequate].mean_max"]) == "Inadequate mean score up to"


def test_svg_chart_steps_in_the_rating_colours_with_the_current_value_marked(tmp_path):
    svg = chart(tmp_path, ".svg")
    text = svg.read_text(encoding="utf-8")
    tree = ET.fromstring(text)
    texts = ["".join(t.itertext()) for t in tree.iter(f"{SVG}text")]
    assert sum("Good from / Requires improvement below" in t for t in texts) == 2  # both panels' x axes
    assert texts.count("current: 65") == 2  # kq-good.min is 65 in the shipped rulebook
    strokes = {m.lower() for m in re.findall(r"stroke:\s*(#[0-9a-fA-F]{6})", text)}
    assert {"#e55b50", "#f6c945", "#6cc070", "#14532d"} <= strokes  # the four ratings, in the palette
    assert "#1f77b4" not in strokes and "#ff7f0e" not in strokes  # not matplotlib's default cycle
    # step plots: every segment of the rating lines is horizontal or vertical
    lines = [p for p in tree.iter(f"{SVG}path") if re.search(r"stroke:\s*#(e55b50|f6c945|6cc070|14532d)",
                                                            p.get("style", ""), re.I)]
    assert lines
    for path in lines:
        points = [tuple(map(float, xy)) for xy in re.findall(r"(-?[\d.]+) (-?[\d.]+)", path.get("d"))]
        assert len(points) >= 2
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            assert abs(x0 - x1) < 0.01 or abs(y0 - y1) < 0.01, path.get("d")[:200]


def test_png_chart(tmp_path):
    png = chart(tmp_path, ".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
