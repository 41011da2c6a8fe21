"""The report's templates ship in the wheel, and the report renders from the installed files."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "ratings_engine" / "render" / "templates"


def test_every_template_is_in_the_wheel(tmp_path):
    builders = pytest.importorskip("hatchling.builders.wheel", reason="hatchling is a test dependency")
    wheel = next(iter(builders.WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"])))
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = sorted(p.name for p in TEMPLATES.glob("*.j2"))
    assert len(templates) >= 4  # page, unit section, macros, chart, style sheet
    for name in templates:
        assert f"ratings_engine/render/templates/{name}" in names, name


def test_the_report_renders_from_an_unpacked_wheel(tmp_path):
    """Installed from the wheel (no source tree on the path), the report still finds its templates."""
    builders = pytest.importorskip("hatchling.builders.wheel", reason="hatchling is a test dependency")
    wheel = next(iter(builders.WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"])))
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import ratings_engine, sys; from ratings_engine import api; "
            "r = api.rate(sys.argv[1], judgements=sys.argv[2]); "
            "html = api.report_html(r); assert ratings_engine.__file__.startswith(sys.argv[3]), ratings_engine.__file__; "
            "print(len(html), 'Page ' in html)")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "cases" / "redcar-cleveland-middlesbrough.csv"),
                           str(ROOT / "cases" / "redcar-cleveland-middlesbrough-judgements.csv"), str(site)],
                          capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": ""},
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    size, has_page_numbers = done.stdout.split()
    assert int(size) > 20_000 and has_page_numbers == "True"
