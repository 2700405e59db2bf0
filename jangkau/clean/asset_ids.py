"""``id_aset``: one identifier per placed asset, unique in the region and stable between runs.

Reports from officers name an asset by this identifier (issue 17), so it must
not change when the same file is read again, nor when other records are added
or removed. The rule (also in the README, "Asset identifiers"):

1. The file's own identifier (NPSN, Kemenkes code, an ``id``/``kode`` column,
   recognised as the ``id`` role when the file is read) is used as written,
   trimmed. When the same identifier is carried by records of two different
   files, each is prefixed with its file's stem (``sekolah:40302363``) so
   neither report target is ambiguous.
2. A record without one gets ``<file stem>-<8 hex digits>``: the first digits
   of the SHA-1 of its normalised name, its kind as written and its placed
   location rounded to 4 decimal degrees (about 11 m). It depends only on the
   record's own content, never on its row number, so inserting or deleting
   other rows changes nothing. Placed location means after repairs: a
   latitude that lost its minus sign, once fixed in the source, keeps the id.
3. Two records still equal by rule 2 (same name, kind and place within 11 m
   in one file, which the de-duplication normally merges) get ``-2``, ``-3``
   … in row order, the first keeping the plain id.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.clean.names import name_key

HASH_DIGITS = 8


def file_stem(source: str) -> str:
    """Return the id prefix for a source file: its name without extension, lowercased ASCII.

    Examples
    --------
    >>> file_stem("Fasilitas Kesehatan.xlsx")
    'fasilitas_kesehatan'
    """
    stem = source.rsplit("/", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    ascii_text = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_") or "aset"


def content_id(source: str, name: object, kind: object, lat: float, lon: float) -> str:
    """Return the derived id of a record without a file identifier (rule 2)."""
    kind_text = "" if kind is None or pd.isna(kind) else str(kind).strip().lower()
    key = f"{name_key(name)}|{kind_text}|{lat:.4f}|{lon:.4f}"
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:HASH_DIGITS]
    return f"{file_stem(source)}-{digest}"


def assign_asset_ids(placed: gpd.GeoDataFrame, *, kind_column: str = "jenis") -> gpd.GeoDataFrame:
    """Return a copy of the placed assets with ``id_aset`` filled for every record.

    Parameters
    ----------
    placed
        Placed assets (points, EPSG:4326) with ``sumber``, ``baris``, ``nama``,
        ``id_aset`` (the file's identifier as read, may be empty) and
        ``kind_column``.
    kind_column
        Column holding the record's kind for rule 2.

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows and columns, ``id_aset`` a non-empty string unique over the frame.
    """
    out = placed.copy()
    written = out["id_aset"].astype("string").str.strip().fillna("")
    has_own = (written != "").to_numpy()
    own = written.to_numpy(dtype=object)
    sources = out["sumber"].astype(str).to_numpy()
    # Rule 1: an identifier carried in two files is qualified by file in both.
    files_per_id = (
        pd.DataFrame({"id": own[has_own], "sumber": sources[has_own]})
        .groupby("id")["sumber"]
        .nunique()
    )
    shared = set(files_per_id.index[files_per_id > 1])
    ids = np.empty(len(out), dtype=object)
    for i in np.flatnonzero(has_own):
        ids[i] = f"{file_stem(sources[i])}:{own[i]}" if own[i] in shared else own[i]
    points = out.geometry.to_crs(4326).to_numpy() if out.crs else out.geometry.to_numpy()
    points = shapely.point_on_surface(points)
    lat, lon = shapely.get_y(points), shapely.get_x(points)
    names = out["nama"].to_numpy(dtype=object)
    kinds = out[kind_column].to_numpy(dtype=object)
    for i in np.flatnonzero(~has_own):
        ids[i] = content_id(sources[i], names[i], kinds[i], lat[i], lon[i])
    out["id_aset"] = _number_repeats(ids, out["sumber"], out["baris"])
    return out


def _number_repeats(ids: np.ndarray, sources: pd.Series, rows: pd.Series) -> list[str]:
    """Suffix ``-2``, ``-3`` … to repeated ids in (source, row) order (rule 3)."""
    order = np.lexsort((rows.to_numpy(), sources.astype(str).to_numpy()))
    seen: dict[str, int] = {}
    result = list(ids)
    taken = set(ids)
    for i in order:
        base = ids[i]
        count = seen.get(base, 0) + 1
        seen[base] = count
        if count > 1:
            candidate = f"{base}-{count}"
            while candidate in taken:
                count += 1
                candidate = f"{base}-{count}"
            seen[base] = count
            taken.add(candidate)
            result[i] = candidate
    return result
