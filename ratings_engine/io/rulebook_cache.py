"""A cache of validated rulebook files, so `rate` need not parse and validate the same file each run.

Reading a rulebook means parsing YAML (ruamel.yaml) and validating it (pydantic schemas built
on first use): most of a small rating's start-up beyond pandas and durable_rules. A validated
rulebook's canonical JSON (the text its content hash is taken of) is kept in the user cache
directory with a typed tree of it, and rebuilt from there as pydantic-free records
(`model.light`), without validation. The cache is safe to delete and never trusted blindly:

* an entry is keyed by the file's path and the sha256 of its bytes, the package version and the
  Python version, and says so inside; an entry for anything else is ignored;
* the rulebook text is checked against its content hash, and the typed tree against the text,
  before use; a corrupt, truncated or foreign entry is ignored (and rewritten), never an error;
* it holds JSON only: nothing is unpickled or executed;
* entries are written atomically (`io.files.write_text`); a cache folder that cannot be
  written is simply not used;
* a rulebook that `extends` another is not cached (its content depends on other files);
* a what-if variant (`--set`, each value of `rate sweep`) is kept by the base rulebook's content
  hash and the changes, in a `variants` folder (past MAX_VARIANTS entries the oldest are removed
  down to half that); rerunning a sweep, the methodology team's loop, then validates nothing and
  imports no pydantic.

`RATINGS_ENGINE_CACHE_DIR` names the folder (tests use a temporary one; `off` disables the
cache); otherwise `$XDG_CACHE_HOME/ratings-engine` or `~/.cache/ratings-engine`.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from .._version import __version__
from ..model.light import rulebook_from_tree, tree_of
from .files import write_text

if TYPE_CHECKING:
    from ..model.rulebook import Rulebook

CACHE_ENV = "RATINGS_ENGINE_CACHE_DIR"
FORMAT = "ratings-engine/rulebook-cache-2"
#: Larger entries are not read (a rulebook's YAML is at most 2 MB; its JSON is of that order).
MAX_ENTRY_BYTES = 8_000_000
#: The folder of what-if variants, and how many it keeps (a sweep writes one per value).
VARIANTS = "variants"
MAX_VARIANTS = 512


def cache_dir() -> Path | None:
    """The folder of cached rulebooks, or None when caching is off."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "no") else Path(configured) / "rulebooks"
    base = os.environ.get("XDG_CACHE_HOME") or (os.environ.get("LOCALAPPDATA") if os.name == "nt" else None)
    root = Path(base) if base else Path.home() / ".cache"
    return root / "ratings-engine" / "rulebooks"


def _identity(path: Path, file_sha256: str) -> dict:
    return {"format": FORMAT, "package": __version__, "python": sys.version.split()[0],
            "implementation": sys.implementation.name, "file": str(path.resolve()), "file_sha256": file_sha256}


def _entry_path(folder: Path, identity: dict) -> Path:
    key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    return folder / f"{key}.json"


def load_cached(path: Path, file_sha256: str) -> Any | None:
    """The validated rulebook of this file's bytes, from the cache, as a `model.light` record (no
    pydantic); None when absent or not to be trusted."""
    folder = cache_dir()
    return None if folder is None else _load(folder, _identity(path, file_sha256))


def store(path: Path, file_sha256: str, rulebook: Rulebook) -> None:
    """Keep a freshly validated rulebook for next time (silently skipped when the folder is not writable)."""
    folder = cache_dir()
    if folder is not None:
        _store(folder, _identity(path, file_sha256), rulebook)


# ---- what-if variants (`--set`, each value of a sweep): keyed by the base's content and the changes


def _variant_identity(base_sha256: str, assignments: Sequence[str]) -> dict:
    return {"format": FORMAT, "package": __version__, "python": sys.version.split()[0],
            "implementation": sys.implementation.name, "base_sha256": base_sha256, "changes": list(assignments)}


def load_variant(base_sha256: str, assignments: Sequence[str]) -> Any | None:
    """A variant validated before (`io.rulebooks.with_changes`), as a `model.light` record; None when absent."""
    folder = cache_dir()
    return None if folder is None else _load(folder / VARIANTS, _variant_identity(base_sha256, assignments))


def store_variant(base_sha256: str, assignments: Sequence[str], rulebook: Rulebook) -> None:
    """Keep a validated variant; past MAX_VARIANTS entries, the oldest are removed down to half that."""
    folder = cache_dir()
    if folder is None:
        return
    _store(folder / VARIANTS, _variant_identity(base_sha256, assignments), rulebook)
    _prune(folder / VARIANTS)


def _prune(folder: Path) -> None:
    try:
        entries = list(folder.glob("*.json"))
        if len(entries) <= MAX_VARIANTS:
            return
        entries.sort(key=lambda p: p.stat().st_mtime)
        for old in entries[: len(entries) - MAX_VARIANTS // 2]:
            old.unlink(missing_ok=True)
    except OSError:  # another process pruning at the same time, or a read-only folder: no matter
        pass


def _load(folder: Path, identity: dict) -> Any | None:
    try:
        entry_path = _entry_path(folder, identity)
        if entry_path.stat().st_size > MAX_ENTRY_BYTES:
            return None
        entry = json.loads(entry_path.read_text(encoding="utf-8"))
        if not isinstance(entry, dict) or entry.get("identity") != identity:
            return None
        text, sha256 = entry["rulebook"], entry["sha256"]
        if not isinstance(text, str) or hashlib.sha256(text.encode()).hexdigest() != sha256:
            return None
        return rulebook_from_tree(entry["tree"], text, sha256)
    except Exception:  # noqa: BLE001 - an unreadable or unexpected entry is a cache miss, never an error
        return None


def _store(folder: Path, identity: dict, rulebook: Rulebook) -> None:
    entry = {"identity": identity, "sha256": rulebook.sha256, "rulebook": rulebook.canonical_json,
             "tree": tree_of(rulebook)}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_text(_entry_path(folder, identity), json.dumps(entry, sort_keys=True))
    except Exception:  # noqa: BLE001 - a read-only or full disk only means no cache
        pass
