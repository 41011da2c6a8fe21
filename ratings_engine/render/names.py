"""File names in shareable outputs: the name and the sha256, never the local folders.

A report or workbook handed to a panel should not show `/home/inspector/Downloads/...`: inputs
are named by their file name (their sha256 identifies them), and every path of an input quoted
in an explanation is shown as the file's name.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable


def shown_name(path: str | None) -> str:
    """A file's name without its folders (`/home/me/cases/x.csv` -> `x.csv`)."""
    if not path:
        return ""
    return re.split(r"[\\/]", str(path).rstrip("\\/"))[-1]


def delocaliser(paths: Iterable[str | None]) -> Callable[[Any], str]:
    """A function replacing each of `paths` in a text by the file's name (longest paths first)."""
    pairs = sorted({(p, shown_name(p)) for p in paths if p and shown_name(p) != p}, key=lambda t: -len(t[0]))

    def local(text: Any) -> str:
        text = "" if text is None else str(text)
        for path, name in pairs:
            text = text.replace(path, name)
        return text

    return local


def report_paths(report) -> list[str]:
    """The paths a rating report names: the rulebook file and every input file."""
    return [p for p in (report.rulebook.file, *(i.get("file") for i in report.inputs)) if p]
