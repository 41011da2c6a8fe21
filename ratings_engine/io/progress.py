"""A progress bar on stderr for long runs.

It appears only when stderr is a terminal, `quiet` is off, and the run has already taken
`delay` seconds (so short runs print nothing at all). Uses click's progress bar.
"""
from __future__ import annotations

import sys
import time

#: Runs shorter than this never show a bar.
DEFAULT_DELAY = 2.0


class Progress:
    """`with Progress(total, "Resampling") as p: ... p.update(n)`."""

    def __init__(self, total: int, label: str, *, quiet: bool = False, delay: float = DEFAULT_DELAY,
                 stream=None, started: float | None = None):
        """`started`: a `time.monotonic()` value the delay counts from (default: entering the block),
        so work done before the block (reading the input) counts towards "a long run"."""
        self.total = max(int(total), 1)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = not quiet and _is_tty(self.stream)
        self.delay = delay
        self.done = 0
        self._started = started
        self._start = started if started is not None else time.monotonic()
        self._bar = None

    def __enter__(self) -> "Progress":
        if self._started is None:
            self._start = time.monotonic()
        return self

    def update(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        if self._bar is None:
            if time.monotonic() - self._start < self.delay:
                return
            import click

            self._bar = click.progressbar(length=self.total, label=self.label, file=self.stream,
                                          show_eta=True, show_percent=True)
            self._bar.__enter__()
            self._bar.update(self.done)
        else:
            self._bar.update(n)

    @property
    def shown(self) -> bool:
        return self._bar is not None

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
            self._bar = None


def _is_tty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
