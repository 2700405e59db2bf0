"""A small synthetic kabupaten, generated deterministically, for ``make run`` and tests.

"Kabupaten Contoh" (kode 99.01) has three kecamatan of four rectangular desa
each, laid out in UTM zone 50S so that areas and distances are easy to check
by hand. Its files have the shapes and a few of the faults real files have:
a BPS-style population table with names only, a school list with decimal
commas, swapped and sign-less coordinates, degrees-minutes-seconds, an empty
and a duplicate row; a health spreadsheet with title rows and a single
``Koordinat`` column; a GeoJSON with a feature without geometry; and a
shapefile in UTM.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyproj
import shapely

from jangkau.sources.demo_networks import write_network_files

UTM = 32750
ORIGIN_E, ORIGIN_N = 760_000.0, 9_440_000.0
DESA_WIDTH, DESA_HEIGHT = 10_000.0, 5_000.0
KECAMATAN = [("99.01.01", "Tanah Merah"), ("99.01.02", "Bukit Indah"), ("99.01.03", "Pantai Biru")]
DESA_NAMES = [
    ["Mawar", "Melati", "Kenanga", "Anggrek"],
    ["Cempaka", "Dahlia", "Teratai", "Flamboyan"],
    ["Bakau", "Nipah", "Karang", "Pasir Putih"],
]
# BPS-style totals per kecamatan; spread over desa by area (all desa are equal).
PENDUDUK = {"Tanah Merah": 24_000, "Bukit Indah": 12_000, "Pantai Biru": 8_002}
_TO_LONLAT = pyproj.Transformer.from_crs(UTM, 4326, always_xy=True)


def desa_cell(kecamatan_index: int, desa_index: int) -> shapely.Polygon:
    """Return the UTM rectangle of one desa: kecamatan are columns, desa rows."""
    x0 = ORIGIN_E + kecamatan_index * DESA_WIDTH
    y0 = ORIGIN_N + desa_index * DESA_HEIGHT
    return shapely.box(x0, y0, x0 + DESA_WIDTH, y0 + DESA_HEIGHT)


def lonlat(easting: float, northing: float) -> tuple[float, float]:
    """Return (longitude, latitude) of a UTM 50S point, rounded to 6 decimals."""
    lon, lat = _TO_LONLAT.transform(easting, northing)
    return round(lon, 6), round(lat, 6)


def desa_frame() -> gpd.GeoDataFrame:
    """Return the 12 desa polygons in EPSG:4326 with BIG RBI-style attributes."""
    rows = []
    for k, (kode_kec, kecamatan) in enumerate(KECAMATAN):
        for d, name in enumerate(DESA_NAMES[k]):
            kelurahan = k == 0 and d < 2
            # Densify so the polygon stays a rectangle in UTM after reprojection.
            cell = shapely.segmentize(desa_cell(k, d), 250.0)
            rows.append(
                {
                    "KDEPUM": f"{kode_kec}.{1 if kelurahan else 2}{d + 1:03d}",
                    "WADMKD": name,
                    "TIPADM": "Kelurahan" if kelurahan else "Desa",
                    "KDCPUM": kode_kec,
                    "WADMKC": kecamatan,
                    "WADMKK": "Contoh",
                    "geometry": cell,
                }
            )
    return gpd.GeoDataFrame(rows, crs=UTM).to_crs(4326)


def _centre(k: int, d: int, dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
    cell = desa_cell(k, d)
    return cell.centroid.x + dx, cell.centroid.y + dy


def _decimal_comma(value: float) -> str:
    return f"{value:.6f}".replace(".", ",")


def school_table() -> pd.DataFrame:
    """Return the school list, with the faults described in the module docstring."""
    rows = []
    npsn = 69_000_001
    for k in range(3):
        for d in range(4):
            lon, lat = lonlat(*_centre(k, d))
            rows.append((str(npsn), f"SDN {npsn % 100} {DESA_NAMES[k][d].upper()}", "SD", lat, lon))
            npsn += 1
    for k in range(3):
        lon, lat = lonlat(*_centre(k, 1, dx=2_000))
        rows.append((str(npsn), f"SMPN {k + 1} {KECAMATAN[k][1].upper()}", "SMP", lat, lon))
        npsn += 1
    lon, lat = lonlat(*_centre(1, 2, dx=-2_000))
    rows.append((str(npsn), "SMAN 1 CONTOH", "SMA", lat, lon))
    npsn += 1
    lon, lat = lonlat(*_centre(0, 3, dx=-3_000))
    rows.append((str(npsn), "MI NURUL HUDA", "mi", lat, lon))
    table = pd.DataFrame(rows, columns=["npsn", "nama_sekolah", "bentuk_pendidikan", "lat", "lon"])
    table["lintang"] = table["lat"].map(_decimal_comma)
    table["bujur"] = table["lon"].map(_decimal_comma)
    table.loc[1, ["lintang", "bujur"]] = [table.loc[1, "bujur"], table.loc[1, "lintang"]]
    table.loc[2, "lintang"] = table.loc[2, "lintang"].lstrip("-")
    table.loc[3, "lintang"] = _dms(table.loc[3, "lat"], "S", "N")
    table.loc[3, "bujur"] = _dms(table.loc[3, "lon"], "W", "E")
    table.loc[4, ["lintang", "bujur"]] = ["", ""]
    duplicate = table.loc[[5]].assign(nama_sekolah=table.loc[5, "nama_sekolah"].title())
    outside_lon, outside_lat = lonlat(ORIGIN_E - 20_000, ORIGIN_N - 20_000)
    outside = pd.DataFrame(
        [
            {
                "npsn": "69000099",
                "nama_sekolah": "SDN 99 LUAR WILAYAH",
                "bentuk_pendidikan": "SD",
                "lintang": _decimal_comma(outside_lat),
                "bujur": _decimal_comma(outside_lon),
            }
        ]
    )
    table = pd.concat([table, duplicate, outside], ignore_index=True)
    kec_of = (
        [KECAMATAN[i // 4][1] for i in range(12)]
        + [k[1] for k in KECAMATAN]
        + ["Bukit Indah", "Tanah Merah"]
    )
    kec_of += [kec_of[5], "Luar"]
    table["kecamatan"] = [
        f"KEC. {name.upper()}" if i % 3 == 0 else name for i, name in enumerate(kec_of)
    ]
    table.insert(0, "no", range(1, len(table) + 1))
    return table[
        ["no", "npsn", "nama_sekolah", "bentuk_pendidikan", "kecamatan", "lintang", "bujur"]
    ]


def _dms(value: float, negative: str, positive: str) -> str:
    hemisphere = negative if value < 0 else positive
    # Whole seconds first, so float error never writes 59.99999" or a negative second.
    total = round(abs(value) * 3600, 4)
    degrees, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    degrees, minutes = int(degrees), int(minutes)
    return f"{degrees}°{minutes:02d}'{seconds:07.4f}\"{hemisphere}"


def health_table() -> pd.DataFrame:
    """Return the health facility list with one ``Koordinat`` column."""
    entries = [
        ("Puskesmas Tanah Merah", "Puskesmas Rawat Inap", 0, 1, 0, 0),
        ("Puskesmas Bukit Indah", "PUSKESMAS NON RAWAT INAP", 1, 2, 0, 0),
        ("Pustu Pantai Biru", "Puskesmas Pembantu", 2, 1, 1_000, 0),
        ("Posyandu Mawar", "Posyandu", 0, 0, 500, 500),
        ("Posyandu Cempaka", "posyandu", 1, 0, -500, 0),
        ("Posyandu Bakau", "Posyandu", 2, 0, 0, 1_000),
        ("RSUD Contoh", "Rumah Sakit", 0, 2, 1_000, 1_000),
        ("Klinik Pratama Sehat", "Klinik Pratama", 1, 3, 0, 0),
    ]
    rows = []
    for name, kind, k, d, dx, dy in entries:
        lon, lat = lonlat(*_centre(k, d, dx, dy))
        rows.append((name, kind, KECAMATAN[k][1], f"{lat:.6f}, {lon:.6f}"))
    rows.append(("Posyandu Teratai", "Posyandu", "Bukit Indah", "0, 0"))
    table = pd.DataFrame(
        rows, columns=["Nama Fasilitas", "Jenis Fasilitas", "Kecamatan", "Koordinat"]
    )
    table.insert(0, "No", range(1, len(table) + 1))
    return table


def library_frame() -> gpd.GeoDataFrame:
    """Return libraries as GeoJSON-ready points, one without geometry."""
    points = [
        (
            "Perpustakaan Umum Daerah Contoh",
            "Perpustakaan Daerah",
            shapely.Point(lonlat(*_centre(0, 1))),
        ),
        ("Taman Bacaan Pelangi", "Taman Bacaan Masyarakat", shapely.Point(lonlat(*_centre(2, 3)))),
        ("Perpustakaan Desa Dahlia", "Perpustakaan Desa", None),
    ]
    return gpd.GeoDataFrame(
        {"nama": [p[0] for p in points], "jenis": [p[1] for p in points]},
        geometry=[p[2] for p in points],
        crs=4326,
    )


def public_services_frame() -> gpd.GeoDataFrame:
    """Return other public services as points in UTM zone 50S (EPSG:32750)."""
    rows = []
    for k, (_, kecamatan) in enumerate(KECAMATAN):
        rows.append(
            (f"Kantor Camat {kecamatan}", "Kantor Camat", shapely.Point(_centre(k, 1, -1_000, 0)))
        )
        for d, name in enumerate(DESA_NAMES[k]):
            kind = "Kantor Lurah" if k == 0 and d < 2 else "Kantor Desa"
            rows.append((f"{kind} {name}", kind, shapely.Point(_centre(k, d, 0, -1_000))))
    rows.append(("Polsek Tanah Merah", "Polsek", shapely.Point(_centre(0, 1, 1_500, 0))))
    rows.append(("Pos Damkar Contoh", "Pemadam Kebakaran", shapely.Point(_centre(1, 1, 0, 0))))
    rows.append(("TPS Mawar", "TPS", shapely.Point(_centre(0, 0, -2_000, 0))))
    return gpd.GeoDataFrame(
        {"NAMOBJ": [r[0] for r in rows], "JENIS": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs=UTM,
    )


def population_table() -> pd.DataFrame:
    """Return the BPS-style population table (names only, a 'KEC.' prefix on one)."""
    names = ["Tanah Merah", "KEC. BUKIT INDAH", "pantai biru "]
    return pd.DataFrame(
        {
            "Kecamatan": names,
            "Luas (km2)": ["200,00", "200,00", "200,00"],
            "Proyeksi Penduduk 2023": list(PENDUDUK.values()),
        }
    )


def write_demo(folder: str | Path) -> Path:
    """Write the demo region's input files into ``folder`` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    desa_frame().to_file(folder / "batas_desa.geojson", driver="GeoJSON")
    population_table().to_csv(folder / "penduduk_kecamatan_bps.csv", sep=";", index=False)
    school_table().to_csv(folder / "sekolah.csv", sep=";", index=False)
    health = health_table()
    with pd.ExcelWriter(folder / "fasilitas_kesehatan.xlsx", engine="openpyxl") as writer:
        title = pd.DataFrame(
            [["DATA FASILITAS KESEHATAN"], ["Sumber: Dinas Kesehatan (contoh sintetis)"]]
        )
        title.to_excel(writer, index=False, header=False, startrow=0)
        health.to_excel(writer, index=False, startrow=3)
    library_frame().to_file(folder / "perpustakaan.geojson", driver="GeoJSON")
    public_services_frame().to_file(folder / "layanan_publik.shp")
    write_network_files(folder, desa_frame())
    return folder
