"""Reading input files' bytes with clear errors, and writing output files atomically.

Every file the project writes goes through `atomic_output` (or `write_text` / `write_bytes`):
the content is written to a temporary file in the same folder, flushed to disk, then renamed
over the target in one step. An interrupted run (a kill, a full disk, an exception half-way
through rendering) leaves any earlier file of that name intact, never a truncated one.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from ..model.errors import InputError


def read_input_bytes(path: str | Path, what: str, error: type[InputError] = InputError) -> bytes:
    """The bytes of an input file; a missing or unreadable file is a clear error naming it."""
    source = str(path)
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise error(f"{source}: {what} file not found") from None
    except IsADirectoryError:
        raise error(f"{source}: is a folder, not a {what} file") from None
    except OSError as exc:
        raise error(f"{source}: cannot read {what} file: {exc.strerror or exc}") from None


@contextmanager
def atomic_output(path: str | Path, *, binary: bool = False, encoding: str = "utf-8",
                  newline: str | None = None) -> Iterator[IO]:
    """A file object to write `path` through: renamed into place only when the block succeeds.

    The temporary file sits beside the target (same file system, so the rename is atomic) and
    is removed if the block raises. Errors creating or renaming it are InputErrors naming `path`.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise InputError(f"{target}: cannot write the output: {exc.strerror or exc}") from None
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding=encoding, newline=newline)) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _keep_mode(target, tmp)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, InputError):
            raise InputError(f"{target}: cannot write the output: {exc.strerror or exc}") from None
        raise


def _keep_mode(target: Path, tmp: str) -> None:
    """mkstemp creates 0600 files; give the output the permissions a plain write would have."""
    try:
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
    except OSError:
        pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_stdin: list[Path] = []


def stdin_copy() -> Path:
    """Standard input saved once to a temporary file (removed at exit), so a CSV can be read from a
    pipe like any file: twice if need be (the encoding check re-reads), and hashed."""
    if not _stdin:
        import atexit
        import shutil
        import sys

        fd, name = tempfile.mkstemp(prefix="ratings-engine-stdin-", suffix=".csv")
        with os.fdopen(fd, "wb") as handle:
            shutil.copyfileobj(sys.stdin.buffer, handle)
        atexit.register(lambda: os.path.exists(name) and os.unlink(name))
        _stdin.append(Path(name))
    return _stdin[0]


def write_text(path: str | Path, text: str, *, encoding: str = "utf-8", newline: str | None = None) -> None:
    """Write text to `path` atomically."""
    with atomic_output(path, encoding=encoding, newline=newline) as handle:
        handle.write(text)


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write bytes to `path` atomically."""
    with atomic_output(path, binary=True) as handle:
        handle.write(data)
