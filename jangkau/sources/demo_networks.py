"""Generated network and polygon asset files, with the faults real inventories have.

:func:`write_network_files` adds to any region's folder (the demo, a copy of
Maros, every kabupaten of the province benchmark): water distribution and
transmission pipes, low- and medium-voltage lines, kabupaten and desa roads,
polygon assets (landfill, markets, parks), a BTS list, and a file mixing
points, lines and polygons, and a register of the agencies' information
systems (no geometry). Condition columns are written as offices write
them (misspelt, English, abbreviated). The faults, one of each per file
where it applies: repeated vertices, a zero-length line, a self-intersecting
polygon, a line running out of the kabupaten, a feature wholly outside, a
feature without kind, an unrecognised condition word.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

CONDITION_WORDS = [
    "baik",
    "Baik",
    "good",
    "rusak ringan",
    "RR",
    "rusak sdg",
    "rusak brt",
    "heavily damaged",
    "",
]
STATUS_WORDS = ["aktif", "Aktif", "", "non aktif", "dalam pembangunan", "active", ""]


def _anchors(desa: gpd.GeoDataFrame, metric: object, kecamatan_column: str) -> gpd.GeoDataFrame:
    """Return one representative point per desa (metric CRS) with its kecamatan code."""
    metric_desa = desa.to_crs(metric)
    return gpd.GeoDataFrame(
        {"kode_kec": metric_desa[kecamatan_column].astype(str).to_numpy()},
        geometry=shapely.point_on_surface(metric_desa.geometry.to_numpy()),
        crs=metric,
    )


def _tree_edges(points: np.ndarray) -> list[tuple[int, int]]:
    """Return a spanning tree joining points, each to its nearest earlier point (Prim-like)."""
    edges = []
    for i in range(1, len(points)):
        gaps = shapely.distance(points[:i], points[i])
        edges.append((int(np.argmin(gaps)), i))
    return edges


def _conditions(n: int, offset: int) -> tuple[list[str], list[str]]:
    kondisi = [CONDITION_WORDS[(i + offset) % len(CONDITION_WORDS)] for i in range(n)]
    status = [STATUS_WORDS[(i * 3 + offset) % len(STATUS_WORDS)] for i in range(n)]
    return kondisi, status


def _frame(rows: list[dict], metric: object, offset: int) -> gpd.GeoDataFrame:
    kondisi, status = _conditions(len(rows), offset)
    frame = gpd.GeoDataFrame(
        {
            "nama": [r["nama"] for r in rows],
            "jenis": [r["jenis"] for r in rows],
            "kondisi": kondisi,
            "status": status,
            "tahun_bangun": [2000 + (i * 7 + offset) % 24 for i in range(len(rows))],
        },
        geometry=[r["geometry"] for r in rows],
        crs=metric,
    )
    return frame.to_crs(4326)


def network_frames(
    desa: gpd.GeoDataFrame, *, kecamatan_column: str = "KDCPUM"
) -> dict[str, gpd.GeoDataFrame]:
    """Return the generated files by name (EPSG:4326), built over ``desa`` (any CRS)."""
    metric = desa.estimate_utm_crs()
    anchors = _anchors(desa, metric, kecamatan_column)
    points = anchors.geometry.to_numpy()
    outline = shapely.union_all(desa.to_crs(metric).geometry.to_numpy())
    minx, miny, maxx, maxy = outline.bounds
    outside_start = shapely.Point(maxx + 5_000, maxy + 5_000)
    files: dict[str, gpd.GeoDataFrame] = {}

    pipes, roads = [], []
    for kec, group in anchors.groupby("kode_kec", sort=True):
        members = group.geometry.to_numpy()
        for n, (a, b) in enumerate(_tree_edges(members)):
            line = shapely.LineString([members[a], members[b]])
            pipes.append(
                {
                    "nama": f"Pipa distribusi {kec}-{n + 1}",
                    "jenis": "pipa distribusi",
                    "geometry": line,
                }
            )
            roads.append(
                {"nama": f"Jalan desa {kec}-{n + 1}", "jenis": "Jalan Desa", "geometry": line}
            )
    centres = np.array(
        [
            shapely.centroid(shapely.MultiPoint(list(g.geometry)))
            for _, g in anchors.groupby("kode_kec")
        ]
    )
    for n, (a, b) in enumerate(_tree_edges(centres)):
        line = shapely.LineString([centres[a], centres[b]])
        pipes.append(
            {"nama": f"Pipa transmisi {n + 1}", "jenis": "Pipa Transmisi", "geometry": line}
        )
        roads.append({"nama": f"Ruas kabupaten {n + 1}", "jenis": "jln kab", "geometry": line})
    first = points[0]
    # Faults: repeated vertices, zero length, running out of the kabupaten, wholly outside, no kind.
    repeated = shapely.LineString(
        [first, first, shapely.Point(first.x + 800, first.y), shapely.Point(first.x + 800, first.y)]
    )
    pipes += [
        {"nama": "Pipa titik berulang", "jenis": "Pipa Distribusi Air Minum", "geometry": repeated},
        {
            "nama": "Pipa panjang nol",
            "jenis": "pipa distribusi",
            "geometry": shapely.LineString([first, first]),
        },
        {
            "nama": "Pipa keluar wilayah",
            "jenis": "pipa distribusi",
            "geometry": shapely.LineString([points[-1], outside_start]),
        },
        {
            "nama": "Pipa di luar",
            "jenis": "pipa distribusi",
            "geometry": shapely.LineString(
                [outside_start, shapely.Point(outside_start.x + 900, outside_start.y)]
            ),
        },
        {
            "nama": "Pipa tanpa jenis",
            "jenis": None,
            "geometry": shapely.LineString([first, shapely.Point(first.x, first.y + 500)]),
        },
    ]
    files["jaringan_pipa_pdam.geojson"] = _frame(pipes, metric, 0)
    files["jalan_kabupaten_kondisi.geojson"] = _frame(roads, metric, 3)

    power = []
    for i, p in enumerate(points):
        # A low-voltage line along each desa's main street, 1.5 km east-west through its centre.
        line = shapely.LineString([(p.x - 750, p.y), (p.x, p.y + 1), (p.x + 750, p.y)])
        power.append(
            {
                "nama": f"JTR {i + 1}",
                "jenis": "SUTR" if i % 4 else "jaringan tegangan rendah",
                "geometry": line,
            }
        )
    for n, (a, b) in enumerate(_tree_edges(centres)):
        power.append(
            {
                "nama": f"SUTM {n + 1}",
                "jenis": "SUTM",
                "geometry": shapely.LineString([centres[a], centres[b]]),
            }
        )
    files["jaringan_listrik.geojson"] = _frame(power, metric, 5)

    areas = []
    for i, p in enumerate(points[:: max(1, len(points) // 6)]):
        box = shapely.box(p.x - 150, p.y - 150, p.x + 150, p.y + 150)
        areas.append({"nama": f"Pasar {i + 1}", "jenis": "pasar", "geometry": box})
        areas.append(
            {
                "nama": f"Taman {i + 1}",
                "jenis": "RTH",
                "geometry": shapely.Point(p.x + 600, p.y).buffer(120),
            }
        )
    bowtie = shapely.Polygon(
        [
            (first.x - 400, first.y - 400),
            (first.x + 400, first.y + 400),
            (first.x + 400, first.y - 400),
            (first.x - 400, first.y + 400),
        ]
    )
    areas.append({"nama": "TPA (poligon memotong diri)", "jenis": "TPA", "geometry": bowtie})
    edge = shapely.Point(maxx, (miny + maxy) / 2)
    areas.append(
        {
            "nama": "TPA di perbatasan",
            "jenis": "tempat pemrosesan akhir",
            "geometry": edge.buffer(500),
        }
    )
    files["aset_area.geojson"] = _frame(areas, metric, 2)

    bts = []
    for i, p in enumerate(points[:: max(1, len(points) // 8)]):
        lon, lat = (
            gpd.GeoSeries([shapely.Point(p.x + 300, p.y + 300)], crs=metric)
            .to_crs(4326)
            .iloc[0]
            .coords[0]
        )
        bts.append(
            {
                "nama": f"BTS {i + 1}",
                "jenis": "Menara BTS",
                "teknologi": ["4G", "2G", "3G"][i % 3],
                "lintang": round(lat, 6),
                "bujur": round(lon, 6),
            }
        )
    table = pd.DataFrame(bts)
    table["kondisi"], table["status"] = _conditions(len(table), 1)
    files["menara_bts.csv"] = table

    mixed = [
        {
            "nama": "Hidran umum campuran",
            "jenis": "hidran umum",
            "geometry": shapely.Point(first.x + 200, first.y - 200),
        },
        {
            "nama": "Drainase campuran",
            "jenis": "saluran drainase",
            "geometry": shapely.LineString(
                [(first.x, first.y - 300), (first.x + 1_000, first.y - 300)]
            ),
        },
        {
            "nama": "Pemakaman campuran",
            "jenis": "pemakaman umum",
            "geometry": shapely.box(first.x - 900, first.y - 900, first.x - 600, first.y - 600),
        },
    ]
    files["aset_campuran.geojson"] = _frame(mixed, metric, 4)
    files["sistem_informasi_opd.csv"] = pd.DataFrame(
        {
            "Nama Aplikasi": [
                "SIMPEG",
                "e-Planning",
                "SIMDA Keuangan",
                "Aplikasi Posyandu",
                "JDIH",
            ],
            "OPD": ["BKPSDM", "Bappelitbangda", "BPKD", "Dinas Kesehatan", "Bagian Hukum"],
            "Status": ["Aktif", "aktip", "non aktif", "dalam pengembangan", ""],
            "Terintegrasi": ["Ya", "belum", "sudah", "Tidak", "-"],
        }
    )
    return files


def write_network_files(
    folder: str | Path, desa: gpd.GeoDataFrame, *, kecamatan_column: str = "KDCPUM"
) -> list[Path]:
    """Write the generated network and polygon asset files into ``folder``; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in network_frames(desa, kecamatan_column=kecamatan_column).items():
        path = folder / name
        if name.endswith(".csv"):
            frame.to_csv(path, index=False)
        else:
            frame.to_file(path, driver="GeoJSON")
        written.append(path)
    return written
