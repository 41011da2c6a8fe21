"""The workbench application: safe by default.

* It is meant to listen on 127.0.0.1 only (`serve`).
* Every request (the page, the API, the static files) must carry the access token: as
  `?token=...` in the URL printed at start-up (then set as an HttpOnly, SameSite=Strict cookie
  and the token dropped from the address bar), or as that cookie. Tokens are compared in
  constant time. Without it: 403, so another web page open in the same browser cannot drive
  the workbench (it cannot read the token, and a strict cookie is not sent cross-site).
* The Host header must name 127.0.0.1 or localhost (stops DNS rebinding), and a request that
  says where it comes from (`Origin`) must come from the workbench itself.
* Request bodies are size-limited; every error is a readable message, never a traceback.
"""
from __future__ import annotations

import gc
import secrets
import socket
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..model.errors import InputError

HERE = Path(__file__).resolve().parent
ALLOWED_HOSTS = ("127.0.0.1", "localhost", "[::1]")
#: Largest request body (an uploaded rulebook is bounded again by the YAML reader's own limit).
MAX_BODY = 2_000_000


def new_token() -> str:
    return secrets.token_urlsafe(32)


def cookie_name(port: int | None) -> str:
    """Per port, so two workbenches on one machine keep their own tokens."""
    return f"rate_serve_token_{port}" if port else "rate_serve_token"


class Guard:
    """ASGI middleware: host check, token check (query or cookie), and the cookie after a good query token."""

    def __init__(self, app, token: str, port: int | None):
        self.app = app
        self.token = token
        self.cookie = cookie_name(port)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        host = (request.headers.get("host") or "").strip().lower()
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if hostname not in ALLOWED_HOSTS:
            return await _refuse("This workbench answers only at 127.0.0.1 or localhost.")(scope, receive, send)
        origin = request.headers.get("origin")
        if origin is not None and origin.split("://", 1)[-1].lower() != host:
            return await _refuse("Requests from other sites are refused.")(scope, receive, send)
        given = request.query_params.get("token")
        cookie = request.cookies.get(self.cookie)
        if given is not None and secrets.compare_digest(given.encode(), self.token.encode()):
            if request.method == "GET" and scope["path"] == "/":
                # Keep the token out of the address bar and history: the cookie carries it from now on.
                response: Response = RedirectResponse("/", status_code=303)
                self._set_cookie(response)
                return await response(scope, receive, send)
            return await self.app(scope, receive, send)
        if cookie is not None and secrets.compare_digest(cookie.encode(), self.token.encode()):
            return await self.app(scope, receive, send)
        return await _refuse("This workbench needs its access token: open the URL that rate serve printed "
                             "(http://127.0.0.1:PORT/?token=...).")(scope, receive, send)

    def _set_cookie(self, response: Response) -> None:
        response.set_cookie(self.cookie, self.token, httponly=True, samesite="strict", path="/")


def _refuse(message: str) -> Response:
    return PlainTextResponse(f"403 Forbidden: {message}\n", status_code=403)


def create_app(bench, *, token: str | None = None, port: int | None = None) -> tuple[Any, str]:
    """The application over a `toolkit.workbench.Workbench`, and its token."""
    from . import routes

    token = token or new_token()
    # The corpus, its arrays and the compiled rulebooks live as long as the server: move them out of
    # the garbage collector's full passes, which otherwise pause an edit now and then.
    gc.collect()
    gc.freeze()
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.autoescape = True
    handlers = routes.Handlers(bench, templates)
    app = Starlette(
        debug=False,
        routes=[
            Route("/", handlers.page, methods=["GET"]),
            Route("/api/rate", handlers.rate, methods=["POST"]),
            Route("/api/check", handlers.check, methods=["POST"]),
            Route("/api/rulebook", handlers.rulebook, methods=["POST"]),
            Route("/api/export", handlers.export, methods=["POST"]),
            Route("/api/upload", handlers.upload, methods=["POST"]),
            Route("/favicon.ico", lambda request: Response(status_code=204), methods=["GET"]),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ],
        exception_handlers={InputError: _input_error, Exception: _internal_error, 404: _not_found,
                            405: _not_allowed},
    )
    return Guard(app, token, port), token


async def _input_error(request: Request, exc: InputError) -> Response:
    return JSONResponse({"ok": False, "error": exc.render()}, status_code=400)


async def _internal_error(request: Request, exc: Exception) -> Response:
    return JSONResponse({"ok": False, "error": f"internal error (please report): {type(exc).__name__}: {exc}"},
                        status_code=500)


async def _not_found(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("404 Not Found: no such page in the workbench\n", status_code=404)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("405 Method Not Allowed\n", status_code=405)


def listen(port: int = 0) -> socket.socket:
    """A socket listening on 127.0.0.1 (port 0: a free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise InputError(f"--port {port}: cannot listen on 127.0.0.1:{port} ({exc.strerror})") from None
    sock.listen(64)
    sock.setblocking(False)
    return sock


def serve(bench, *, port: int = 0, token: str | None = None, ready=None) -> None:
    """Run the workbench on 127.0.0.1 until interrupted; `ready(url)` is called with the URL (token included)."""
    import uvicorn

    sock = listen(port)
    port = sock.getsockname()[1]
    app, token = create_app(bench, token=token, port=port)
    url = f"http://127.0.0.1:{port}/?token={token}"
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    if ready is not None:
        ready(url)
    server.run(sockets=[sock])
