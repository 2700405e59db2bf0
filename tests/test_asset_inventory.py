"""Issue 16: line and polygon assets, condition and status, network reach, the asset register.

Expected figures come from the input files (counted with plain geopandas)
and from plain shapely on hand-made shapes, never from the functions tested.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from conftest import PROJECT

from jangkau import pipeline
from jangkau.analysis.networks import network_by_kecamatan, network_measures
from jangkau.analysis.register import REGISTER_COLUMNS, asset_register
from jangkau.clean.condition import read_condition
from jangkau.config.networks import load_networks
from jangkau.pipeline.stages import measure_coverage
from jangkau.publish.asset_layers import add_asset_outputs
from jangkau.sources.demo import desa_frame
from jangkau.sources.demo_networks import write_network_files

DATA = PROJECT.parent / "shared" / "data"
UTM = 32750


def test_condition_words_as_offices_write_them():
    raw = pd.DataFrame(
        {
            "baris": [1, 2, 3, 4, 5, 6, 7],
            "Kondisi": ["Rusak Brt", "heavily damaged", "good", "RR", "rusak sdg", "", "hancur?"],
            "STATUS": ["non aktif", "Tidak Aktif", "", "dalam pembangunan", "active", "aktif", "-"],
        }
    )
    out = read_condition(raw, source="x.csv")
    assert out["kondisi"].tolist() == [
        "rusak berat",
        "rusak berat",
        "baik",
        "rusak ringan",
        "rusak sedang",
        "",
        "",
    ]
    assert out["status_operasi"].tolist() == [
        "tidak beroperasi",
        "tidak beroperasi",
        "",
        "dalam pembangunan",
        "beroperasi",
        "beroperasi",
        "",
    ]
    # A dash is an empty cell, not an unknown word.
    assert out["catatan_kondisi"][6] == "kondisi tertulis 'hancur?' tidak dikenali"
    assert out["catatan_kondisi"][:6].tolist() == [""] * 6


def test_a_school_status_column_is_not_an_operating_status():
    raw = pd.DataFrame({"baris": [1, 2, 3], "status": ["NEGERI", "SWASTA", "NEGERI"]})
    out = read_condition(raw, source="sekolah.csv")
    assert out["status_operasi"].tolist() == ["", "", ""]
    assert out["catatan_kondisi"].tolist() == ["", "", ""]


# --- every line and polygon record placed or rejected, counted from the files ---


@pytest.fixture(scope="module")
def demo_assets(tmp_path_factory):
    root = tmp_path_factory.mktemp("aset16")
    region = pipeline.prepare_region(
        region_file=PROJECT / "regions" / "demo.toml", data_dir=root / "raw"
    )
    work = root / "kerja"
    work.mkdir()
    pipeline.run_boundaries(region, work)
    pipeline.run_assets(region, work)
    return root / "raw", region, work


NETWORK_FILES = [
    "jaringan_pipa_pdam.geojson",
    "jalan_kabupaten_kondisi.geojson",
    "jaringan_listrik.geojson",
    "aset_area.geojson",
    "aset_campuran.geojson",
    "menara_bts.csv",
]


def test_every_line_and_polygon_record_is_placed_or_rejected_once(demo_assets):
    raw, region, work = demo_assets
    assert {s.name for s in region.aset} >= set(NETWORK_FILES)
    layers = {
        name: gpd.read_parquet(work / f"{name}.parquet")
        for name in ("aset", "aset_garis", "aset_area")
    }
    rejected = pd.read_parquet(work / "aset_ditolak.parquet")
    for name in NETWORK_FILES:
        path = raw / name
        frame = pd.read_csv(path) if name.endswith(".csv") else gpd.read_file(path)
        where = {layer: sorted(f.loc[f["sumber"] == name, "baris"]) for layer, f in layers.items()}
        where["ditolak"] = sorted(rejected.loc[rejected["sumber"] == name, "baris"])
        every = sorted(b for rows in where.values() for b in rows)
        assert every == list(range(1, len(frame) + 1)), name
        if name.endswith(".geojson"):
            kinds = frame.geom_type.map(
                {
                    "Point": "aset",
                    "LineString": "aset_garis",
                    "Polygon": "aset_area",
                }
            )
            for layer in layers:
                # A record of one geometry class never lands in another class's layer.
                wrong = set(where[layer]) - {i + 1 for i, k in enumerate(kinds) if k == layer}
                assert not wrong, (name, layer, wrong)


def test_line_and_polygon_faults_are_repaired_or_rejected_with_a_reason(demo_assets):
    raw, _, work = demo_assets
    rejected = pd.read_parquet(work / "aset_ditolak.parquet").set_index(["sumber", "baris"])
    pipes = gpd.read_file(raw / "jaringan_pipa_pdam.geojson")
    row = {name: i + 1 for i, name in enumerate(pipes["nama"])}
    pipe_file = "jaringan_pipa_pdam.geojson"
    assert rejected.loc[(pipe_file, row["Pipa panjang nol"]), "alasan"].startswith(
        "garis panjang nol"
    )
    assert "di luar wilayah" in rejected.loc[(pipe_file, row["Pipa di luar"]), "alasan"]
    assert rejected.loc[(pipe_file, row["Pipa tanpa jenis"]), "alasan"] == "jenis aset kosong"
    lines = gpd.read_parquet(work / "aset_garis.parquet").set_index(["sumber", "baris"])
    repeated = lines.loc[(pipe_file, row["Pipa titik berulang"])]
    assert repeated["perbaikan"] == "2 titik sudut berulang dihapus"
    assert repeated["panjang_km"] == pytest.approx(0.8, rel=1e-6)
    # The pipe running out of the kabupaten: what is left is the part inside, by plain shapely.
    out_pipe = pipes.loc[pipes["nama"] == "Pipa keluar wilayah"].to_crs(UTM).geometry.iloc[0]
    outline = shapely.union_all(desa_frame().to_crs(UTM).geometry.to_numpy())
    inside = out_pipe.intersection(outline).length
    clipped = lines.loc[(pipe_file, row["Pipa keluar wilayah"])]
    assert clipped["panjang_km"] == pytest.approx(inside / 1000, rel=1e-3)
    share = 100 * (1 - inside / out_pipe.length)
    assert (
        clipped["perbaikan"] == f"dipotong di batas wilayah: {share:.1f} % panjang di luar dibuang"
    )
    areas = gpd.read_parquet(work / "aset_area.parquet").set_index("nama")
    bowtie = areas.loc["TPA (poligon memotong diri)"]
    assert bowtie["perbaikan"].startswith("poligon tidak valid diperbaiki (Self-intersection")
    # A bow tie of an 800 m square: two triangles, base 800 m and height 400 m: 2 x 16 ha.
    assert bowtie["luas_ha"] == pytest.approx(32.0, rel=1e-3)
    border = areas.loc["TPA di perbatasan"]
    assert border["perbaikan"].startswith("dipotong di batas wilayah: 50.0 % luas")
    assert set(areas["kondisi"]) <= {"", "baik", "rusak ringan", "rusak sedang", "rusak berat"}
    written = gpd.read_file(raw / "aset_area.geojson").set_index("nama")["kondisi"].fillna("")
    by_hand = {
        "baik": "baik",
        "Baik": "baik",
        "good": "baik",
        "rusak ringan": "rusak ringan",
        "RR": "rusak ringan",
        "rusak sdg": "rusak sedang",
        "rusak brt": "rusak berat",
        "heavily damaged": "rusak berat",
        "": "",
    }
    assert set(written) <= set(by_hand) and {"rusak brt", "good"} <= set(written)
    mine = areas[areas["sumber"] == "aset_area.geojson"]
    assert mine["kondisi"].to_dict() == written.map(by_hand).to_dict()


# --- only operating assets serve; the rusak-berat scenario ---


def _tiny_region(folder, status_b: str):
    """Two 4 km x 4 km desa; SD A (aktif) in desa 1, SD B (status_b) in desa 2, SD C rusak berat."""
    cells = [shapely.box(760_000, 9_440_000, 764_000, 9_444_000)]
    cells.append(shapely.box(764_000, 9_440_000, 768_000, 9_444_000))
    desa = gpd.GeoDataFrame(
        {
            "KDEPUM": ["99.02.01.2001", "99.02.01.2002"],
            "WADMKD": ["Satu", "Dua"],
            "TIPADM": ["Desa", "Desa"],
            "KDCPUM": ["99.02.01", "99.02.01"],
            "WADMKC": ["Kecil", "Kecil"],
        },
        geometry=cells,
        crs=UTM,
    ).to_crs(4326)
    folder.mkdir(parents=True)
    desa.to_file(folder / "batas_desa.geojson", driver="GeoJSON")
    pd.DataFrame(
        {
            "kode_desa": ["99.02.01.2001", "99.02.01.2002"],
            "desa": ["Satu", "Dua"],
            "penduduk": [1000, 3000],
        }
    ).to_csv(folder / "penduduk_desa.csv", index=False)
    points = {"A": (761_000, 9_442_000), "B": (767_000, 9_443_000), "C": (766_000, 9_440_500)}
    to_lonlat = pyproj.Transformer.from_crs(UTM, 4326, always_xy=True)
    rows = []
    for name, (x, y) in points.items():
        lon, lat = to_lonlat.transform(x, y)
        rows.append(
            {
                "nama": f"SD {name}",
                "jenis": "SD",
                "lintang": round(lat, 8),
                "bujur": round(lon, 8),
                "kondisi": {"A": "baik", "B": "baik", "C": "Rusak Brt"}[name],
                "status": {"A": "aktif", "B": status_b, "C": "aktif"}[name],
            }
        )
    pd.DataFrame(rows).to_csv(folder / "sekolah.csv", index=False)
    return cells, points


def _run_tiny(tmp_path, status_b):
    folder = tmp_path / status_b.replace(" ", "_")
    cells, points = _tiny_region(folder / "raw", status_b)
    region = pipeline.prepare_region(data_dir=folder / "raw", name="kecil")
    region.usulan_k = 0
    work = folder / "kerja"
    work.mkdir()
    pipeline.run_boundaries(region, work)
    pipeline.run_assets(region, work)
    measure_coverage(region, work)
    return cells, points, work


def _share(cell, centres, radius=3000.0):
    discs = [shapely.Point(c).buffer(radius, quad_segs=256) for c in centres]
    return cell.intersection(shapely.union_all(discs)).area / cell.area if discs else 0.0


def test_an_inactive_asset_stops_serving_by_the_amount_plain_shapely_gives(tmp_path):
    cells, points, active = _run_tiny(tmp_path, "aktif")
    _, _, inactive = _run_tiny(tmp_path, "tidak aktif")
    coverage = {
        name: pd.read_parquet(work / "cakupan_desa.parquet")
        .query("layanan == 'sd'")
        .set_index("kode_desa")["cakupan"]
        for name, work in (("aktif", active), ("tidak", inactive))
    }
    every = [points["A"], points["B"], points["C"]]
    without_b = [points["A"], points["C"]]
    for code, cell in zip(["99.02.01.2001", "99.02.01.2002"], cells, strict=True):
        assert coverage["aktif"][code] == pytest.approx(_share(cell, every), abs=2e-4)
        assert coverage["tidak"][code] == pytest.approx(_share(cell, without_b), abs=2e-4)
    fall = coverage["aktif"] - coverage["tidak"]
    expected = _share(cells[1], every) - _share(cells[1], without_b)
    assert expected > 0.05  # B really served part of desa Dua
    assert fall["99.02.01.2002"] == pytest.approx(expected, abs=3e-4)
    # The inactive school stays in the asset layer with its status.
    assets = gpd.read_parquet(inactive / "aset.parquet").set_index("nama")
    assert assets.loc["SD B", "status_operasi"] == "tidak beroperasi"
    assert assets.loc["SD C", "kondisi"] == "rusak berat"

    # If every rusak-berat asset closed: the same figures recomputed without C.
    closure = pd.read_parquet(inactive / "cakupan_rusak_berat_desa.parquet")
    closure = closure.query("layanan == 'sd'").set_index("kode_desa")["cakupan"]
    people = {"99.02.01.2001": 1000, "99.02.01.2002": 3000}
    for code, cell in zip(people, cells, strict=True):
        assert closure[code] == pytest.approx(_share(cell, [points["A"]]), abs=2e-4)
    layers = add_asset_outputs(
        inactive,
        {
            "desa": pd.DataFrame({"kode_desa": list(people), "cakupan_sd": [0.0, 0.0]}),
            "kecamatan": pd.DataFrame({"kode_kec": ["99.02.01"], "cakupan_sd": [0.0]}),
            "layanan": pd.DataFrame({"layanan": ["sd"], "nama": ["SD"], "jenis_aset": ["SD"]}),
        },
        networks=load_networks(),
    )
    kecamatan = layers["kecamatan"].set_index("kode_kec")
    expected_kec = (
        sum(p * _share(c, [points["A"]]) for p, c in zip(people.values(), cells, strict=True))
        / 4000
    )
    assert kecamatan.loc["99.02.01", "cakupan_jika_rusak_berat_tutup_sd"] == pytest.approx(
        expected_kec, abs=2e-4
    )
    assert list(layers["desa"].columns)[:3] == [
        "kode_desa",
        "cakupan_sd",
        "cakupan_jika_rusak_berat_tutup_sd",
    ]


# --- network reach against plain shapely buffers ---


def _local_reach(desa_lonlat: gpd.GeoDataFrame, lines_lonlat: gpd.GeoSeries, distance: float):
    """Share of each desa within ``distance`` of the lines, each desa in its own aeqd projection."""
    shares = []
    lines_lonlat = lines_lonlat.reset_index(drop=True)
    for polygon in desa_lonlat.geometry:
        centre = polygon.centroid
        local = pyproj.CRS.from_proj4(
            f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +ellps=WGS84 +units=m"
        )
        desa_local = gpd.GeoSeries([polygon], crs=4326).to_crs(local).iloc[0]
        # A generous lon/lat box first (1° > 100 km), then the exact test in metres.
        margin = 1.5 * distance / 100_000
        minx, miny, maxx, maxy = polygon.bounds
        box = shapely.box(minx - margin, miny - margin, maxx + margin, maxy + margin)
        near = lines_lonlat.iloc[lines_lonlat.sindex.query(box)].to_crs(local)
        # Only the parts of a line within the distance of the desa can reach into it.
        near = near.intersection(desa_local.buffer(distance))
        near = near[~near.is_empty]
        if near.empty:
            shares.append(0.0)
            continue
        reach = shapely.union_all(near.buffer(distance, quad_segs=32).to_numpy())
        shares.append(desa_local.intersection(reach).area / desa_local.area)
    return np.array(shares)


def _kecamatan_share(desa: pd.DataFrame, share: np.ndarray) -> pd.Series:
    covered = desa["penduduk"].to_numpy() * share
    frame = pd.DataFrame({"kode_kec": desa["kode_kec"], "c": covered, "p": desa["penduduk"]})
    sums = frame.groupby("kode_kec")[["c", "p"]].sum()
    return sums["c"] / sums["p"]


def test_network_reach_agrees_with_plain_shapely_on_generated_lines(demo_assets):
    _, _, work = demo_assets
    desa = gpd.read_parquet(work / "desa.parquet")
    lines = gpd.read_parquet(work / "aset_garis.parquet")
    networks = load_networks()
    long = network_measures(desa.to_crs(UTM), lines.to_crs(UTM), networks=networks)
    measured = network_by_kecamatan(long).set_index(["layanan", "kode_kec"])["terjangkau"]
    for service in ("air_minum", "listrik", "jalan"):
        row = networks.set_index("layanan").loc[service]
        serving = lines[
            (lines["layanan"] == service)
            & lines["jenis"].isin(row["jenis_aset"])
            & ~lines["status_operasi"].isin(["tidak beroperasi", "dalam pembangunan"])
        ]
        expected = _kecamatan_share(
            desa, _local_reach(desa, serving.geometry, row["jarak_jaringan_m"])
        )
        assert expected.max() > 0
        for kode_kec, value in expected.items():
            assert abs(measured[(service, kode_kec)] - value) < 0.005, (service, kode_kec)
    # Length per kecamatan: every line of the layanan, clipped, by plain shapely.
    length = network_by_kecamatan(long).set_index(["layanan", "kode_kec"])["panjang_km"]
    metric_desa = desa.to_crs(UTM)
    pipes = lines[lines["layanan"] == "air_minum"].to_crs(UTM)
    for kode_kec, group in metric_desa.groupby("kode_kec"):
        area = shapely.union_all(group.geometry.to_numpy())
        expected_km = sum(g.intersection(area).length for g in pipes.geometry) / 1000
        assert length[("air_minum", kode_kec)] == pytest.approx(expected_km, rel=1e-6)


@pytest.mark.skipif(not (DATA / "makassar").is_dir(), reason="no ../shared/data")
@pytest.mark.parametrize("distance", [100.0, 300.0])
def test_network_reach_agrees_with_plain_shapely_on_makassar_roads(distance):
    from jangkau.sources.wilayah import region_layers

    folder = DATA / "wilayah_boundaries"
    texts = {
        "desa": (folder / "wilayah_boundaries_kel_73.71.sql").read_text(encoding="utf-8"),
        "kecamatan": (folder / "wilayah_boundaries_kec_73.sql").read_text(encoding="utf-8"),
        "kabupaten": (folder / "wilayah_boundaries_kab_73.sql").read_text(encoding="utf-8"),
    }
    desa = region_layers("73.71", texts)["desa"].to_crs(4326)
    desa = desa.rename(columns={c: c.lower() for c in desa.columns if c != "geometry"})
    desa["penduduk"] = np.arange(len(desa)) % 7 * 1000.0 + 500.0
    roads = gpd.read_file(DATA / "makassar" / "jalan_rbi50k.geojson").to_crs(4326)
    roads = roads[roads.geometry.notna() & ~roads.geometry.is_empty]
    lines = gpd.GeoDataFrame(
        {"layanan": ["jalan"] * len(roads), "jenis": ["Jalan Kabupaten"] * len(roads)},
        geometry=roads.geometry.to_numpy(),
        crs=4326,
    )
    networks = load_networks({"jalan": {"jarak_jaringan_m": distance}})
    long = network_measures(desa.to_crs(UTM), lines.to_crs(UTM), networks=networks)
    measured = network_by_kecamatan(long).set_index("kode_kec")["terjangkau"]
    expected = _kecamatan_share(desa, _local_reach(desa, lines.geometry, distance))
    assert len(expected) == desa["kode_kec"].nunique() > 10
    if distance == 100.0:
        assert 0.05 < expected.min() and expected.max() < 1.0  # a real test, not all or nothing
    differences = (measured.reindex(expected.index) - expected).abs()
    assert differences.max() < 0.005, differences.sort_values().tail()


# --- the register ---


def test_rekap_aset_has_the_contract_columns_and_adds_up(demo_assets):
    _, _, work = demo_assets
    points = gpd.read_parquet(work / "aset.parquet")
    lines = gpd.read_parquet(work / "aset_garis.parquet")
    areas = gpd.read_parquet(work / "aset_area.parquet")
    register = asset_register(points, lines, areas)
    assert list(register.columns) == [
        "kelas",
        "kode_kec",
        "kecamatan",
        "jumlah",
        "panjang_km",
        "luas_ha",
        "baik",
        "rusak_ringan",
        "rusak_sedang",
        "rusak_berat",
        "beroperasi",
        "sumber",
    ]
    assert REGISTER_COLUMNS == list(register.columns)
    assert register["jumlah"].sum() == len(points) + len(lines) + len(areas)
    assert register["panjang_km"].sum() == pytest.approx(
        lines.to_crs(UTM).geometry.length.sum() / 1000, rel=1e-6
    )
    assert register["luas_ha"].sum() == pytest.approx(
        areas.to_crs(UTM).geometry.area.sum() / 10_000, rel=1e-6
    )
    sutr = register[register["kelas"] == "SUTR"]
    everything = pd.concat([points, lines, areas])
    mine = everything[everything["jenis"] == "SUTR"]
    assert sutr["rusak_berat"].sum() == (mine["kondisi"] == "rusak berat").sum()
    operating = ~mine["status_operasi"].isin(["tidak beroperasi", "dalam pembangunan"])
    assert (sutr["beroperasi"] * sutr["jumlah"]).sum() == pytest.approx(operating.sum())


def test_network_files_can_be_added_to_a_maros_folder(tmp_path):
    maros = DATA / "maros"
    if not maros.is_dir():
        pytest.skip("no ../shared/data")
    desa = gpd.read_file(maros / "batas_desa.shp")
    written = write_network_files(tmp_path, desa)
    frames = {p.name: gpd.read_file(p) for p in written if p.suffix == ".geojson"}
    pipes = frames["jaringan_pipa_pdam.geojson"]
    # One distribution pipe per desa but the first of each kecamatan, plus transmission and faults.
    per_kec = desa.groupby("KDCPUM").size()
    assert (pipes["jenis"] == "pipa distribusi").sum() >= int((per_kec - 1).sum())
    assert json.loads(pipes.to_json())["features"][0]["properties"]["kondisi"] is not None


@pytest.mark.skipif(not (DATA / "maros").is_dir(), reason="no ../shared/data")
def test_maros_run_with_generated_network_files_publishes_networks_and_register(tmp_path):
    """The Maros files as delivered plus generated networks: every record accounted, measures out."""
    import shutil

    import pyogrio

    folder = tmp_path / "maros"
    shutil.copytree(DATA / "maros", folder)
    desa = gpd.read_file(folder / "batas_desa.shp")
    added = write_network_files(folder, desa)
    region_text = (PROJECT / "regions" / "maros.toml").read_text(encoding="utf-8")
    region_text = region_text.replace(
        'data_dir = "../shared/data/maros"', f'data_dir = "{folder}"'
    ).replace('name = "maros"', 'name = "maros_jaringan"')
    region_text += "".join(
        f'\n[[{"sistem_informasi" if p.name.startswith("sistem_") else "aset"}]]\nfile = "{p.name}"\n'
        for p in added
    )
    added = [p for p in added if not p.name.startswith("sistem_")]
    region_file = tmp_path / "maros_jaringan.toml"
    region_file.write_text(region_text, encoding="utf-8")
    region = pipeline.prepare_region(region_file=region_file)
    region.usulan_k = 0
    pipeline.run_all(region, pipeline.OutputPaths.under(tmp_path / "out", region.name))
    gpkg = tmp_path / "out" / "data" / "processed" / "maros_jaringan" / "coverage.gpkg"
    present = set(pyogrio.list_layers(gpkg)[:, 0])
    assert {"aset_garis", "aset_area", "rekap_aset", "sistem_informasi"} <= present
    assert len(gpd.read_file(gpkg, layer="sistem_informasi")) == 5
    placed = pd.concat(
        [
            gpd.read_file(gpkg, layer=n)[["sumber", "baris"]]
            for n in ("aset", "aset_garis", "aset_area")
        ]
    )
    rejected = gpd.read_file(gpkg, layer="aset_ditolak")[["sumber", "baris"]]
    both = pd.concat([placed, rejected], ignore_index=True)
    assert not both.duplicated().any()
    for path in added:
        count = len(pd.read_csv(path) if path.suffix == ".csv" else gpd.read_file(path))
        rows = sorted(both.loc[both["sumber"] == path.name, "baris"])
        assert rows == list(range(1, count + 1)), path.name
    kecamatan = gpd.read_file(gpkg, layer="kecamatan")
    assert kecamatan["terjangkau_air_minum"].between(0, 1).all()
    assert kecamatan["terjangkau_air_minum"].max() > 0
    assert (kecamatan["panjang_km_jalan"] > 0).all()
    register = gpd.read_file(gpkg, layer="rekap_aset")
    lines = gpd.read_file(gpkg, layer="aset_garis")
    assert register["jumlah"].sum() == len(placed)
    assert register["panjang_km"].sum() == pytest.approx(lines["panjang_km"].sum(), rel=1e-9)


def test_osm_lines_and_polygons_come_whole_with_their_kind():
    from jangkau.config.catalogue import load_kind_table
    from jangkau.sources.osm import assets_from_overpass, overpass_query

    outline = shapely.box(119.0, -5.0, 119.1, -4.9)
    query = overpass_query(outline)
    assert 'way["power"~"^(minor_line)$"]' in query and "out geom tags;" in query
    ring = [(119.01, -4.99), (119.02, -4.99), (119.02, -4.98), (119.01, -4.98), (119.01, -4.99)]
    answer = {
        "elements": [
            {"type": "node", "id": 1, "lat": -4.95, "lon": 119.05, "tags": {"highway": "bus_stop"}},
            {
                "type": "way",
                "id": 2,
                "tags": {"power": "minor_line"},
                "geometry": [{"lat": -4.95, "lon": 119.05}, {"lat": -4.95, "lon": 119.2}],
            },
            {
                "type": "way",
                "id": 3,
                "tags": {"leisure": "park", "name": "Taman Kota"},
                "geometry": [{"lon": x, "lat": y} for x, y in ring],
            },
            {
                "type": "way",
                "id": 4,
                "tags": {"waterway": "drain"},
                "geometry": [{"lat": -4.5, "lon": 119.5}, {"lat": -4.6, "lon": 119.5}],
            },
        ]
    }
    assets, outside = assets_from_overpass(answer, outline=outline, kinds=load_kind_table())
    assert outside == 1  # the drain lies wholly outside
    by_id = assets.set_index("osm_id")
    assert (
        by_id.loc["node/1", "jenis"] == "Halte"
        and by_id.loc["node/1"].geometry.geom_type == "Point"
    )
    # The power line runs out of the outline: kept whole here, clipped by the run.
    line = by_id.loc["way/2"]
    assert line["jenis"] == "SUTM" and line.geometry.geom_type == "LineString"
    assert line.geometry.length == pytest.approx(0.15)
    park = by_id.loc["way/3"]
    assert park["jenis"] == "Ruang Terbuka Hijau" and park.geometry.geom_type == "Polygon"
    assert park.geometry.area == pytest.approx(0.0001)


def test_the_information_system_register_is_read_without_geometry(demo_assets):
    from jangkau.clean.info_systems import read_register

    raw, region, work = demo_assets
    assert [s.name for s in region.sistem_informasi] == ["sistem_informasi_opd.csv"]
    systems = pd.read_parquet(work / "sistem_informasi.parquet")
    written = pd.read_csv(raw / "sistem_informasi_opd.csv", keep_default_na=False)
    assert systems["sistem"].tolist() == written["Nama Aplikasi"].tolist()
    assert systems["opd"].tolist() == written["OPD"].tolist()
    assert systems["status_operasi"].tolist() == [
        "beroperasi",
        "beroperasi",
        "tidak beroperasi",
        "dalam pembangunan",
        "",
    ]
    assert systems["terintegrasi"].tolist() == ["ya", "tidak", "ya", "tidak", ""]
    table = pd.DataFrame(
        {"baris": [1, 2], "nama sistem": ["SIAK", " "], "OPD": ["Disdukcapil", "Diskominfo"]}
    )
    found, rejected = read_register(table, source="daftar.csv")
    assert found["sistem"].tolist() == ["SIAK"]
    assert rejected[["baris", "alasan"]].values.tolist() == [[2, "nama sistem informasi kosong"]]


def test_network_reach_by_hand_with_and_without_population_points():
    desa = gpd.GeoDataFrame(
        {"kode_desa": ["d1"], "kode_kec": ["k1"], "penduduk": [2000.0]},
        geometry=[shapely.box(760_000, 9_440_000, 761_000, 9_441_000)],
        crs=UTM,
    )
    lines = gpd.GeoDataFrame(
        {
            "layanan": ["air_minum", "air_minum"],
            "jenis": ["Pipa Distribusi Air Minum", "Pipa Distribusi Air Minum"],
            "status_operasi": ["", "tidak beroperasi"],
        },
        geometry=[
            shapely.LineString([(760_000, 9_440_000), (761_000, 9_440_000)]),
            shapely.LineString([(760_000, 9_441_000), (761_000, 9_441_000)]),
        ],
        crs=UTM,
    )
    networks = load_networks()  # air_minum: 100 m
    long = network_measures(desa, lines, networks=networks)
    row = long.set_index("layanan").loc["air_minum"]
    # The operating pipe on the south edge reaches a 100 m strip: 10 % of the desa;
    # the pipe that does not operate reaches no one but still counts in length.
    assert row["terjangkau"] == pytest.approx(0.1, abs=1e-6)
    assert row["penduduk_terjangkau"] == pytest.approx(200.0, abs=1e-3)
    assert row["panjang_km"] == pytest.approx(2.0)
    surface = gpd.GeoDataFrame(
        {"kode_desa": ["d1", "d1"], "bobot": [0.3, 0.7]},
        geometry=[shapely.Point(760_500, 9_440_050), shapely.Point(760_500, 9_440_500)],
        crs=UTM,
    )
    with_points = network_measures(desa, lines, networks=networks, surface=surface)
    assert with_points["terjangkau"].iloc[0] == pytest.approx(0.3)


def test_a_region_overrides_a_network_distance_and_typos_stop_the_run():
    from jangkau.errors import InputError

    networks = load_networks({"air_minum": {"jarak_jaringan_m": 50}}).set_index("layanan")
    assert networks.loc["air_minum", "jarak_jaringan_m"] == 50
    assert networks.loc["air_minum", "sumber_jarak_jaringan"] == "berkas wilayah"
    assert networks.loc["jalan", "jarak_jaringan_m"] == 2000
    with pytest.raises(InputError, match=r"\[jaringan.air_mnum\] tidak dikenal"):
        load_networks({"air_mnum": {"jarak_jaringan_m": 50}})
    with pytest.raises(InputError, match="jarak_jaringan_m harus > 0"):
        load_networks({"listrik": {"jarak_jaringan_m": -5}})
    with pytest.raises(InputError, match="'jarak' tidak dikenal"):
        load_networks({"listrik": {"jarak": 5}})


SELF_NOTE = "garis memotong atau menumpuk dirinya sendiri (bagian yang menumpuk dihitung sekali)"


def test_place_shapes_by_hand():
    from jangkau.clean.asset_geometry import place_shapes
    from jangkau.config.catalogue import load_kind_table

    desa = gpd.GeoDataFrame(
        {"kode_desa": ["d1"], "desa": ["Satu"], "kode_kec": ["k1"], "kecamatan": ["K"]},
        geometry=[shapely.box(760_000, 9_440_000, 761_000, 9_441_000)],
        crs=UTM,
    )
    lines = [
        # Doubles back over itself: 600 m of pipe, nothing cut.
        shapely.LineString([(760_100, 9_440_500), (760_700, 9_440_500), (760_400, 9_440_500)]),
        # Half outside the desa: 400 m kept of 800 m.
        shapely.LineString([(760_600, 9_440_200), (761_400, 9_440_200)]),
        # Crosses itself (a figure of eight is fine for a pipe): noted, not cut.
        shapely.LineString(
            [(760_100, 9_440_100), (760_300, 9_440_300), (760_300, 9_440_100), (760_100, 9_440_300)]
        ),
    ]
    raw = gpd.GeoDataFrame(
        {"baris": [1, 2, 3], "nama": ["a", "b", "c"], "jenis": ["pipa distribusi"] * 3},
        geometry=lines,
        crs=UTM,
    )
    placed, rejected = place_shapes(
        raw,
        kind="garis",
        columns={"nama": "nama", "jenis": "jenis"},
        source="pipa.geojson",
        desa=desa,
        kinds=load_kind_table(),
    )
    assert rejected.empty
    by_name = placed.set_index("nama")
    assert by_name.loc["a", "panjang_km"] == pytest.approx(0.6)
    assert by_name.loc["a", "perbaikan"] == SELF_NOTE
    assert by_name.loc["b", "panjang_km"] == pytest.approx(0.4)
    assert (
        by_name.loc["b", "perbaikan"] == "dipotong di batas wilayah: 50.0 % panjang di luar dibuang"
    )
    assert by_name.loc["c", "perbaikan"] == SELF_NOTE
    # 200 m along the bottom and two 200·√2 m diagonals.
    assert by_name.loc["c", "panjang_km"] == pytest.approx((200 + 400 * 2**0.5) / 1000)
