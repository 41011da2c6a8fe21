"""The workbook `rate export` writes (and `rate validate` with an .xlsx output): the layouts.

Sheets for people: `Ratings` (one row per unit and standard, then the unit's overall row),
`Key questions`, `Decisions`, `Draft check` (with a draft), `Overrides`, and `About` (rulebook,
inputs by file name and sha256, warnings, what each sheet is). Sheets that read back, each in
the format of an input file (header names are matched case-insensitively, spaces as
underscores): `Draft` (the ratings as a draft: `rate validate CASES --draft THIS.xlsx` checks
a draft against them, or edit it and check again), `Tallies` (the key-question counts as tally
evidence) and `Judgements` (the judgement standards' ratings). `About` names the rulebook, and
the sheets are found by name, so `rate pdu THIS.xlsx` rates the workbook again with no options.

Writing (tables, formats, conditional fills, formula escaping, atomic save) is `io.spreadsheets`.
"""
from __future__ import annotations

from .._version import __version__ as ENGINE_VERSION
from ..io.spreadsheets import Sheet
from ..io.tables import column_key
from ..io.workbooks import ABOUT_SHEET, FORMAT_KEY, WORKBOOK_FORMAT
from ..model.notices import kind_of
from ..model.rulebook import NOT_INSPECTED
from .colours import NO_RATING, PALETTE, ink, rating_colours
from .names import delocaliser, report_paths, shown_name
from .validation import overall_cell

RATINGS_HEADER = ["Unit", "Standard", "Name", "Domain", "Basis", "Scored", "Rating", "Score", "Max score",
                  "Panel override", "Computed rating", "Reason", "Deciding key question", "Margin unit",
                  "To next band", "Next band", "To band below", "Band below", "Because", "Sample check"]
DRAFT_HEADER = ["Unit", "Standard", "Name", "Rating", "Score", "Note"]
TALLIES_HEADER = ["Unit", "Key question", "Sufficient", "Applicable", "Not applicable"]
JUDGEMENTS_HEADER = ["Unit", "Standard", "Name", "Rating", "Reason"]


def _margin_cells(decision, shown: bool) -> list:
    up, down = decision.margin_up, decision.margin_down
    if not shown:
        return [None, None, None, None]
    return [up.amount if up else None, up.to if up else None, down.amount if down else None, down.to if down else None]


def ratings_table(report, local=None, *, human: bool = False) -> tuple[list[str], list[list]]:
    """One row per unit and standard, then the unit's overall row (`standard` = overall).

    Margins (and their unit, cases) are given for standards rated from cases; the overall row's
    are in points; judgement and not-inspected standards have none. Headers are snake_case
    (`max_score`: the CSV export, for scripts) or, with `human`, words (`Max score`: the workbook).
    """
    local = local or delocaliser(report_paths(report))
    rows: list[list] = []
    for u in report.units:
        for s in u.standards:
            ov = s.override
            margins = s.basis == "cases" and s.rating not in (None, NOT_INSPECTED) and not ov
            rows.append([u.unit, s.id, s.name, s.domain, s.basis, "yes" if s.scored else "no", s.rating, s.score, None,
                         "yes" if ov else "no", ov["computed"] if ov else s.rating, local(s.reason) or None,
                         s.deciding_key_question, "cases" if margins else None, *_margin_cells(s.decision, margins),
                         local(s.decision.because), s.sample.label if s.sample is not None else None])
        o = u.overall
        rows.append([u.unit, "overall", f"Overall ({o.status})", None, None, None, o.rating, o.score, o.max_score,
                     "yes" if "overrides" in o.decision.inputs else "no",
                     (o.decision.inputs.get("without_overrides") or {}).get("rating", o.rating), None, None,
                     "points" if o.rating else None, *_margin_cells(o.decision, o.rating is not None),
                     local(o.decision.because), "; ".join(c.label for c in u.samples_outside) or None])
    return (RATINGS_HEADER if human else [column_key(h) for h in RATINGS_HEADER]), rows


def _grade(decision) -> str | None:
    if decision.table == "override":
        return "panel override"
    return decision.provenance.grade if decision.provenance else None


