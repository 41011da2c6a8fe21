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

#: Cells per row read from a CSV file (Excel's own limit of columns): a wider row is refused before
#: it is parsed, so a small hostile file cannot make the reader build a huge grid.
MAX_COLUMNS = 16_384
#: Cells per chunk of rows: a wide file is read in fewer rows at a time, so memory stays bounded.
CHUNK_CELLS = 2_000_000
#: Cells (lines x header cells) a CSV file may make: checked from a count of its line ends before
#: parsing, so a small file of empty lines under a very wide header is refused at once.
MAX_CELLS = 50_000_000
#: Wider files are read by the csv module: pandas' fixed cost per column and chunk would dominate.
WIDE = 1_000

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


#: Codecs Python lists as text encodings that are not encodings of text files: refused by --encoding.
NOT_FILE_ENCODINGS = frozenset({"undefined", "punycode", "idna", "unicode-escape", "raw-unicode-escape",
                                "utf-7", "mbcs", "oem"})


def checked_encoding(encoding: str) -> str:
    """The codec an `--encoding` names: a text encoding of files, whose decoder reads a sample back."""
    try:
        info = codecs.lookup(encoding)
    except (LookupError, ValueError, TypeError):
        info = None
    if info is None:
        raise InputError(f"--encoding {encoding!r}: unknown encoding (for example utf-8, cp1252, latin-1, utf-16)")
    if (not getattr(info, "_is_text_encoding", True)  # text encodings only (not rot13, hex, ...)
            or info.name.replace("_", "-") in NOT_FILE_ENCODINGS or not _round_trips(info)):
        raise InputError(f"--encoding {encoding!r}: not an encoding of text files (for example utf-8, cp1252, "
                         "latin-1, utf-16)")
    return info.name



def _round_trips(info: codecs.CodecInfo) -> bool:
    sample = "case_id,unit\r\nA-1,North\n"
    try:
        return codecs.getincrementaldecoder(info.name)("strict").decode(sample.encode(info.name), True) == sample
    except Exception:  # noqa: BLE001 - a codec that cannot read plain text back is no file encoding
        return False


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


