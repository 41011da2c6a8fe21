"""The what-if workbench in the browser (`rate serve`): a local web application over the API.

`web.app.create_app` builds the Starlette application (token and host checks on every request,
readable errors, size limits); `web.routes` holds the page and the JSON endpoints; templates and
static files (no build step, nothing fetched from the internet) ship in this package. This
layer imports only the API and the layers below it. Its packages are the `[web]` extra
(`model.extras.EXTRAS`): `missing()` names any that are not installed.
"""
from __future__ import annotations

import importlib.util

from ..model.extras import EXTRAS

#: The packages of the `[web]` extra, as imported.
REQUIRED = EXTRAS["web"]


def missing() -> list[str]:
    """The web packages that are not installed (none when `rate serve` can run)."""
    return [name for name in REQUIRED if importlib.util.find_spec(name) is None]
