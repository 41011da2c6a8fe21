"""The HTML report as a reader gets it: rendered by headless Chromium on screen (screenshots) and
printed to PDF (`rate report --pdf`), single-unit and multi-unit. Skipped where Chromium is not
installed (.ci/run installs it); the message when `--pdf` finds no browser is tested everywhere."""
import re
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import CASES

from ratings_engine.cli import main
from ratings_engine.io.browser import HEADLESS_FLAGS, find_chromium

EXAMPLE = CASES / "redcar-cleveland-middlesbrough.csv"
JUDGEMENTS = CASES / "redcar-cleveland-middlesbrough-judgements.csv"
OVERRIDES = CASES / "redcar-cleveland-middlesbrough-overrides.csv"
NORTH = CASES / "corpus" / "north-region.csv"
CORPUS_JUDGEMENTS = CASES / "corpus" / "judgements.csv"
EPOCH, GENERATED = "1706783400", "Generated 1 February 2024, 10:30 UTC"
#: The rating fills (render/colours.py), as RGB
INADEQUATE, REQUIRES_IMPROVEMENT, GOOD = (0xE5, 0x5B, 0x50), (0xF6, 0xC9, 0x45), (0x6C, 0xC0, 0x70)

needs_chromium = pytest.mark.skipif(find_chromium() is None,
                                    reason="no chromium on PATH (Debian package 'chromium'; .ci/run installs it)")


def report(tmp_path, *args, name: str, exit_code: int = 0):
    out = tmp_path / name  # no bootstrap (--resamples 0): its figures are checked in test_report_html.py
    result = CliRunner().invoke(main, ["report", *[str(a) for a in args], "--resamples", "0", "-o", str(out)],
                                env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.exit_code == exit_code, result.output + result.stderr
    return out


def screenshot(html, tmp_path, width: int, height: int) -> np.ndarray:
    from PIL import Image

    png = tmp_path / f"{html.stem}.png"
    command = [find_chromium(), *HEADLESS_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}",
               f"--window-size={width},{height}", html.resolve().as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env={"HOME": str(tmp_path)})
    assert png.is_file() and png.stat().st_size > 10_000, done.stderr[-2000:]
    with Image.open(png) as image:
        pixels = np.asarray(image.convert("RGB")).astype(int)
    assert pixels.shape[:2] == (height, width)
    return pixels


def mask(pixels, rgb) -> np.ndarray:
    return np.all(np.abs(pixels - rgb) <= 2, axis=-1)


def pdf_pages(path) -> list[str]:
    from pypdf import PdfReader

    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    return [page.extract_text() for page in PdfReader(path).pages]


@needs_chromium
def test_single_unit_on_screen(tmp_path):
    pytest.importorskip("PIL", reason="Pillow reads the screenshot")
    html = report(tmp_path, EXAMPLE, "-j", JUDGEMENTS, "--overrides", OVERRIDES, "--marking", "OFFICIAL-SENSITIVE",
                  name="single.html")
    pixels = screenshot(html, tmp_path, 1200, 3000)
    # the chart bars and rating badges, in the palette: each colour over many pixels
    areas = {name: int(mask(pixels, rgb).sum()) for name, rgb in
             (("Inadequate", INADEQUATE), ("Requires improvement", REQUIRES_IMPROVEMENT), ("Good", GOOD))}
    assert all(n > 2_000 for n in areas.values()), areas
    # ... which stay apart in grey (a greyscale printer's luma): the greys differ by 25 levels or more
    greys = sorted(round(0.299 * r + 0.587 * g + 0.114 * b) for r, g, b in (INADEQUATE, REQUIRES_IMPROVEMENT, GOOD))
    assert min(b - a for a, b in zip(greys, greys[1:])) >= 25, greys
    # the marking banner above everything: a dark frame wider than the text column, near the top
    dark = (pixels < 60).all(axis=-1)
    frame_rows = [y for y in range(0, 120) if dark[y].sum() > 800]
    assert frame_rows and frame_rows[0] < 60, frame_rows
    # a real page: varied content, plenty of text
    packed = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    assert len(np.unique(packed)) > 300 and dark.sum() > 20_000


