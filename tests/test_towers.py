"""Issue 16: BTS signal reach by technology, each tower with its own reach.

Expected shares are plain shapely: the desa square intersected with the union
of discs drawn by hand with the radii of ``jangkauan_bts.toml``.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyproj
import pytest
import shapely

from jangkau import pipeline
from jangkau.config.towers import tower_reach

UTM = 32750
RADIUS = {"2G": 5000, "3G": 3000, "4G": 2000, "5G": 1000, None: 2000}


@pytest.mark.parametrize(
    "written, expected",
    [
        ("4G", ["4G"]),
        ("2G/3G", ["2G", "3G"]),
        ("GSM & LTE", ["2G", "4G"]),
        ("4G LTE", ["4G"]),
        ("5G NR", ["5G"]),
        ("2g, 3g, 4g", ["2G", "3G", "4G"]),
        ("wifi", []),
        ("", []),
        (None, []),
    ],
)
def test_technology_as_written(written, expected):
    assert tower_reach().technologies(written) == expected


def test_the_reach_table_states_its_sources():
    reach = tower_reach()
    assert reach.radius_m == {k: v for k, v in RADIUS.items() if k}
    assert reach.default_radius_m == RADIUS[None]
    assert all(reach.sources[t] for t in reach.radius_m) and reach.default_source


def _region(folder):
    cells = [
        shapely.box(760_000, 9_440_000, 770_000, 9_450_000),
        shapely.box(770_000, 9_440_000, 780_000, 9_450_000),
    ]
    gpd.GeoDataFrame(
        {
            "KDEPUM": ["99.02.01.2001", "99.02.01.2002"],
            "WADMKD": ["Satu", "Dua"],
            "TIPADM": ["Desa", "Desa"],
            "KDCPUM": ["99.02.01", "99.02.01"],
            "WADMKC": ["Kecil", "Kecil"],
        },
        geometry=cells,
        crs=UTM,
    ).to_crs(4326).to_file(folder / "batas_desa.geojson", driver="GeoJSON")
    pd.DataFrame(
        {
            "kode_desa": ["99.02.01.2001", "99.02.01.2002"],
            "desa": ["Satu", "Dua"],
            "penduduk": [1000, 3000],
        }
    ).to_csv(folder / "penduduk_desa.csv", index=False)
    towers = [
        # name, x, y, technology as written, status, technologies as read
        ("BTS A", 763_000, 9_443_000, "4G LTE", "aktif", ["4G"]),
        ("BTS B", 769_000, 9_446_000, "2G/3G", "aktif", ["2G", "3G"]),
        ("BTS C", 775_000, 9_441_000, "", "aktif", []),
        ("BTS D", 776_000, 9_448_000, "4G", "tidak aktif", ["4G"]),
    ]
    to_lonlat = pyproj.Transformer.from_crs(UTM, 4326, always_xy=True)
    rows = []
    for name, x, y, tech, status, _ in towers:
        lon, lat = to_lonlat.transform(x, y)
        rows.append(
            {
                "nama": name,
                "jenis": "Menara BTS",
                "teknologi": tech,
                "status": status,
                "lintang": round(lat, 9),
                "bujur": round(lon, 9),
            }
        )
    pd.DataFrame(rows).to_csv(folder / "menara_bts.csv", index=False)
    return cells, towers


def _share(cell, discs):
    return cell.intersection(shapely.union_all(discs)).area / cell.area if discs else 0.0


def test_each_tower_reaches_as_far_as_its_technology(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    cells, towers = _region(raw)
    region = pipeline.prepare_region(data_dir=raw, name="sinyal")
    region.usulan_k = 0
    pipeline.run_all(region, pipeline.OutputPaths.under(tmp_path / "out", "sinyal"))
    gpkg = tmp_path / "out" / "data" / "processed" / "sinyal" / "coverage.gpkg"
    points = gpd.read_file(gpkg, layer="aset").set_index("nama")
    assert points["teknologi"].to_dict() == {
        "BTS A": "4G",
        "BTS B": "2G, 3G",
        "BTS C": "",
        "BTS D": "4G",
    }
    operating = [t for t in towers if t[4] == "aktif"]

    def discs(tech):
        chosen = []
        for _, x, y, _, _, techs in operating:
            if tech is None:
                radius = max((RADIUS[t] for t in techs), default=RADIUS[None])
            elif tech in techs:
                radius = RADIUS[tech]
            else:
                continue
            chosen.append(shapely.Point(x, y).buffer(radius, quad_segs=256))
        return chosen

    desa = gpd.read_file(gpkg, layer="desa").set_index("kode_desa")
    expected = {
        "terjangkau_sinyal_seluler": None,
        "terjangkau_sinyal_2g": "2G",
        "terjangkau_sinyal_3g": "3G",
        "terjangkau_sinyal_4g": "4G",
    }
    assert "terjangkau_sinyal_5g" not in desa  # no tower lists 5G
    for column, tech in expected.items():
        for code, cell in zip(["99.02.01.2001", "99.02.01.2002"], cells, strict=True):
            assert desa.loc[code, column] == pytest.approx(_share(cell, discs(tech)), abs=1e-3), (
                column,
                code,
            )
    # Kecamatan: population-weighted (1000 and 3000 residents).
    kecamatan = gpd.read_file(gpkg, layer="kecamatan").iloc[0]
    whole = (1000 * _share(cells[0], discs(None)) + 3000 * _share(cells[1], discs(None))) / 4000
    assert kecamatan["terjangkau_sinyal_seluler"] == pytest.approx(whole, abs=1e-3)
    # The guess for the tower without a technology is stated in the layanan table.
    services = gpd.read_file(gpkg, layer="layanan").set_index("layanan")
    note = services.loc["sinyal_seluler", "sumber_jarak_jaringan"]
    assert "1 menara tanpa teknologi tertulis: 2000 m" in note
    assert services.loc["sinyal_4g", "jarak_jaringan_m"] == 2000
