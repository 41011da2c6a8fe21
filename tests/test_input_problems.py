"""Every entry of the input-problem catalogue (docs/input-problems.md), tested with its message.

The expected messages are read from the catalogue itself, so the documentation and the tool
cannot drift apart: each `| \\`id\\` | problem | message |` row whose message is in backticks must
be what the command prints (`«...»` stands for the details). Rows without a quoted message
describe input that is read without complaint; their tests check it reads correctly.
"""
from __future__ import annotations

import codecs
import json
import re

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import CASES, ROOT, SHIPPED_RULEBOOK

from ratings_engine.cli import main
from ratings_engine.model.errors import InputError
from ratings_engine.io import tables as sources

DOC = ROOT / "docs" / "input-problems.md"
EXAMPLE = CASES / "redcar-cleveland-middlesbrough.csv"
EXAMPLE_J = CASES / "redcar-cleveland-middlesbrough-judgements.csv"
H = "case_id,2.2.1,2.2.2,2.2.3\n"
GOOD = H + "a,yes,no,yes\nb,no,no,n/a\nc,Yes,yes,yes\n"
TALLY_H = "unit,key_question,sufficient,applicable\n"
TALLY = TALLY_H + "U,2.2.1,3,4\nU,2.2.2,2,4\nU,2.2.3,1,4\n"


def catalogue() -> dict[str, str | None]:
    """id -> message template (None: read without a message)."""
    entries = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `([a-z0-9-]+)` \| (.*) \| (.*) \|$", line)
        if match:
            message = match.group(3).replace("\\|", "|")
            entries[match.group(1)] = message[1:-1] if message.startswith("`") and message.endswith("`") else None
    return entries


def pattern(template: str) -> re.Pattern:
    parts = re.split(r"«[^»]*»", template)
    return re.compile(".+?".join(re.escape(p) for p in parts))


def lines(stream: str, prefix: str) -> list[str]:
    """Messages of one kind on stderr: 'error: ...' (and the further problems indented under it) or 'warning: ...'."""
    out: list[str] = []
    inside = False
    for line in stream.splitlines():
        if line.startswith(prefix + ": "):
            out.append(line[len(prefix) + 2:])
            inside = True
        elif inside and prefix == "error" and line.startswith("       "):
            out.append(line.strip())
        else:
            inside = False
    return out


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def pdu(path, *options):
    return run("pdu", path, "--allow-partial", *options)


def write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def pdu_on(tmp_path, content: str | bytes, *options, name: str = "cases.csv"):
    """`rate pdu` on a file holding `content`."""
    return pdu(write(tmp_path, name, content), *options)


def ratings(result) -> list:
    """What a JSON report says of each unit and key question (to compare two readings)."""
    data = json.loads(result.stdout)
    return [(u["unit"], [(k["id"], k["sufficient"], k["insufficient"], k["not_applicable"])
                         for s in u["standards"] for k in s["key_questions"]]) for u in data["units"]]


def workbook(path, rows, title="Cases"):
    book = openpyxl.Workbook()
    book.active.title = title
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def rulebook_with(tmp_path, old: str, new: str, name: str = "rules.yaml"):
    text = SHIPPED_RULEBOOK.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def rate_with_rules(rules):
    return run("pdu", EXAMPLE, "-j", EXAMPLE_J, "--rules", rules)


# ---------------------------------------------------------------------------------------------
# One case per catalogue entry: each returns the CLI result whose stderr must carry the message
# (errors: exit 2; warnings: exit 0), or checks a silent reading itself and returns None.


def case_utf8(tmp_path):
    plain = write(tmp_path, "plain.csv", GOOD.encode())
    bom = write(tmp_path, "bom.csv", codecs.BOM_UTF8 + GOOD.encode())
    a, b = pdu(plain, "-u", "U", "-f", "json"), pdu(bom, "-u", "U", "-f", "json")
    assert a.exit_code == b.exit_code == 0 and ratings(a) == ratings(b)


