"""The installed inspection frameworks: one rulebook each, listed with a summary of provenance.

`list_frameworks()` loads every shipped rulebook (or the ids / paths given), resolving
`extends`, and describes each one: id, version, title, effective dates, how many standards it
has and how many are scored, which numbers of scored standards have explicit overall band rows,
what it extends, and how many of its rules are confirmed, recalled or uncertain.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..io.rulebooks import load_rulebook_file, parse_rulebook_yaml, resolve_rulebook_path, rules_dir
from ..model.errors import RulebookError
from ..model.rulebook import LoadedRulebook, Rulebook
from .check import provenance_summary

GRADES = ("confirmed", "recalled", "uncertain", "none")


@dataclass(frozen=True)
class FrameworkInfo:
    id: str
    version: str
    title: str
    effective_from: str
    effective_to: str | None
    standards: int  # every standard of the rulebook
    scored: int  # standards marked scored (a unit scores only those it has evidence for)
    judgement: int  # standards rated by inspectors' judgement
    band_rows_for: tuple[int, ...]  # numbers of scored standards with their own overall band rows
    provenance: dict[str, int]  # rules per grade (as `rate check-rules` counts them); "none": without
    extends: str | None
    file: str
    sha256: str
    description: str | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["band_rows_for"] = list(self.band_rows_for)
        return out


def installed_rulebooks() -> list[Path]:
    """The shipped rulebook files, by id."""
    return sorted(rules_dir().glob("*.yaml"))


def provenance_counts(rulebook: Rulebook) -> dict[str, int]:
    """How many rules of the resolved rulebook are confirmed / recalled / uncertain / none.

    Counted as `rate check-rules` counts them (`check.provenance_summary`): the score table,
    each policy, each standard and each band or limit row once; a row without its own
    provenance takes its table's; "none" counts rules without any.
    """
    total = provenance_summary(rulebook)["total"]
    return {grade: int(total.get(grade, 0)) for grade in GRADES}


def _extends_of(path: Path) -> str | None:
    data = parse_rulebook_yaml(path.read_bytes(), str(path))  # the safe loader the rulebook went through
    value = data.get("extends")
    return str(value) if value is not None else None


def describe(loaded: LoadedRulebook) -> FrameworkInfo:
    rb = loaded.rulebook
    band_rows_for = sorted({row.scored for row in rb.overall.bands.rows if row.scored is not None})
    return FrameworkInfo(
        id=rb.id,
        version=rb.version,
        title=rb.title,
        effective_from=rb.effective.from_.isoformat(),
        effective_to=rb.effective.to.isoformat() if rb.effective.to else None,
        standards=len(rb.standards),
        scored=sum(1 for s in rb.standards if s.scored),
        judgement=sum(1 for s in rb.standards if s.rated_by == "judgement"),
        band_rows_for=tuple(band_rows_for),
        provenance=provenance_counts(rb),
        extends=_extends_of(loaded.path) if loaded.path else None,
        file=str(loaded.path) if loaded.path else "",
        sha256=rb.sha256,
        description=rb.description,
    )


def list_frameworks(names: Iterable[str | Path] | None = None) -> tuple[list[FrameworkInfo], list[RulebookError]]:
    """Describe the given rulebooks (ids or paths), or every shipped one.

    Returns the descriptions and, separately, the errors of rulebooks that failed to load, so
    one broken file does not hide the others.
    """
    paths = installed_rulebooks() if not names else None
    infos: list[FrameworkInfo] = []
    errors: list[RulebookError] = []
    for name in (paths if paths is not None else list(names)):
        try:
            path = name if isinstance(name, Path) else resolve_rulebook_path(name)
            infos.append(describe(load_rulebook_file(path)))
        except RulebookError as exc:
            errors.append(exc)
    return infos, errors
