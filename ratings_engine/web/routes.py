"""The workbench's page and JSON endpoints.

Every endpoint takes the form state (the editable tables as the page holds them, see
`toolkit.workbench_form`) and answers from the `Workbench`:

* `GET /` the page; `POST /api/rate` one edit: re-rate the corpus in bulk and give the results
  (matrix, moved units, band chart) as HTML, with the matrix as data and the server time;
* `POST /api/check` check-rules findings and scenario results (slower, memoised per candidate);
* `POST /api/rulebook` the candidate as a rulebook YAML that extends the base (a download);
* `POST /api/export` the diff as csv, xlsx or markdown (a download);
* `POST /api/upload` a rulebook YAML (raw body) read into the form.
"""
from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..model.errors import InputError
from ..render.diff import matrix_rows, percent_text, to_csv, to_text, to_xlsx
from ..toolkit.diff import LEVELS
from ..toolkit.workbench import form_from_yaml

MAX_FORM_BYTES = 512_000
MAX_UPLOAD_BYTES = 2_000_000
LEVEL_TITLES = {"overall": "Overall ratings", "standard": "Standard ratings", "key_question": "Key-question ratings"}


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise InputError(f"the request is {int(declared):,} bytes; the limit is {limit:,}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InputError(f"the request is over {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _json(request: Request) -> dict:
    raw = await _body(request, MAX_FORM_BYTES)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"the request is not JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("form", {}), dict):
        raise InputError("the request must be a JSON object with a 'form'")
    return data


def _level(data: dict, allowed=LEVELS) -> str:
    level = str(data.get("level") or "overall")
    if level not in allowed:
        raise InputError(f"unknown level {level!r}: one of {', '.join(allowed)}")
    return level


class Handlers:
    def __init__(self, bench, templates):
        self.bench = bench
        self.templates = templates
        env = templates.env
        env.globals.update(percent_text=percent_text, matrix_rows=matrix_rows, level_titles=LEVEL_TITLES)

    def _context(self) -> dict[str, Any]:
        b = self.bench
        base = b.base.rulebook
        return {"base": base, "base_ref": b.base_ref, "units": len(b.bulk.units), "sources": b.sources,
                "recorded": b.recorded, "ratings": list(reversed(base.ratings)), "levels": LEVELS,
                "default_id": f"{base.id}-candidate"}

    async def page(self, request: Request) -> Response:
        form = self.bench.form()
        evaluation = self.bench.evaluate(form)
        context = {**self._context(), "form": form, "ev": evaluation, "form_json": json.dumps(form)}
        return self.templates.TemplateResponse(request, "page.html", context,
                                               headers={"Cache-Control": "no-store",
                                                        "Content-Security-Policy": _CSP})

    async def rate(self, request: Request) -> Response:
        data = await _json(request)
        level = _level(data)
        ev = self.bench.evaluate(data.get("form", {}), level)
        html = self.templates.get_template("results.html").render({**self._context(), "ev": ev})
        return JSONResponse({"ok": True, "html": html, "matrix": ev.matrix.to_dict(), "server_ms": round(ev.server_ms, 1),
                             "sha256": ev.sha256, "changes": [c.label for c in ev.changes],
                             "moved": ev.moved_total})

    async def check(self, request: Request) -> Response:
        data = await _json(request)
        checked, scenarios = self.bench.check(data.get("form", {}))
        html = self.templates.get_template("check.html").render({"checked": checked, "scenarios": scenarios})
        return JSONResponse({"ok": True, "html": html, "check_ok": checked.ok,
                             "scenarios_ok": None if scenarios is None else scenarios.ok})

    async def rulebook(self, request: Request) -> Response:
        data = await _json(request)
        new_id = str(data.get("id") or "").strip() or None
        if new_id is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}", new_id):
            raise InputError(f"rulebook id {new_id!r}: letters, digits, '.', '_' and '-' only, up to 80")
        text = self.bench.rulebook_yaml(data.get("form", {}), new_id, str(data.get("title") or "").strip() or None)
        name = f"{new_id or self._context()['default_id']}.yaml"
        return Response(text, media_type="application/yaml; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    async def export(self, request: Request) -> Response:
        data = await _json(request)
        fmt = str(data.get("format") or "csv")
        level = _level(data, LEVELS + ("all",)) if data.get("level") else "all"
        report = self.bench.diff_report(data.get("form", {}), level)
        if fmt == "csv":
            body, media, ext = "\ufeff" + to_csv(report), "text/csv; charset=utf-8", "csv"
        elif fmt == "xlsx":
            body, media, ext = to_xlsx(report), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
        elif fmt == "markdown":
            body, media, ext = to_text(report, markdown=True), "text/markdown; charset=utf-8", "md"
        else:
            raise InputError(f"unknown export format {fmt!r}: csv, xlsx or markdown")
        return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="diff.{ext}"'})

    async def upload(self, request: Request) -> Response:
        raw = await _body(request, MAX_UPLOAD_BYTES)
        form = form_from_yaml(self.bench, raw)
        html = self.templates.get_template("tables.html").render({**self._context(), "form": form})
        return JSONResponse({"ok": True, "form": form, "html": html})


#: Only this application's own scripts, styles and images; nothing from elsewhere.
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
