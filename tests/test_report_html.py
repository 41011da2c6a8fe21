"""`rate report`: one self-contained HTML file, checked by its structure (tests/test_report_browser.py
renders it in headless Chromium, on screen and printed to PDF)."""
import hashlib
import math
import re
import shutil
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from conftest import CASES

from ratings_engine import api
from ratings_engine.cli import main
from ratings_engine.io.rulebooks import rulebook_from_mapping
from ratings_engine.render.colours import NO_RATING, rating_colours
from ratings_engine.render.html_report import band_lines, render_html

EXAMPLE = CASES / "redcar-cleveland-middlesbrough.csv"
JUDGEMENTS = CASES / "redcar-cleveland-middlesbrough-judgements.csv"
DRAFT = CASES / "redcar-cleveland-middlesbrough-draft.csv"
OVERRIDES = CASES / "redcar-cleveland-middlesbrough-overrides.csv"
WORKBOOK = CASES / "redcar-cleveland-middlesbrough.xlsx"
NORTH = CASES / "corpus" / "north-region.csv"
CORPUS_JUDGEMENTS = CASES / "corpus" / "judgements.csv"
#: 1 February 2024, 10:30 UTC: the reports below are made at this time (SOURCE_DATE_EPOCH).
EPOCH, GENERATED = "1706783400", "1 February 2024, 10:30 UTC"


class Page(HTMLParser):
    """Collects what the checks need: tags with attributes, tables (with their class), SVGs, text,
    and the text of elements by class."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.tables: list[dict] = []
        self.svgs: list[dict] = []
        self.text: list[str] = []
        self.style = ""
        self.by_class: dict[str, list[str]] = {}
        self._open: list[tuple[str, str | None, list[str]]] = []  # (tag, class, text parts)
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._svg: dict | None = None
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag in ("meta", "br", "line", "rect", "path", "input", "img"):
            pass
        else:
            self._open.append((tag, a.get("class"), []))
        if tag == "style":
            self._in_style = True
        elif tag == "table":
            self.tables.append({"class": a.get("class"), "rows": []})
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "svg":
            self._svg = {"attrs": a, "lines": [], "rects": [], "paths": [], "texts": []}
            self.svgs.append(self._svg)
        elif self._svg is not None and tag in ("line", "rect", "path"):
            self._svg[tag + "s"].append(a)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in ("meta", "br", "line", "rect", "path", "input", "img"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["rows"].append(self._row)
            self._row = None
        elif tag == "svg":
            self._svg = None
        while self._open:
            name, cls, parts = self._open.pop()
            text = " ".join("".join(parts).split())
            for c in (cls or "").split():
                self.by_class.setdefault(c, []).append(text)
            if self._open:
                self._open[-1][2].extend(parts)
            if name == tag:
                break

    def handle_data(self, data):
        if self._in_style:
            self.style += data
            return
        self.text.append(data)
        if self._open:
            self._open[-1][2].append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._svg is not None and data.strip():
            self._svg["texts"].append(data.strip())

    def table(self, cls: str) -> list[list[str]]:
        return next(t["rows"] for t in self.tables if (t["class"] or "") == cls)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def run_report(tmp_path, *args, name="report.html", env=None, exit_code=0):
    out = tmp_path / name
    result = CliRunner().invoke(main, ["report", *[str(a) for a in args], "--output", str(out)],
                                env={"SOURCE_DATE_EPOCH": EPOCH, **(env or {})})
    assert result.exit_code == exit_code, result.output + result.stderr
    return out, result


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    out, result = run_report(tmp_path_factory.mktemp("report"), EXAMPLE, "-j", JUDGEMENTS, "--draft", DRAFT,
                             "--overrides", OVERRIDES, "--marking", "OFFICIAL-SENSITIVE", exit_code=1)  # draft differs
    assert f"wrote {out}" in result.stderr
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def multi(tmp_path_factory):
    out, _ = run_report(tmp_path_factory.mktemp("multi"), NORTH, "-j", CORPUS_JUDGEMENTS, "--marking", "DRAFT")
    return out.read_text(encoding="utf-8")


def wilson(s: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval, written out here (percent)."""
    p = s / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * (centre - half), 100 * (centre + half)


def test_report_is_self_contained(single):
    page = parse(single)
    for tag, attrs in page.tags:  # nothing is fetched: no scripts, style sheets, images, frames or url(...) loads
        assert tag not in ("script", "link", "img", "iframe", "object", "embed"), tag
        for name in ("src", "href", "xlink:href", "srcset", "data"):
            value = attrs.get(name) or ""
            assert not value.lower().startswith(("http://", "https://", "//")), (tag, name, value)
    assert "url(" not in single and "@import" not in single and "@media print" in single


