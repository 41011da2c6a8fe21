"""Did you mean: the closest known names to an unknown one, for error messages."""
from __future__ import annotations

from typing import Iterable


def closest(name: str, known: Iterable[str], *, n: int = 2, cutoff: float = 0.6) -> list[str]:
    """Known names close to `name` (compared case-insensitively, spaces and punctuation ignored)."""
    import difflib  # only when a name is unknown: not on every run's start-up

    known = list(dict.fromkeys(str(k) for k in known))
    keys = {_key(k): k for k in known}
    hits = difflib.get_close_matches(_key(str(name)), list(keys), n=n, cutoff=cutoff)
    return [keys[h] for h in hits if keys[h] != name]


def did_you_mean(name: str, known: Iterable[str], **options) -> str:
    """'; did you mean 'X'?' (or 'X' or 'Y'), or '' when nothing is close."""
    hits = closest(name, known, **options)
    if not hits:
        return ""
    return "; did you mean " + " or ".join(repr(h) for h in hits) + "?"


def _key(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum() or ch == ".")
