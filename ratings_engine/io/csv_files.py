"""CSV files read as a stream of raw grid chunks, hashed as read, with encodings checked.

pandas' C parser reads the file in chunks of rows; where it gives up (e.g. a row with more
cells than the first) the csv module reads on from there. Nothing about a file's format is
guessed: UTF-8 (with or without a byte-order mark) and UTF-16 / UTF-32 with a byte-order mark
are read as such; any other encoding needs `--encoding`, and a file that is not UTF-8 is refused
with a message saying which `--encoding` reads it.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
from pathlib import Path
from typing import Iterator

import pandas as pd

from ..model.errors import InputError, Location, Problem
from .grids import grid_of

#: Words accepted by `--delimiter` besides a single character.
DELIMITER_WORDS = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|"}
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def delimiter_char(option: str | None) -> str:
    """The delimiter an option names: one character, or a word such as tab (default: a comma)."""
    if option is None:
        return ","
    char = DELIMITER_WORDS.get(option.strip().lower(), option)
    if len(char) != 1 or char in "\"\r\n" or char.isalnum():
        raise InputError(f"--delimiter {option!r}: give one character such as ';' or '|', or the word tab")
    return char


def checked_encoding(encoding: str) -> str:
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):  # text encodings only (not rot13, hex, ...)
        raise InputError(f"--encoding {encoding!r}: unknown encoding (for example utf-8, cp1252, latin-1, utf-16)")
    return info.name



_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_BOM_FAMILIES = {"utf-8-sig": ("utf-8", "utf-8-sig"), "utf-16": ("utf-16", "utf-16-le", "utf-16-be"),
                 "utf-32": ("utf-32", "utf-32-le", "utf-32-be")}
_BOM_NAMES = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-32": "UTF-32"}


class _HashingFile(io.RawIOBase):
    """A binary file that hashes every byte read through it."""

    def __init__(self, raw):
        self._raw = raw
        self.sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        if n:
            self.sha.update(memoryview(buffer)[:n])
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


class CsvFile:
    """A CSV file read as a stream of raw grid chunks (see `TableReader`)."""

    def __init__(self, path: Path, source: str, what: str, encoding: str | None, delimiter: str, chunk_rows: int):
        self.path, self.source, self.what = path, source, what
        self.encoding, self.delimiter, self.chunk_rows = encoding, delimiter, chunk_rows
        self._sha256: str | None = None

    def digest(self) -> str | None:
        return self._sha256

    def _open(self) -> tuple[_HashingFile, io.TextIOWrapper]:
        try:
            raw = open(self.path, "rb", buffering=0)  # noqa: SIM115 - closed with the text stream
        except FileNotFoundError:
            raise InputError(f"{self.source}: {self.what} file not found") from None
        except OSError as exc:
            raise InputError(f"{self.source}: cannot read {self.what} file: {exc.strerror or exc}") from None
        hashing = _HashingFile(raw)
        buffered = io.BufferedReader(hashing, 1 << 20)
        try:
            codec = self._codec(buffered.peek(4096)[:4096])
        except BaseException:
            buffered.close()
            raise
        return hashing, io.TextIOWrapper(buffered, encoding=codec, errors="strict", newline="")

    def _codec(self, head: bytes) -> str:
        bom = next((codec for mark, codec in _BOMS if head.startswith(mark)), None)
        if self.encoding is None:
            if bom is not None:
                return bom
            if b"\x00" in head:
                raise InputError(f"{self.source}: {self.what} file holds NUL bytes, so it is not CSV text: "
                                 + _binary_kind(head))
            return "utf-8"
        if bom is not None:
            if self.encoding in _BOM_FAMILIES[bom]:
                return bom  # the byte-order mark says which byte order; the codec drops it
            raise InputError(f"{self.source}: the file starts with a {_BOM_NAMES[bom]} byte-order mark, but "
                             f"--encoding {self.encoding} was given: leave out --encoding (files with a byte-order "
                             "mark are read by it)")
        return self.encoding

    def grids(self) -> Iterator[pd.DataFrame]:
        """The cell grid in chunks: pandas' C parser, or the csv module from where it gave up."""
        done = 0
        hashing, text = self._open()
        with text:
            try:
                with pd.read_csv(text, header=None, dtype=str, na_filter=False, skip_blank_lines=False,
                                 engine="c", sep=self.delimiter, chunksize=self.chunk_rows) as reader:
                    for chunk in reader:
                        chunk.index = pd.RangeIndex(done, done + len(chunk))
                        done += len(chunk)
                        yield chunk
                self._sha256 = hashing.sha.hexdigest()
                return
            except pd.errors.EmptyDataError:
                if done == 0:
                    raise InputError(f"{self.source}: {self.what} file is empty (no header row)") from None
            except UnicodeDecodeError:
                raise self._encoding_error() from None
            except (pd.errors.ParserError, ValueError, OverflowError):
                pass  # e.g. a row with more cells than the first: the csv module pads it (see TableReader._body)
        yield from self._csv_module_grids(skip=done)

    def _csv_module_grids(self, skip: int) -> Iterator[pd.DataFrame]:
        hashing, text = self._open()
        with text:
            records = csv.reader(text, delimiter=self.delimiter)
            batch: list[list[str]] = []
            start = n = 0
            try:
                for n, record in enumerate(records):
                    if n < skip:
                        continue
                    if not batch:
                        start = n
                    batch.append(record)
                    if len(batch) == self.chunk_rows:
                        yield grid_of(batch, start)
                        batch = []
            except csv.Error as exc:
                raise InputError(Problem(f"not a readable CSV file: {exc}",
                                         Location(file=self.source, line=records.line_num))) from None
            except UnicodeDecodeError:
                raise self._encoding_error() from None
            if batch:
                yield grid_of(batch, start)
            elif n == 0 and skip == 0 and not records.line_num:
                raise InputError(f"{self.source}: {self.what} file is empty (no header row)")
            self._sha256 = hashing.sha.hexdigest()

    def _encoding_error(self) -> InputError:
        """Where the text stops decoding, and which --encoding would read it."""
        codec = self.encoding or "utf-8"
        decoder = codecs.getincrementaldecoder(codec)("strict")
        line, at, byte = 1, None, None
        with open(self.path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    at, byte = line + exc.object[: exc.start].count(b"\n"), exc.object[exc.start]
                    break
                line += block.count(b"\n")
        where = f"line {at}: byte 0x{byte:02X}" if at is not None else "at the end of the file"
        if self.encoding is not None:
            return InputError(f"{self.source}: {self.what} file is not {self.encoding} text ({where}); check --encoding")
        if _decodes(self.path, "cp1252"):
            hint = ("it reads as Windows-1252, as Excel saves 'CSV (Comma delimited)': use --encoding cp1252, "
                    "or save it as 'CSV UTF-8'")
        else:
            hint = "use --encoding with its encoding (for example --encoding latin-1), or save it as 'CSV UTF-8'"
        return InputError(f"{self.source}: {self.what} file is not UTF-8 text ({where}); {hint}")


def _decodes(path: Path, codec: str) -> bool:
    decoder = codecs.getincrementaldecoder(codec)("strict")
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                decoder.decode(block)
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


def _binary_kind(head: bytes) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "it is a zip file, perhaps an .xlsx workbook: name it .xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "it is an old Excel .xls workbook: save it as .xlsx or as 'CSV UTF-8'"
    return ("a binary file, or UTF-16 text without a byte-order mark (then use --encoding utf-16-le, "
            "or --encoding utf-16-be)")