class _LineCounting:
    """A text stream that counts the physical lines read through it (a line ends at \\n, \\r or
    \\r\\n, as both CSV parsers end lines), whatever the parser makes of them."""

    def __init__(self, text: io.TextIOWrapper):
        self._text = text
        self.breaks = 0
        self._last = ""

    def _count(self, data: str) -> str:
        if data:
            self.breaks += data.count("\n") + data.count("\r") - data.count("\r\n")
            if self._last == "\r" and data[0] == "\n":
                self.breaks -= 1  # a \r\n split between two reads
            self._last = data[-1]
        return data

    @property
    def lines(self) -> int:
        """Physical lines read: line ends, plus a last line without one."""
        return self.breaks + (self._last not in ("", "\n", "\r"))

    def read(self, size: int = -1) -> str:
        return self._count(self._text.read(size))

    def readline(self, size: int = -1) -> str:
        return self._count(self._text.readline(size))

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def close(self) -> None:
        self._text.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class CsvFile:
    """A CSV file read as a stream of raw grid chunks (see `TableReader`).

    Besides the cells, it counts the file's physical lines (`lines()`, known once read to the
    end), so the table reader can prove every line became part of a row: a quote left open swallows
    the lines after it into one cell, which the reader refuses (see `TableReader`)."""

    def __init__(self, path: Path, source: str, what: str, encoding: str | None, delimiter: str, chunk_rows: int):
        self.path, self.source, self.what = path, source, what
        self.encoding, self.delimiter, self.chunk_rows = encoding, delimiter, chunk_rows
        self._sha256: str | None = None
        self._lines: int | None = None

    def digest(self) -> str | None:
        return self._sha256

    def lines(self) -> int | None:
        return self._lines

    def _open(self) -> tuple[_HashingFile, _LineCounting]:
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
        return hashing, _LineCounting(io.TextIOWrapper(buffered, encoding=codec, errors="strict", newline=""))

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

    def _check_width(self) -> None:
        """Refuse a header wider than MAX_COLUMNS before pandas parses a chunk of rows that wide."""
        _, text = self._open()
        with text:
            try:
                head = text.readline(1 << 22)
            except UnicodeError:
                return  # reported with its line by the reading itself
        width = sum(1 for _ in next(csv.reader([head.rstrip("\r\n")], delimiter=self.delimiter), []))
        if width > MAX_COLUMNS:
            raise InputError(Problem(f"the header has {width:,} cells; the limit is {MAX_COLUMNS:,} columns",
                                     Location(file=self.source, row=1)))
        self.chunk_rows = max(1, min(self.chunk_rows, CHUNK_CELLS // max(width, 1)))
        self.width = width
        lines = _line_ends(self.path) + 1
        if width * lines > MAX_CELLS:
            raise InputError(Problem(f"the file has up to {lines:,} lines under a header of {width:,} cells: more than "
                                     f"{MAX_CELLS:,} cells; delete the unused columns, or split the file",
                                     Location(file=self.source, row=1)))

    def grids(self) -> Iterator[pd.DataFrame]:
        """The cell grid in chunks: pandas' C parser, or the csv module from where it gave up."""
        done = 0
        self.width = 0
        try:
            self._check_width()
        except csv.Error:
            pass  # the parsers below report it
        if self.width > WIDE:
            yield from self._csv_module_grids(skip=0)
            return
        hashing, text = self._open()
        with text:
            try:
                with pd.read_csv(text, header=None, dtype=str, na_filter=False, skip_blank_lines=False,
                                 engine="c", sep=self.delimiter, chunksize=self.chunk_rows) as reader:
                    for chunk in reader:
                        chunk.index = pd.RangeIndex(done, done + len(chunk))
                        done += len(chunk)
                        yield chunk
                self._sha256, self._lines = hashing.sha.hexdigest(), text.lines
                return
            except pd.errors.EmptyDataError:
                if done == 0:
                    raise InputError(f"{self.source}: {self.what} file is empty (no header row)") from None
            except UnicodeError:
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
            wide = 1  # the widest record of the batch
            try:
                for n, record in enumerate(records):
                    if n < skip:
                        continue
                    if not batch:
                        start = n
                    if len(record) > MAX_COLUMNS:
                        raise InputError(Problem(f"row has {len(record):,} cells; the limit is {MAX_COLUMNS:,} columns",
                                                 Location(file=self.source, row=n + 1)))
                    batch.append(record)
                    wide = max(wide, len(record))
                    if len(batch) >= min(self.chunk_rows, max(1, CHUNK_CELLS // wide)):
                        yield grid_of(batch, start)
                        batch, wide = [], 1
            except csv.Error as exc:
                hint = ("; a quote that is never closed makes one cell of the lines after it" if "field limit" in str(exc)
                        else "")
                raise InputError(Problem(f"not a readable CSV file: {exc}{hint}",
                                         Location(file=self.source, line=records.line_num))) from None
            except UnicodeError:
                raise self._encoding_error() from None
            if batch:
                yield grid_of(batch, start)
            elif n == 0 and skip == 0 and not records.line_num:
                raise InputError(f"{self.source}: {self.what} file is empty (no header row)")
            self._sha256, self._lines = hashing.sha.hexdigest(), text.lines

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
                except UnicodeError:
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


def _line_ends(path: Path) -> int:
    """Line-end bytes in a file (an upper bound of its lines in any of the encodings read)."""
    n = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            n += block.count(b"\n") + block.count(b"\r")
    return n


def _decodes(path: Path, codec: str) -> bool:
    decoder = codecs.getincrementaldecoder(codec)("strict")
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                decoder.decode(block)
        decoder.decode(b"", True)
    except UnicodeError:
        return False
    return True


def _binary_kind(head: bytes) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "it is a zip file, perhaps an .xlsx workbook: name it .xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "it is an old Excel .xls workbook: save it as .xlsx or as 'CSV UTF-8'"
    return ("a binary file, or UTF-16 text without a byte-order mark (then use --encoding utf-16-le, "
            "or --encoding utf-16-be)")
