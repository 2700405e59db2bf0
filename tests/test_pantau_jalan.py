"""Live status on a road network (issue 17): closed roads in travel time, the finer surface.

A hand-built town of three kelurahan on one east-west road (Jalan Lokal,
20 km/h; walking 5 km/h), run through the whole pipeline and served:

- A (x 50–2050 m, 1,000 people, lattice) holds the puskesmas at x = 500 on the road;
- B (x 2050–4050 m, 3,000 people, lattice of 20 × 10 points);
- C (x 4050–6050 m, 400 people) has a finer population surface: 100 people
  at (4200, 600) and 300 at (5900, 900); SDs stand at x = 4300 and 5500 on
  the road (SD reach here: 1 km).

The road runs along y = 550 with vertices every 500 m from x = 100. Cutting
the edge from x = 2100 to 2600 leaves B's lattice columns x = 2100, 2200,
2300 nearer the western piece (3 of 20 columns still reach the puskesmas) and
every other point of B and C on the eastern piece, cut off from it: by hand,
B falls from 1 to 0.15 and C from 1 to 0, A stays 1. Figures not known by
hand are compared with ``travel_check.trip_times`` (networkx on the published
``jalan`` layer without the cut edge), which shares no code with the project.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import PROJECT, SHARED
from fastapi.testclient import TestClient
from travel_check import lattice, trip_times

from jangkau.pantau.app import create_app
from jangkau.pantau.baseline import read_baseline
from jangkau.pantau.state import live_state
from jangkau.pantau.store import VERIFIED, Store, sqlite_url
from jangkau.pantau.updater import Place
from jangkau.pantau.vocabulary import load_vocabulary
from jangkau.pipeline.context import OutputPaths, prepare_region
from jangkau.pipeline.runner import run_all

UTM = 32750
E0, N0 = 760_000.0, 9_440_000.0
ROAD_Y = 550.0
CUT = (2350.0, ROAD_Y)  # on the edge x 2100–2600 only
PEOPLE = {"A": 1000, "B": 3000, "C": 400}
CODES = {"A": "99.01.01.1001", "B": "99.01.01.1002", "C": "99.01.01.1003"}


def _lonlat(x: float, y: float) -> tuple[float, float]:
    point = gpd.GeoSeries([shapely.Point(E0 + x, N0 + y)], crs=UTM).to_crs(4326).iloc[0]
    return point.x, point.y


def _write_town(folder):
    folder.mkdir(parents=True, exist_ok=True)
    desa = gpd.GeoDataFrame(
        {
            "KDEPUM": list(CODES.values()),
            "WADMKD": list(CODES),
            "TIPADM": "Kelurahan",
            "KDCPUM": "99.01.01",
            "WADMKC": "Jalan Uji",
        },
        geometry=[
            shapely.segmentize(shapely.box(E0 + x0, N0 + 50, E0 + x0 + 2000, N0 + 1050), 250.0)
            for x0 in (50.0, 2050.0, 4050.0)
        ],
        crs=UTM,
    ).to_crs(4326)
    desa.to_file(folder / "batas_desa.geojson", driver="GeoJSON")
    pd.DataFrame(
        {"kode_desa": list(CODES.values()), "desa": list(CODES), "penduduk": list(PEOPLE.values())}
    ).to_csv(folder / "penduduk_desa.csv", index=False)
    rows = []
    for name, kind, x in (
        ("Puskesmas Hulu", "Puskesmas", 500.0),
        ("SD Tengah", "SD", 4300.0),
        ("SD Hilir", "SD", 5500.0),
    ):
        lon, lat = _lonlat(x, ROAD_Y)
        rows.append({"nama": name, "jenis": kind, "lintang": lat, "bujur": lon})
    pd.DataFrame(rows).to_csv(folder / "fasilitas.csv", index=False)
    xs = [100.0 + 500.0 * i for i in range(12)] + [6000.0]
    road = shapely.LineString([(E0 + x, N0 + ROAD_Y) for x in xs])
    gpd.GeoDataFrame({"REMARK": ["Jalan Lokal"]}, geometry=[road], crs=UTM).to_crs(4326).to_file(
        folder / "jalan.geojson", driver="GeoJSON"
    )
    gpd.GeoDataFrame(
        {"jumlah": [100, 300]},
        geometry=[shapely.Point(E0 + 4200, N0 + 600), shapely.Point(E0 + 5900, N0 + 900)],
        crs=UTM,
    ).to_crs(4326).to_file(folder / "penduduk_titik.geojson", driver="GeoJSON")
    region_file = folder / "jalan_uji.toml"
    region_file.write_text(
        f"""name = "jalan_uji"
judul = "Kota Uji Jalan"
data_dir = "{folder}"

