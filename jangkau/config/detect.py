"""Recognise what a file is and which column holds what, from its column names.

Pure functions over column lists and small frames; a region file may override
every guess made here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

# Candidate column names per role, compared after lower-casing and replacing
# anything but letters and digits with "_". Order matters: the first present wins.
ASSET_COLUMNS: dict[str, list[str]] = {
    "lintang": ["lintang", "latitude", "lat", "y_lat", "koordinat_lintang", "lintang_y"],
    "bujur": ["bujur", "longitude", "lon", "lng", "long", "x_lon", "koordinat_bujur", "bujur_x"],
    "koordinat": [
        "koordinat",
        "coordinates",
        "coordinate",
        "titik_koordinat",
        "koordinat_lokasi",
        "lokasi_koordinat",
        "latlong",
        "lat_long",
        "latlon",
        "lat_lon",
    ],
    "nama": [
        "nama",
        "nama_sekolah",
        "nama_fasilitas",
        "nama_faskes",
        "nama_aset",
        "nama_objek",
        "namobj",
        "name",
        "nama_lokasi",
        "nama_perpustakaan",
        "nama_satuan_pendidikan",
    ],
    "jenis": [
        "jenis",
        "jenis_fasilitas",
        "bentuk_pendidikan",
        "jenis_aset",
        "jenis_faskes",
        "kategori",
        "tipe",
        "type",
        "jenis_layanan",
        "jenjang",
        "jenis_sarana",
        "fungsi",
    ],
    "id": ["npsn", "kode_faskes", "id_aset", "kode_aset", "id", "kode", "nomor_registrasi"],
    "desa": ["desa", "kelurahan", "desa_kelurahan", "nama_desa", "wadmkd", "desa_kel"],
    "kecamatan": ["kecamatan", "kec", "nama_kecamatan", "wadmkc"],
}

BOUNDARY_COLUMNS: dict[str, list[str]] = {
    "kode_desa": ["kdepum", "kode_desa", "kd_desa", "kode_kel", "kode_desa_kel", "kode"],
    "desa": ["wadmkd", "desa", "nama_desa", "kelurahan", "desa_kelurahan", "namobj", "nama"],
    "kode_kec": ["kdcpum", "kode_kec", "kd_kec", "kode_kecamatan", "kode"],
    "kecamatan": ["wadmkc", "kecamatan", "nama_kecamatan", "nama_kec", "nama"],
    "tipe": ["tipadm", "tipe", "tipe_wilayah", "status_desa", "jenis_wilayah"],
    "kode_bps": ["kdcbps", "kode_bps", "kdbbps"],
    # The kabupaten's name (RBI WADMKK): province runs name kabupaten, not codes.
    "kabupaten": ["wadmkk", "kabupaten", "nama_kabupaten", "kabupaten_kota", "nama_kab"],
}

POPULATION_VALUE = re.compile(r"penduduk|population|jiwa|jumlah_jiwa|jumlah_penduduk|^pop$")
# Population columns that are not the total: by sex, density, growth, shares.
NOT_TOTAL = re.compile(
    r"(^|_)(laki|laki_laki|lk|perempuan|pr|pria|wanita|male|female|men|women|"
    r"kepadatan|density|laju|growth|pertumbuhan|rasio|ratio|persen|persentase|percent|"
    r"pct|luas|area|kk|rumah_tangga|household)(_|$)"
)
TOTAL_WORD = re.compile(r"(^|_)(total|jumlah)(_|$)")
# Place columns of population tables, Indonesian and English (BPS English
# tables call the kecamatan "district" or "subdistrict", the desa "village").
POPULATION_PLACES: dict[str, list[str]] = {
    "kode_desa": [
        "kode_desa",
        "kdepum",
        "kd_desa",
        "kode_kel",
        "kode_desa_kel",
        "kode_kelurahan",
        "village_code",
        "kode_village",
    ],
    "desa": [
        "desa",
        "kelurahan",
        "desa_kelurahan",
        "desa_kel",
        "nama_desa",
        "wadmkd",
        "village",
        "village_name",
    ],
    "kode_kec": [
        "kode_kec",
        "kdcpum",
        "kode_kecamatan",
        "kd_kec",
        "kode_kec_bps",
        "subdistrict_code",
        "sub_district_code",
        "district_code",
    ],
    "kecamatan": [
        "kecamatan",
        "nama_kecamatan",
        "wadmkc",
        "kec",
        "subdistrict",
        "sub_district",
        "subdistrict_name",
        "district",
        "district_name",
    ],
}
YEAR = re.compile(r"(19|20)\d\d")


def column_key(name: object) -> str:
    """Return the comparison form of a column name (``Nama Fasilitas`` -> ``nama_fasilitas``)."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).lower()).strip("_")


