"""The workbench over HTTP (no browser): the token and the host are enforced on every route,
errors are readable messages, sizes are bounded, and the endpoints answer as `rate diff` does."""
import copy
import json
import sys

import pytest
from click.testing import CliRunner
from test_diff import CORPUS, oracle

pytest.importorskip("starlette")
pytest.importorskip("httpx")
from starlette.testclient import TestClient  # noqa: E402

from ratings_engine.api import workbench  # noqa: E402
from ratings_engine.cli import main  # noqa: E402
from ratings_engine.web.app import cookie_name, create_app  # noqa: E402

TOKEN = "test-token-0123456789"
HOST = {"host": "127.0.0.1:8000"}


@pytest.fixture(scope="module")
def bench():
    return workbench(CORPUS, "probation-pdu-2021")


@pytest.fixture(scope="module")
def app(bench):
    app, token = create_app(bench, token=TOKEN, port=8000)
    assert token == TOKEN
    return app


def client(app, *, cookie: bool = True) -> TestClient:
    c = TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False)
    if cookie:
        c.cookies.set(cookie_name(8000), TOKEN)
    return c


def good70(bench):
    form = copy.deepcopy(bench.form())
    form["key_question_bands"][1]["min"] = "70"
    form["key_question_bands"][2]["below"] = "70"
    return form


ROUTES = [("GET", "/"), ("GET", "/static/app.js"), ("GET", "/static/app.css"), ("POST", "/api/rate"),
          ("POST", "/api/check"), ("POST", "/api/rulebook"), ("POST", "/api/export"), ("POST", "/api/upload"),
          ("GET", "/no-such-page")]


@pytest.mark.parametrize("method,path", ROUTES)
@pytest.mark.parametrize("token", [None, "wrong", TOKEN[:-1], TOKEN + "x"])
def test_every_route_refuses_a_missing_or_wrong_token(app, method, path, token):
    c = client(app, cookie=False)
    if token is not None:
        c.cookies.set(cookie_name(8000), token)
    response = c.request(method, path, json={"form": {}})
    assert response.status_code == 403
    assert "access token" in response.text
    query = c.request(method, path + (f"?token={token}" if token else ""), json={"form": {}})
    assert query.status_code == 403


