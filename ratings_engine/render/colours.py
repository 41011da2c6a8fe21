"""Rating colours: one palette for the HTML report, the xlsx export and the sweep chart.

The four fills (lowest rating first) were chosen to be told apart three ways:

* on screen, by hue (red, yellow, green, dark green, as inspection reports use);
* in a greyscale printout, by lightness: every two fills differ by at least 0.15 in WCAG
  relative luminance (0.065, 0.247, 0.421, 0.618 sorted), so no two print as the same grey;
* by readers with red-green or blue-yellow colour blindness, by the same lightness steps
  (tests/test_colours.py simulates protanopia, deuteranopia and tritanopia and checks the
  distance between every two simulated fills).

Text on a fill uses `ink(fill)`: black or white, whichever contrasts more; every fill has a
contrast of at least 4.5:1 with its ink (WCAG AA for normal text). A rulebook with another
number of ratings is spread over the palette (`rating_fill`), lowest to the first colour and
highest to the last. `pale()` gives the tint used behind charts (band shading).
"""
from __future__ import annotations

from typing import Sequence

#: Fills for four ratings, lowest first: Inadequate, Requires improvement, Good, Outstanding.
PALETTE = ("#E55B50", "#F6C945", "#6CC070", "#14532D")
#: Fills for rulebooks with five or six ratings (adjacent fills still differ in lightness).
PALETTE_6 = ("#E55B50", "#F39A3D", "#F6C945", "#6CC070", "#36925A", "#14532D")
#: A standard that is not inspected, a missing rating, anything that is not a rating.
NO_RATING = "#E4E4E4"
BLACK = "#000000"
WHITE = "#FFFFFF"


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def rgb(colour: str) -> tuple[int, int, int]:
    """'#rrggbb' -> (r, g, b) in 0-255."""
    text = colour.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of '#rrggbb' (0 black .. 1 white)."""
    r, g, b = (_channel(v) for v in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 .. 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)))
    return (lb + 0.05) / (la + 0.05)


def ink(fill: str) -> str:
    """Black or white text, whichever contrasts more with `fill`."""
    return BLACK if contrast(fill, BLACK) >= contrast(fill, WHITE) else WHITE


def pale(colour: str, amount: float = 0.72) -> str:
    """`colour` mixed with white (`amount` of white): the tint behind charts."""
    r, g, b = rgb(colour)
    return "#{:02X}{:02X}{:02X}".format(*(round(v + (255 - v) * amount) for v in (r, g, b)))


def palette_for(count: int) -> tuple[str, ...]:
    """The colours used for a scale of `count` ratings, lowest first."""
    base = PALETTE if count <= len(PALETTE) else PALETTE_6
    if count <= 1:
        return base[-1:]
    return tuple(base[int(i * (len(base) - 1) / (count - 1) + 0.5)] for i in range(count))


def rating_fill(ratings: Sequence[str], rating: str | None) -> str:
    """The fill of `rating` on the scale `ratings` (lowest first); grey for anything else."""
    if rating is None or rating not in ratings:
        return NO_RATING
    return palette_for(len(ratings))[list(ratings).index(rating)]


def rating_colours(ratings: Sequence[str]) -> dict[str, str]:
    """Every rating of the scale -> its fill."""
    return dict(zip(ratings, palette_for(len(ratings))))