def find_columns(
    columns: Iterable[str], candidates: dict[str, list[str]], *, exclude: Iterable[str] = ()
) -> dict[str, str]:
    """Map each role to the first column whose key is one of the role's candidates.

    A column is used by at most one role, in the order roles are listed.
    """
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(column_key(column), column)
    taken = set(exclude)
    found: dict[str, str] = {}
    for role, names in candidates.items():
        for name in names:
            column = by_key.get(name)
            if column is not None and column not in taken:
                found[role] = column
                taken.add(column)
                break
    return found


def asset_columns(columns: Iterable[str]) -> dict[str, str]:
    """Guess which columns of an asset file hold location, name, kind, id and place names."""
    return find_columns([c for c in columns if c != "baris"], ASSET_COLUMNS)


def code_level(code: object) -> str | None:
    """Return ``"desa"``, ``"kecamatan"`` or ``"kabupaten"`` for a Kemendagri or BPS code.

    Kemendagri codes are dotted (``73.09``, ``73.09.01``, ``73.09.01.2003``);
    BPS codes are plain digits (``7308``, ``7308010``, ``7308010001``).
    """
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return None
    text = str(code).strip()
    if re.fullmatch(r"\d{2}\.\d{2}\.\d{2}\.\d{4}", text) or re.fullmatch(r"\d{10}", text):
        return "desa"
    if re.fullmatch(r"\d{2}\.\d{2}\.\d{2}", text) or re.fullmatch(r"\d{7}", text):
        return "kecamatan"
    if re.fullmatch(r"\d{2}\.\d{2}", text) or re.fullmatch(r"\d{4}", text):
        return "kabupaten"
    return None


def boundary_level(frame: pd.DataFrame) -> str | None:
    """Return ``"desa"`` or ``"kecamatan"`` for a polygon layer, from its codes or columns."""
    keys = {column_key(c): c for c in frame.columns}
    if "kdepum" in keys or "kode_desa" in keys:
        return "desa"
    for key in ("kode", "kdcpum", "kode_kec", "kdepum"):
        if key in keys:
            levels = frame[keys[key]].dropna().map(code_level).value_counts()
            if not levels.empty:
                return str(levels.index[0])
    if "wadmkd" in keys or "desa" in keys:
        return "desa"
    if "wadmkc" in keys or "kecamatan" in keys:
        return "kecamatan"
    return None


def boundary_columns(frame: pd.DataFrame, level: str) -> dict[str, str]:
    """Guess the code, name, kecamatan and type columns of a boundary layer."""
    columns = [c for c in frame.columns if c not in ("baris", "geometry")]
    if level == "desa":
        roles = ["kode_desa", "desa", "kode_kec", "kecamatan", "tipe", "kode_bps", "kabupaten"]
    else:
        roles = ["kode_kec", "kecamatan", "kode_bps", "kabupaten"]
    found = find_columns(columns, {role: BOUNDARY_COLUMNS[role] for role in roles})
    if level == "desa" and "kode_kec" in found:
        # A generic "kode" column holds the desa code, never the kecamatan's.
        if found["kode_kec"] == found.get("kode_desa"):
            del found["kode_kec"]
    return found


def population_columns(columns: Iterable[str]) -> dict[str, str]:
    """Guess the level, place and value columns of a population table.

    The value is the population column with the latest year in its name
    (``Proyeksi Penduduk 2023`` over ``Penduduk Sensus 2020``), then the one
    called total (``TOTAL_POPULATION`` over ``MALE_POPULATION``, which is
    never taken: counts by sex, densities and shares are not totals). Place
    columns may be Indonesian or English (``DISTRICT_CODE``/``DISTRICT`` or
    ``SUBDISTRICT`` for the kecamatan, ``VILLAGE`` for the desa).

    Returns
    -------
    dict
        ``level`` (``desa`` or ``kecamatan``), ``value``, and whichever of
        ``kode_desa``, ``desa``, ``kode_kec``, ``kecamatan`` are present.
    """
    columns = [c for c in columns if c != "baris"]
    value_columns = [
        c
        for c in columns
        if POPULATION_VALUE.search(column_key(c)) and not NOT_TOTAL.search(column_key(c))
    ]
    if not value_columns:
        return {}

    def preference(column: str) -> tuple[int, bool]:
        match = YEAR.search(str(column))
        return (int(match.group(0)) if match else 0, bool(TOTAL_WORD.search(column_key(column))))

    value = max(value_columns, key=preference)
    # Columns by sex or density are not place columns either.
    rest = [
        c for c in columns if c not in value_columns and not POPULATION_VALUE.search(column_key(c))
    ]
    found = find_columns(rest, POPULATION_PLACES)
    found["value"] = value
    found["level"] = "desa" if ("kode_desa" in found or "desa" in found) else "kecamatan"
    return found


def looks_like_assets(columns: Iterable[str], *, has_points: bool) -> bool:
    """Return True when a file can be read as an asset list."""
    found = asset_columns(columns)
    located = has_points or "koordinat" in found or ("lintang" in found and "bujur" in found)
    return located and ("nama" in found or "jenis" in found)