def test_annexe_table_draft_overrides_and_confidence(single):
    page = parse(single)
    annexe = page.table("annexe")
    assert annexe[0] == ["", "Standard", "Rating", "Draft", "Result", "To next band", "To band below",
                         "Same rating in resamples"]
    body = annexe[1:]
    assert len(body) == 2 + 9 + 1  # two domain rows, nine standards, the overall row
    rows = {r[0]: r for r in body}
    assert rows["2.2"][2:6] == ["Inadequate", "Requires improvement", "differs", "+4 cases \u2192 Requires improvement"]
    assert rows["2.4"][2] == "Requires improvement panel override"
    assert rows["2.1"][2] == "Not inspected" and rows["1.1"][7] == "fixed (judgement)"
    assert body[-1][1] == "Overall" and body[-1][2] == "Requires improvement 9/24"
    # docs/uncertainty-and-sweeps.md (seed 2021, 1000 resamples): 2.3 Planning 62.8% FRAGILE, 2.2 86.2%
    assert rows["2.3"][7] == "62.8% FRAGILE" and rows["2.2"][7] == "86.2%"
    assert rows["2.4"][7].endswith("(computed Inadequate)")  # the bootstrap is of the computed rating
    kq = {r[0]: r for r in page.table("key-questions")[1:] if len(r) > 1}
    assert kq["2.2.1"][1:5] == ["30 / 44", "68.2", "53.4% to 80.0%", "Good"] and kq["2.2.1"][5] == "65.8% FRAGILE"
    assert kq["2.3.2 \u25b6"][3] == "48.9% to 76.2%" and kq["2.3.2 \u25b6"][5] == "55.0% FRAGILE"
    for k in api.rate(EXAMPLE, judgements=JUDGEMENTS).units[0].standard("2.4").key_questions:
        low, high = wilson(k.sufficient, k.applicable)
        row = kq.get(k.id) or kq[f"{k.id} \u25b6"]
        assert row[3] == f"{low:.1f}% to {high:.1f}%", (k.id, row)


def test_overrides_are_shown_once_and_warnings_only_when_they_need_action(single, multi):
    page = parse(single)
    assert "attention" not in page.by_class  # the example's only warnings are about the override
    assert len(page.by_class["override"]) == 1 and "transferred in during the last month" in page.by_class["override"][0]
    assert page.words.count("OVERRIDDEN by the panel") == 1  # in the explanation of 2.4, nowhere else
    explained = re.search(r"<li><b>2\.4 Implementation and delivery: Requires improvement\.</b>(.*?)<ul>", single, re.S)
    assert '<span class="grade panel">panel override</span>' in explained.group(1)  # not a provenance grade
    assert 'class="grade"' not in explained.group(1)
    multi_page = parse(multi)
    assert "attention" not in multi_page.by_class  # judgements for units not rated: not an action
    rows_not_used = " ".join(multi_page.by_class["provenance"])
    for unit in ("Dunmore", "Elmbridge", "Greyhaven", "Hollins Cross", "Irondale"):
        assert f"judgements for unit '{unit}' not used" in rows_not_used


def test_what_needs_action_is_listed_first_and_grouped(tmp_path):
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("standard,rating,reason,unit\n2.2,Good,panel view,Nowhere\n2.3,Good,panel view,Brookmere\n",
                         encoding="utf-8")
    out, _ = run_report(tmp_path, NORTH, "--no-judgements", "--overrides", overrides, exit_code=4)
    page = parse(out.read_text(encoding="utf-8"))
    attention = page.by_class["attention"][0]
    assert attention.startswith("Needs attention Judgements missing")
    assert attention.count("no overall rating, judgement standard(s) 1.1, 1.2, 1.3, 1.4 missing") == 3
    assert attention.endswith("Panel overrides not applied override of standard 2.2 for unit 'Nowhere' "
                              "(overrides.csv, row 2) NOT USED: no cases for that unit")
    assert "Brookmere': standard 2.3" not in attention  # an override applied is shown in its unit's box only
    assert len(page.by_class["override"]) == 1
    assert page.words.index("Needs attention") < page.words.index("Ashford Vale Overall rating")


