import geopandas as gpd
import pandas as pd
import pyproj
import pytest
import shapely
from conftest import square_desa

from jangkau.clean.assets import place_assets, standardise_assets
from jangkau.config.catalogue import load_kind_table
from jangkau.errors import InputError

TO_LONLAT = pyproj.Transformer.from_crs(32750, 4326, always_xy=True)
X0, Y0 = 780_000.0, 9_440_000.0


def lonlat(dx: float, dy: float) -> tuple[float, float]:
    lon, lat = TO_LONLAT.transform(X0 + dx, Y0 + dy)
    return round(lon, 7), round(lat, 7)


@pytest.fixture
def desa():
    return square_desa(
        [
            ("73.09.01.2001", "73.09.01", "desa", X0, Y0, 5000),
            ("73.09.02.2002", "73.09.02", "desa", X0 + 5000, Y0, 5000),
        ]
    )


def comma(value: float) -> str:
    return f"{value:.7f}".replace(".", ",")


def school_rows():
    a_lon, a_lat = lonlat(1000, 1000)
    b_lon, b_lat = lonlat(7000, 2500)
    c_lon, c_lat = lonlat(2500, 4000)
    near_lon, near_lat = lonlat(2520, 4020)
    far_lon, far_lat = lonlat(2700, 4000)
    edge_lon, edge_lat = lonlat(-50, 2500)
    out_lon, out_lat = lonlat(-30_000, -30_000)
    rows = [
        ("1", "SDN 1 A", "SD", comma(a_lat), comma(a_lon), "Kec 01"),  # as written
        ("2", "SDN 2 B", "sd negeri", comma(b_lon), comma(b_lat), "Kec 02"),  # swapped
        ("3", "SMPN 3 C", "SMP", comma(-c_lat), comma(c_lon), "KEC. 01"),  # lost minus
        ("4", "SDN 4", "SD", "", "", "Kec 01"),
        ("5", "SDN 5", "SD", "0", "0", "Kec 01"),
        ("6", "SDN 6", "SD", comma(out_lat), comma(out_lon), "Kec 01"),
        ("7", "SDN 7", "SD", "abc", "119,5", "Kec 01"),
        ("1", "sdn 1 a", "SD", comma(a_lat), comma(a_lon), "Kec 01"),  # same NPSN
        (
            None,
            "TK Ceria",
            "Gedung Serbaguna",
            comma(c_lat),
            comma(c_lon),
            "Kec 01",
        ),  # unknown kind
        (None, "Tanpa Jenis", "", comma(c_lat), comma(c_lon), "Kec 01"),
        (None, "SD Pelita", "SD", comma(c_lat), comma(c_lon), "Kec 01"),
        (None, "SD  PELITA", "SD", comma(near_lat), comma(near_lon), "Kec 01"),  # 28 m away
        (None, "SD Pelita", "SD", comma(far_lat), comma(far_lon), "Kec 01"),  # 200 m away
        (None, "SD Tepi", "SD", comma(edge_lat), comma(edge_lon), "Kec 02"),  # 50 m outside
    ]
    raw = pd.DataFrame(
        rows, columns=["npsn", "nama_sekolah", "bentuk_pendidikan", "lintang", "bujur", "kecamatan"]
    )
    raw.insert(0, "baris", range(1, len(raw) + 1))
    return raw


COLUMNS = {
    "lintang": "lintang",
    "bujur": "bujur",
    "nama": "nama_sekolah",
    "jenis": "bentuk_pendidikan",
    "id": "npsn",
    "kecamatan": "kecamatan",
}


def run(desa, raw=None):
    raw = school_rows() if raw is None else raw
    records = standardise_assets(raw, columns=COLUMNS, source="sekolah.csv")
    return place_assets(records, desa=desa, kinds=load_kind_table())


def test_every_record_is_placed_or_rejected_exactly_once(desa):
    placed, rejected = run(desa)
    rows = sorted([*placed["baris"], *rejected["baris"]])
    assert rows == list(range(1, 15))


