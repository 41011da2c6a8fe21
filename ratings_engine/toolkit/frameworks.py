"""The installed inspection frameworks: one rulebook each, listed with a summary of provenance.

`list_frameworks()` loads every shipped rulebook (or the ids / paths given), resolving
`extends`, and describes each one: id, version, title, effective dates, how many standards it
has and how many are scored, which numbers of scored standards have explicit overall band rows,
what it extends, and how many of its rules are confirmed, recalled or uncertain.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from ..io.rulebooks import load_rulebook_file, parse_rulebook_yaml, resolve_rulebook_path, rules_dir
from ..model.errors import InputError, RulebookError
from ..model.views import RESERVED_COLUMNS, LoadedRulebook

if TYPE_CHECKING:  # pydantic (and the checks) only where a rulebook is described, not on every rating
    from ..model.rulebook import Rulebook

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
    unit_kind: str | None = None  # what a unit of the framework is (frameworks of other kinds run side by side)
    experimental: bool = False  # never in force
    effective_grade: str | None = None  # provenance grade of the effective dates

    def in_force(self, day: date) -> bool:
        return (not self.experimental and date.fromisoformat(self.effective_from) <= day
                and (self.effective_to is None or day <= date.fromisoformat(self.effective_to)))

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
    from .check import provenance_summary

    total = provenance_summary(rulebook)["total"]
    return {grade: int(total.get(grade, 0)) for grade in GRADES}


def _extends_of(path: Path) -> str | None:
    data = parse_rulebook_yaml(path.read_bytes(), str(path))  # the safe loader the rulebook went through
    value = data.get("extends")
    return str(value) if value is not None else None


def extends_of(loaded: LoadedRulebook) -> str | None:
    """What a loaded rulebook's file extends (None for one built in memory or not extending)."""
    return _extends_of(loaded.path) if loaded.path else None


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
        unit_kind=rb.unit_kind,
        experimental=rb.experimental,
        effective_grade=rb.effective.provenance.grade if rb.effective.provenance else None,
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


def parse_day(value: date | str) -> date:
    """A date, or text written YYYY-MM-DD."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(f"{value!r} is not a date written YYYY-MM-DD") from None


def in_force_note(day: date, infos: list[FrameworkInfo]) -> str:
    """Which frameworks are in force on a day, and why several may be: each rates its own kind of unit."""
    if not infos:
        return f"no shipped framework was in force on {day.isoformat()} (e.g. between programmes)"
    kinds: dict[str, list[str]] = {}
    for i in infos:
        kinds.setdefault(i.unit_kind or "units of an unstated kind", []).append(i.id)
    text = f"in force on {day.isoformat()}: " + "; ".join(f"{', '.join(ids)} ({kind})" for kind, ids in kinds.items())
    if len(infos) > 1:
        text += (". Several frameworks are in force at once: each rates its own kind of unit"
                 if all(len(ids) == 1 for ids in kinds.values())
                 else ". More than one framework rates the same kind of unit: name one with --rules")
    return text


def pick_rulebook(day: date, columns: Iterable[str] | None = None, kind: str | None = None) -> tuple[LoadedRulebook, str]:
    """The shipped rulebook in force on `day` (of unit `kind`, and whose key questions include every
    case-file column given), and a note saying why it was picked; an error when none or several fit."""
    infos = [i for i in list_frameworks()[0] if i.in_force(day)]
    candidates = [i for i in infos if kind is None or i.unit_kind == kind]
    wanted = [c for c in (columns or ()) if c not in RESERVED_COLUMNS]
    if wanted:
        candidates = [i for i in candidates
                      if set(wanted) <= set(load_rulebook_file(Path(i.file)).rulebook.key_question_ids)]
    if not candidates:
        what = f" for {kind}s" if kind else ""
        fits = " whose key questions match the case file's columns" if wanted else ""
        raise InputError(f"inspection date {day.isoformat()}: no shipped rulebook{what}{fits} was in force that day "
                         f"(e.g. between programmes); {in_force_note(day, infos)}. Name one with --rules")
    if len(candidates) != 1:
        what = f" for {kind}s" if kind else ""
        fits = " whose key questions match the case file's columns" if wanted else ""
        found = ", ".join(i.id for i in candidates) or "none"
        raise InputError(f"inspection date {day.isoformat()}: {len(candidates)} shipped rulebook(s){what}{fits} in "
                         f"force ({found}); {in_force_note(day, infos)}. Name one with --rules")
    chosen = candidates[0]
    return (load_rulebook_file(Path(chosen.file)),
            f"rulebook {chosen.id} picked: in force on {day.isoformat()} ({chosen.effective_from} to "
            f"{chosen.effective_to or 'open'}){', rates ' + chosen.unit_kind + 's' if chosen.unit_kind else ''}")


def date_warnings(rulebook: Rulebook, dates: dict[str, date]) -> list[str]:
    """Units inspected on a day the rulebook was not in force (by `inspection_date` column or option)."""
    out = []
    for unit, day in dates.items():
        if not rulebook.in_force(day):
            why = ("it is experimental, never in force" if rulebook.experimental else
                   f"it is in force {rulebook.effective.from_.isoformat()} to "
                   f"{rulebook.effective.to.isoformat() if rulebook.effective.to else 'open'}")
            fits = [i.id for i in list_frameworks()[0] if i.in_force(day) and i.unit_kind == rulebook.unit_kind]
            out.append(f"unit {unit!r} was inspected on {day.isoformat()}, but rulebook {rulebook.id} was not in force "
                       f"then ({why})" + (f"; in force then: {', '.join(fits)}" if fits else ""))
    return out
