"""Issue 16: the same line or polygon given twice, in one file or two, counts once."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from jangkau import pipeline

UTM = 32750


def _files(folder):
    cell = shapely.box(760_000, 9_440_000, 764_000, 9_444_000)
    gpd.GeoDataFrame(
        {
            "KDEPUM": ["99.02.01.2001"],
            "WADMKD": ["Satu"],
            "TIPADM": ["Desa"],
            "KDCPUM": ["99.02.01"],
            "WADMKC": ["Kecil"],
        },
        geometry=[cell],
        crs=UTM,
    ).to_crs(4326).to_file(folder / "batas_desa.geojson", driver="GeoJSON")
    pd.DataFrame({"kode_desa": ["99.02.01.2001"], "desa": ["Satu"], "penduduk": [1000]}).to_csv(
        folder / "penduduk_desa.csv", index=False
    )
    pipe = shapely.LineString([(760_500, 9_441_000), (762_000, 9_441_500), (763_500, 9_441_000)])
    jittered = shapely.LineString(
        [(763_501, 9_441_000), (762_000, 9_441_501), (760_499, 9_441_001)]
    )  # drawn the other way, off by a metre
    parallel = shapely.affinity.translate(pipe, yoff=20)  # a second pipe 20 m away
    gpd.GeoDataFrame(
        {
            "nama": ["Pipa Induk", "pipa induk (ulang)", "Pipa Sejajar", "Kabel SUTR"],
            "jenis": ["pipa distribusi", "pipa distribusi", "pipa distribusi", "SUTR"],
        },
        geometry=[pipe, jittered, parallel, pipe],
        crs=UTM,
    ).to_crs(4326).to_file(folder / "pipa.geojson", driver="GeoJSON")
    gpd.GeoDataFrame(
        {"nama": ["Pipa Induk PDAM"], "jenis": ["pipa distribusi"]}, geometry=[pipe], crs=UTM
    ).to_crs(4326).to_file(folder / "pipa_pdam.geojson", driver="GeoJSON")
    market = shapely.box(761_000, 9_443_000, 761_300, 9_443_300)
    gpd.GeoDataFrame(
        {"nama": ["Pasar Satu", "Pasar Satu", "Pasar Dua"], "jenis": ["pasar"] * 3},
        geometry=[
            market,
            shapely.affinity.translate(market, xoff=2, yoff=-2),
            shapely.affinity.translate(market, xoff=400),
        ],
        crs=UTM,
    ).to_crs(4326).to_file(folder / "pasar.geojson", driver="GeoJSON")


def test_a_line_or_polygon_given_twice_is_counted_once(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _files(raw)
    region = pipeline.prepare_region(data_dir=raw, name="kembar")
    work = tmp_path / "kerja"
    work.mkdir()
    pipeline.run_boundaries(region, work)
    pipeline.run_assets(region, work)
    lines = gpd.read_parquet(work / "aset_garis.parquet")
    areas = gpd.read_parquet(work / "aset_area.parquet")
    rejected = pd.read_parquet(work / "aset_ditolak.parquet")
    assert sorted(zip(lines["sumber"], lines["baris"], strict=True)) == [
        ("pipa.geojson", 1),
        ("pipa.geojson", 3),
        ("pipa.geojson", 4),
    ]
    assert sorted(zip(areas["sumber"], areas["baris"], strict=True)) == [
        ("pasar.geojson", 1),
        ("pasar.geojson", 3),
    ]
    twins = rejected[rejected["alasan"].str.startswith("duplikat")].set_index(["sumber", "baris"])
    assert sorted(twins.index) == [
        ("pasar.geojson", 2),
        ("pipa.geojson", 2),
        ("pipa_pdam.geojson", 1),
    ]
    assert twins.loc[("pipa.geojson", 2), "alasan"].startswith("duplikat dari pipa.geojson baris 1")
    assert twins.loc[("pipa_pdam.geojson", 1), "alasan"].startswith(
        "duplikat dari pipa.geojson baris 1"
    )
    assert twins.loc[("pasar.geojson", 2), "alasan"].startswith(
        "duplikat dari pasar.geojson baris 1 (poligon"
    )
    # Every record of every file is placed or rejected, once.
    for name in ("pipa.geojson", "pipa_pdam.geojson", "pasar.geojson"):
        count = len(gpd.read_file(raw / name))
        rows = sorted(
            [
                *lines.loc[lines["sumber"] == name, "baris"],
                *areas.loc[areas["sumber"] == name, "baris"],
            ]
            + list(rejected.loc[rejected["sumber"] == name, "baris"])
        )
        assert rows == list(range(1, count + 1)), name
