"""Printing the HTML report to PDF, and opening a file in the browser.

PDF: the report is printed by headless Chromium (or Google Chrome), found on the PATH or named
by the environment variable `RATINGS_ENGINE_CHROMIUM`. Chromium lays out the report's print
style sheet (A4, the protective marking and "Page n of m" in the page margins) exactly as a
user printing from the browser would get. Where no such browser is installed the error says
so and how to install one; nothing else is tried. The browser runs with a new empty profile
in a temporary folder, no network services, and a time limit; the PDF is written atomically.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import webbrowser
from pathlib import Path

from ..model.errors import InputError
from .files import write_bytes

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: Flags for a headless run on a machine with no display and no network (each needed here).
HEADLESS_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--hide-scrollbars")
PRINT_TIMEOUT_SECONDS = 120


class BrowserMissing(InputError):
    """No Chromium or Chrome to print with."""


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable: $RATINGS_ENGINE_CHROMIUM, else the first on the PATH."""
    named = os.environ.get("RATINGS_ENGINE_CHROMIUM", "").strip()
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _missing(what: str) -> BrowserMissing:
    return BrowserMissing(
        f"{what} needs Chromium or Google Chrome to print the report, and none was found (looked for "
        f"{', '.join(BROWSER_NAMES)} on the PATH, and $RATINGS_ENGINE_CHROMIUM). Install one (Debian or Ubuntu: "
        "apt-get install chromium), or write the HTML report and print it to PDF from any browser.")


def print_pdf(html: str, output: str | Path, *, what: str = "--pdf") -> None:
    """Print an HTML document to a PDF file (written atomically) with headless Chromium."""
    write_bytes(output, pdf_bytes(html, what=what))


def pdf_bytes(html: str, *, what: str = "--pdf") -> bytes:
    """An HTML document printed to PDF by headless Chromium: the PDF's bytes."""
    browser = find_chromium()
    if browser is None:
        raise _missing(what)
    with tempfile.TemporaryDirectory(prefix="ratings-engine-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        pdf = Path(tmp) / "report.pdf"
        command = [browser, *HEADLESS_FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}", "--no-pdf-header-footer",
                   f"--print-to-pdf={pdf}", page.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PRINT_TIMEOUT_SECONDS,
                                  env={**os.environ, "HOME": tmp}, check=False)
        except subprocess.TimeoutExpired:
            raise InputError(f"{what}: {browser} did not finish printing within {PRINT_TIMEOUT_SECONDS} s") from None
        except OSError as exc:
            raise InputError(f"{what}: cannot run {browser}: {exc.strerror or exc}") from None
        data = pdf.read_bytes() if pdf.is_file() else b""
        if not data.startswith(b"%PDF"):
            tail = "\n".join((done.stderr or "").strip().splitlines()[-3:])
            raise InputError(f"{what}: {browser} wrote no PDF (exit {done.returncode})" + (f": {tail}" if tail else ""))
    return data


def open_in_browser(path: str | Path) -> bool:
    """Open a file in the user's web browser; False when no browser could be started."""
    try:
        return bool(webbrowser.open(Path(path).resolve().as_uri()))
    except webbrowser.Error:
        return False