@needs_chromium
def test_multi_unit_on_screen_starts_with_the_summary(tmp_path):
    pytest.importorskip("PIL", reason="Pillow reads the screenshot")
    html = report(tmp_path, NORTH, "-j", CORPUS_JUDGEMENTS, name="multi.html")
    pixels = screenshot(html, tmp_path, 1200, 900)
    # The summary's Overall column holds one badge per unit, top to bottom in the units' order:
    # Ashford Vale Good, Brookmere Requires improvement, Castleton Good (cases/corpus).
    strip = pixels[:, 180:400]
    bands: list[str] = []
    previous = None
    for y in range(strip.shape[0]):
        good, ri = int(mask(strip[y], GOOD).sum()), int(mask(strip[y], REQUIRES_IMPROVEMENT).sum())
        colour = "Good" if good > 20 and not ri else "Requires improvement" if ri > 20 and not good else None
        if colour and colour != previous:
            bands.append(colour)
        previous = colour
    assert bands[:3] == ["Good", "Requires improvement", "Good"], bands


@needs_chromium
@pytest.mark.parametrize("case", ["single", "multi"])
def test_printed_to_pdf_every_page_has_marking_page_number_and_date(tmp_path, case):
    if case == "single":
        pdf = report(tmp_path, EXAMPLE, "-j", JUDGEMENTS, "--marking", "OFFICIAL-SENSITIVE", "--pdf", name="r.pdf")
        marking, units = "OFFICIAL-SENSITIVE", ["Redcar, Cleveland and Middlesbrough"]
    else:
        pdf = report(tmp_path, NORTH, "-j", CORPUS_JUDGEMENTS, "--marking", "DRAFT", name="r.pdf")  # by extension
        marking, units = "DRAFT", ["Ashford Vale", "Brookmere", "Castleton"]
    pages = pdf_pages(pdf)
    assert len(pages) >= 3
    for n, text in enumerate(pages, start=1):
        flat = " ".join(text.split())
        assert flat.count(marking) >= 2, (n, flat[:300])  # top and bottom of the page
        assert f"Page {n} of {len(pages)}" in flat, (n, flat[:300])
        assert GENERATED in flat, (n, flat[:300])
    if case == "multi":
        first = " ".join(pages[0].split())
        assert "Summary of 3 units" in first
        assert re.search(r"Ashford Vale Good 16/24 .* Brookmere Requires improvement 7/24 .* Castleton Good 16/24",
                         first)
        assert first.index("Summary of 3 units") < first.index("Ashford Vale Overall rating")
        for unit in units[1:]:  # each unit after the first starts a page
            page = next(p for p in pages if f"{unit}\nOverall rating" in p)
            body = page.split(GENERATED, 1)[1].strip()
            assert body.startswith(f"{unit}\nOverall rating"), body[:200]
    # no unit's ratings table is split across pages: its heading and its last rows are on one page
    tables = [p for p in pages if "\nRatings\n" in p]
    assert len(tables) == len(units)
    for page in tables:
        after = page.split("\nRatings\n", 1)[1]
        assert "2.5 Reviewing" in after and re.search(r"\nOverall ", after), after[:600]
    # no standard's rows of the key-question table are split across pages
    rows = [(n, m.group(1)) for n, p in enumerate(pages) for m in re.finditer(r"(2\.\d)\.\d(?: ▶)? \d+ / \d+", p)]
    assert len(rows) == 12 * len(units)  # 12 key questions with evidence per unit
    for i in range(0, len(rows), 3):
        group = rows[i:i + 3]
        assert len({s for _, s in group}) == 1 and len({n for n, _ in group}) == 1, group


def test_pdf_without_a_browser_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["report", str(EXAMPLE), "-j", str(JUDGEMENTS), "--pdf", "-o",
                                       str(tmp_path / "r.pdf")],
                                env={"RATINGS_ENGINE_CHROMIUM": str(tmp_path / "no-such-browser")})
    assert result.exit_code == 2
    assert "needs Chromium or Google Chrome" in result.stderr and "apt-get install chromium" in result.stderr
    assert "Traceback" not in result.output + result.stderr and not (tmp_path / "r.pdf").exists()


def test_open_shows_the_written_report_in_the_browser(tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url) or True)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["report", str(EXAMPLE), "-j", str(JUDGEMENTS), "--resamples", "0", "--open",
                                       "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert opened == [out.resolve().as_uri()]
    result = CliRunner().invoke(main, ["pdu", str(EXAMPLE), "-j", str(JUDGEMENTS), "--open"])
    assert result.exit_code == 2 and "--open opens a written report" in result.stderr


def test_the_readme_screenshot_is_a_real_render():
    """docs/report-example.png (shown in the README) is a Chromium screenshot of the report."""
    Image = pytest.importorskip("PIL.Image", reason="Pillow reads the screenshot")

    path = CASES.parent / "docs" / "report-example.png"
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB")).astype(int)
    assert pixels.shape[1] >= 1000 and pixels.shape[0] >= 1000
    for rgb in (INADEQUATE, REQUIRES_IMPROVEMENT, GOOD):
        assert mask(pixels, rgb).sum() > 500, rgb