[desa]
file = "batas_desa.geojson"
columns = {{ kode_desa = "KDEPUM", desa = "WADMKD", kode_kec = "KDCPUM", kecamatan = "WADMKC", tipe = "TIPADM" }}

[kecamatan]
derive = true

[penduduk]
file = "penduduk_desa.csv"
level = "desa"
columns = {{ kode_desa = "kode_desa", desa = "desa", value = "penduduk" }}

[penduduk_rinci]
file = "penduduk_titik.geojson"
columns = {{ jumlah = "jumlah" }}

[[aset]]
file = "fasilitas.csv"
columns = {{ nama = "nama", jenis = "jenis", lintang = "lintang", bujur = "bujur" }}

[jalan]
file = "jalan.geojson"
columns = {{ kelas = "REMARK" }}
jarak_titik_m = 100

[layanan.sd]
radius_kelurahan_m = 1000
""",
        encoding="utf-8",
    )
    return region_file


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    root = tmp_path_factory.mktemp("kota")
    region = prepare_region(region_file=_write_town(root / "masukan"))
    outputs = OutputPaths.under(root / "keluaran", "jalan_uji")
    run_all(region, outputs)
    return Place(region="jalan_uji", processed=outputs.processed, maps=outputs.maps)


def _token(db_url: str) -> str:
    async def make() -> str:
        store = Store(db_url)
        await store.create()
        token = await store.new_token(instansi="Dinas PU", kelas=["semua"])
        await store.close()
        return token

    return asyncio.run(make())


@pytest.fixture
def client(town, tmp_path):
    db_url = sqlite_url(tmp_path / "pantau.sqlite")
    token = _token(db_url)
    with TestClient(create_app(town, db_url)) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def _wait_for(client: TestClient, report_id: int, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        document = client.get("/status.json").json()
        if document["laporan_terakhir"] >= report_id:
            return document
        time.sleep(0.05)
    raise AssertionError(f"status.json did not take report {report_id} within {timeout} s")


def _published(town: Place) -> tuple[pd.DataFrame, pd.DataFrame]:
    gpkg = town.processed / "coverage.gpkg"
    desa = gpd.read_file(gpkg, layer="desa").set_index("desa")
    kecamatan = gpd.read_file(gpkg, layer="kecamatan")
    return desa, kecamatan


def _by(document: dict, key: str, service: str) -> dict[str, dict]:
    return {row["desa"]: row for row in document[key] if row["layanan"] == service}


def _independent_shares(town: Place, cut: bool, service: str, closed_sites=()) -> dict:
    """Covered share per desa by networkx on the published layers (the edge cut taken out)."""
    gpkg = town.processed / "coverage.gpkg"
    roads = gpd.read_file(gpkg, layer="jalan").to_crs(UTM)
    if cut:
        point = shapely.Point(E0 + CUT[0], N0 + CUT[1])
        (near,) = np.flatnonzero(roads.distance(point) < 1.0)
        roads = roads.drop(index=roads.index[near]).reset_index(drop=True)
    desa = gpd.read_file(gpkg, layer="desa").to_crs(UTM)
    aset = gpd.read_file(gpkg, layer="aset").to_crs(UTM)
    sites = aset[(aset["layanan"] == service) & ~aset["nama"].isin(closed_sites)]
    starts, owner, weight = [], [], []
    for name, x0 in (("A", 50.0), ("B", 2050.0)):
        for x in np.arange(x0 + 50.0, x0 + 2000.0, 100.0):
            for y in np.arange(100.0, 1001.0, 100.0):
                starts.append((E0 + x, N0 + y))
                owner.append(name)
                weight.append(1.0)
    for x, y, people in ((4200.0, 600.0, 100.0), (5900.0, 900.0, 300.0)):
        starts.append((E0 + x, N0 + y))
        owner.append("C")
        weight.append(people)
    minutes = trip_times(
        roads,
        starts,
        [(p.x, p.y) for p in sites.geometry],
        walk_kmh=5.0,
        direct_beyond_m=500.0,
        land=desa.geometry.union_all().buffer(50.0),
        reach_m=(30.0 if service == "puskesmas" else 36.0) * 5000 / 60,
    )
    limit = 30.0 if service == "puskesmas" else 12.0
    frame = pd.DataFrame({"desa": owner, "w": weight, "ok": minutes <= limit + 1e-9})
    return (frame["w"] * frame["ok"]).groupby(frame["desa"]).sum() / frame.groupby("desa")[
        "w"
    ].sum()


def test_run_publishes_what_the_live_service_needs(town):
    folder = town.processed / "terkini" / "dasar_pantau"
    names = {p.name for p in folder.iterdir()}
    assert {
        "waktu_dasar_ruas.parquet",
        "waktu_dasar_titik.parquet",
        "permukaan_penduduk.parquet",
        "cakupan_waktu_desa.parquet",
    } <= names
    desa, _ = _published(town)
    # The run itself: every desa reaches the puskesmas in time; C's SD reach is on its points.
    assert desa["cakupan_waktu_puskesmas"].tolist() == [1.0, 1.0, 1.0]
    assert desa.at["C", "cakupan_sd"] == pytest.approx(1.0)
    assert desa.at["C", "permukaan_penduduk"].startswith("titik penduduk")
    for service in ("puskesmas", "sd"):
        theirs = _independent_shares(town, cut=False, service=service)
        for name in "ABC":
            assert desa.at[name, f"cakupan_waktu_{service}"] == pytest.approx(theirs[name])


def test_a_cut_road_loses_known_coverage_and_selesai_restores_exactly(town, client):
    desa, kecamatan = _published(town)
    lon, lat = _lonlat(*CUT)
    answer = client.post(
        "/api/laporan/kejadian",
        json={"jenis": "jalan putus", "lintang": lat, "bujur": lon, "keterangan": "jembatan"},
    )
    assert answer.status_code == 201, answer.text
    event = answer.json()["id"]
    document = _wait_for(client, event)
    (shown,) = document["kejadian"]
    assert shown["ruas_ditutup"] == 1 and shown["panjang_ruas_ditutup_m"] == pytest.approx(500.0)
    lost = _by(document, "desa_waktu", "puskesmas")
    assert set(lost) == {"B", "C"}  # A keeps its whole road to the puskesmas
    assert lost["B"]["cakupan_sebelum"] == 1.0 and lost["B"]["cakupan_sesudah"] == pytest.approx(
        0.15
    )
    assert lost["B"]["penduduk_kehilangan_layanan"] == pytest.approx(3000 * 0.85)
    assert lost["C"]["cakupan_sesudah"] == 0.0
    (kec,) = [k for k in document["kecamatan_waktu"] if k["layanan"] == "puskesmas"]
    assert kec["cakupan_sebelum"] == pytest.approx(1.0)
    assert kec["cakupan_sesudah"] == pytest.approx((1000 + 3000 * 0.15) / 4400)
    alert = [a for a in document["peringatan"] if a.get("ukuran") == "waktu tempuh"]
    (alert,) = [a for a in alert if a["layanan"] == "puskesmas"]
    assert alert["kecamatan"] == "Jalan Uji" and "Cakupan waktu tempuh" in alert["pesan"]
    # Distance coverage does not move with a road.
    assert document["desa"] == []
    # Every figure, SD included, as networkx finds it without the cut edge.
    for service in ("puskesmas", "sd"):
        theirs = _independent_shares(town, cut=True, service=service)
        changed = _by(document, "desa_waktu", service)
        for name in "ABC":
            mine = changed[name]["cakupan_sesudah"] if name in changed else None
            if mine is None:
                assert desa.at[name, f"cakupan_waktu_{service}"] == pytest.approx(theirs[name])
            else:
                assert mine == pytest.approx(theirs[name])
    # The event is over: the published figures, exactly.
    answer = client.post(f"/api/laporan/kejadian/{event}/selesai")
    restored = _wait_for(client, answer.json()["id"])
    assert restored["kejadian"] == [] and restored["desa_waktu"] == []
    assert restored["kecamatan_waktu"] == [] and restored["peringatan"] == []
    assert len(kecamatan) == 1


def test_closed_assets_move_travel_time_and_surface_distance_coverage(town, client):
    desa, _ = _published(town)
    aset = gpd.read_file(town.processed / "coverage.gpkg", layer="aset").set_index("nama")
    for name in ("SD Hilir", "Puskesmas Hulu"):
        answer = client.post(
            "/api/laporan/status",
            json={"id_aset": aset.at[name, "id_aset"], "status": "tutup sementara"},
        )
        assert answer.status_code == 201, answer.text
    document = _wait_for(client, answer.json()["id"])
    # Distance on the finer surface: C's 300 people by SD Hilir lose it; its 100 people
    # at x = 4200 keep SD Tengah (100 m away); no one else was within 1 km of SD Hilir.
    (row,) = [r for r in document["desa"] if r["layanan"] == "sd"]
    assert row["desa"] == "C" and row["cakupan_sebelum"] == pytest.approx(1.0)
    assert row["cakupan_sesudah"] == pytest.approx(100 / 400)
    assert row["penduduk_kehilangan_layanan"] == pytest.approx(300.0)
    # Travel time: with the only puskesmas closed, no one reaches one.
    lost = _by(document, "desa_waktu", "puskesmas")
    assert {name: (r["cakupan_sebelum"], r["cakupan_sesudah"]) for name, r in lost.items()} == {
        name: (1.0, 0.0) for name in "ABC"
    }
    (kec,) = [k for k in document["kecamatan_waktu"] if k["layanan"] == "puskesmas"]
    assert kec["cakupan_sesudah"] == pytest.approx(0.0, abs=1e-12)
    # SD by travel time, as networkx finds it with SD Tengah alone.
    theirs = _independent_shares(town, cut=False, service="sd", closed_sites=("SD Hilir",))
    changed = _by(document, "desa_waktu", "sd")
    for name in "ABC":
        mine = (
            changed[name]["cakupan_sesudah"]
            if name in changed
            else desa.at[name, "cakupan_waktu_sd"]
        )
        assert mine == pytest.approx(theirs[name])
    for name in ("SD Hilir", "Puskesmas Hulu"):
        answer = client.post(
            "/api/laporan/status", json={"id_aset": aset.at[name, "id_aset"], "status": "pulih"}
        )
    restored = _wait_for(client, answer.json()["id"])
    assert restored["desa"] == [] and restored["desa_waktu"] == [] and restored["peringatan"] == []


MAKASSAR = SHARED / "makassar"
# A point on a road in the east of the city; the roads within 2 km of it are cut.
MAKASSAR_CUT = (-5.096410733094885, 119.51274043884285, 2000.0)


@pytest.fixture(scope="module")
def makassar(tmp_path_factory):
    if not MAKASSAR.is_dir():
        pytest.skip("no ../shared/data/makassar")
    root = tmp_path_factory.mktemp("makassar")
    region = prepare_region(region_file=PROJECT / "regions" / "makassar.toml")
    outputs = OutputPaths.under(root, "makassar")
    run_all(region, outputs)
    return outputs.processed


def _networkx_shares(processed, *, cut: bool) -> pd.Series:
    """Puskesmas travel-time coverage per desa by networkx on the published layers."""
    gpkg = processed / "coverage.gpkg"
    metric = gpd.read_file(gpkg, layer="crs_metrik")["crs"].iloc[0]
    roads = gpd.read_file(gpkg, layer="jalan").to_crs(metric)
    if cut:
        lat, lon, radius = MAKASSAR_CUT
        point = gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326).to_crs(metric).iloc[0]
        closed = (roads.distance(point) <= radius) & ~roads["feri"].astype(bool)
        assert closed.sum() > 100
        roads = roads.loc[~closed].reset_index(drop=True)
    desa = gpd.read_file(gpkg, layer="desa").to_crs(metric)
    sites = gpd.read_file(gpkg, layer="aset").to_crs(metric).query("layanan == 'puskesmas'")
    points = lattice(desa, 100.0)
    minutes = trip_times(
        roads,
        [(x, y) for _, x, y in points],
        [(p.x, p.y) for p in sites.geometry],
        walk_kmh=5.0,
        direct_beyond_m=500.0,
        land=desa.geometry.union_all().buffer(50.0),
        reach_m=30.0 * 5000 / 60,
    )
    owner = desa["kode_desa"].to_numpy()[[row for row, _, _ in points]]
    return pd.Series(minutes <= 30.0 + 1e-9).groupby(owner).mean()


def test_makassar_cut_agrees_with_independent_networkx(makassar):
    """A 2 km road cut on the 50,000-edge network: the change per desa as networkx finds it."""
    baseline = read_baseline(makassar)
    assert baseline.waktu.network.edge_count > 50_000
    lat, lon, radius = MAKASSAR_CUT
    now = datetime.now(UTC)
    report = {
        "id": 1,
        "jenis_laporan": "kejadian",
        "jenis_kejadian": "jalan putus",
        "lintang": lat,
        "bujur": lon,
        "radius_m": radius,
        "waktu": now,
        "pelapor": "uji",
        "catatan": None,
        "verifikasi": VERIFIED,
        "id_aset": None,
        "merujuk": None,
    }
    document, _ = live_state(
        baseline, [report], vocabulary=load_vocabulary(), region="makassar", now=now
    )
    mine = {
        row["kode_desa"]: row["cakupan_sesudah"] - row["cakupan_sebelum"]
        for row in document["desa_waktu"]
        if row["layanan"] == "puskesmas"
    }
    before = _networkx_shares(makassar, cut=False)
    after = _networkx_shares(makassar, cut=True)
    theirs = (after - before).to_dict()
    assert len(mine) >= 3 and min(mine.values()) < -0.02  # the cut takes real reach away
    # The desa that change, and by how much, as networkx says (its snapping rounds to 1 cm).
    for code in set(theirs) | set(mine):
        assert mine.get(code, 0.0) == pytest.approx(theirs.get(code, 0.0), abs=0.005), code
    # The published figure is where the change starts from.
    published = gpd.read_file(makassar / "coverage.gpkg", layer="desa").set_index("kode_desa")
    for row in document["desa_waktu"]:
        column = f"cakupan_waktu_{row['layanan']}"
        assert row["cakupan_sebelum"] == published.at[row["kode_desa"], column]
