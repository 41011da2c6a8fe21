"""Text safe in markdown: nothing from the data can become markup."""
from __future__ import annotations


def md_escape(text: str) -> str:
    """Text safe inside a markdown table cell or line (pipes and line breaks)."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