def test_generation_date_versions_marking_and_page_numbers(single):
    from ratings_engine import __version__

    page = parse(single)
    assert f"Generated {GENERATED} by ratings-engine {__version__}" in page.words
    assert "rulebook probation-pdu-2021 version 1.0" in page.words
    assert page.by_class["marking"] == ["OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE"]  # on screen: top and bottom
    margin_boxes = dict(re.findall(r"@(top-center|bottom-center|bottom-left|bottom-right)\s*\{\s*content:\s*([^;]+);",
                                   page.style))
    assert margin_boxes["top-center"] == margin_boxes["bottom-center"] == '"OFFICIAL-SENSITIVE"'
    assert margin_boxes["bottom-left"] == f'"Generated {GENERATED}"'
    assert margin_boxes["bottom-right"] == '"Page " counter(page) " of " counter(pages)'
    for selector in ("table.annexe", "tbody.group", "ul.why > li"):  # no table of a unit or standard split
        assert re.search(re.escape(selector) + r"[^{]*\{[^}]*break-inside: avoid", page.style), selector


def test_file_names_not_local_paths(single, tmp_path):
    root = str(CASES.parent)
    assert root not in single
    page = parse(single)
    inputs = next(t["rows"] for t in page.tables if t["rows"][0][0] == "Input")
    names = {r[1]: r[2] for r in inputs[1:]}
    for path in (EXAMPLE, JUDGEMENTS, DRAFT, OVERRIDES):
        assert names[path.name] == hashlib.sha256(path.read_bytes()).hexdigest(), path
    assert "probation-pdu-2021.yaml" in page.words
    because = api.rate(EXAMPLE, judgements=JUDGEMENTS).units[0].standard("1.1").decision.because
    assert because.replace(str(JUDGEMENTS), JUDGEMENTS.name) in page.words


def test_a_judgement_from_a_workbook_names_its_sheet(tmp_path):
    out, _ = run_report(tmp_path, WORKBOOK, "--resamples", "0")
    words = parse(out.read_text(encoding="utf-8")).words
    assert "(redcar-cleveland-middlesbrough.xlsx, sheet 'Judgements', row 2)" in words
    assert "Same rating in resamples" not in words  # --resamples 0: intervals only


def test_multi_unit_report_starts_with_a_summary(multi):
    page = parse(multi)
    summary = page.tables[0]
    assert summary["class"] == "summary"
    head, *rows = summary["rows"]
    assert head[:3] == ["Unit", "Overall", "Score"] and head[3:12] == [
        "1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "2.5"] and head[-1] == "Fragile"
    # the corpus's north region (cases/corpus): rated as `rate diff` and `rate sweep` report them
    assert [r[:3] for r in rows] == [["Ashford Vale", "Good", "16/24"], ["Brookmere", "Requires improvement", "7/24"],
                                     ["Castleton", "Good", "16/24"]]
    assert all(r[7] == "NI" for r in rows)  # court work not inspected in the north region
    assert page.words.index("Summary of 3 units") < page.words.index("Ashford Vale Overall rating")
    links = [a.get("href") for tag, a in page.tags if tag == "a"]
    sections = [a.get("id") for tag, a in page.tags if tag == "section" and a.get("class") == "unit"]
    assert links[:3] == [f"#{s}" for s in sections]


def test_rating_badges_use_the_palette(single):
    colours = {**rating_colours(api.load_rulebook().rulebook.ratings), "Not inspected": NO_RATING}
    badges = re.findall(r'<span class="rating" style="background:(#[0-9A-F]{6});color:(#[0-9A-F]{6})">([^<]+)</span>',
                        single)
    assert {text for _, _, text in badges} >= {"Inadequate", "Requires improvement", "Good"}
    for fill, ink, text in badges:
        assert fill == colours[text], text
        assert ink == ("#FFFFFF" if text == "Outstanding" else "#000000")


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
    assert len(page.svgs) == 4 and all(len(svg["lines"]) == 3 + 1 for svg in page.svgs)  # dashed bounds and the axis
    assert all(len(svg["paths"]) == 3 for svg in page.svgs)  # one interval whisker per key question


def test_html_escapes_what_it_is_given(tmp_path):
    cases = tmp_path / "cases.csv"
    cases.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
        '"Redcar, Cleveland and Middlesbrough"', '"<script>alert(1)</script>"'), encoding="utf-8")
    shutil.copy(JUDGEMENTS, tmp_path / "cases-judgements.csv")
    hostile = 'DRAFT"; } body { display: none } </style><script>alert(2)</script>'
    out, _ = run_report(tmp_path, cases, "--marking", hostile)
    html = out.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("</style>") == 1  # the marking cannot end the style sheet
    page = parse(html)
    assert page.by_class["marking"][0] == hostile  # shown as written
    # in the page margins: one CSS string holding the whole marking, then the box's own declarations
    box = re.search(r'@top-center \{ content: "((?:[^"\\]|\\[0-9A-F]+ )*)"; font: bold', page.style)
    assert re.sub(r"\\([0-9A-F]+) ", lambda m: chr(int(m.group(1), 16)), box.group(1)) == hostile
