"""Write the rulebooks' JSON Schemas into rules/ (generated from the pydantic models).

    python scripts/make_rulebook_schema.py          # write rules/rulebook.schema.json and rules/rulebook-extends.schema.json
    python scripts/make_rulebook_schema.py --check  # exit 1 if the committed files differ from the models

tests/test_rulebook_schema.py runs the check, so a schema change without a regenerated file fails CI.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ratings_engine.io.files import write_text
from ratings_engine.model.json_schema import schema_files

RULES = Path(__file__).resolve().parents[1] / "rules"


#: pydantic writes this regular expression for decimal strings, and its spelling varies between
#: pydantic releases; --check compares the schemas without it, so another pydantic is not "stale".
DECIMAL_PATTERN = "^(?!^[-+.]*$)"


def comparable(text: str | None):
    """A schema's JSON without pydantic's version-dependent decimal patterns."""
    if text is None:
        return None

    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items()
                    if not (k == "pattern" and isinstance(v, str) and v.startswith(DECIMAL_PATTERN))}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return strip(json.loads(text))


def main(argv: list[str]) -> int:
    stale = []
    for name, text in schema_files().items():
        path = RULES / name
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text or ("--check" in argv and comparable(current) == comparable(text)):
            continue
        stale.append(name)
        if "--check" not in argv:
            write_text(path, text)
            print(f"wrote {path}")
    if "--check" in argv and stale:
        print(f"stale: {', '.join(stale)} (run python scripts/make_rulebook_schema.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