def export_sheets(report, rulebook, validation=None) -> list[Sheet]:
    """The workbook `rate export` / `rate validate --format xlsx` writes."""
    stamp = report.rulebook
    local = delocaliser(report_paths(report))
    fills = {r: (c, ink(c)) for r, c in rating_colours(rulebook.ratings).items()}
    fills[NOT_INSPECTED] = (NO_RATING, ink(NO_RATING))
    header, rows = ratings_table(report, local, human=True)
    sheets = [Sheet("Ratings", header, rows, widths=[22, 9, 28, 7, 9, 7, 20, 6, 9, 8, 20, 40, 10, 8, 8, 20, 8, 20, 80],
                    formats={"Reason": "wrap", "Because": "wrap", "Name": "wrap"},
                    fills={"Rating": fills, "Computed rating": fills, "Next band": fills, "Band below": fills},
                    notes=[f"Ratings by rulebook {stamp.id} version {stamp.version} (sha256 {stamp.sha256}). "
                           "Margins: cases (standards rated from cases) or points (overall) to the next band up "
                           "and down."])]
    kq_rows = []
    for u in report.units:
        for s in u.standards:
            for k in s.key_questions:
                d = k.decision
                kq_rows.append([u.unit, s.id, k.id, k.text, k.sufficient, k.insufficient, k.not_applicable,
                                k.applicable, None if k.pct is None else round(k.pct / 100, 6), k.rating, d.rule,
                                "yes" if k.id == s.deciding_key_question else "no",
                                *_margin_cells(d, k.rating is not None), local(d.because)])
    sheets.append(Sheet("Key questions", ["Unit", "Standard", "Key question", "Text", "Sufficient", "Insufficient",
                                          "Not applicable", "Applicable", "% sufficient", "Rating", "Rule", "Deciding",
                                          "Cases up", "Up to", "Cases down", "Down to", "Because"], kq_rows,
                        widths=[20, 9, 12, 50, 10, 11, 10, 10, 11, 20, 24, 9, 8, 20, 8, 20, 80],
                        formats={"Text": "wrap", "Because": "wrap", "% sufficient": "percent"},
                        fills={"Rating": fills, "Up to": fills, "Down to": fills}))
    decisions = []
    for u in report.units:
        ds = [k.decision for s in u.standards for k in s.key_questions] + [s.decision for s in u.standards]
        ds += [u.overall.decision] + ([u.overall.limit] if u.overall.limit else [])
        decisions += [[u.unit, d.subject.get("standard"), d.subject.get("key_question"), d.table, d.rule, d.outcome,
                       _grade(d), local(d.because)] for d in ds]
    sheets.append(Sheet("Decisions", ["Unit", "Standard", "Key question", "Table", "Rule", "Outcome", "Provenance",
                                      "Because"], decisions, widths=[20, 9, 12, 22, 26, 20, 14, 100],
                        formats={"Because": "wrap"}, fills={"Outcome": fills}))
    if validation is not None:
        sheets.append(_draft_check_sheet(validation, fills, local))
    orows = [[u.unit, s.id, s.name, ov["rating"], ov["computed"], ov["reason"], local(ov["from"])]
             for u in report.units for s in u.standards for ov in [s.override] if ov]
    sheets.append(Sheet("Overrides", ["Unit", "Standard", "Name", "Panel rating", "Computed rating", "Reason", "From"],
                        orows, widths=[20, 9, 28, 20, 20, 60, 30], formats={"Reason": "wrap"},
                        fills={"Panel rating": fills, "Computed rating": fills},
                        notes=["Panel overrides (professional discretion): each replaces the computed rating "
                               "of its standard before the overall is recomputed by the rulebook."
                               + ("" if orows else " None were given.")]))
    sheets += _read_back_sheets(report, rulebook, fills, local)
    sheets.append(_about_sheet(report, validation, local))
    return sheets


def _draft_check_sheet(validation, fills, local) -> Sheet:
    rows = []
    for uc in validation.units:
        for sc in uc.standards:
            m = sc.detail.get("margin_to_draft")
            rows.append([uc.unit, sc.id, sc.name, sc.computed, "yes" if sc.override else "no", sc.draft, sc.status,
                         m["cases"] if m else None, m["direction"] if m else None, local(sc.because)])
        oc = uc.overall
        rows.append([uc.unit, "overall", "Overall", overall_cell(oc.computed, oc.score, oc.max_score), None,
                     overall_cell(oc.draft, oc.draft_score, oc.draft_max) if (oc.draft or oc.draft_score is not None)
                     else None, f"rating {oc.rating_status}; score {oc.score_status}",
                     (oc.margin_to_draft or {}).get("points"), "points" if oc.margin_to_draft else None,
                     local(oc.because)])
    return Sheet("Draft check", ["Unit", "Standard", "Name", "Computed", "Panel override", "Draft", "Result",
                                 "Margin to draft", "Margin direction or unit", "Because"], rows,
                 widths=[20, 9, 28, 26, 9, 26, 30, 9, 12, 100], formats={"Because": "wrap"},
                 fills={"Computed": fills, "Draft": fills, "Result": {"differs": (PALETTE[0], ink(PALETTE[0]))}},
                 notes=[f"Draft {shown_name(validation.draft.source)}: "
                        + ("AGREES" if validation.agrees else "DIFFERS") + " (margin to draft: cases insufficient -> "
                        "sufficient (up) or the other way (down); points for the overall)"])


