"""`rate report`: one self-contained HTML file, checked by structure and by a headless Chromium screenshot."""
import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import CASES, required

from ratings_engine import api
from ratings_engine.cli import main
from ratings_engine.io.rulebooks import rulebook_from_mapping
from ratings_engine.render.html_report import band_lines, render_html

EXAMPLE = CASES / "redcar-cleveland-middlesbrough.csv"
JUDGEMENTS = CASES / "redcar-cleveland-middlesbrough-judgements.csv"
DRAFT = CASES / "redcar-cleveland-middlesbrough-draft.csv"
OVERRIDES = CASES / "redcar-cleveland-middlesbrough-overrides.csv"


class Page(HTMLParser):
    """Collects what the checks need: tags with attributes, table rows, SVGs, text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.tables: list[list[list[str]]] = []
        self.svgs: list[dict] = []
        self.text: list[str] = []
        self._stack: list[str] = []
        self._table_depth = 0
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._svg: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "svg":
            self._svg = {"attrs": a, "lines": [], "rects": [], "texts": []}
            self.svgs.append(self._svg)
        elif self._svg is not None and tag == "line":
            self._svg["lines"].append(a)
        elif self._svg is not None and tag == "rect":
            self._svg["rects"].append(a)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None
        elif tag == "svg":
            self._svg = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._svg is not None and data.strip():
            self._svg["texts"].append(data.strip())


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(main, ["report", str(EXAMPLE), "-j", str(JUDGEMENTS), "--draft", str(DRAFT),
                                       "--overrides", str(OVERRIDES), "-o", str(out)])
    assert result.exit_code == 1, result.output + result.stderr  # the report's draft check found a difference
    assert f"wrote {out}" in result.stderr
    return out


def test_report_is_self_contained_and_structured(report_file):
    html = report_file.read_text(encoding="utf-8")
    page = parse(html)
    # Nothing is fetched: no scripts, stylesheets, images, frames or url(...) loads.
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "img", "iframe", "object", "embed"), tag
        for name in ("src", "href", "xlink:href", "srcset", "data"):
            value = attrs.get(name) or ""
            assert not value.lower().startswith(("http://", "https://", "//")), (tag, name, value)
    assert "url(" not in html and "@import" not in html
    assert "@media print" in html

    # The annexe table: 2 domain rows, 9 standards, the overall row (plus the header), with the draft columns.
    annexe = page.tables[0]
    assert annexe[0] == ["", "Standard", "Rating", "Draft", "Result", "To next band", "To band below"]
    body = annexe[1:]
    assert len(body) == 2 + 9 + 1
    rows = {r[0]: r for r in body}
    assert rows["2.2"][2] == "Inadequate" and rows["2.2"][3] == "Requires improvement" and rows["2.2"][4] == "differs"
    assert rows["2.2"][5] == "+4 cases \u2192 Requires improvement"
    assert rows["2.4"][2] == "Requires improvement panel override"  # the override, flagged in the table
    assert rows["2.1"][2] == "Not inspected"
    assert body[-1][1] == "Overall" and body[-1][2] == "Requires improvement 9/24"

    # One chart per case standard with evidence (2.1 Court work has none), band lines from the rulebook.
    report = api.rate(EXAMPLE, judgements=JUDGEMENTS)
    charted = [s for s in report.units[0].standards if s.basis == "cases" and s.key_questions]
    assert len(page.svgs) == len(charted) == 4
    rulebook = api.load_rulebook().rulebook
    assert band_lines(rulebook) == [50.0, 65.0, 80.0]
    for svg, s in zip(page.svgs, charted):
        assert len(svg["lines"]) == 3 + 1  # three dashed band lines and the axis
        assert {"50%", "65%", "80%"} <= set(svg["texts"])
        assert sum(1 for t in svg["texts"] if t.startswith(tuple(k.id for k in s.key_questions))) == 3

    text = " ".join(" ".join(page.text).split())
    # Every decision's explanation, with margins; the override and its reason; the draft difference.
    for s in report.units[0].standards:
        assert " ".join(s.decision.because.split()) in text or s.id == "2.4"
        for k in s.key_questions:
            assert k.decision.because in text
    assert "OVERRIDDEN by the panel" in text and "transferred in during the last month" in text
    assert "Panel overrides (professional discretion)" in text
    assert "Margin to the draft's Requires improvement: 4 cases insufficient -> sufficient" in text
    # Rulebook id, version and hash; every input file's sha256.
    assert "probation-pdu-2021" in text and report.rulebook.sha256 in text
    import hashlib
    for path in (EXAMPLE, JUDGEMENTS, DRAFT, OVERRIDES):
        assert hashlib.sha256(path.read_bytes()).hexdigest() in text, path


def test_band_lines_follow_the_rulebook_not_fixed_numbers():
    rb = api.load_rulebook().rulebook
    data = rb.model_dump(mode="json", by_alias=True, exclude_none=True)
    rows = data["key_question_bands"]["rows"]
    rows[1]["min"] = 70  # Good from 70%
    rows[2]["below"] = 70
    changed = rulebook_from_mapping(data)
    report = api.rate(EXAMPLE, changed, judgements=JUDGEMENTS)
    page = parse(render_html(report, changed))
    assert band_lines(changed) == [50.0, 70.0, 80.0]
    texts = set(page.svgs[0]["texts"])
    assert "70%" in texts and "65%" not in texts


def test_html_escapes_what_it_is_given(tmp_path):
    cases = tmp_path / "cases.csv"
    cases.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
        '"Redcar, Cleveland and Middlesbrough"', '"<script>alert(1)</script>"'), encoding="utf-8")
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["report", str(cases), "-j", str(JUDGEMENTS), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# ---- headless Chromium ----


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _read_png(path) -> np.ndarray:
    """RGB pixels of a PNG: Pillow when installed, else a small decoder (8-bit RGB/RGBA, not interlaced)."""
    try:
        from PIL import Image
    except ImportError:
        pass
    else:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int32)
        if kind == 0:
            cur = line
        elif kind == 2:
            cur = (line + prev) & 255
        elif kind == 1:
            cur = line.reshape(width, bpp).cumsum(axis=0).reshape(-1) & 255
        else:
            cur = np.zeros(stride, dtype=np.int32)
            lb, pb, cb = line.tolist(), prev.tolist(), [0] * stride
            for i in range(stride):
                a = cb[i - bpp] if i >= bpp else 0
                b = pb[i]
                if kind == 3:
                    cb[i] = (lb[i] + ((a + b) >> 1)) & 255
                else:
                    c = pb[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pbb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pbb and pa <= pc else (b if pbb <= pc else c)
                    cb[i] = (lb[i] + pred) & 255
            cur = np.array(cb, dtype=np.int32)
        out[y] = cur
        prev = cur
    return out.reshape(height, width, bpp)[:, :, :3]


def test_report_renders_in_headless_chromium(report_file, tmp_path):
    browser = _chromium()
    if browser is None:
        message = "no chromium on PATH (Debian package 'chromium'; .ci/run installs it)"
        if required("RATINGS_ENGINE_REQUIRE_BROWSER"):
            pytest.fail(f"{message}, and a browser is required here (CI or RATINGS_ENGINE_REQUIRE_BROWSER set)")
        pytest.skip(message)
    png = tmp_path / "shot.png"
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
               f"--screenshot={png}", "--window-size=1200,3000", report_file.resolve().as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90,
                          env={**os.environ, "HOME": str(tmp_path)})
    assert png.is_file() and png.stat().st_size > 10_000, done.stderr[-2000:]
    pixels = _read_png(png)
    assert pixels.shape[:2] == (3000, 1200)

    def count(rgb: tuple[int, int, int], region=pixels) -> int:
        return int(np.all(np.abs(region.astype(int) - rgb) <= 2, axis=-1).sum())

    def distinct(region) -> int:
        flat = region.reshape(-1, 3).astype(np.int64)
        return len(np.unique((flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]))

    # Chart bars are flat fills in the rating colours; find the band of rows that holds them.
    red, amber, green = (0xb3, 0x26, 0x1e), (0xe8, 0xa3, 0x17), (0x5e, 0x9e, 0x3f)
    for colour in (red, amber, green):
        assert count(colour) > 2_000, colour  # bars of all three bands appear, each many pixels
    is_red = np.all(np.abs(pixels.astype(int) - red) <= 2, axis=-1)
    bar_rows = np.flatnonzero(is_red.sum(axis=1) > 100)  # rows crossing a red bar (not text or borders)
    assert len(bar_rows) > 20
    charts = pixels[bar_rows.min() - 150: bar_rows.max() + 150]
    assert distinct(charts) > 200  # shaded bands, bars, dashed lines, anti-aliased labels
    # Above the charts: the heading, the panel-override box and the ratings table, not a blank page.
    page_top = pixels[:bar_rows.min() - 150]
    assert distinct(page_top) > 100
    assert (page_top < 100).all(axis=-1).sum() > 5_000  # plenty of dark text
    assert count((0xfb, 0xec, 0xc8), page_top) > 1_000  # the pale Requires improvement chips of the table
