"""Write the rulebooks' JSON Schemas into rules/ (generated from the pydantic models).

    python scripts/make_rulebook_schema.py          # write rules/rulebook.schema.json and rules/rulebook-extends.schema.json
    python scripts/make_rulebook_schema.py --check  # exit 1 if the committed files differ from the models

tests/test_rulebook_schema.py runs the check, so a schema change without a regenerated file fails CI.
"""
from __future__ import annotations

import sys
from pathlib import Path

from ratings_engine.io.files import write_text
from ratings_engine.model.json_schema import schema_files

RULES = Path(__file__).resolve().parents[1] / "rules"


def main(argv: list[str]) -> int:
    stale = []
    for name, text in schema_files().items():
        path = RULES / name
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
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
