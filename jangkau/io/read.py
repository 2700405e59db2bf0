"""Read the files a kabupaten GIS office receives, exactly as delivered.

Every reader returns the records with their original columns as text, plus
``baris``: the 1-based position of the record among the file's data records
(title rows, the header and blank rows not counted; for vector files the
feature's position). Vector readers also return the geometry. Nothing is
interpreted here: parsing and repair belong to :mod:`jangkau.clean`.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from jangkau.errors import InputError
from jangkau.io.integrity import check_delimited, check_file, check_text_bytes

VECTOR_SUFFIXES = {".shp", ".geojson", ".json", ".gpkg", ".fgb", ".kml", ".gml"}
TABLE_SUFFIXES = {".csv", ".tsv", ".xlsx", ".xlsm", ".xls"}
SUPPORTED_SUFFIXES = VECTOR_SUFFIXES | TABLE_SUFFIXES


def is_supported(path: Path) -> bool:
    """Return True for files a reader here understands (shapefile sidecars are not)."""
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def is_vector(path: Path) -> bool:
    """Return True when ``path`` is read as a vector file (a JSON table is not)."""
    return path.suffix.lower() in VECTOR_SUFFIXES and not is_json_table(path)


def _decode(raw: bytes, encoding: str | None) -> str:
    if encoding:
        return raw.decode(encoding)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Windows exports from Excel in Indonesian offices are cp1252.
        return raw.decode("cp1252", errors="replace")


def _sniff_separator(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t|").delimiter
    except csv.Error:
        counts = {sep: sample.count(sep) for sep in ";,\t|"}
        return max(counts, key=counts.get)


def _find_header_row(grid: pd.DataFrame) -> int:
    """Return the index of the header row in a sheet read without a header.

    Title rows above a header fill one or two cells; the header is the first
    row that fills at least 60 % of the widest row among the first 30 and is
    followed by a row at least as full as half of it.
    """
    head = grid.head(30)
    filled = head.notna().sum(axis=1).to_numpy()
    if len(filled) == 0:
        return 0
    widest = filled.max()
    for index, count in enumerate(filled):
        if count >= max(2, 0.6 * widest):
            return index
    return 0


def _grid_to_records(grid: pd.DataFrame, path: Path, header_row: int | None) -> pd.DataFrame:
    grid = grid.map(lambda v: None if v is None or (isinstance(v, str) and not v.strip()) else v)
    grid = grid.dropna(how="all", axis=1)
    if grid.empty:
        raise InputError(path, "berkas kosong: tidak ada baris data")
    row = _find_header_row(grid) if header_row is None else header_row
    header = [
        str(v).strip() if v is not None and not pd.isna(v) else f"kolom_{i + 1}"
        for i, v in enumerate(grid.iloc[row])
    ]
    body = grid.iloc[row + 1 :].copy()
    body.columns = _unique(header)
    body = body.dropna(how="all")
    body = body.map(_cell_text)
    body.insert(0, "baris", range(1, len(body) + 1))
    return body.reset_index(drop=True)


def _cell_text(value: object) -> str | None:
    if type(value) is str:  # nearly every cell: answered before the slower tests
        return value.strip()
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            out.append(f"{name}_{seen[name]}")
        else:
            seen[name] = 0
            out.append(name)
    return out


def read_table(
    path: str | Path,
    *,
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    max_rows: int | None = None,
) -> pd.DataFrame:
    """Read a CSV or Excel table as text, finding the separator and header row.

    Parameters
    ----------
    path
        CSV (UTF-8 or Windows-1252; ``,``, ``;``, tab or ``|`` separated) or
        Excel file.
    sep, encoding, sheet, header_row
        Overrides for what is otherwise detected (``header_row`` is 0-based
        among the non-blank rows at the top of the file).
    max_rows
        Read only this many rows of the file (enough to see its columns).

    Returns
    -------
    pandas.DataFrame
        ``baris`` then the file's columns, every cell as stripped text or None.

    Raises
    ------
    InputError
        When the file is missing, unreadable or holds no data rows.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "berkas tidak ditemukan")
    suffix = path.suffix.lower()
    if is_json_table(path):
        records = read_json_table(path)
        return records.head(max_rows) if max_rows is not None else records
    try:
        if suffix in {".xlsx", ".xlsm", ".xls"}:
            check_file(path)
            grid = pd.read_excel(
                path,
                header=None,
                sheet_name=sheet or 0,
                dtype=object,
                nrows=max_rows,
                engine="calamine",
            )
        else:
            raw = path.read_bytes()
            check_text_bytes(path, raw)
            text = _decode(raw, encoding)
            check_delimited(path, text, sep or _sniff_separator(text))
            if max_rows is not None:
                text = "\n".join(text.splitlines()[:max_rows])
            delimiter = sep or _sniff_separator(text)
            grid = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                header=None,
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=True,
                engine="python",
            )
    except InputError:
        raise
    except Exception as error:  # noqa: BLE001 - any parser failure is the file's problem
        raise InputError(path, f"tidak dapat dibaca ({type(error).__name__}: {error})") from error
    records = _grid_to_records(grid, path, header_row)
    if records.empty:
        raise InputError(path, "berkas tidak memuat baris data di bawah judul kolom")
    return records


