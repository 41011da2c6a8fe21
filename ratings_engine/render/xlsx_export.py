"""The workbook `rate export` writes (and `rate validate` with an .xlsx output): the layouts.

One row per unit and standard plus the overall in `Ratings`; key questions, decisions, the
draft check, panel overrides, and the rulebook and input files on their own sheets. Writing
(formula escaping, atomic save) is `io.spreadsheets`.
"""
from __future__ import annotations

from typing import Any

from ..io.spreadsheets import Sheet
from .validation import overall_cell


RATINGS_HEADER = ["unit", "standard", "name", "domain", "basis", "scored", "rating", "score", "max_score",
                  "panel_override", "computed_rating", "reason", "deciding_key_question", "margin_unit",
                  "to_next_band", "next_band", "to_band_below", "band_below", "because", "sample_check"]


def _margin_cells(decision) -> list:
    up, down = decision.margin_up, decision.margin_down
    return [up.amount if up else None, up.to if up else None, down.amount if down else None, down.to if down else None]


def ratings_table(report) -> tuple[list[str], list[list]]:
    """One row per unit and standard, then the unit's overall row (`standard` = overall)."""
    rows: list[list] = []
    for u in report.units:
        for s in u.standards:
            ov = s.override
            rows.append([u.unit, s.id, s.name, s.domain, s.basis, "yes" if s.scored else "no", s.rating, s.score, None,
                         "yes" if ov else "no", ov["computed"] if ov else s.rating, s.reason,
                         s.deciding_key_question, "cases", *_margin_cells(s.decision), s.decision.because,
                         s.sample.label if s.sample is not None else None])
        o = u.overall
        rows.append([u.unit, "overall", f"Overall ({o.status})", None, None, None, o.rating, o.score, o.max_score,
                     "yes" if "overrides" in o.decision.inputs else "no",
                     (o.decision.inputs.get("without_overrides") or {}).get("rating", o.rating), None, None,
                     "points", *_margin_cells(o.decision), o.decision.because,
                     "; ".join(c.label for c in u.samples_outside) or None])
    return RATINGS_HEADER, rows


def export_sheets(report, rulebook, validation=None) -> list[Sheet]:
    """The workbook `rate export` / `rate validate --format xlsx` writes."""
    stamp = report.rulebook
    header, rows = ratings_table(report)
    sheets = [Sheet("Ratings", header, rows, notes=[
        f"Ratings by rulebook {stamp.id} version {stamp.version} (sha256 {stamp.sha256}). "
        "Margins: cases (standards) or points (overall) to the next band up / down."])]
    kq_rows = []
    for u in report.units:
        for s in u.standards:
            for k in s.key_questions:
                d = k.decision
                kq_rows.append([u.unit, s.id, k.id, k.text, k.sufficient, k.insufficient, k.not_applicable,
                                k.applicable, None if k.pct is None else round(k.pct, 4), k.rating, d.rule,
                                "yes" if k.id == s.deciding_key_question else "no", *_margin_cells(d), d.because])
    sheets.append(Sheet("Key questions", ["unit", "standard", "key_question", "text", "sufficient", "insufficient",
                                          "not_applicable", "applicable", "pct", "rating", "rule", "deciding",
                                          "cases_up", "up_to", "cases_down", "down_to", "because"], kq_rows,
                        widths=[20, 9, 12, 50, 10, 12, 14, 10, 8, 20, 24, 9, 9, 20, 10, 20, 80]))
    frame = report.decisions_frame()
    sheets.append(Sheet("Decisions", list(frame.columns),
                        [[None if _isnan(v) else v for v in r] for r in frame.itertuples(index=False)]))
    if validation is not None:
        vrows = []
        for uc in validation.units:
            for sc in uc.standards:
                m = sc.detail.get("margin_to_draft")
                vrows.append([uc.unit, sc.id, sc.name, sc.computed, "yes" if sc.override else "no", sc.draft,
                              sc.status, m["cases"] if m else None, m["direction"] if m else None, sc.because])
            oc = uc.overall
            vrows.append([uc.unit, "overall", "Overall", overall_cell(oc.computed, oc.score, oc.max_score), None,
                          overall_cell(oc.draft, oc.draft_score, oc.draft_max) if (oc.draft or oc.draft_score is not None) else None,
                          f"rating {oc.rating_status}; score {oc.score_status}",
                          (oc.margin_to_draft or {}).get("points"), "points" if oc.margin_to_draft else None, oc.because])
        sheets.append(Sheet("Draft check", ["unit", "standard", "name", "computed", "panel_override", "draft", "result",
                                            "margin_to_draft", "margin_direction_or_unit", "because"], vrows,
                            widths=[20, 9, 28, 26, 14, 26, 30, 15, 22, 100],
                            notes=[f"Draft {validation.draft.source}: "
                                   + ("AGREES" if validation.agrees else "DIFFERS") + " (margin_to_draft: cases "
                                   "insufficient->sufficient (up) or the other way (down); points for the overall)"]))
    orows = [[u.unit, s.id, s.name, ov["rating"], ov["computed"], ov["reason"], ov["from"]]
             for u in report.units for s in u.standards for ov in [s.override] if ov]
    sheets.append(Sheet("Overrides", ["unit", "standard", "name", "panel_rating", "computed_rating", "reason", "from"],
                        orows, notes=["Panel overrides (professional discretion): each replaces the computed rating "
                                      "of its standard before the overall is recomputed by the rulebook."
                                      + ("" if orows else " None were given.")]))
    info = [["rulebook", "id", stamp.id], ["rulebook", "version", stamp.version], ["rulebook", "title", stamp.title],
            ["rulebook", "sha256", stamp.sha256], ["rulebook", "file", stamp.file],
            ["rulebook", "file_sha256", stamp.file_sha256]]
    for i in report.inputs:
        audit = i.get("audit") or {}
        skipped = "; ".join(f"{k}: {v}" for k, v in (audit.get("rows_skipped") or {}).items())
        info.append([i["kind"], "file", i["file"]])
        if i.get("sheet"):
            info.append([i["kind"], "sheet", i["sheet"]])
        info.append([i["kind"], "sha256", i.get("sha256")])
        info.append([i["kind"], "rows read / used / skipped",
                     f"{audit.get('rows_read')} / {audit.get('rows_used')} / {skipped or 0}"])
    warnings = validation.warnings if validation is not None else report.warnings
    info += [["warning", str(n), w] for n, w in enumerate(warnings, start=1)]
    sheets.append(Sheet("Rulebook and inputs", ["what", "item", "value"], info, widths=[14, 26, 100]))
    return sheets


def _isnan(value: Any) -> bool:
    return isinstance(value, float) and value != value
