"""Is a file whole? Checks that catch an input cut short or damaged before it is parsed.

A file cut in half (a copy interrupted, a download stopped, a disk full) must
not be read as a shorter but valid file: its last record would be read as a
row with empty cells (rejected as "koordinat kosong") or a feature without
geometry, and the run would publish fewer facilities with no word of why.
Each check here looks for the marks a cut leaves in one format and raises
:class:`~jangkau.errors.InputError` with ``berkas rusak atau terpotong: ...``:

- **CSV/TSV**: the text ends inside a UTF-8 character or inside a quoted
  field, or its last line has no line break and fewer fields than the
  table's rows (a last line that is complete but simply lacks a line break
  is fine).
- **XLSX**: the ZIP container is whole (central directory present, every
  member's CRC right, so each sheet is as it was packed) and the workbook
  XML parses.
- **GeoJSON/JSON**: the whole text parses as JSON.
- **KML/GML**: the whole text parses as XML.
- **Shapefile**: the lengths in the ``.shp`` and ``.shx`` headers match the
  files, the ``.shx`` record count equals the ``.dbf`` record count, the
  ``.shp`` ends where the last ``.shx`` entry says, and the ``.dbf`` holds all
  the records its header announces.
- **GeoPackage**: SQLite's ``PRAGMA quick_check`` answers ``ok``.

What no check can see: a cut that falls inside the last field of a line and
leaves a complete-looking record. The record-count comparison with the
previous run (:mod:`jangkau.pipeline.counts`) catches such a cut when it drops
enough records.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import struct
import xml.etree.ElementTree as ElementTree
import zipfile
from collections import Counter
from contextlib import closing
from pathlib import Path

from jangkau.errors import InputError

DAMAGED = "berkas rusak atau terpotong"
SHAPEFILE_CODE = 9994
SHAPEFILE_HEADER = 100
SHX_ENTRY = 8
# A UTF-8 character is at most 4 bytes: a cut inside one leaves at most 3 of them.
UTF8_TAIL = 3
# Rows whose widths decide a table's usual width (the header and the first records).
WIDTH_ROWS = 200


def _damaged(path: Path, what: str) -> InputError:
    return InputError(path, f"{DAMAGED}: {what}")


def check_text_bytes(path: str | Path, raw: bytes) -> None:
    """Stop when UTF-8 text ends in the middle of a character (a cut, not a Windows encoding).

    Text in another encoding fails earlier in the file, or not in this way,
    and is left to the decoder.
    """
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start >= len(raw) - UTF8_TAIL and error.reason == "unexpected end of data":
            raise _damaged(Path(path), "berakhir di tengah sebuah huruf") from error


def check_delimited(path: str | Path, text: str, delimiter: str) -> None:
    """Stop when a delimited text table was cut: inside a quote, or within its last line.

    Parameters
    ----------
    path
        The file, for the message.
    text
        The whole decoded text.
    delimiter
        The field separator used to read it.

    Raises
    ------
    InputError
        When a quoted field is never closed, or when the last line has no line
        break and fewer fields than most rows of the file.
    """
    path = Path(path)
    if len(delimiter) != 1:
        return  # a pattern given as separator: the parser reads it, the csv module cannot
    widths: Counter[int] = Counter()
    last: list[str] | None = None
    counted = 0
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter, strict=True):
            if not any(cell.strip() for cell in row):
                continue
            if last is not None and counted < WIDTH_ROWS:
                widths[len(last)] += 1
                counted += 1
            last = row
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            raise _damaged(path, "tanda kutip tidak ditutup di akhir berkas") from error
        return  # other quoting faults are the parser's to report, with their row
    if not widths or last is None or text.endswith(("\n", "\r")):
        return
    # Title rows above the header are narrower; the rows of the table share one width.
    usual = max(widths, key=lambda width: (widths[width], width))
    if len(last) < usual:
        raise _damaged(
            path,
            f"baris terakhir tanpa akhir baris memuat {len(last)} kolom, baris lain {usual} "
            "(jika baris itu memang lengkap, tambahkan akhir baris)",
        )


def check_workbook(path: str | Path) -> None:
    """Stop when an XLSX/XLSM workbook is not a whole ZIP or its XML does not parse."""
    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise _damaged(path, "bukan arsip ZIP utuh (buku kerja Excel terpotong?)")
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
            if bad is not None:
                raise _damaged(path, f"isi '{bad}' rusak (CRC salah)")
            # The CRCs vouch for every member as it was packed; the workbook XML must parse.
            with archive.open("xl/workbook.xml") as stream:
                ElementTree.parse(stream)
    except InputError:
        raise
    except (zipfile.BadZipFile, ElementTree.ParseError, EOFError, OSError, KeyError) as error:
        raise _damaged(path, f"buku kerja tidak dapat dibuka sampai akhir ({error})") from error


def check_json(path: str | Path) -> None:
    """Stop when a GeoJSON/JSON file does not parse to its end."""
    path = Path(path)
    raw = path.read_bytes()
    check_text_bytes(path, raw)
    try:
        json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise _damaged(path, f"JSON tidak utuh ({error})") from error


def check_xml(path: str | Path) -> None:
    """Stop when a KML/GML file does not parse to its end."""
    path = Path(path)
    try:
        for _, element in ElementTree.iterparse(path):
            element.clear()
    except ElementTree.ParseError as error:
        raise _damaged(path, f"XML tidak utuh ({error})") from error


def _sidecar(shp: Path, suffix: str) -> Path | None:
    """Return the ``.shx``/``.dbf`` beside a ``.shp`` (either case), or None."""
    for candidate in (shp.with_suffix(suffix), shp.with_suffix(suffix.upper())):
        if candidate.exists():
            return candidate
    return None


def _main_file_length(path: Path, header: bytes) -> int:
    """Return the file length a ``.shp``/``.shx`` header declares, in bytes."""
    if len(header) < SHAPEFILE_HEADER:
        raise _damaged(path, f"kepala berkas hanya {len(header)} bita dari {SHAPEFILE_HEADER}")
    (code,) = struct.unpack(">i", header[:4])
    if code != SHAPEFILE_CODE:
        raise _damaged(path, "kepala berkas bukan kepala shapefile")
    (words,) = struct.unpack(">i", header[24:28])
    return 2 * words


def _dbf_records(dbf: Path) -> int:
    """Return the record count a ``.dbf`` header announces; stop when its records are not all there."""
    with dbf.open("rb") as stream:
        head = stream.read(12)
    if len(head) < 12:
        raise _damaged(dbf, f"kepala berkas hanya {len(head)} bita")
    count, header_size, record_size = struct.unpack("<IHH", head[4:12])
    needed = header_size + count * record_size
    if dbf.stat().st_size < needed:
        raise _damaged(
            dbf, f"panjang {dbf.stat().st_size} bita, {count} rekaman memerlukan {needed}"
        )
    return count


def _shx_records(shx: Path) -> tuple[int, int]:
    """Return the record count of a ``.shx`` and the ``.shp`` length its last entry implies."""
    index = shx.read_bytes()
    declared = _main_file_length(shx, index[:SHAPEFILE_HEADER])
    if declared != len(index) or (len(index) - SHAPEFILE_HEADER) % SHX_ENTRY:
        raise _damaged(shx, f"panjang {len(index)} bita, kepala berkas menyatakan {declared}")
    records = (len(index) - SHAPEFILE_HEADER) // SHX_ENTRY
    if not records:
        return 0, SHAPEFILE_HEADER
    offset, length = struct.unpack(">ii", index[-SHX_ENTRY:])
    return records, 2 * (offset + 4 + length)  # 4 words: the record header before the content


def check_shapefile(path: str | Path) -> None:
    """Stop when the parts of a shapefile disagree about how long they are.

    Each part is first checked against its own header; then the ``.shx``
    (record count, where the last record ends) against the ``.shp`` length
    and the ``.dbf`` record count. The part the two others agree against is
    the one named.

    Raises
    ------
    InputError
        Naming the damaged part (``.shp``, ``.shx`` or ``.dbf``).
    """
    shp = Path(path)
    size = shp.stat().st_size
    with shp.open("rb") as stream:
        declared = _main_file_length(shp, stream.read(SHAPEFILE_HEADER))
    if declared != size:
        raise _damaged(shp, f"panjang {size} bita, kepala berkas menyatakan {declared}")
    shx, dbf = _sidecar(shp, ".shx"), _sidecar(shp, ".dbf")
    attributes = _dbf_records(dbf) if dbf is not None else None
    if shx is None:
        return
    records, end = _shx_records(shx)
    shp_agrees = end == size
    dbf_agrees = attributes is None or attributes == records
    if not shp_agrees and not dbf_agrees:
        raise _damaged(
            shx,
            f"indeks memuat {records} geometri sampai bita {end}; "
            f"{shp.name} {size} bita, {dbf.name} {attributes} rekaman",
        )
    if not shp_agrees:
        raise _damaged(shp, f"panjang {size} bita, indeks .shx menunjuk sampai bita {end}")
    if not dbf_agrees:
        raise _damaged(dbf, f"{attributes} rekaman atribut, indeks .shx memuat {records} geometri")


def check_geopackage(path: str | Path) -> None:
    """Stop when SQLite finds a GeoPackage damaged (``PRAGMA quick_check``)."""
    path = Path(path)
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            answer = db.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as error:
        raise _damaged(path, f"basis data SQLite rusak ({error})") from error
    if answer is None or answer[0] != "ok":
        raise _damaged(path, f"pemeriksaan SQLite: {answer[0] if answer else 'tanpa jawaban'}")


CHECKS = {
    ".xlsx": check_workbook,
    ".xlsm": check_workbook,
    ".geojson": check_json,
    ".json": check_json,
    ".kml": check_xml,
    ".gml": check_xml,
    ".shp": check_shapefile,
    ".gpkg": check_geopackage,
}


def check_file(path: str | Path) -> None:
    """Run the check for the file's format, if it has one (CSV is checked as it is decoded).

    A run reads a file several times (recognition, columns, the stage); a file
    (and its sidecars) unchanged since it passed is not checked again.

    Raises
    ------
    InputError
        ``berkas rusak atau terpotong: <what>``, naming the damaged file.
    """
    path = Path(path)
    check = CHECKS.get(path.suffix.lower())
    if check is None or not path.exists():
        return
    parts = [
        path,
        *(p for s in (".shx", ".dbf") if check is check_shapefile and (p := _sidecar(path, s))),
    ]
    state = tuple((str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in parts)
    if state in _PASSED:
        return
    check(path)
    if len(_PASSED) >= MEMO_SIZE:
        _PASSED.clear()
    _PASSED.add(state)


# Files (with size and time) that passed, so repeated reads of one run check once.
_PASSED: set[tuple[tuple[str, int, int], ...]] = set()
MEMO_SIZE = 1024
