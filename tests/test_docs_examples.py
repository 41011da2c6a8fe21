"""Every Python example in the README and docs/ runs as written (from the repository root), and
the values its comments promise (`# (False, 1, ['2.4'])`, `# 'Inadequate'`) are what it gives."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def python_blocks() -> list[tuple[str, int, str]]:
    out = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in re.finditer(r"```python\n(.*?)```", text, re.S):
            line = text[: match.start()].count("\n") + 2
            out.append((doc.name, line, match.group(1)))
    return out


BLOCKS = python_blocks()


def _promised(line: str) -> object:
    """The literal value a `# ...` comment after an expression promises, if it is one."""
    code, _, comment = line.partition("  #")
    comment = comment.strip()
    try:
        return code.strip(), ast.literal_eval(comment)
    except (ValueError, SyntaxError):
        return code.strip(), None


@pytest.mark.parametrize("doc,line,code", BLOCKS, ids=[f"{d}:{n}" for d, n, _ in BLOCKS])
def test_python_example_runs_and_gives_what_it_says(doc, line, code, monkeypatch):
    monkeypatch.chdir(ROOT)
    (ROOT / "out").mkdir(exist_ok=True)
    namespace: dict = {}
    statements = code.splitlines()
    checked = 0
    buffer: list[str] = []
    for text in statements:
        buffer.append(text)
        source = "\n".join(buffer)
        try:
            compiled = compile(source, f"{doc}:{line}", "exec")
        except SyntaxError:
            continue  # a statement spanning lines: read on
        expression, promised = _promised(buffer[0]) if len(buffer) == 1 else (None, None)
        if promised is not None and expression:
            assert eval(expression, namespace) == promised, (doc, line, expression)  # noqa: S307 - our own docs
            checked += 1
        else:
            exec(compiled, namespace)  # noqa: S102 - our own docs
        buffer = []
    assert not buffer, f"{doc}:{line}: the example does not parse"


def test_the_docs_have_python_examples():
    assert len(BLOCKS) >= 5