# Set in ``frame.attrs`` when a file declared no CRS and the caller accepted that.
CRS_MISSING = "crs_tidak_dinyatakan"


def crs_was_missing(frame: pd.DataFrame) -> bool:
    """Return True for a frame read from a file that declared no CRS (see :func:`read_vector`)."""
    return bool(frame.attrs.get(CRS_MISSING, False))


def read_vector(
    path: str | Path,
    *,
    layer: str | int | None = None,
    crs: str | None = None,
    allow_missing_crs: bool = False,
) -> gpd.GeoDataFrame:
    """Read a vector file with its attributes as text and its geometry in 2D.

    Features with no geometry are kept (their geometry is None) so that the
    cleaning stage can reject them with a reason.

    A file that declares no CRS (a shapefile without ``.prj``) takes ``crs``
    when given. Otherwise, with ``allow_missing_crs``, it is returned with
    ``crs=None`` and flagged (:func:`crs_was_missing`) for
    :mod:`jangkau.clean.crs_inference` to decide; without it, reading stops,
    so that no caller takes undeclared numbers for degrees by accident.

    Parameters
    ----------
    path
        Shapefile, GeoJSON, GeoPackage or any other OGR vector format.
    layer
        Layer of a multi-layer file; the first layer by default.
    crs
        CRS to assume when the file declares none.
    allow_missing_crs
        Return a file without CRS unprojected and flagged instead of stopping.

    Raises
    ------
    InputError
        When the file is missing or unreadable, or declares no CRS, none is
        given and ``allow_missing_crs`` is False.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "berkas tidak ditemukan")
    check_file(path)
    try:
        frame = pyogrio.read_dataframe(path, layer=layer)
    except Exception as error:  # noqa: BLE001 - any driver failure is the file's problem
        raise InputError(path, f"tidak dapat dibaca ({type(error).__name__}: {error})") from error
    missing = frame.crs is None and crs is None
    if missing and not allow_missing_crs:
        raise InputError(
            path, "sistem koordinat (CRS) tidak dinyatakan; isi 'crs' di berkas wilayah"
        )
    if frame.crs is None and crs is not None:
        frame = frame.set_crs(crs)
    geometry = frame.geometry.array
    values = shapely.force_2d(geometry.to_numpy() if hasattr(geometry, "to_numpy") else geometry)
    attributes = frame.drop(columns=frame.geometry.name).map(_cell_text)
    attributes.insert(0, "baris", range(1, len(frame) + 1))
    # Z values are dropped, so a 3D CRS (GDAL reads 3D GeoJSON as EPSG:4979) becomes its 2D form.
    crs_2d = None
    if frame.crs is not None:
        crs_2d = frame.crs.to_2d() if len(frame.crs.axis_info) > 2 else frame.crs
    out = gpd.GeoDataFrame(attributes, geometry=gpd.GeoSeries(values, crs=crs_2d).values)
    out.attrs[CRS_MISSING] = missing
    return out


def read_records(path: str | Path, **options: object) -> pd.DataFrame | gpd.GeoDataFrame:
    """Read any supported file with :func:`read_vector` or :func:`read_table`."""
    path = Path(path)
    if not is_supported(path):
        raise InputError(path, f"jenis berkas '{path.suffix}' tidak didukung")
    if is_json_table(path):
        return read_json_table(path)
    if is_vector(path):
        keys = {"layer", "crs", "allow_missing_crs"}
        return read_vector(path, **{k: v for k, v in options.items() if k in keys})
    keys = {"sep", "encoding", "sheet", "header_row"}
    return read_table(path, **{k: v for k, v in options.items() if k in keys})


# Rows read to learn a table's columns: title rows and the header sit at the top.
HEAD_ROWS = 60


def list_columns(path: str | Path) -> list[str]:
    """Return a file's column names without reading every record."""
    path = Path(path)
    if is_json_table(path):
        return [c for c in read_json_table(path).columns if c != "baris"]
    if is_vector(path):
        check_file(path)
        info = pyogrio.read_info(path)
        return list(info["fields"])
    return [c for c in read_table(path, max_rows=HEAD_ROWS).columns if c != "baris"]


