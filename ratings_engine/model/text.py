"""Text from the data made safe to print: no control characters reach a terminal or a document.

Unit names, standard names, reasons and file names come from files anyone can write. Printed
raw, a newline in a unit name starts a fake line ("Overall rating: Outstanding"), and terminal
escape codes (ESC [ ...) can move the cursor and hide the real one; bidirectional overrides
reorder what is shown. Every text output escapes them:

- `printable(value)`: one data field on one line: every control character (C0 including tab and
  line breaks, DEL, C1), and the invisible format characters that reorder or hide text (bidi
  overrides and isolates, zero-width characters, line and paragraph separators), as a visible
  escape like Python's (`\\n`, `\\x1b`, `\\u202e`);
- `safe_lines(text)`: a whole rendered output (any format, JSON and CSV included): the same
  characters except line breaks and tabs, escaped as `\\uXXXX`, which JSON reads back as the same
  character (json.dumps already escapes the others); data fields are escaped by the renderers.
"""
from __future__ import annotations

import re

_FORMAT = "\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
_FIELD = re.compile(f"[\x00-\x1f{_FORMAT}]")
_LINES = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_FORMAT}]")


def _escape(match: re.Match) -> str:
    ch = match.group()
    # The characters matched are C0, DEL and C1 (up to U+009F: written \xNN) or format characters
    # (U+061C and up: written \uNNNN).
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch) or (
        f"\\x{ord(ch):02x}" if ch <= "\x9f" else f"\\u{ord(ch):04x}")


def printable(value: object) -> str:
    """`str(value)` on one line, with every control or invisible format character escaped."""
    text = str(value)
    return _FIELD.sub(_escape, text) if _FIELD.search(text) else text


def safe_lines(text: str) -> str:
    """A rendered output with control characters escaped, keeping its own line breaks and tabs."""
    return _LINES.sub(lambda m: f"\\u{ord(m.group()):04x}", text) if _LINES.search(text) else text
