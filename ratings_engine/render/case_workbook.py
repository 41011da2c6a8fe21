"""The blank case workbook `rate template` writes: a form to record one inspection's evidence.

Sheets: `Cases` (`case_id`, `unit`, one column per key question of the rulebook's case
standards, each with the key question's wording as a comment on its header and a yes / no /
n/a drop-down; `cases` rows prepared), `Judgements` (one row per judgement standard with a
rating drop-down and a reason column), `Draft` (every standard and the overall, for the
inspectors' draft ratings), `Key questions` (the wording, for reference and print) and `About`
(the rulebook, and how to use the workbook). Filled in, it rates with no options: `About`
names the rulebook (`io.workbooks`) and the sheets are found by name, so `rate pdu FILE.xlsx`
(or `rate unit`) reads the cases and the judgements from it; `rate validate FILE.xlsx --draft FILE.xlsx`
checks the draft. Rows left blank are skipped and counted; a judgement or draft row with no
rating is a judgement or draft not given yet.

The CSV variant is the `Cases` header (one file) and the judgement standards (a second file,
`<name>-judgements.csv`), to rate with `--judgements` (and `--rules` for another framework).
"""
from __future__ import annotations

from .._version import __version__ as ENGINE_VERSION
from ..io.spreadsheets import Sheet
from ..io.workbooks import ABOUT_SHEET, FORMAT_KEY, WORKBOOK_FORMAT
from ..model.rulebook import NOT_INSPECTED, Rulebook
from .colours import BLACK, NO_RATING, PALETTE, ink, pale, rating_colours

ANSWERS = ("yes", "no", "n/a")
DEFAULT_CASES = 60
MAX_CASES = 5000
CASES_SHEET, JUDGEMENTS_SHEET, DRAFT_SHEET = "Cases", "Judgements", "Draft"


def case_columns(rulebook: Rulebook) -> list[str]:
    """`case_id`, `unit` and the key questions of every standard rated from cases, in framework order."""
    return ["case_id", "unit", *(k.id for s in rulebook.standards if s.rated_by == "cases" for k in s.key_questions)]


def judgement_rows(rulebook: Rulebook) -> list[list]:
    """One blank row per judgement standard: standard, name, rating (blank), reason (blank)."""
    return [[s.id, s.name, None, None] for s in rulebook.standards if s.rated_by == "judgement"]


def _rating_fills(rulebook: Rulebook) -> dict:
    fills = {r: (c, ink(c)) for r, c in rating_colours(rulebook.ratings).items()}
    fills[NOT_INSPECTED] = (NO_RATING, ink(NO_RATING))
    return fills


def template_sheets(rulebook: Rulebook, cases: int = DEFAULT_CASES) -> list[Sheet]:
    """The sheets of the blank case workbook for `rulebook`, with `cases` rows prepared."""
    columns = case_columns(rulebook)
    kqs = {k.id: (s, k) for s in rulebook.standards for k in s.key_questions}
    comments = {"case_id": "One row per inspected case: an id unique within the unit (e.g. a case reference).",
                "unit": "The unit inspected (PDU, YOS, ...): the same name on every row of one unit."}
    for kq, (s, k) in kqs.items():
        comments[kq] = f"{kq} ({s.id} {s.name}): {k.text}\n\nyes = sufficient, no = insufficient, n/a = not applicable"
    answer_fills = {"yes": (pale(PALETTE[2], 0.5), BLACK), "no": (pale(PALETTE[0], 0.5), BLACK),
                    "n/a": (NO_RATING, BLACK)}
    ratings = [*reversed(rulebook.ratings), NOT_INSPECTED]
    fills = _rating_fills(rulebook)
    cases_sheet = Sheet(CASES_SHEET, columns, [], widths=[14, 26] + [8] * (len(columns) - 2),
                        choices={kq: ANSWERS for kq in kqs}, comments=comments, blank_rows=cases,
                        formats={c: "text" for c in columns},
                        fills={kq: answer_fills for kq in kqs},
                        notes=[f"Rulebook {rulebook.id} version {rulebook.version}. One row per case; answer every "
                               "key question yes, no or n/a (hover over a header for its wording)."])
    judgements = Sheet(JUDGEMENTS_SHEET, ["standard", "name", "rating", "reason"], judgement_rows(rulebook),
                       widths=[10, 34, 22, 70], choices={"rating": ratings}, formats={"reason": "wrap"},
                       fills={"rating": fills},
                       notes=["The inspectors' rating of each judgement standard, and the reason. A row left without "
                              "a rating is a judgement not yet made: the overall rating waits for it."])
    draft_rows = [[s.id, s.name, None, None, None] for s in rulebook.standards] + [["overall", "Overall", None, None, None]]
    draft = Sheet(DRAFT_SHEET, ["standard", "name", "rating", "score", "note"], draft_rows,
                  widths=[10, 34, 22, 9, 50], choices={"rating": ratings}, formats={"note": "wrap", "score": "text"},
                  fills={"rating": fills},
                  comments={"score": "Optional. On a standard's row its score; on the overall row the total, "
                                     "e.g. 9/24."},
                  notes=["Optional: the inspectors' draft ratings, to check with "
                         "rate validate THIS.xlsx --draft THIS.xlsx. Rows left blank are not in the draft."])
    reference = Sheet("Key questions", ["Key question", "Standard", "Question"],
                      [[kq, f"{s.id} {s.name}", k.text] for kq, (s, k) in kqs.items()], widths=[12, 34, 90],
                      formats={"Question": "wrap"})
    about = [[FORMAT_KEY, WORKBOOK_FORMAT], ["Made by", f"ratings-engine {ENGINE_VERSION}: rate template"],
             ["Rulebook", rulebook.id], ["Rulebook version", rulebook.version], ["Rulebook title", rulebook.title],
             ["Rulebook sha256", rulebook.sha256],
             ["How to fill it in", "Cases: one row per case, the unit on every row, every key question answered yes, "
                                   "no or n/a. Judgements: a rating and a reason for each judgement standard. Draft "
                                   "(optional): your draft ratings."],
             ["How to rate it", "rate pdu THIS.xlsx (or rate unit THIS.xlsx): the rulebook and the judgements are "
                                "taken from this workbook. rate report THIS.xlsx -o report.html for the report."],
             ["How to check the draft", "rate validate THIS.xlsx --draft THIS.xlsx"],
             ["Keep this sheet", "It tells ratings-engine which rulebook and sheets this workbook holds."]]
    return [cases_sheet, judgements, draft, reference,
            Sheet(ABOUT_SHEET, ["Item", "Value"], about, widths=[26, 100], formats={"Value": "wrap"})]
