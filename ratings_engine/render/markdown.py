"""Text safe in markdown: nothing from the data can become markup, a link or an image.

`md_escape` puts one data field (a unit or standard name, a reason, an explanation that quotes
them) on one line with its control characters escaped (`model.text.printable`), then puts a
backslash before each character that could start markup: CommonMark reads a backslash before
ASCII punctuation as that character, literally, so the rendered text reads as written while no
emphasis or code (`*`, `_`, `` ` ``, `~`), table cell (`|`), HTML or autolink (`<`), quote (a leading `>`), link
or image (`[`, `]`), heading (`#`) or entity (`&`) can come from the data; GitHub's bare
autolinks are broken too (`https\\://`, `www\\.`, `name\\@host`).
"""
from __future__ import annotations

import re

from ..model.text import printable

_MARKUP = re.compile(r"([\\`*_\[\]<|~#&@])")  # '>' only starts markup at the start of a line (below)
_SCHEME = re.compile(r"(?i)\b(https?|ftp|mailto|xmpp|javascript|vbscript|data|file)(:)")
_WWW = re.compile(r"(?i)\b(www)(\.)")


def md_escape(text: object) -> str:
    """One data field as literal markdown text, safe inside a table cell, a heading or a line."""
    text = _MARKUP.sub(r"\\\1", printable(text))
    text = "\\" + text if text.startswith(">") else text  # a quote, where the field starts a line
    return _WWW.sub(r"\1\\\2", _SCHEME.sub(r"\1\\\2", text))
