"""id_aset: the file's own identifier where it has one, else derived from content; unique, stable."""

from __future__ import annotations

import hashlib

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import MAROS, PROJECT

from jangkau.clean.asset_ids import assign_asset_ids
from jangkau.pipeline.context import prepare_region
from jangkau.pipeline.stages import _run_assets, _run_boundaries


def _frame(rows: list[tuple]) -> gpd.GeoDataFrame:
    """rows: (sumber, baris, nama, jenis, id, lon, lat)."""
    return gpd.GeoDataFrame(
        {
            "sumber": [r[0] for r in rows],
            "baris": [r[1] for r in rows],
            "nama": [r[2] for r in rows],
            "jenis": [r[3] for r in rows],
            "id_aset": pd.Series([r[4] for r in rows], dtype="string"),
        },
        geometry=[shapely.Point(r[5], r[6]) for r in rows],
        crs=4326,
    )


def test_derived_id_is_the_documented_hash_of_name_kind_and_place():
    placed = _frame(
        [("Fasilitas Kesehatan.xlsx", 1, "Puskesmas Mandai", "Puskesmas", None, 119.5634, -5.0577)]
    )
    key = "puskesmasmandai|puskesmas|-5.0577|119.5634"
    expected = "fasilitas_kesehatan-" + hashlib.sha1(key.encode()).hexdigest()[:8]
    assert assign_asset_ids(placed)["id_aset"].tolist() == [expected]


def test_own_identifier_kept_and_qualified_only_when_two_files_share_it():
    placed = _frame(
        [
            ("sekolah.csv", 1, "SDN 1", "SD", " 40302363 ", 119.5, -5.0),
            ("sekolah.csv", 2, "SDN 2", "SD", "40302364", 119.6, -5.0),
            ("madrasah.csv", 1, "MI 1", "MI", "40302364", 119.7, -5.0),
        ]
    )
    ids = assign_asset_ids(placed)["id_aset"].tolist()
    assert ids == ["40302363", "sekolah:40302364", "madrasah:40302364"]


def test_other_rows_do_not_change_an_id_and_equal_records_get_numbered():
    row = ("tbm.geojson", 5, "TBM Hasanuddin", "Taman Bacaan", None, 119.54, -5.06)
    alone = assign_asset_ids(_frame([row]))["id_aset"].iat[0]
    with_others = assign_asset_ids(
        _frame([("tbm.geojson", 1, "TBM Lain", "Taman Bacaan", None, 119.55, -5.05), row])
    )
    assert with_others["id_aset"].iat[1] == alone
    twins = assign_asset_ids(_frame([row, (*row[:1], 9, *row[2:])]))["id_aset"].tolist()
    assert twins == [alone, f"{alone}-2"]


@pytest.fixture(scope="module")
def maros_assets(tmp_path_factory):
    region = prepare_region(region_file=PROJECT / "regions" / "maros.toml")
    frames = []
    for attempt in ("a", "b"):
        work = tmp_path_factory.mktemp(f"kerja_{attempt}")
        _run_boundaries(region, work)
        _run_assets(region, work)
        frames.append(gpd.read_parquet(work / "aset.parquet"))
    return region, frames


def test_maros_ids_unique_stable_and_npsn_where_the_file_has_it(maros_assets):
    region, (first, second) = maros_assets
    assert first["id_aset"].notna().all() and (first["id_aset"].str.len() > 0).all()
    assert first["id_aset"].is_unique
    key = ["sumber", "baris"]
    merged = first[[*key, "id_aset"]].merge(second[[*key, "id_aset"]], on=key)
    assert len(merged) == len(first) == len(second)
    assert (merged["id_aset_x"] == merged["id_aset_y"]).all()
    # Schools: the NPSN of the row as the file has it (read here independently).
    raw = pd.read_csv(MAROS / "sekolah.csv", sep=";", dtype=str)
    npsn_by_row = dict(zip(range(1, len(raw) + 1), raw["npsn"].str.strip(), strict=True))
    schools = first[first["sumber"] == "sekolah.csv"]
    assert len(schools) > 100
    assert all(
        npsn_by_row[b] == i for b, i in zip(schools["baris"], schools["id_aset"], strict=True)
    )
    # Health facilities have no identifier column: derived from the file name and content.
    health = first[first["sumber"] == "fasilitas_kesehatan.xlsx"]
    assert (
        len(health) > 10
        and health["id_aset"].str.fullmatch(r"fasilitas_kesehatan-[0-9a-f]{8}(-\d+)?").all()
    )
