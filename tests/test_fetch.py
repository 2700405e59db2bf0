"""Boundaries by code from wilayah_boundaries dumps, and assets from OpenStreetMap, all offline."""

import json
import shutil

import geopandas as gpd
import pytest
import shapely
from conftest import SHARED

from flows.cli import main
from jangkau.clean.names import name_key
from jangkau.config.catalogue import load_kind_table
from jangkau.sources.demo import write_demo
from jangkau.sources.osm import assets_from_overpass, element_kind, overpass_query, tag_rules
from jangkau.sources.wilayah import parse_dump

DUMPS = SHARED / "wilayah_boundaries"


@pytest.fixture(scope="module")
def maros_from_code(tmp_path_factory):
    out = tmp_path_factory.mktemp("kode") / "73.09"
    assert main(["boundaries", "73.09", "--source", str(DUMPS), "--out", str(out)]) == 0
    return out


def test_boundaries_by_code_offline(maros_from_code):
    desa = gpd.read_file(maros_from_code / "batas_desa.gpkg")
    kecamatan = gpd.read_file(maros_from_code / "batas_kecamatan.gpkg")
    assert len(desa) == 103 and len(kecamatan) == 14
    assert desa.is_valid.all() and kecamatan.is_valid.all()
    # Longitude first in the files: Maros lies near 119.6 E, 5.0 S.
    minx, miny, maxx, maxy = desa.total_bounds
    assert 119.3 < minx < maxx < 120.1 and -5.3 < miny < maxy < -4.6
    assert set(desa.columns) >= {"kode_desa", "desa", "kode_kec", "kecamatan", "tipe"}
    assert desa.set_index("kode_desa").at["73.09.01.1001", "tipe"] == "kelurahan"
    # The data set spells it "Malllawa"; name matching treats the spellings as one.
    assert name_key(kecamatan.set_index("kode_kec").at["73.09.06", "kecamatan"]) == name_key(
        "Mallawa"
    )
    source = (maros_from_code / "sumber_batas.toml").read_text(encoding="utf-8")
    assert "3c5a7960f4d227a38489094d84252bdbb3f978a5" in source and "2026-08-20" in source


def test_run_accepts_a_folder_made_by_code_with_asset_files(
    maros_from_code, maros_dir, tmp_path, capsys
):
    folder = tmp_path / "raw"
    shutil.copytree(maros_from_code, folder)
    for name in ["sekolah.csv", "fasilitas_kesehatan.xlsx", "penduduk_kecamatan_bps.csv"]:
        shutil.copy(maros_dir / name, folder / name)
    code = main(
        [
            "run",
            "--data-dir",
            str(folder),
            "--name",
            "kode",
            "--out",
            str(tmp_path),
            "--runner",
            "local",
        ]
    )
    assert code == 0, capsys.readouterr().err
    kecamatan = gpd.read_file(
        tmp_path / "data" / "processed" / "kode" / "coverage.gpkg", layer="kecamatan"
    )
    assert len(kecamatan) == 14 and kecamatan["penduduk"].sum() == 389_277
    assert "batas_kabupaten.gpkg: batas kabupaten" in capsys.readouterr().out


def test_dump_rows_with_holes_multiparts_and_quotes():
    text = (
        "INSERT INTO wilayah_boundaries(kode,nama,lat,lng,path) VALUES\n"
        "\t('73.09.01.2005','Bonto Mate''ne',-5.0,119.5,'[[[-5,119],[-5,120],[-4,120],[-4,119]],"
        "[[-4.6,119.4],[-4.6,119.6],[-4.4,119.6],[-4.4,119.4]]]'),\n"
        "\t('73.10.05.2001','Pulau',-5.0,119.0,'[[[[-5,118],[-5,118.1],[-4.9,118.1]]],"
        "[[[-6,117],[-6,117.1],[-5.9,117.1]]]]');\n"
    )
    frame = parse_dump(text)
    assert frame["nama"].tolist() == ["Bonto Mate'ne", "Pulau"]
    first, second = frame.geometry
    assert first.geom_type == "Polygon" and len(first.interiors) == 1
    assert first.area == pytest.approx(1 - 0.04)
    assert first.bounds == (119.0, -5.0, 120.0, -4.0)
    assert second.geom_type == "MultiPolygon" and len(second.geoms) == 2