def case_utf16(tmp_path):
    path = write(tmp_path, "unicode.csv", GOOD.replace(",", "\t").replace("\n", "\r\n").encode("utf-16"))
    plain = write(tmp_path, "plain.csv", GOOD)
    a, b = pdu(path, "-u", "U", "-f", "json", "--delimiter", "tab"), pdu(plain, "-u", "U", "-f", "json")
    assert a.exit_code == b.exit_code == 0 and ratings(a) == ratings(b)


CP1252 = ("case_id,unit,2.2.1,2.2.2,2.2.3\nc1,Café “North”,yes,no,yes\n").encode("cp1252")


def case_not_utf8_cp1252(tmp_path):
    path = write(tmp_path, "cases.csv", CP1252)
    fixed = pdu(path, "--encoding", "cp1252", "-f", "json")
    assert fixed.exit_code == 0 and ratings(fixed)[0][0] == "Café “North”"
    return pdu(path)






def case_nul_bytes(tmp_path):
    path = write(tmp_path, "cases.csv", GOOD.encode("utf-16-le"))
    assert pdu(path, "--encoding", "utf-16-le").exit_code == 0
    return pdu(path)





def case_option_on_xlsx(tmp_path):
    return pdu(CASES / "redcar-cleveland-middlesbrough.xlsx", "--encoding", "cp1252")


def case_not_found(tmp_path):
    return pdu(tmp_path / "nowhere.csv")


def case_semicolon(tmp_path):
    path = write(tmp_path, "cases.csv", GOOD.replace(",", ";"))
    plain = write(tmp_path, "plain.csv", GOOD)
    fixed = pdu(path, "--delimiter", ";", "-u", "U", "-f", "json")
    assert fixed.exit_code == 0 and ratings(fixed) == ratings(pdu(plain, "-u", "U", "-f", "json"))
    return pdu(path)




def case_xlsx_one_cell_header(tmp_path):
    return pdu(workbook(tmp_path / "cases.xlsx", [[line] for line in GOOD.splitlines()]))



def case_xlsx_title_row(tmp_path):
    rows = [["Inspection of North PDU"], []] + [line.split(",") for line in GOOD.splitlines()]
    return pdu(workbook(tmp_path / "cases.xlsx", rows))





def case_empty_file(tmp_path):
    blank_lines = write(tmp_path, "blank.csv", "\n\n \n")
    assert pattern(catalogue()["empty-file"]).fullmatch(lines(pdu(blank_lines).stderr, "error")[0])
    return pdu_on(tmp_path, b"")


def case_empty_sheet(tmp_path):
    return pdu(workbook(tmp_path / "cases.xlsx", []))


