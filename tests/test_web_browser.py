"""The workbench in a real browser: headless Debian Chromium driven by Playwright.

A server runs in a thread on a free port of 127.0.0.1. The tests open the printed URL, edit the
Good threshold, see the matrix change, save the rulebook and rate with it through the CLI (the
saved rulebook passes check-rules and gives the page's matrix through `rate diff`), and check the
token is enforced. Skipped without Chromium or Playwright, except in CI (CI=1/true or
RATINGS_ENGINE_REQUIRE_BROWSER=1), where a missing browser fails.
"""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_diff import CORPUS, oracle

from ratings_engine.cli import main

CHROMIUM = os.environ.get("RATINGS_ENGINE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REQUIRED = (os.environ.get("CI", "").lower() in ("1", "true", "yes")
            or os.environ.get("RATINGS_ENGINE_REQUIRE_BROWSER", "") not in ("", "0"))


def _need(ok: bool, why: str) -> None:
    if not ok:
        if REQUIRED:
            pytest.fail(f"browser tests are required here (CI or RATINGS_ENGINE_REQUIRE_BROWSER): {why}")
        pytest.skip(why)


@pytest.fixture(scope="module")
def server():
    try:
        import uvicorn  # noqa: F401
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError as exc:
        _need(False, f"needs the web and test extras ({exc.name} missing)")
    _need(Path(CHROMIUM).is_file() or shutil.which(CHROMIUM) is not None, f"no Chromium at {CHROMIUM}")
    import uvicorn

    from ratings_engine.api import workbench
    from ratings_engine.web.app import create_app, listen

    bench = workbench(CORPUS, "probation-pdu-2021")
    sock = listen(0)
    port = sock.getsockname()[1]
    app, token = create_app(bench, port=port)
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the workbench server did not start"
    yield {"port": port, "token": token, "url": f"http://127.0.0.1:{port}/?token={token}"}
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except Exception as exc:  # noqa: BLE001 - a browser that does not start is a skip locally
            _need(False, f"Chromium did not start: {exc}")
        yield b
        b.close()


def matrix_of_page(page) -> dict[tuple[str, str], int]:
    cells = page.locator("#matrix td[data-from]")
    out = {}
    for i in range(cells.count()):
        cell = cells.nth(i)
        n = int(cell.get_attribute("data-count"))
        if n:
            out[(cell.get_attribute("data-from"), cell.get_attribute("data-to"))] = n
    return out


def test_edit_a_threshold_see_the_matrix_move_save_and_rate_with_it(server, browser, tmp_path):
    from playwright.sync_api import expect

    context = browser.new_context(accept_downloads=True, viewport={"width": 1500, "height": 1200})
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(server["url"])
    expect(page.locator("h1")).to_have_text("What-if workbench")
    assert page.url.endswith(f":{server['port']}/")  # the token left the address bar for a cookie
    _, _, old = oracle(65)
    _, _, new = oracle(70)
    before = matrix_of_page(page)
    assert all(a == b for a, b in before)  # nothing moves before an edit
    expect(page.locator("#checks")).to_contain_text("Scenarios (published facts): 4 pass, 0 fail", timeout=30_000)

    good_min = page.locator('tbody[data-table="key_question_bands"] tr').nth(1).locator('input[name="min"]')
    good_min.click()
    good_min.fill("70")  # the neighbouring row's 'below 65' follows (linked bounds)
    expect(page.locator("#status")).to_contain_text("Re-rated", timeout=30_000)
    ri_below = page.locator('tbody[data-table="key_question_bands"] tr').nth(2).locator('input[name="below"]')
    expect(ri_below).to_have_value("70")
    expected = {}
    for u in old:
        expected[(old[u], new[u])] = expected.get((old[u], new[u]), 0) + 1
    expect(page.locator("#moved-count")).to_have_text(str(sum(old[u] != new[u] for u in old)))
    assert matrix_of_page(page) == expected
    expect(page.locator("#moved-units")).to_contain_text("kq-good min 65 -> 70")
    expect(page.locator("#band-chart line.moved-cut")).to_have_count(1)
    assert page.locator("#error").is_hidden()

    page.fill("#candidate-id", "pdu-good-70")
    with page.expect_download() as download:
        page.click("#save-rulebook")
    saved = tmp_path / "pdu-good-70.yaml"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "pdu-good-70.yaml"

    runner = CliRunner()
    assert runner.invoke(main, ["check-rules", str(saved)]).exit_code == 0
    diff = runner.invoke(main, ["diff", str(CORPUS), "--base", "probation-pdu-2021", "--candidate", str(saved),
                                "--format", "json"])
    assert diff.exit_code == 0, diff.output
    rows = json.loads(diff.stdout)["matrices"]["overall"]["rows"]
    assert {(r["from"], to): n for r in rows for to, n in r["counts"].items() if n} == matrix_of_page(page)
    rated = runner.invoke(main, ["pdu", str(CORPUS / "north-region.csv"), "-j", str(CORPUS / "judgements.csv"),
                                 "--rules", str(saved), "--format", "json"])
    assert rated.exit_code == 0, rated.output
    assert {u["unit"]: u["overall"]["rating"] for u in json.loads(rated.stdout)["units"]} == {
        u: new[u] for u in ("Ashford Vale", "Brookmere", "Castleton")}

    page.screenshot(path=str(tmp_path / "workbench.png"), full_page=True)
    assert problems == []
    context.close()


def test_a_broken_table_shows_a_readable_error_on_the_page(server, browser):
    from playwright.sync_api import expect

    page = browser.new_page()
    page.goto(server["url"])
    page.uncheck("#link-bounds")
    good_min = page.locator('tbody[data-table="key_question_bands"] tr').nth(1).locator('input[name="min"]')
    good_min.fill("70")
    error = page.locator("#error")
    expect(error).to_be_visible(timeout=30_000)
    expect(error).to_contain_text("a gap in the table")
    expect(error).to_contain_text("also set key_question_bands.rows[kq-requires-improvement].below=70")
    assert "Traceback" not in error.text_content()
    page.close()


def test_the_token_is_enforced_in_the_browser(server, browser):
    context = browser.new_context()  # no cookie
    page = context.new_page()
    response = page.goto(f"http://127.0.0.1:{server['port']}/")
    assert response.status == 403 and "access token" in page.content()
    response = page.goto(f"http://127.0.0.1:{server['port']}/?token=wrong")
    assert response.status == 403
    response = page.goto(f"http://localhost:{server['port']}/static/app.js")
    assert response.status == 403
    context.close()