OVERPASS = {
    "elements": [
        {
            "type": "node",
            "id": 1,
            "lat": -5.0,
            "lon": 119.55,
            "tags": {"amenity": "school", "name": "SD Inpres 1"},
        },
        {
            "type": "node",
            "id": 2,
            "lat": -5.0,
            "lon": 119.56,
            "tags": {"amenity": "school", "isced:level": "2", "name": "Sekolah Harapan"},
        },
        {
            "type": "way",
            "id": 3,
            "center": {"lat": -5.01, "lon": 119.56},
            "tags": {"amenity": "school", "name": "MTs Negeri 2"},
        },
        {
            "type": "node",
            "id": 4,
            "lat": -5.02,
            "lon": 119.57,
            "tags": {"amenity": "clinic", "name": "Puskesmas Bontoa"},
        },
        {
            "type": "node",
            "id": 5,
            "lat": -5.02,
            "lon": 119.58,
            "tags": {"healthcare": "centre", "name": "Pustu Tanete"},
        },
        {
            "type": "node",
            "id": 6,
            "lat": -5.03,
            "lon": 119.58,
            "tags": {"amenity": "clinic", "name": "Klinik Sehat"},
        },
        {
            "type": "node",
            "id": 7,
            "lat": -5.03,
            "lon": 119.59,
            "tags": {"amenity": "hospital", "name": "RSUD"},
        },
        {"type": "node", "id": 8, "lat": -5.04, "lon": 119.59, "tags": {"amenity": "library"}},
        {
            "type": "node",
            "id": 9,
            "lat": -5.04,
            "lon": 119.6,
            "tags": {"amenity": "police", "name": "Polsek"},
        },
        {"type": "node", "id": 10, "lat": -5.05, "lon": 119.6, "tags": {"amenity": "fire_station"}},
        {
            "type": "node",
            "id": 11,
            "lat": -5.05,
            "lon": 119.61,
            "tags": {"amenity": "townhall", "name": "Kantor Camat Mandai"},
        },
        {
            "type": "node",
            "id": 12,
            "lat": -5.05,
            "lon": 119.62,
            "tags": {"amenity": "waste_transfer_station"},
        },
        {
            "type": "node",
            "id": 13,
            "lat": -5.06,
            "lon": 119.62,
            "tags": {"man_made": "water_works"},
        },
        {
            "type": "node",
            "id": 14,
            "lat": -7.0,
            "lon": 110.0,
            "tags": {"amenity": "school", "name": "SD Jauh"},
        },
        {
            "type": "node",
            "id": 15,
            "lat": -5.06,
            "lon": 119.63,
            "tags": {"amenity": "cafe", "name": "Warkop"},
        },
    ]
}
EXPECTED = [
    "SD",
    "SMP",
    "MTs",
    "Puskesmas Non Rawat Inap",
    "Puskesmas Pembantu",
    "Klinik",
    "Rumah Sakit",
    "Perpustakaan Desa",
    "Polsek",
    "Pemadam Kebakaran",
    "Kantor Camat",
    "TPS",
    "Instalasi Air Minum",
]


def test_osm_tag_table_maps_features_to_kinds():
    outline = shapely.box(119.4, -5.2, 119.8, -4.8)
    assets, outside = assets_from_overpass(OVERPASS, outline=outline, kinds=load_kind_table())
    assert assets["jenis"].tolist() == EXPECTED
    assert outside == 1
    assert assets["osm_id"].iloc[2] == "way/3" and assets.geometry.iloc[2].equals(
        shapely.Point(119.56, -5.01)
    )
    assert (assets["sumber_data"].str.startswith("OpenStreetMap")).all()
    assert assets.loc[7, "nama"] == "(amenity=library, tanpa nama)"
    kinds = load_kind_table()
    for kind in EXPECTED:
        assert kinds.classify(kind) is not None, kind
    assert (
        element_kind({"amenity": "school", "name": "Sekolah Alam"}, kinds)
        == "Sekolah (jenjang tidak diketahui)"
    )


def test_overpass_query_asks_for_every_tag_in_the_table():
    query = overpass_query(shapely.box(119.4, -5.2, 119.8, -4.8))
    for rule in tag_rules():
        assert rule["kunci"] in query and rule["nilai"] in query
    assert "(-5.20000,119.40000,-4.80000,119.80000)" in query and query.startswith("[out:json]")


def test_osm_assets_feed_a_run(tmp_path):
    folder = write_demo(tmp_path / "raw")
    outline = gpd.read_file(folder / "batas_desa.geojson").geometry.union_all()
    centre = outline.centroid
    answer = {
        "elements": [
            {
                "type": "node",
                "id": 1,
                "lat": centre.y,
                "lon": centre.x,
                "tags": {"amenity": "school", "isced:level": "1"},
            },
            {
                "type": "node",
                "id": 2,
                "lat": centre.y + 0.01,
                "lon": centre.x,
                "tags": {"amenity": "clinic", "name": "Puskesmas Baru"},
            },
        ]
    }
    assets, _ = assets_from_overpass(answer, outline=outline, kinds=load_kind_table())
    assets.to_file(folder / "aset_osm.geojson", driver="GeoJSON")
    assert (
        main(
            [
                "run",
                "--data-dir",
                str(folder),
                "--name",
                "osm",
                "--out",
                str(tmp_path),
                "--runner",
                "local",
            ]
        )
        == 0
    )
    placed = gpd.read_file(tmp_path / "data" / "processed" / "osm" / "coverage.gpkg", layer="aset")
    mine = placed[placed["sumber"] == "aset_osm.geojson"]
    assert sorted(mine["layanan"]) == ["puskesmas", "sd"]


def test_without_network_the_commands_say_so_in_one_line(tmp_path, capsys):
    dead = "http://127.0.0.1:9/api/interpreter"
    code = main(
        [
            "osm",
            "73.09",
            "--source",
            str(DUMPS),
            "--url",
            dead,
            "--out",
            str(tmp_path),
            "--root",
            str(tmp_path),
        ]
    )
    error = capsys.readouterr().err
    assert code != 0 and error.count("\n") == 1 and "tidak ada jaringan" in error
    code = main(
        ["boundaries", "73.09", "--source", "http://127.0.0.1:9/", "--out", str(tmp_path / "b")]
    )
    error = capsys.readouterr().err
    assert code != 0 and error.count("\n") == 1 and "tidak ada jaringan" in error
    assert json.dumps(error)  # plain text, one line