def case_ragged_row(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(H + "a,yes,no,yes,,\nb,yes,no,yes,oops\n")  # stray blank cells are fine; data is not
    return pdu(path)



def case_blank_rows(tmp_path):
    path = write(tmp_path, "cases.csv", H + "a,yes,no,yes\n,,,\n\nb,no,no,n/a\nc,Yes,yes,yes\n,,,\n,,,\n")
    plain = write(tmp_path, "plain.csv", GOOD)
    result = pdu(path, "-u", "U", "-f", "json", "--audit")
    assert result.exit_code == 0 and ratings(result) == ratings(pdu(plain, "-u", "U", "-f", "json"))
    audit = json.loads(result.stdout)["inputs"][0]["audit"]
    assert audit["rows_read"] == 7 and audit["rows_used"] == 3 and audit["rows_skipped"] == {"blank row": 4}
    assert re.search(r"skipped: blank row\s+4", result.stderr)


def case_whitespace(tmp_path):
    path = write(tmp_path, "cases.csv", " case_id , 2.2.1 ,2.2.2, 2.2.3\n a , Yes ,no,yes\nb,NO ,No, N/A \nc,Yes,yes,yes\n")
    plain = write(tmp_path, "plain.csv", GOOD)
    a, b = pdu(path, "-u", "U", "-f", "json"), pdu(plain, "-u", "U", "-f", "json")
    assert a.exit_code == b.exit_code == 0 and ratings(a) == ratings(b)


def case_huge_file(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "CHUNK_ROWS", 7)  # many chunks from a small file
    rows = [f"c{i},{'yes' if i % 3 else 'no'},{'no' if i % 4 else 'yes'},{'n/a' if i % 5 == 0 else 'yes'}"
            for i in range(60)]
    path = write(tmp_path, "cases.csv", H + "\n".join(rows) + "\n")
    chunked = pdu(path, "-u", "U", "-f", "json")
    monkeypatch.setattr(sources, "CHUNK_ROWS", 1000)
    whole = pdu(path, "-u", "U", "-f", "json")
    assert chunked.exit_code == 0 and ratings(chunked) == ratings(whole)
    monkeypatch.setattr(sources, "CHUNK_ROWS", 7)
    path.write_text(H + "\n".join(rows[:50] + ["c3,yes,yes,yes"] + rows[50:] + ["c58,yes,maybe,yes"]) + "\n")
    found = lines(pdu(path).stderr, "error")
    assert any(line.endswith("row 52, column '2.2.2': unknown answer 'maybe'; accepted: yes/no/n/a, y/n/na, "
                             "sufficient/insufficient/not applicable (any case)") or "row 63, column '2.2.2'" in line
               for line in found), found
    path.write_text(H + "\n".join(rows[:50] + ["c3,yes,yes,yes"] + rows[50:]) + "\n")
    (duplicate,) = lines(pdu(path).stderr, "error")
    assert pattern(catalogue()["duplicate-case-id"]).fullmatch(duplicate)
    assert duplicate.endswith("row 52, column 'case_id': duplicate case_id 'c3' (unit 'cases') first given in row 5")





def case_unknown_column(tmp_path):
    path = write(tmp_path, "cases.csv", "case_id,notes,2.2.1,2.2.2,2.2.3\na,hi,yes,no,yes\n")
    assert pdu(path, "--ignore-column", "notes").exit_code == 0
    return pdu(path)





def case_blank_answer(tmp_path):
    path = write(tmp_path, "cases.csv", H + "a,yes,,yes\n")
    assert pdu(path, "--blank", "not-applicable").exit_code == 0
    return pdu(path)








def case_no_answers(tmp_path):
    path = write(tmp_path, "cases.csv", H + "a,yes,no,yes\nb,n/a,N/A ,na\n")
    result = pdu(path, "-f", "json")
    audit = json.loads(result.stdout)["inputs"][0]["audit"]
    assert audit["rows_used"] == 2 and audit["rows_flagged"] == {"no answers (every key question n/a)": 1}
    return result


def case_unit_spelt_two_ways(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("case_id,unit,2.2.1,2.2.2,2.2.3\na,North Tees,yes,no,yes\nb,North Tees,yes,yes,yes\n"
                    "c,north  tees.,no,no,yes\n")
    result = pdu(path, "-f", "json")
    assert [u for u, _ in ratings(result)] == ["North Tees", "north  tees."]
    return result


def case_xlsx_formula(tmp_path):
    return pdu(workbook(tmp_path / "cases.xlsx", [["case_id", "2.2.1", "2.2.2", "2.2.3"], ["a", "=C2", "yes", "no"]]))


def case_xlsx_error_value(tmp_path):
    return pdu(workbook(tmp_path / "cases.xlsx", [["case_id", "2.2.1", "2.2.2", "2.2.3"], ["a", "yes", "#DIV/0!", "no"]]))



def case_no_such_sheet(tmp_path):
    return pdu(CASES / "redcar-cleveland-middlesbrough.xlsx", "--sheet", "Casez")


def tally_file(tmp_path, text):
    path = write(tmp_path, "tallies.csv", text)
    return path


def case_tally_missing_column(tmp_path):
    return pdu(tally_file(tmp_path, "unit,key_question,applicable\nU,2.2.1,4\n"))


def case_tally_unknown_column(tmp_path):
    return pdu(tally_file(tmp_path, TALLY.replace("applicable\n", "applicable,notes\n", 1)))


def case_tally_unknown_kq(tmp_path):
    return pdu(tally_file(tmp_path, TALLY + "U,9.9.9,1,2\n"))


def case_tally_not_number(tmp_path):
    return pdu(tally_file(tmp_path, TALLY.replace("U,2.2.1,3,4", "U,2.2.1,three,4")))


def case_tally_negative(tmp_path):
    return pdu(tally_file(tmp_path, TALLY.replace("U,2.2.1,3,4", "U,2.2.1,0,-4")))


def case_tally_too_large(tmp_path):
    return pdu(tally_file(tmp_path, TALLY.replace("U,2.2.1,3,4", "U,2.2.1,3,4000000")))


def case_tally_more_than_applicable(tmp_path):
    return pdu(tally_file(tmp_path, TALLY.replace("U,2.2.1,3,4", "U,2.2.1,5,4")))


def case_tally_twice(tmp_path):
    return pdu(tally_file(tmp_path, TALLY + "U,2.2.1,1,4\n"))


def case_tally_partial_standard(tmp_path):
    return pdu(tally_file(tmp_path, TALLY_H + "U,2.2.1,3,4\nU,2.2.2,2,4\n"))


def case_tally_header_only(tmp_path):
    return pdu(tally_file(tmp_path, TALLY_H))


def case_tally_blank_option(tmp_path):
    return pdu(tally_file(tmp_path, TALLY), "--blank", "not-applicable")


def judged(tmp_path, judgements, cases=GOOD):
    c = write(tmp_path, "cases.csv", cases)
    j = write(tmp_path, "judgements.csv", judgements)
    return pdu(c, "-j", j, "-f", "json")


def case_judgement_unknown_standard(tmp_path):
    return judged(tmp_path, "standard,rating\n1.1,Good\n9.9,Good\n")


def case_judgement_case_standard(tmp_path):
    return judged(tmp_path, "standard,rating\n2.2,Good\n")


def case_judgement_unknown_rating(tmp_path):
    return judged(tmp_path, "standard,rating\n1.1,Great\n")


def case_judgement_twice(tmp_path):
    return judged(tmp_path, "standard,rating\n1.1,Good\n1.1,Inadequate\n")


def case_judgement_needs_unit(tmp_path):
    two_units = "case_id,unit,2.2.1,2.2.2,2.2.3\na,North,yes,no,yes\nb,South,yes,no,yes\n"
    return judged(tmp_path, "standard,rating\n1.1,Good\n", two_units)


def case_judgement_unused_unit(tmp_path):
    one_unit = "case_id,unit,2.2.1,2.2.2,2.2.3\na,North,yes,no,yes\n"
    result = judged(tmp_path, "standard,rating,unit\n1.1,Good,North\n1.1,Good,South\n", one_unit)
    audit = json.loads(result.stdout)["inputs"][1]["audit"]
    assert audit["rows_read"] == 2 and audit["rows_used"] == 1 and sum(audit["rows_skipped"].values()) == 1
    return result





#: Rulebook entries made by one edit of the shipped rulebook: id -> (old text, new text).
RULEBOOK_EDITS = {
    "yaml-syntax": ("id: probation-pdu-2021", "id: [probation-pdu-2021"),
    "yaml-duplicate-key": ("id: probation-pdu-2021", "id: probation-pdu-2021\nid: again"),
    "yaml-tag": ("id: probation-pdu-2021", "id: !!python/object:os.system x"),
    "unknown-key": ("hit_policy: unique", "hit_policy: unique\n  hitpolicy: first"),
    "wrong-type": ("min: 80,", "min: eighty,"),
    "version-number": ('version: "1.0"', "version: 1.0"),
    "bad-reference": ("min: 80, then: Outstanding", "min: 80, then: Excellent"),
}


def case_rulebook_not_utf8(tmp_path):
    latin1 = SHIPPED_RULEBOOK.read_bytes().replace(b"framework:", "fr\xe9mework:".encode("latin-1"), 1)
    return rate_with_rules(write(tmp_path, "rules.yaml", latin1))



def case_missing_key(tmp_path):
    text = SHIPPED_RULEBOOK.read_text(encoding="utf-8")
    kept = [line for line in text.splitlines() if not line.startswith("title:")]
    return rate_with_rules(write(tmp_path, "rules.yaml", "\n".join(kept) + "\n"))





def case_rulebook_not_found(tmp_path):
    return rate_with_rules("no-such-rulebook")


def case_too_many_rows(tmp_path):
    rows = "\n".join(f"    - {{id: r{i}, min: {i / 10:.1f}, then: Good}}" for i in range(600))
    text = SHIPPED_RULEBOOK.read_text(encoding="utf-8")
    start = text.index("  rows:", text.index("key_question_bands:"))
    end = text.index("\noverall:", start)
    path = write(tmp_path, "rules.yaml", text[:start] + "  rows:\n" + rows + text[end:])
    return rate_with_rules(path)


def case_too_deep(tmp_path):
    return rate_with_rules(rulebook_with(tmp_path, "description:", "nested: " + "[" * 60 + "]" * 60 + "\ndescription:"))


def case_too_big(tmp_path):
    return rate_with_rules(rulebook_with(tmp_path, "id: probation-pdu-2021", "# " + "x" * 2_100_000 + "\nid: x"))


def case_alias_bomb(tmp_path):
    bomb = ["bomb:", "  a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 7)]
    return rate_with_rules(rulebook_with(tmp_path, "description:", "\n".join(bomb) + "\ndescription:"))


def case_extends_too_deep(tmp_path):
    (tmp_path / "base.yaml").write_text(SHIPPED_RULEBOOK.read_text(encoding="utf-8"), encoding="utf-8")
    for i in range(10):
        parent = f"link{i + 1}" if i < 9 else "base"
        (tmp_path / f"link{i}.yaml").write_text(f"extends: {parent}\nversion: \"{i}\"\n")
    return rate_with_rules(tmp_path / "link0.yaml")


def case_old_spreadsheet(tmp_path):
    return pdu_on(tmp_path, b"\xd0\xcf\x11\xe0", name="cases.xls")


def case_not_a_workbook(tmp_path):
    return pdu_on(tmp_path, "not a zip file", name="cases.xlsx")


#: Entries shown by `rate pdu --allow-partial` on one small file: id -> (file content, options...).
ONE_FILE = {
    "not-utf8-other": (H.encode() + b"a\x81,yes,no,yes\n",),
    "wrong-encoding": (CP1252, "--encoding", "ascii"),
    "unknown-encoding": (GOOD, "--encoding", "klingon"),
    "bom-conflict": (codecs.BOM_UTF8 + GOOD.encode(), "--encoding", "cp1252"),
    "xlsx-named-csv": ((CASES / "redcar-cleveland-middlesbrough.xlsx").read_bytes(),),
    "xls-named-csv": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,),
    "tab": (GOOD.replace(",", "\t"),),
    "bad-delimiter": (GOOD, "--delimiter", "::"),
    "title-row": ("Inspection of North PDU,,,\n" + GOOD,),
    "blank-rows-above": (",,,\n\n" + GOOD,),
    "duplicate-header": ("case_id,2.2.1,2.2.1,2.2.3\na,yes,no,yes\n",),
    "blank-header": ("case_id,,2.2.1,2.2.2,2.2.3\na,x,yes,no,yes\n",),
    "unreadable-csv": (H + "a,yes,no,yes,extra\nb," + "y" * 200_000 + ",no,yes\n",),
    "huge-cell": (H + "a," + "x" * 5000 + ",no,yes\n",),
    "no-case-id": ("id,2.2.1,2.2.2,2.2.3\na,yes,no,yes\n",),
    "case-id-spelt": ("Case ID,2.2.1,2.2.2,2.2.3\na,yes,no,yes\n",),
    "standard-as-column": ("case_id,2.2\na,yes\n",),
    "ignore-nothing": (GOOD, "--ignore-column", "notes"),
    "partial-standard": ("case_id,2.2.1,2.2.2\na,yes,no\n",),
    "unknown-answer": (H + "a,yes,maybe,yes\n",),
    "blank-case-id": (H + "a,yes,no,yes\n ,yes,no,yes\n",),
    "blank-unit": ("case_id,unit,2.2.1,2.2.2,2.2.3\na,North,yes,no,yes\nb,,yes,no,yes\n",),
    "duplicate-case-id": (H + "a,yes,no,yes\nb,yes,no,no\na,no,no,no\n",),
    "header-only": (H + ",,,\n",),
    "unit-not-in-file": ("case_id,unit,2.2.1,2.2.2,2.2.3\na,North,yes,no,yes\n", "--unit", "South"),
}


# ---- hostile and damaged input (issue 17) ----

NOTES = "case_id,2.2.1,2.2.2,2.2.3,notes\n"


def case_quote_spans_lines(tmp_path):
    # line 3 opens a quote in the notes column that the next quote (line 5) closes: lines 4 and 5
    # would vanish into one cell; 'a' and 'd' are fine
    text = NOTES + 'a,yes,no,yes,ok\nb,yes,no,yes,"stray\nc,yes,yes,yes,x\nd,no,no,no,y"\ne,yes,no,yes,ok\n'
    result = pdu_on(tmp_path, text, "--ignore-column", "notes")
    assert "line 3, column 'notes'" in result.stderr and "runs over 3 lines, to line 5" in result.stderr
    return result


def case_text_column(tmp_path):
    text = NOTES + 'a,yes,no,yes,"two\nlines"\nb,no,no,n/a,"three\r\nline\nnote"\nc,yes,yes,yes,plain\n'
    path = write(tmp_path, "cases.csv", text)
    result = pdu(path, "-u", "U", "-f", "json", "--text-column", "notes", "--audit")
    assert result.exit_code == 0, result.output
    audit = json.loads(result.stdout)["inputs"][0]["audit"]
    physical = len(path.read_bytes().splitlines()) - 1  # counted here independently: lines below the header
    assert audit["lines_read"] == physical == 6 and audit["line_breaks_in_text_cells"] == 3
    assert audit["rows_read"] == audit["rows_used"] == 3
    assert re.search(r"lines read\s+6\n", result.stderr)
    without = pdu(path, "-u", "U", "--ignore-column", "notes")
    assert without.exit_code == 2 and "line 2, column 'notes'" in without.stderr


def case_quote_never_closed(tmp_path):
    return pdu_on(tmp_path, NOTES + 'a,yes,no,yes,ok\nb,yes,no,yes,"never closed\nc,yes,yes,yes,x\n',
                  "--text-column", "notes")


def case_not_text_encoding(tmp_path):
    for name in ("punycode", "idna", "utf-7"):
        other = pdu_on(tmp_path, GOOD, "--encoding", name)
        assert other.exit_code == 2 and "not an encoding of text files" in other.stderr, name
    return pdu_on(tmp_path, GOOD, "--encoding", "undefined")


def case_too_many_columns(tmp_path):
    header = "case_id,2.2.1,2.2.2,2.2.3," + ",".join(f"x{i}" for i in range(16_400))
    return pdu_on(tmp_path, header + "\n" + "a,yes,no,yes" + ",1" * 16_400 + "\n")


def case_too_many_cells(tmp_path):
    header = "case_id,2.2.1,2.2.2,2.2.3," + ",".join(f"x{i}" for i in range(10_000))
    return pdu_on(tmp_path, header + "\n" + "\n" * 5_000)  # a 60 KB file of 50 million cells


def case_row_too_wide(tmp_path):
    return pdu_on(tmp_path, GOOD + "d,yes,no,yes" + "," * 20_000 + "\n")


def _sheet_xml(tmp_path, edit, name="cases.xlsx"):
    """A small workbook whose worksheet XML is edited (as a damaged or hostile file would be)."""
    import io
    import zipfile

    path = workbook(tmp_path / name, [["case_id", "2.2.1", "2.2.2", "2.2.3"], ["a", "yes", "no", "yes"],
                                      ["b", "no", "no", "n/a"]])
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = edit(data.decode()).encode()
            target.writestr(info.filename, data)
    path.write_bytes(out.getvalue())
    return path


def _renumber(row: int):
    """Row 3 of the sheet renumbered as `row` (its cells' references too)."""
    def edit(xml: str) -> str:
        xml = xml.replace('<row r="3"', f'<row r="{row}"')
        return re.sub(r'r="([A-Z]+)3"', lambda m: f'r="{m.group(1)}{row}"', xml)
    return edit


def case_xlsx_sparse_rows(tmp_path):
    path = _sheet_xml(tmp_path, _renumber(1_000_000))
    result = pdu(path, "-u", "U", "-f", "json")
    assert result.exit_code == 0, result.output
    audit = json.loads(result.stdout)["inputs"][0]["audit"]
    assert audit["rows_read"] == 999_999 and audit["rows_used"] == 2 and audit["rows_skipped"] == {"blank row": 999_997}


def case_xlsx_row_limit(tmp_path):
    return pdu(_sheet_xml(tmp_path, _renumber(2_000_000_000)))


def case_xlsx_column_limit(tmp_path):
    return pdu(_sheet_xml(tmp_path, lambda xml: xml.replace('r="D3"', 'r="XFE3"')))


def case_xlsx_cell_size(tmp_path):
    big = "x" * 40_000
    cell = f'<row r="4"><c r="A4" t="inlineStr"><is><t>{big}</t></is></c></row></sheetData>'
    return pdu(_sheet_xml(tmp_path, lambda xml: xml.replace("</sheetData>", cell)))


def case_xlsx_inflated(tmp_path, monkeypatch):
    from ratings_engine.io import xlsx_files

    import io
    import zipfile

    path = workbook(tmp_path / "cases.xlsx", [["case_id", "2.2.1", "2.2.2", "2.2.3"], ["a", "yes", "no", "yes"]])
    assert pdu(path).exit_code == 0
    raw = io.BytesIO(path.read_bytes())
    table = "<sst>" + "<si><t>x</t></si>" * 100 + "</sst>"
    with zipfile.ZipFile(raw, "a") as book:  # a shared-strings table past its (lowered) limit
        book.writestr("xl/sharedStrings.xml", table)
    monkeypatch.setattr(xlsx_files, "MAX_SHARED_STRINGS_BYTES", 1000)
    with pytest.raises(InputError, match=f"its shared-strings table inflates to {len(table):,} bytes"):
        xlsx_files._check_archive(raw.getvalue(), "x.xlsx", "case")
    monkeypatch.setattr(xlsx_files, "MAX_INFLATED_BYTES", 10_000)  # the whole workbook is larger
    return pdu(path)


def case_xlsx_zip_bomb(tmp_path, monkeypatch):
    from ratings_engine.io import xlsx_files

    monkeypatch.setattr(xlsx_files, "BOMB_BYTES", 1000)
    padding = '<row r="9"><c r="A9" t="inlineStr"><is><t>' + " " * 300_000 + "</t></is></c></row></sheetData>"
    return pdu(_sheet_xml(tmp_path, lambda xml: xml.replace("</sheetData>", padding)))


def case_yaml_merge_key(tmp_path):
    rules = rulebook_with(tmp_path, "    - {id: kq-good, min: 65, below: 80, then: Good}",
                          "    - &g {id: kq-good, min: 65, below: 80, then: Good}")
    text = rules.read_text(encoding="utf-8").replace(
        "    - {id: kq-requires-improvement,", "    - {<<: *g, id: kq-requires-improvement,", 1)
    rules.write_text(text, encoding="utf-8")
    return rate_with_rules(rules)


def case_score_out_of_range(tmp_path):
    too_big = rate_with_rules(rulebook_with(tmp_path, "Outstanding: 3}", "Outstanding: 100000}", "big.yaml"))
    assert too_big.exit_code == 2 and "less than or equal to 100" in too_big.stderr
    return rate_with_rules(rulebook_with(tmp_path, "values: {Inadequate: 0,", "values: {Inadequate: -1,"))


def case_scores_decrease(tmp_path):
    return rate_with_rules(rulebook_with(tmp_path, "Good: 2, Outstanding: 3}", "Good: 4, Outstanding: 3}"))


def case_bound_out_of_range(tmp_path):
    return rate_with_rules(rulebook_with(tmp_path, "mean_max: 0.5,", "mean_max: 1e30,"))


def case_extends_outside(tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("secret_key_name: value\n", encoding="utf-8")
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "link.yaml").symlink_to(outside)
    for ref in (str(outside), "../elsewhere.yaml", "link.yaml", "link"):
        (folder / "child.yaml").write_text(f"extends: {ref}\nid: child\n", encoding="utf-8")
        result = rate_with_rules(folder / "child.yaml")
        assert result.exit_code == 2 and "secret_key_name" not in result.output, ref
    (folder / "child.yaml").write_text(f"extends: {outside}\nid: child\n", encoding="utf-8")
    return rate_with_rules(folder / "child.yaml")


def case_no_case_ratings(tmp_path):
    path = write(tmp_path, "cases.csv", H + "a,n/a,n/a,n/a\nb,N/A,na,n/a\n")
    refused = run("pdu", path, "-j", EXAMPLE_J)
    assert refused.exit_code == 4 and "no standard rated from the cases" in refused.output
    return run("pdu", path, "-j", EXAMPLE_J, "--allow-partial", "-f", "json")


CASES_BY_ID = {name[len("case_"):].replace("_", "-"): f for name, f in globals().items() if name.startswith("case_")}
CASES_BY_ID.update({entry: (lambda tmp_path, edit=edit: rate_with_rules(rulebook_with(tmp_path, *edit)))
                    for entry, edit in RULEBOOK_EDITS.items()})
CASES_BY_ID.update({entry: (lambda tmp_path, given=given: pdu_on(tmp_path, *given)) for entry, given in ONE_FILE.items()})


def test_every_catalogue_entry_has_a_test_and_every_test_an_entry():
    assert set(catalogue()) == set(CASES_BY_ID)


@pytest.mark.parametrize("entry", sorted(catalogue()))
def test_catalogue_entry(entry, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative names in messages stay short
    template = catalogue()[entry]
    case = CASES_BY_ID[entry]
    result = case(tmp_path, monkeypatch) if "monkeypatch" in case.__code__.co_varnames else case(tmp_path)
    if template is None:
        assert result is None
        return
    assert result is not None, entry
    assert "Traceback" not in result.output
    warning = "**warning**" in DOC.read_text(encoding="utf-8").split(f"| `{entry}` |")[1].split("\n")[0]
    if warning:
        assert result.exit_code == 0, result.output
        found = lines(result.stderr, "warning")
    else:
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit), (result.exit_code, result.output)
        assert result.stderr.startswith("error: ")
        found = lines(result.stderr, "error")
    assert any(pattern(template).fullmatch(line) for line in found), (template, found)