def _read_back_sheets(report, rulebook, fills, local) -> list[Sheet]:
    """`Draft`, `Tallies` and `Judgements`: the export in the formats of the inputs it came from."""
    draft, tallies, judgements = [], [], []
    for u in report.units:
        for s in u.standards:
            ov = s.override
            if s.rating is not None:
                score = rulebook.score(s.rating) if s.scored and s.rating != NOT_INSPECTED else None
                note = f"panel override (computed {ov['computed'] or 'no rating'})" if ov else None
                draft.append([u.unit, s.id, s.name, s.rating, score, note])
            if s.basis == "judgement":
                judged = ov["computed"] if ov else s.rating
                if judged is not None:
                    judgements.append([u.unit, s.id, s.name, judged, None if ov else local(s.reason) or None])
            tallies += [[u.unit, k.id, k.sufficient, k.applicable, k.not_applicable] for k in s.key_questions]
        o = u.overall
        draft.append([u.unit, "overall", "Overall", o.rating, f"{o.score}/{o.max_score}",
                      None if o.status == "rated" else f"overall {o.status}"])
    return [
        Sheet("Draft", DRAFT_HEADER, draft, widths=[22, 9, 30, 22, 7, 40], fills={"Rating": fills},
              notes=["These ratings in the format of a draft: `rate validate CASES --draft THIS.xlsx` checks them "
                     "(the sheet named Draft is read). Edit the ratings to check a changed draft."]),
        Sheet("Tallies", TALLIES_HEADER, tallies, widths=[22, 12, 10, 10, 12],
              notes=["The key-question counts, as tally evidence: `rate pdu THIS.xlsx` rates them again."]),
        Sheet("Judgements", JUDGEMENTS_HEADER, judgements, widths=[22, 9, 30, 22, 60],
              formats={"Reason": "wrap"}, fills={"Rating": fills},
              notes=["The judgement standards' ratings as given (before any panel override)."]),
    ]


def _about_sheet(report, validation, local) -> Sheet:
    stamp = report.rulebook
    info = [[FORMAT_KEY, WORKBOOK_FORMAT], ["Made by", f"ratings-engine {ENGINE_VERSION}: rate export"],
            ["Rulebook", stamp.id], ["Rulebook version", stamp.version], ["Rulebook title", stamp.title],
            ["Rulebook sha256", stamp.sha256], ["Rulebook file", shown_name(stamp.file) or None],
            ["Rulebook file sha256", stamp.file_sha256]]
    for n, i in enumerate(report.inputs, start=1):
        audit = i.get("audit") or {}
        skipped = "; ".join(f"{k}: {v}" for k, v in (audit.get("rows_skipped") or {}).items())
        where = shown_name(i["file"]) + (f" (sheet {i['sheet']})" if i.get("sheet") else "")
        info += [[f"Input {n}: {i['kind']}", where], [f"Input {n}: sha256", i.get("sha256")],
                 [f"Input {n}: rows read / used / skipped",
                  f"{audit.get('rows_read')} / {audit.get('rows_used')} / {skipped or 0}"]]
    warnings = validation.warnings if validation is not None else report.warnings
    info += [[f"Warning {n}" if kind_of(w) != "note" else f"Note {n}", local(w)]
             for n, w in enumerate(warnings, start=1)]
    info += [["Sheet: Ratings", "one row per unit and standard, then the unit's overall row; margins to the next "
              "band up and down"], ["Sheet: Draft, Tallies, Judgements", "the same results in the formats of input "
              "files, to rate or check again"]]
    return Sheet(ABOUT_SHEET, ["Item", "Value"], info, widths=[34, 100], formats={"Value": "wrap"})
