"""Every `rate ...` command in the README's sh blocks runs and prints what is documented.

How an example's expected output is written (README editors: keep to this):

* An ```` ```output ```` block after an sh block is the exact standard output of the last `rate`
  command before it, which must exit 0 (trailing spaces and blank lines at the end aside). ```` ```output abridged ````
  means its lines must appear in the output in that order, others may come between (`...` lines
  are ignored).
* Every other command's output is kept in a golden file, tests/fixtures/readme/<family>-<hash>.txt,
  holding the command, its exit code, its standard output and its standard error. After a
  deliberate change of output, rewrite them with
  `RATINGS_ENGINE_UPDATE_GOLDEN=1 python -m pytest tests/test_readme_examples.py` and review the diff.

Absolute paths of the repository and sha256 hashes are normalised (`<repo>`, `<sha256>`), so the
expected output survives a checkout elsewhere and a comment added to a rulebook.
"""
from __future__ import annotations

import difflib
import hashlib
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from ratings_engine.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "fixtures" / "readme"
UPDATE = os.environ.get("RATINGS_ENGINE_UPDATE_GOLDEN", "") not in ("", "0")
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.S | re.M)


@dataclass
class Example:
    command: str
    line: int  # README line of the command's block
    expected: str | None = None  # the README's output block, if any
    abridged: bool = False

    @property
    def golden(self) -> Path:
        family = shlex.split(self.command)[1]
        return GOLDEN / f"{family}-{hashlib.sha256(self.command.encode()).hexdigest()[:10]}.txt"


def readme_examples(text: str | None = None) -> list[Example]:
    text = (ROOT / "README.md").read_text(encoding="utf-8") if text is None else text
    examples: list[Example] = []
    for match in FENCE.finditer(text):
        info, body = match.group(1).strip().split(), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        if info[:1] == ["sh"]:
            for command in body.replace("\\\n", " ").splitlines():
                for part in command.split("&&"):
                    if part.strip().startswith("rate "):
                        examples.append(Example(part.strip(), line))
        elif info[:1] == ["output"]:
            if not examples:
                raise AssertionError(f"README.md line {line}: an output block with no rate command before it")
            if examples[-1].expected is not None:
                raise AssertionError(f"README.md line {line}: a second output block for {examples[-1].command!r}")
            examples[-1].expected, examples[-1].abridged = body, "abridged" in info[1:]
    return examples


def normalise(text: str) -> str:
    text = text.replace(str(ROOT), "<repo>")
    text = re.sub(r"\b(sha256[ :]+)[0-9a-f]{12,64}\b", r"\1<sha256>", text)
    text = re.sub(r"\b[0-9a-f]{64}\b", "<sha256>", text)
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n") + "\n"


def run(command: str):
    result = CliRunner().invoke(main, shlex.split(command)[1:])
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result


def unified(expected: str, actual: str, what: str) -> str:
    return "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                        f"expected ({what})", "actual"))


def missing_in_order(expected: str, actual: str) -> list[str]:
    """Expected lines not found, in order, among the actual lines."""
    lines = iter(actual.splitlines())
    missing = []
    for want in expected.splitlines():
        if want.strip() in ("", "..."):
            continue
        if not any(got == want for got in lines):
            missing.append(want)
            lines = iter(actual.splitlines())  # report every missing line, not only the first
    return missing


def golden_text(example: Example, result) -> str:
    return (f"$ {example.command}\nexit {result.exit_code}\n--- stdout\n{normalise(result.stdout)}"
            f"--- stderr\n{normalise(result.stderr)}")


EXAMPLES = readme_examples()


def test_the_readme_has_runnable_examples_for_every_command_family():
    names = {shlex.split(e.command)[1] for e in EXAMPLES}
    assert {"frameworks", "unit", "check-rules", "test", "diff", "pdu", "validate", "report", "export",
            "confidence", "sweep"} <= names
    assert any(e.expected for e in EXAMPLES), "the README shows the output of at least one example"


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.command[:90] for e in EXAMPLES])
def test_readme_example_prints_what_is_documented(example, monkeypatch):
    monkeypatch.chdir(ROOT)
    (ROOT / "out").mkdir(exist_ok=True)
    result = run(example.command)
    if example.expected is not None:
        assert result.exit_code == 0, (f"README.md line {example.line}: {example.command} exited {result.exit_code}",
                                       result.stderr)
        actual, expected = normalise(result.stdout), normalise(example.expected)
        if example.abridged:
            missing = missing_in_order(expected, actual)
            assert not missing, (f"README.md line {example.line}: {example.command}\nthese documented lines are "
                                 f"not in the output, in order:\n" + "\n".join(missing) + f"\n\nactual output:\n{actual}")
        else:
            assert actual == expected, (f"README.md line {example.line}: {example.command}\n"
                                        + unified(expected, actual, "README"))
        return
    text = golden_text(example, result)
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        example.golden.write_text(text, encoding="utf-8")
    assert example.golden.is_file(), (f"no expected output for README.md line {example.line}: {example.command}; "
                                      "write an output block after it, or create its golden file with "
                                      "RATINGS_ENGINE_UPDATE_GOLDEN=1 and review it")
    expected = example.golden.read_text(encoding="utf-8")
    assert text == expected, f"{example.golden.relative_to(ROOT)}:\n" + unified(expected, text, "golden file")


def test_every_golden_file_belongs_to_a_readme_example():
    wanted = {e.golden.name for e in EXAMPLES if e.expected is None}
    orphans = sorted(p.name for p in GOLDEN.glob("*.txt") if p.name not in wanted)
    assert orphans == [], "golden files of commands no longer in the README (delete them)"


def test_output_blocks_are_checked_as_documented():
    """The parser and the comparison themselves: an output block binds to the last command before it."""
    text = ("```sh\nrate frameworks\nrate test x && rate pdu y\n```\n\nSome words.\n\n"
            "```output abridged\nA\n...\nC\n```\n\n```sh\nrate export z\n```\n")
    examples = readme_examples(text)
    assert [(e.command, e.expected, e.abridged) for e in examples] == [
        ("rate frameworks", None, False), ("rate test x", None, False), ("rate pdu y", "A\n...\nC\n", True),
        ("rate export z", None, False)]
    assert missing_in_order("A\n...\nC\n", "A\nB\nC\n") == []
    assert missing_in_order("C\nA\n", "A\nB\nC\n") == ["A"]
    assert missing_in_order("A\nD\n", "A\nB\nC\n") == ["D"]
    assert normalise(f"{ROOT}/rules/x.yaml {'ab' * 32}  \n\n") == "<repo>/rules/x.yaml <sha256>\n"
    assert normalise("(sha256 ca04170b51c3)") == "(sha256 <sha256>)\n"
