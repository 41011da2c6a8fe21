"""Reading panel overrides: `--override "STD=RATING:REASON"` options, or a CSV / .xlsx / YAML file.

A file has columns (or, in YAML, keys of each item of `overrides:`) `standard`, `rating`,
`reason` and optional `unit`. The reason is mandatory: professional discretion must be
explained. Unknown standards or ratings, blank reasons and a standard overridden twice are
errors naming the file, row or line. Applying them is `rating.overrides`.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

from ..model.audit import Audit
from ..model.errors import InputError, Location, Problem
from ..model.overrides import Override, OverrideSet
from ..model.rulebook import Rulebook
from ..model.suggest import did_you_mean
from .tables import read_table, sheet_locations
from .yaml_files import read_yaml_mapping, yaml_line

_FILE_COLUMNS = ("standard", "rating", "reason", "unit")


def _canonical_rating(rulebook: Rulebook, text: str) -> str | None:
    return {r.lower(): r for r in rulebook.ratings}.get(text.strip().lower())


def _check(rulebook: Rulebook, standard: str, rating: str, reason: str, where: Location,
           problems: list[Problem], what: str) -> str | None:
    """Problems with one override; returns the canonical rating."""
    ok = True
    if standard not in rulebook.standards_by_id:
        problems.append(Problem(f"{what}: unknown standard {standard!r}"
                                f"{did_you_mean(standard, [s.id for s in rulebook.standards])} (rulebook {rulebook.id} has "
                                f"{', '.join(s.id for s in rulebook.standards)})", where))
        ok = False
    canonical = _canonical_rating(rulebook, rating)
    if canonical is None:
        problems.append(Problem(f"{what}: unknown rating {rating!r}{did_you_mean(rating, rulebook.ratings)}; "
                                "an override gives one of "
                                f"{', '.join(rulebook.ratings)}", where))
        ok = False
    if not reason.strip():
        problems.append(Problem(f"{what}: the reason is mandatory (professional discretion must be explained)", where))
        ok = False
    return canonical if ok else None


def parse_override_options(texts: Sequence[str], rulebook: Rulebook) -> OverrideSet:
    """`--override "STD=RATING:REASON"` options (the reason is everything after the first ':')."""
    problems: list[Problem] = []
    items: list[Override] = []
    for n, text in enumerate(texts, start=1):
        where = Location()
        standard, eq, rest = text.partition("=")
        rating, colon, reason = rest.partition(":")
        if not eq or not colon:
            problems.append(Problem(f"--override {text!r}: expected STD=RATING:REASON, "
                                    "e.g. --override \"2.4=Requires improvement:Panel: ...\"", where))
            continue
        canonical = _check(rulebook, standard.strip(), rating, reason, where, problems, f"--override {text!r}")
        if canonical:
            items.append(Override(standard.strip(), canonical, reason.strip(), None, where, f"--override #{n}"))
    if problems:
        raise InputError(problems)
    _no_duplicates(items)
    inputs = ({"kind": "overrides", "file": "--override", "sha256": None,
               "audit": {"file": "--override", "rows_read": len(items), "rows_used": len(items),
                         "rows_skipped": {}}},) if items else ()
    return OverrideSet(tuple(items), inputs)


def read_overrides(path: str | Path, rulebook: Rulebook, sheet: str | None = None) -> OverrideSet:
    """An overrides file: CSV / .xlsx (`standard,rating,reason[,unit]`) or YAML (`overrides: [...]`)."""
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        return _read_yaml_overrides(path, rulebook)
    table = read_table(path, "overrides", sheet=sheet)
    with sheet_locations(table):
        return _overrides_from_table(table, rulebook)


def _overrides_from_table(table, rulebook: Rulebook) -> OverrideSet:
    src = table.source
    cells = table.cells
    problems: list[Problem] = []
    for column in ("standard", "rating", "reason"):
        if column not in cells.columns:
            problems.append(Problem(f"no {column!r} column (expected columns: standard, rating, reason, optional unit)",
                                    Location(file=src, sheet=table.sheet, row=1)))
    for column in cells.columns:
        if column not in _FILE_COLUMNS:
            problems.append(Problem("unknown column (expected: standard, rating, reason, unit)",
                                    Location(file=src, sheet=table.sheet, row=1, column=column)))
    if problems:
        raise InputError(problems)
    items: list[Override] = []
    for i, row in enumerate(cells.to_dict("records")):
        for column in ("standard", "rating", "reason"):
            if not row[column]:
                problems.append(Problem(f"blank {column}" + (" (the reason is mandatory)" if column == "reason" else ""),
                                        table.where(i, column)))
        if any(not row[c] for c in ("standard", "rating", "reason")):
            continue
        where = table.where(i)
        canonical = _check(rulebook, row["standard"], row["rating"], row["reason"], where, problems, "override")
        if canonical:
            items.append(Override(row["standard"], canonical, row["reason"], row.get("unit") or None, where))
    if problems:
        raise InputError(problems)
    _no_duplicates(items)
    audit = Audit(src, rows_read=table.rows_read, rows_used=len(items), sheet=table.sheet,
                  lines_read=table.lines_read, text_lines=table.text_lines)
    audit.skip("blank row", len(table.blank_rows))
    return OverrideSet(tuple(items), ({"kind": "overrides", "file": src, "sha256": table.sha256,
                                       "audit": audit.to_dict()},))


def _read_yaml_overrides(path: Path, rulebook: Rulebook) -> OverrideSet:
    raw, data = read_yaml_mapping(path, "overrides")
    src = str(path)
    problems: list[Problem] = []
    unknown = [k for k in data if k != "overrides"]
    for key in unknown:
        problems.append(Problem(f"unknown key {key!r} (expected: overrides)", Location(file=src, line=yaml_line(data, key))))
    entries = data.get("overrides")
    if not isinstance(entries, list):
        problems.append(Problem("'overrides' must be a list of {standard, rating, reason, unit}",
                                Location(file=src, line=yaml_line(data, "overrides"))))
        raise InputError(problems)
    items: list[Override] = []
    for n, entry in enumerate(entries):
        line = yaml_line(entries, n)
        where = Location(file=src, line=line, key_path=f"overrides[{n}]")
        if not isinstance(entry, dict):
            problems.append(Problem("each override is a mapping {standard, rating, reason, unit}", where))
            continue
        for key in entry:
            if key not in _FILE_COLUMNS:
                problems.append(Problem(f"unknown key {key!r} (expected: standard, rating, reason, unit)",
                                        Location(file=src, line=yaml_line(entry, key), key_path=f"overrides[{n}].{key}")))
        values = {}
        for key in _FILE_COLUMNS:
            value = entry.get(key)
            if value is not None and not isinstance(value, str):
                problems.append(Problem(f"{key!r} must be text (quote it, e.g. \"2.4\")",
                                        Location(file=src, line=yaml_line(entry, key), key_path=f"overrides[{n}].{key}")))
                value = None
            values[key] = (value or "").strip()
        for key in ("standard", "rating", "reason"):
            if not values[key]:
                problems.append(Problem(f"missing {key!r}" + (" (the reason is mandatory)" if key == "reason" else ""), where))
        if not all(values[k] for k in ("standard", "rating", "reason")):
            continue
        canonical = _check(rulebook, values["standard"], values["rating"], values["reason"], where, problems, "override")
        if canonical:
            items.append(Override(values["standard"], canonical, values["reason"], values["unit"] or None, where))
    if problems:
        raise InputError(problems)
    _no_duplicates(items)
    return OverrideSet(tuple(items), ({"kind": "overrides", "file": src, "sha256": hashlib.sha256(raw).hexdigest(),
                                       "audit": {"file": src, "rows_read": len(entries), "rows_used": len(items),
                                                 "rows_skipped": {}}},))


def _no_duplicates(items: list[Override]) -> None:
    seen: dict[tuple, Override] = {}
    problems = []
    for o in items:
        key = (o.unit, o.standard)
        if key in seen:
            problems.append(Problem(f"standard {o.standard} overridden twice{f' for unit {o.unit!r}' if o.unit else ''}: "
                                    f"{o.origin} (first: {seen[key].origin})", o.where))
        else:
            seen[key] = o
    if problems:
        raise InputError(problems)


def combine(*sets: OverrideSet) -> OverrideSet:
    items = tuple(o for s in sets for o in s.items)
    _no_duplicates(list(items))
    return OverrideSet(items, tuple(i for s in sets for i in s.inputs))
