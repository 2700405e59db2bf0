"""Kabupaten names travel from the boundary files to the layers, the map page and the report.

In a province run, kecamatan names repeat (two Cenrana in Sulawesi Selatan): a
planner must read "Kabupaten Maros", not "73.09", beside them.
"""

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from conftest import SHARED

from jangkau.clean.boundaries import kabupaten_title, reconcile_kecamatan, standardise_desa
from jangkau.config.detect import boundary_columns
from jangkau.publish.layers import desa_layer, kecamatan_layer
from jangkau.publish.report_pdf import display_names
from jangkau.publish.webmap import page_data
from jangkau.sources.wilayah import region_layers

SULSEL_DESA = SHARED / "sulsel" / "batas_desa.shp"
WILAYAH = SHARED / "wilayah_boundaries"


def _sulsel_rows(where: str) -> gpd.GeoDataFrame:
    frame = pyogrio.read_dataframe(SULSEL_DESA, where=where)
    frame.insert(0, "baris", range(1, len(frame) + 1))
    return frame


def test_rbi_names_are_written_as_planners_write_them():
    assert kabupaten_title("Maros") == "Kabupaten Maros"
    assert kabupaten_title("Kota Makassar") == "Kota Makassar"
    assert kabupaten_title("Kabupaten  Bone ") == "Kabupaten Bone"
    assert pd.isna(kabupaten_title(None)) and pd.isna(kabupaten_title(" "))


def test_province_desa_keep_their_kabupaten_name_through_to_the_kecamatan():
    raw = _sulsel_rows("KDCPUM IN ('73.09.11', '73.71.01', '73.08.01')")
    columns = boundary_columns(raw, "desa")
    assert columns["kabupaten"] == "WADMKK"
    desa, _ = standardise_desa(raw, columns=columns, source="batas_desa.shp")
    by_kecamatan = desa.groupby("kode_kec")["kabupaten"].unique().map(list).to_dict()
    assert by_kecamatan == {
        "73.09.11": ["Kabupaten Maros"],
        "73.08.01": ["Kabupaten Bone"],
        "73.71.01": ["Kota Makassar"],
    }
    kecamatan, _ = reconcile_kecamatan(desa, None, metric_crs=32750, source="batas_desa.shp")
    assert dict(zip(kecamatan["kode_kec"], kecamatan["kabupaten"], strict=True)) == {
        "73.09.11": "Kabupaten Maros",
        "73.08.01": "Kabupaten Bone",
        "73.71.01": "Kota Makassar",
    }
    # The published layers carry the name beside the kecamatan.
    coverage = pd.DataFrame(
        {"kode_desa": desa["kode_desa"], "layanan": "sd", "cakupan": 0.5, "penduduk": 1}
    )
    indexes = pd.DataFrame({"kode_desa": desa["kode_desa"], "indeks_kesenjangan": 1.0})
    layer = desa_layer(
        desa.assign(penduduk=1, permukaan_penduduk="", catatan_penduduk=""), coverage, indexes
    )
    assert list(layer.columns[:6]) == [
        "kode_desa",
        "desa",
        "kode_kec",
        "kecamatan",
        "kabupaten",
        "tipe",
    ]
    gaps = pd.DataFrame(
        {"kode_kec": kecamatan["kode_kec"], "layanan": "sd", "cakupan": 0.5, "tanpa_koordinat": 0}
    )
    urgency = pd.DataFrame(
        {"kode_kec": kecamatan["kode_kec"], "indeks_urgensi": 1.0, "layanan_paling_mendesak": "sd"}
    )
    k_layer = kecamatan_layer(kecamatan, desa.assign(penduduk=1), gaps, urgency, services=["sd"])
    assert k_layer.set_index("kode_kec").at["73.09.11", "kabupaten"] == "Kabupaten Maros"


def test_boundaries_built_from_the_wilayah_dumps_carry_the_kabupaten_name():
    texts = {
        "desa": (WILAYAH / "wilayah_boundaries_kel_73.09.sql").read_text(encoding="utf-8"),
        "kecamatan": (WILAYAH / "wilayah_boundaries_kec_73.sql").read_text(encoding="utf-8"),
        "kabupaten": (WILAYAH / "wilayah_boundaries_kab_73.sql").read_text(encoding="utf-8"),
    }
    layers = region_layers("73.09", texts)
    assert set(layers["desa"]["kabupaten"]) == {"Kabupaten Maros"}
    assert set(layers["kecamatan"]["kabupaten"]) == {"Kabupaten Maros"}
    assert len(layers["desa"]) == 103


def _square(x: float) -> shapely.Polygon:
    return shapely.box(x, -5.0, x + 0.05, -4.95)


def test_map_and_report_name_the_kabupaten_of_a_repeated_kecamatan():
    codes = ["73.09.08", "73.11.08"]
    kecamatan = gpd.GeoDataFrame(
        {
            "kode_kec": codes,
            "kecamatan": ["Cenrana", "Cenrana"],
            "kabupaten": ["Kabupaten Maros", "Kabupaten Bone"],
            "penduduk": [10, 20],
        },
        geometry=[_square(119.5), _square(119.6)],
        crs=4326,
    )
    desa = gpd.GeoDataFrame(
        {
            "kode_desa": ["73.09.08.2001", "73.11.08.2001"],
            "desa": ["A", "B"],
            "kode_kec": codes,
            "kecamatan": ["Cenrana", "Cenrana"],
            "kabupaten": ["Kabupaten Maros", "Kabupaten Bone"],
            "tipe": ["desa", "desa"],
            "penduduk": [10, 20],
        },
        geometry=[_square(119.5), _square(119.6)],
        crs=4326,
    )
    facilities = gpd.GeoDataFrame(
        {"layanan": [], "jenis": [], "nama": [], "desa": [], "kode_desa": []},
        geometry=[],
        crs=4326,
    )
    catalogue = pd.DataFrame(
        {"layanan": ["sd"], "nama": ["SD"], "radius_desa_m": [3000.0], "radius_kelurahan_m": [1e3]}
    )
    gaps = pd.DataFrame({"kode_kec": codes, "layanan": ["sd", "sd"], "cakupan": [0.5, 0.6]})
    data = page_data(
        kecamatan, desa, facilities, gaps, catalogue, title="T", data_date="D", metric_crs=32750
    )
    for layer in ("kecamatan", "desa"):
        names = [f["properties"]["kabupaten"] for f in data[layer]["features"]]
        assert names == ["Kabupaten Maros", "Kabupaten Bone"]
    assert display_names(kecamatan).tolist() == [
        "Cenrana (Maros)",
        "Cenrana (Bone)",
    ]
    # Without names, the code tells them apart as before.
    assert display_names(kecamatan.drop(columns="kabupaten")).tolist() == [
        "Cenrana (73.09.08)",
        "Cenrana (73.11.08)",
    ]
