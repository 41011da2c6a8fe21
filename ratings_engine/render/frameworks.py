"""The installed rulebooks (`toolkit.frameworks.FrameworkInfo`) as a table."""
from __future__ import annotations


def to_table(infos) -> str:
    """One row per rulebook: id, version, title, effective dates, scored standards, provenance counts."""
    from .text_table import table

    rows = []
    for i in infos:
        p = i.provenance
        grades = f"{p['confirmed']} / {p['recalled']} / {p['uncertain']}"
        if p.get("none"):
            grades += f" ({p['none']} without)"
        rows.append([
            i.id, i.version, i.title,
            f"{i.effective_from} to {i.effective_to or 'open'}" + (" (experimental)" if i.experimental else ""),
            i.unit_kind or "-",
            f"{i.scored} of {i.standards}",
            ", ".join(str(n) for n in i.band_rows_for) or "mean rule",
            grades,
            i.extends or "-",
        ])
    headers = ["id", "version", "title", "effective", "rates", "scored", "band rows for", "confirmed / recalled / uncertain",
               "extends"]
    return table(rows, headers=headers)
