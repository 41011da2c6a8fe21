"""Optional features: which extra installs which module, and one clear error when it is missing.

Heavy, occasionally used libraries are extras of the package, not core dependencies
(`pyproject.toml`, `[project.optional-dependencies]`; keep `EXTRAS` in step with it, a test
checks). Code that needs one imports it through `require`, which turns a missing module into
one line naming the feature and the exact command that installs it (a `MissingExtraError`, an
`InputError`: exit 2 on the command line, never a traceback).

It lives in `model`, the lowest layer, so that any layer can use it.
"""
from __future__ import annotations

import importlib
import sys
from types import ModuleType

from .errors import InputError

#: Extra -> the top-level modules it provides (import names, not distribution names).
EXTRAS: dict[str, tuple[str, ...]] = {
    "excel": ("openpyxl",),  # .xlsx input and export
    "charts": ("matplotlib",),  # rate sweep --chart
    "web": ("starlette", "uvicorn"),  # the rate serve workbench (its Jinja2 is a core dependency)
}

#: The distribution the install command names.
DISTRIBUTION = "ratings-engine"


def extra_of(module: str) -> str | None:
    """The extra that provides `module` (or a submodule of it), or None for a core module."""
    top = module.split(".")[0]
    return next((extra for extra, modules in EXTRAS.items() if top in modules), None)


def install_command(extra: str) -> str:
    """The exact command that adds `extra` to the environment running this code.

    It names this interpreter, so it installs into the right environment even when `rate` was
    started from a virtual environment that is not activated. It works for an installed or an
    editable install (pip takes the installed ratings-engine's own metadata for the extra).
    """
    python = sys.executable or "python3"
    if any(ch.isspace() for ch in python):
        python = f'"{python}"'
    return f"{python} -m pip install '{DISTRIBUTION}[{extra}]'"


class MissingExtraError(InputError):
    """A feature needs a module of an extra that is not installed."""

    def __init__(self, feature: str, module: str, extra: str, missing: str | None = None):
        self.feature, self.module, self.extra, self.missing = feature, module, extra, missing
        top = module.split(".")[0]
        why = "which is not installed" if missing in (None, top) else f"which cannot be imported (no module {missing!r})"
        super().__init__(f"{feature} needs {top} (the [{extra}] extra), {why}: {install_command(extra)}")


def require(module: str, feature: str) -> ModuleType:
    """Import `module` for `feature` (e.g. "rate sweep --chart"), or raise `MissingExtraError`.

    Only a missing module becomes that error (the extra's own module, or one it needs, as in a
    half-installed extra); any other import failure propagates unchanged.
    """
    extra = extra_of(module)
    if extra is None:
        raise ValueError(f"{module!r} is not provided by any extra (ratings_engine.model.extras.EXTRAS)")
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise MissingExtraError(feature, module, extra, exc.name) from None