def test_repairs_are_recorded_and_land_on_the_true_point(desa):
    placed, _ = run(desa)
    by_row = placed.set_index("baris")
    assert by_row.loc[1, "perbaikan"] == ""
    assert by_row.loc[2, "perbaikan"] == "lintang dan bujur tertukar"
    assert by_row.loc[3, "perbaikan"] == "tanda minus lintang hilang"
    truth = {2: lonlat(7000, 2500), 3: lonlat(2500, 4000)}
    for row, (lon, lat) in truth.items():
        point = by_row.loc[row, "geometry"]
        assert point.x == pytest.approx(lon, abs=1e-6) and point.y == pytest.approx(lat, abs=1e-6)
    assert by_row.loc[2, "kode_desa"] == "73.09.02.2002"
    assert by_row.loc[3, "kode_kec"] == "73.09.01"


def test_rejections_say_why(desa):
    _, rejected = run(desa)
    reasons = rejected.set_index("baris")["alasan"]
    assert reasons[4] == "koordinat kosong"
    assert reasons[5].startswith("koordinat bernilai 0")
    assert reasons[6].startswith("di luar kabupaten")
    assert reasons[7].startswith("koordinat tidak terbaca")
    assert reasons[8] == "duplikat dari sekolah.csv baris 1 (id sama: 1)"
    assert reasons[10] == "jenis aset kosong"
    assert reasons[12].startswith("duplikat dari sekolah.csv baris 11 (nama sama")
    assert '"nama_sekolah": "SDN 6"' in rejected.set_index("baris").loc[6, "data_asli"]


def test_kinds_notes_and_near_points(desa):
    placed, _ = run(desa)
    by_row = placed.set_index("baris")
    assert by_row.loc[2, "layanan"] == "sd" and by_row.loc[2, "jenis"] == "SD"
    assert by_row.loc[9, "layanan"] == "lainnya" and by_row.loc[9, "jenis"] == "Gedung Serbaguna"
    assert 13 in by_row.index  # same name 200 m away: another school
    assert by_row.loc[14, "kode_desa"] == "73.09.01.2001"
    assert "50 m dari desa terdekat" in by_row.loc[14, "catatan"]
    assert "kecamatan tertulis 'Kec 02'" in by_row.loc[14, "catatan"]
    assert by_row.loc[3, "catatan"] == ""  # "KEC. 01" is Kec 01


def test_duplicate_keeps_the_unrepaired_record(desa):
    raw = school_rows().iloc[[1]].copy()
    lon, lat = lonlat(7000, 2500)
    straight = raw.assign(baris=2, lintang=comma(lat), bujur=comma(lon))
    raw = pd.concat([raw.assign(baris=1), straight], ignore_index=True)
    placed, rejected = run(desa, raw)
    assert placed["baris"].tolist() == [2]
    assert rejected["alasan"].tolist() == ["duplikat dari sekolah.csv baris 2 (id sama: 2)"]


def test_vector_records_with_no_geometry_are_rejected(desa):
    lon, lat = lonlat(1000, 1000)
    raw = gpd.GeoDataFrame(
        {"baris": [1, 2], "nama": ["TBM A", "TBM B"], "jenis": ["Taman Bacaan", "Taman Bacaan"]},
        geometry=[shapely.Point(lon, lat), None],
        crs=4326,
    )
    records = standardise_assets(
        raw, columns={"nama": "nama", "jenis": "jenis"}, source="tbm.geojson"
    )
    placed, rejected = place_assets(records, desa=desa, kinds=load_kind_table())
    assert placed["layanan"].tolist() == ["perpustakaan"]
    assert rejected[["baris", "alasan"]].values.tolist() == [[2, "koordinat kosong"]]


def test_a_file_without_coordinates_is_an_input_error():
    raw = pd.DataFrame({"baris": [1], "nama": ["x"], "jenis": ["SD"]})
    with pytest.raises(InputError, match="sekolah.csv: kolom koordinat"):
        standardise_assets(raw, columns={"nama": "nama", "jenis": "jenis"}, source="sekolah.csv")


def test_placing_needs_a_metric_crs(desa):
    records = standardise_assets(school_rows(), columns=COLUMNS, source="sekolah.csv")
    with pytest.raises(ValueError, match="metric"):
        place_assets(records, desa=desa.to_crs(4326), kinds=load_kind_table())
