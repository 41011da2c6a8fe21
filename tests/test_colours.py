"""Rating colours: told apart on screen, in a greyscale printout and by colour-blind readers.

Stated margins (each checked below with an implementation written here, not the module's):

* greyscale: every two rating fills differ by at least 0.15 in WCAG relative luminance, and
  their contrast ratio is at least 1.4 (a greyscale printer prints luminance);
* text: the text colour on every fill has a contrast of at least 4.5:1 (WCAG AA);
* colour blindness: simulated with the Machado, Oliveira and Fernandes (2009) matrices at full
  severity (protanopia, deuteranopia, tritanopia), every two fills stay at least 12 apart in
  CIELAB (delta E 1976; 2.3 is a just-noticeable difference).
"""
import itertools
import re

import pytest

from ratings_engine import api
from ratings_engine.render import colours
from ratings_engine.render.colours import NO_RATING, PALETTE, PALETTE_6, ink, palette_for, rating_colours

MIN_LUMINANCE_GAP = 0.15
MIN_FILL_CONTRAST = 1.4
MIN_TEXT_CONTRAST = 4.5
MIN_SIMULATED_DELTA_E = 12.0


def srgb_to_linear(hex_colour: str) -> tuple[float, float, float]:
    out = []
    for i in (1, 3, 5):
        c = int(hex_colour[i:i + 2], 16) / 255
        out.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    return tuple(out)


def luminance(hex_colour: str) -> float:
    r, g, b = srgb_to_linear(hex_colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    hi, lo = max(luminance(a), luminance(b)), min(luminance(a), luminance(b))
    return (hi + 0.05) / (lo + 0.05)


MACHADO = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}


def simulate(hex_colour: str, kind: str) -> tuple[float, float, float]:
    rgb = srgb_to_linear(hex_colour)
    return tuple(min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb)))) for row in MACHADO[kind])


def lab(linear_rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = linear_rgb
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def delta_e(a, b) -> float:
    return sum((p - q) ** 2 for p, q in zip(a, b)) ** 0.5


def test_the_luminance_helper_matches_wcag_reference_values():
    # WCAG's own examples: white 1, black 0; #777777 on white is 4.48:1
    assert luminance("#FFFFFF") == pytest.approx(1.0) and luminance("#000000") == 0.0
    assert contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
    assert colours.relative_luminance("#777777") == pytest.approx(luminance("#777777"))
    assert colours.contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)


def test_rating_fills_differ_in_greyscale_by_the_stated_margin():
    for a, b in itertools.combinations(PALETTE, 2):
        gap = abs(luminance(a) - luminance(b))
        assert gap >= MIN_LUMINANCE_GAP, (a, b, round(gap, 3))
        assert contrast_ratio(a, b) >= MIN_FILL_CONTRAST, (a, b, round(contrast_ratio(a, b), 2))
    # the five- and six-rating palette: neighbours still differ
    for a, b in zip(PALETTE_6, PALETTE_6[1:]):
        assert abs(luminance(a) - luminance(b)) >= 0.1, (a, b)


@pytest.mark.parametrize("fill", [*PALETTE, *PALETTE_6, NO_RATING])
def test_text_on_every_fill_has_at_least_aa_contrast(fill):
    text = ink(fill)
    assert text in ("#000000", "#FFFFFF")
    assert contrast_ratio(fill, text) >= MIN_TEXT_CONTRAST, (fill, text, round(contrast_ratio(fill, text), 2))


@pytest.mark.parametrize("kind", sorted(MACHADO))
def test_rating_fills_stay_apart_for_colour_blind_readers(kind):
    for a, b in itertools.combinations(PALETTE, 2):
        distance = delta_e(lab(simulate(a, kind)), lab(simulate(b, kind)))
        assert distance >= MIN_SIMULATED_DELTA_E, (kind, a, b, round(distance, 1))


def test_a_scale_of_any_length_gets_distinct_colours_lowest_first():
    for n in range(2, 7):
        fills = palette_for(n)
        assert len(fills) == n and len(set(fills)) == n, n
        assert fills[0] == "#E55B50" and fills[-1] == "#14532D"  # lowest red, highest dark green
    pdu = api.load_rulebook().rulebook
    assert rating_colours(pdu.ratings) == {"Inadequate": "#E55B50", "Requires improvement": "#F6C945",
                                           "Good": "#6CC070", "Outstanding": "#14532D"}


def test_one_palette_is_used_by_the_report_the_workbook_and_the_sweep_chart():
    """No other module spells a rating colour of its own."""
    from pathlib import Path

    root = Path(colours.__file__).resolve().parents[1]
    own = {c.upper() for c in (*PALETTE, *PALETTE_6)}
    for path in root.rglob("*"):
        if path.suffix not in (".py", ".j2") or path.name == "colours.py":
            continue
        found = {m.upper() for m in re.findall(r"#[0-9A-Fa-f]{6}\b", path.read_text(encoding="utf-8"))} & own
        assert not found, (path, found)
