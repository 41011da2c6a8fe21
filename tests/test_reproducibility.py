"""Reproducibility: the same inputs and rulebook give byte-identical JSON in separate processes
(with different hash seeds), and the JSON carries the sha256 of every input file and of the
rulebook (its file and its resolved content): cases, judgements, tallies, .xlsx sheets, drafts."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest
from conftest import CASES, ROOT, SHIPPED_RULEBOOK

from ratings_engine import load_rulebook

EXAMPLE = CASES / "redcar-cleveland-middlesbrough.csv"
JUDGEMENTS = CASES / "redcar-cleveland-middlesbrough-judgements.csv"
TALLIES = CASES / "redcar-cleveland-middlesbrough-tallies.csv"
WORKBOOK = CASES / "redcar-cleveland-middlesbrough.xlsx"
DRAFT = CASES / "redcar-cleveland-middlesbrough-draft.yaml"
RATE = [sys.executable, "-c", "from ratings_engine.cli import main; main()"]


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def twice(*args: str) -> bytes:
    """Run the command in two processes at once, with different hash seeds; both outputs must be equal."""
    procs = [subprocess.Popen([*RATE, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env={**os.environ, "PYTHONHASHSEED": seed}) for seed in ("1", "2")]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode in (0, 1), err.decode()  # rate validate exits 1 when the draft differs
        assert b"Traceback" not in err
    assert outs[0][0] == outs[1][0] and outs[0][0]
    return outs[0][0]


def check_rulebook_stamp(stamp: dict) -> None:
    assert stamp["file_sha256"] == sha256(SHIPPED_RULEBOOK)
    assert stamp["sha256"] == load_rulebook().sha256


@pytest.mark.parametrize("args,hashed", [
    (["pdu", str(EXAMPLE), "-j", str(JUDGEMENTS)], [("cases", EXAMPLE), ("judgements", JUDGEMENTS)]),
    (["pdu", str(TALLIES), "-j", str(JUDGEMENTS)], [("tallies", TALLIES), ("judgements", JUDGEMENTS)]),
    (["pdu", str(WORKBOOK), "--sheet", "Cases", "-j", str(WORKBOOK), "--judgements-sheet", "Judgements"],
     [("cases", WORKBOOK), ("judgements", WORKBOOK)]),
], ids=["cases-and-judgements", "tallies", "xlsx"])
def test_rating_json_is_byte_identical_across_processes_and_carries_every_hash(args, hashed):
    data = json.loads(twice(*args, "--rules", str(SHIPPED_RULEBOOK), "--format", "json"))
    check_rulebook_stamp(data["rulebook"])
    assert [(i["kind"], i["sha256"]) for i in data["inputs"]] == [(kind, sha256(path)) for kind, path in hashed]


def test_draft_validation_json_is_byte_identical_and_carries_the_draft_hash():
    data = json.loads(twice("validate", str(EXAMPLE), "-j", str(JUDGEMENTS), "--draft", str(DRAFT),
                            "--rules", str(SHIPPED_RULEBOOK), "--format", "json"))
    check_rulebook_stamp(data["report"]["rulebook"])
    hashes = {i["kind"]: i["sha256"] for i in data["report"]["inputs"]}
    assert hashes == {"cases": sha256(EXAMPLE), "judgements": sha256(JUDGEMENTS), "draft": sha256(DRAFT)}
    assert data["draft"]["sha256"] == sha256(DRAFT)


def test_the_content_hash_ignores_layout_but_the_file_hash_does_not(tmp_path):
    relaid = tmp_path / "rules.yaml"
    relaid.write_text("# a comment and blank lines change the file, not the rules\n\n"
                      + SHIPPED_RULEBOOK.read_text(encoding="utf-8"), encoding="utf-8")
    data = json.loads(twice("pdu", str(EXAMPLE), "-j", str(JUDGEMENTS), "--rules", str(relaid), "--format", "json"))
    assert data["rulebook"]["sha256"] == load_rulebook().sha256
    assert data["rulebook"]["file_sha256"] == sha256(relaid) != sha256(SHIPPED_RULEBOOK)