def test_the_printed_url_sets_a_strict_http_only_cookie_and_drops_the_token(app):
    c = client(app, cookie=False)
    first = c.get(f"/?token={TOKEN}", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/"
    cookie = first.headers["set-cookie"]
    assert f"{cookie_name(8000)}={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = c.get("/")
    assert page.status_code == 200 and "What-if workbench" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert c.get("/static/app.js").status_code == 200


@pytest.mark.parametrize("headers", [{"host": "evil.example:8000"}, {"host": "127.0.0.1.evil.example"},
                                     {"origin": "http://evil.example"}])
def test_other_hosts_and_origins_are_refused_even_with_the_token(app, headers):
    c = client(app)
    response = c.get("/", headers=headers)
    assert response.status_code == 403
    assert c.post("/api/rate", json={"form": {}}, headers=headers).status_code == 403


def test_one_edit_returns_the_matrix_rate_diff_gives(app, bench):
    _, _, old = oracle(65)
    _, _, new = oracle(70)
    response = client(app).post("/api/rate", json={"form": good70(bench), "level": "overall"},
                                headers={"origin": "http://127.0.0.1:8000"})
    assert response.status_code == 200, response.text
    data = response.json()
    counts = {(r["from"], to): n for r in data["matrix"]["rows"] for to, n in r["counts"].items() if n}
    expected = {}
    for u in old:
        expected[(old[u], new[u])] = expected.get((old[u], new[u]), 0) + 1
    assert counts == expected
    assert data["moved"] == sum(old[u] != new[u] for u in old)
    assert 'id="matrix"' in data["html"] and "kq-good min 65 -&gt; 70" in data["html"]


def test_errors_are_readable_messages_never_tracebacks(app, bench):
    c = client(app)
    form = copy.deepcopy(bench.form())
    form["key_question_bands"][1]["min"] = "70"  # a gap
    bad = [c.post("/api/rate", json={"form": form}),
           c.post("/api/rate", content=b"not json", headers={"content-type": "application/json"}),
           c.post("/api/rate", json={"form": {"nonsense": []}}),
           c.post("/api/rate", json={"form": bench.form(), "level": "galaxy"}),
           c.post("/api/export", json={"form": bench.form(), "format": "pdf"}),
           c.post("/api/rulebook", json={"form": bench.form(), "id": "../../etc/passwd"}),
           c.post("/api/upload", content=b"id: !!python/object/apply:os.system ['true']\n")]
    for response in bad:
        assert response.status_code == 400, response.text
        assert response.json()["ok"] is False and response.json()["error"]
        assert "Traceback" not in response.text and 'File "' not in response.text
    assert "also set key_question_bands.rows[kq-requires-improvement].below=70" in bad[0].json()["error"]


def test_request_bodies_are_bounded(app):
    c = client(app)
    big = c.post("/api/upload", content=b"x" * 2_100_000, headers={"content-type": "application/yaml"})
    assert big.status_code == 400 and "limit" in big.json()["error"]
    form = c.post("/api/rate", content=json.dumps({"form": {}, "pad": "x" * 600_000}),
                  headers={"content-type": "application/json"})
    assert form.status_code == 400 and "limit" in form.json()["error"]


def test_save_export_and_check(app, bench, tmp_path):
    c = client(app)
    form = good70(bench)
    saved = c.post("/api/rulebook", json={"form": form, "id": "pdu-good-70", "title": "Good from 70"})
    assert saved.status_code == 200 and 'filename="pdu-good-70.yaml"' in saved.headers["content-disposition"]
    path = tmp_path / "pdu-good-70.yaml"
    path.write_bytes(saved.content)
    assert CliRunner().invoke(main, ["check-rules", str(path)]).exit_code == 0
    page = c.post("/api/rate", json={"form": form, "level": "standard"}).json()["matrix"]
    diff = CliRunner().invoke(main, ["diff", str(CORPUS), "--base", "probation-pdu-2021", "--candidate", str(path),
                                     "--level", "standard", "--format", "json"])
    assert json.loads(diff.stdout)["matrices"]["standard"] == page
    csv_text = c.post("/api/export", json={"form": form, "format": "csv"}).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("unit,level,id,name,base,candidate")
    xlsx = c.post("/api/export", json={"form": form, "format": "xlsx"})
    assert xlsx.content[:4] == b"PK\x03\x04"
    md = c.post("/api/export", json={"form": form, "format": "markdown"}).text
    assert md.startswith("# Rulebook diff") and "| base \\ candidate" in md
    checked = c.post("/api/check", json={"form": form}).json()
    assert checked["check_ok"] is True and checked["scenarios_ok"] is True and "PASS" in checked["html"]


def test_a_scenario_that_breaks_turns_red_with_its_because(app, bench):
    form = copy.deepcopy(bench.form())
    form["overall_bands"].insert(0, {"id": "two-inadequate", "then": "Inadequate",
                                     "counts": "[{ratings: [Inadequate], min: 2}]"})
    checked = client(app).post("/api/check", json={"form": form}).json()
    assert checked["scenarios_ok"] is False
    assert 'class="bad" data-passed="no"' in checked["html"]
    assert "Seed letter" in checked["html"] and "because" in checked["html"]


def test_upload_of_a_saved_rulebook_fills_the_form(app, bench):
    c = client(app)
    text = c.post("/api/rulebook", json={"form": good70(bench)}).content
    data = c.post("/api/upload", content=text, headers={"content-type": "application/yaml"}).json()
    assert data["ok"] and data["form"]["key_question_bands"][1]["min"] == "70"
    assert 'value="70"' in data["html"]


def test_serve_without_the_web_extra_names_the_install_command(monkeypatch):
    import ratings_engine.web as web

    monkeypatch.setattr(web, "missing", lambda: ["uvicorn"])
    result = CliRunner().invoke(main, ["serve", str(CORPUS)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: rate serve needs uvicorn (the [web] extra), which is not installed: "
        f"{sys.executable} -m pip install 'ratings-engine[web]'"]


def test_rate_serve_prints_a_url_with_a_token_and_serves_the_page():
    """The command itself, as a user runs it: a process on a free port of 127.0.0.1."""
    import http.client
    import re
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "ratings_engine", "serve", str(CORPUS)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]+)", line)
        assert found, (line, proc.stderr.read() if proc.poll() is not None else "")
        port, token = int(found.group(1)), found.group(2)
        assert len(token) >= 32
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/")
        refused = conn.getresponse()
        assert refused.status == 403
        refused.read()
        conn.request("GET", f"/?token={token}")
        first = conn.getresponse()
        first.read()
        assert first.status == 303
        cookie = first.getheader("set-cookie").split(";")[0]
        conn.request("GET", "/", headers={"Cookie": cookie})
        page = conn.getresponse()
        assert page.status == 200 and b"What-if workbench" in page.read()
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