def records_as_text(frame: pd.DataFrame) -> list[str]:
    """Serialise each record as delivered (all columns but ``baris``), for ``data_asli``."""
    columns = [c for c in frame.columns if c != "baris"]
    texts = []
    for column in columns:
        values = frame[column]
        if isinstance(values, gpd.GeoSeries) or values.dtype == "geometry":
            array = values.to_numpy()
            blank = shapely.is_missing(array) | shapely.is_empty(array)
            wkt = shapely.to_wkt(np.where(blank, None, array))
            texts.append([None if b else w for b, w in zip(blank, wkt, strict=True)])
        else:
            # One vectorised missing-value test per column, not one call per cell.
            blank = pd.isna(values.to_numpy(dtype=object))
            texts.append(
                [
                    None if b else str(v)
                    for b, v in zip(blank, values.to_numpy(dtype=object), strict=True)
                ]
            )
    keys = [str(c) for c in columns]
    return [
        _TEXT_JSON.encode(dict(zip(keys, row, strict=True))) for row in zip(*texts, strict=True)
    ]


# ``json.dumps`` with an option builds a new encoder per call; one serves every record.
_TEXT_JSON = json.JSONEncoder(ensure_ascii=False)


# Members that make a JSON object GeoJSON (RFC 7946) rather than a table holder.
GEOJSON_MEMBERS = ("features", "geometry", "coordinates", "geometries")


def _json_records(data: object, path: Path) -> tuple[list[dict], str | None] | None:
    """Return the records of a JSON table and the key holding them, or None when not a table.

    A table is an array of objects, or an object holding exactly one such
    array (``{"190100": [ ... ]}``); GeoJSON is never a table.
    """

    def is_record_list(value: object) -> bool:
        return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)

    if is_record_list(data):
        return data, None
    if not isinstance(data, dict) or ("type" in data and any(m in data for m in GEOJSON_MEMBERS)):
        return None
    keys = [key for key, value in data.items() if is_record_list(value)]
    if len(keys) > 1:
        raise InputError(
            path,
            "JSON memuat lebih dari satu daftar rekaman ("
            + ", ".join(f"'{k}'" for k in keys)
            + "); pisahkan ke berkas sendiri-sendiri",
        )
    return (data[keys[0]], keys[0]) if keys else None


@functools.lru_cache(maxsize=64)
def _load_json_table(path: str, stamp: tuple[int, int]) -> tuple[list[dict], str | None] | None:
    # ``stamp`` (mtime, size) makes a changed file read again.
    raw = Path(path).read_bytes()
    head = raw[:4096].lstrip()
    if not head.startswith((b"[", b"{")) or re.search(rb'"type"\s*:\s*"Feature', head):
        return None
    try:
        data = json.loads(_decode(raw, None))
    except json.JSONDecodeError as error:
        raise InputError(path, f"bukan JSON yang sah: {error}") from error
    return _json_records(data, Path(path))


def _json_table_of(path: Path) -> tuple[list[dict], str | None] | None:
    if path.suffix.lower() != ".json" or not path.is_file():
        return None
    status = path.stat()
    return _load_json_table(str(path), (status.st_mtime_ns, status.st_size))


def is_json_table(path: str | Path) -> bool:
    """Return True for a ``.json`` file that is a table of records rather than GeoJSON."""
    return _json_table_of(Path(path)) is not None


def json_table_key(path: str | Path) -> str | None:
    """Return the key of the object holding a JSON table's records (None for a bare array)."""
    found = _json_table_of(Path(path))
    return found[1] if found else None


def read_json_table(path: str | Path) -> pd.DataFrame:
    """Read a JSON table (array of records, or an object holding one) as text, like a CSV.

    Columns are the union of the records' keys in order of first appearance;
    nested values are kept as their JSON text.

    Raises
    ------
    InputError
        When the file is not a JSON table.
    """
    path = Path(path)
    found = _json_table_of(path)
    if found is None:
        raise InputError(path, "bukan tabel JSON (daftar rekaman)")
    records, _ = found
    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(map(str, record)))

    def cell(value: object) -> str | None:
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False)
        text = _cell_text(value)
        return text or None

    body = pd.DataFrame(
        [[cell(record.get(column)) for column in columns] for record in records],
        columns=_unique(list(columns)),
        dtype=object,
    )
    body.insert(0, "baris", range(1, len(body) + 1))
    return body
