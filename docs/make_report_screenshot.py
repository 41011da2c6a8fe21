"""Make docs/report-example.png, the README's picture of the HTML report (run from the repository root).

    python docs/make_report_screenshot.py

It writes the report of the shipped example (with its panel override and a DRAFT marking, at a
fixed time, so the picture only changes when the report does) and screenshots the top of it in
headless Chromium (Debian package `chromium`).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "report-example.png"


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from ratings_engine.io.browser import HEADLESS_FLAGS, find_chromium

    browser = find_chromium()
    if browser is None:
        print("no chromium found (apt-get install chromium)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "report.html"
        cases = ROOT / "cases"
        subprocess.run([sys.executable, "-m", "ratings_engine", "report", str(cases / "redcar-cleveland-middlesbrough.csv"),
                        "-j", str(cases / "redcar-cleveland-middlesbrough-judgements.csv"),
                        "--overrides", str(cases / "redcar-cleveland-middlesbrough-overrides.csv"),
                        "--marking", "DRAFT", "-o", str(html)],
                       check=True, env={**os.environ, "SOURCE_DATE_EPOCH": "1706783400"})
        subprocess.run([browser, *HEADLESS_FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}", f"--screenshot={OUT}",
                        "--window-size=1100,1500", html.as_uri()], check=True, capture_output=True, timeout=120,
                       env={**os.environ, "HOME": tmp})
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
