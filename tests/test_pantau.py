"""The live status service (issue 17): reports in, status.json out, on SQLite and PostgreSQL.

The coverage a closure removes is checked against plain shapely discs on the
published layers, not the project's coverage code.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import geopandas as gpd
import httpx
import numpy as np
import pyogrio
import pytest
import shapely
import sqlalchemy as sa
from conftest import PROJECT
from fastapi.testclient import TestClient
from pg_server import PgServer, pg_bin

from jangkau.pantau.app import create_app
from jangkau.pantau.store import Store, sqlite_url
from jangkau.pantau.updater import Place
from jangkau.pipeline.context import OutputPaths, prepare_region
from jangkau.pipeline.runner import run_all

CAMBA = "Puskesmas Camba"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A published Maros run in a temporary output root."""
    root = tmp_path_factory.mktemp("keluaran")
    region = prepare_region(region_file=PROJECT / "regions" / "maros.toml")
    outputs = OutputPaths.under(root, "maros")
    run_all(region, outputs)
    return root, Place(region="maros", processed=outputs.processed, maps=outputs.maps)


@pytest.fixture(scope="module")
def postgres():
    bin_dir = pg_bin()
    if bin_dir is None:
        pytest.skip(
            "PostgreSQL tidak terpasang (paket Debian 'postgresql': /usr/lib/postgresql/*/bin)"
        )
    server = PgServer(bin_dir)
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "pantau.sqlite")
    return request.getfixturevalue("postgres").new_database()


def _token(db_url: str, instansi: str, kelas: list[str]) -> str:
    async def make() -> str:
        store = Store(db_url)
        await store.create()
        token = await store.new_token(instansi=instansi, kelas=kelas)
        await store.close()
        return token

    return asyncio.run(make())


def _count(db_url: str) -> int:
    async def count() -> int:
        store = Store(db_url)
        rows = await store.reports()
        await store.close()
        return len(rows)

    return asyncio.run(count())


@pytest.fixture
def service(published, db_url):
    _root, place = published
    health = _token(db_url, "Dinas Kesehatan", ["puskesmas", "pustu"])
    schools = _token(db_url, "Dinas Pendidikan", ["sd", "smp"])
    with TestClient(create_app(place, db_url)) as client:
        yield client, place, {"kesehatan": health, "pendidikan": schools}, db_url


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _wait_for(client: TestClient, report_id: int, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        document = client.get("/status.json").json()
        if document["laporan_terakhir"] >= report_id:
            return document
        time.sleep(0.05)
    raise AssertionError(f"status.json did not take report {report_id} within {timeout} s")


def _asset_id(place: Place, name: str) -> str:
    aset = gpd.read_file(place.processed / "coverage.gpkg", layer="aset")
    (found,) = aset.loc[aset["nama"] == name, "id_aset"]
    return found


def _independent_puskesmas_fractions(place: Place, without: str) -> tuple:
    """Per desa, the share of area within the radius of any puskesmas: all, and without one.

    Plain shapely: discs (64 segments per quarter) united, intersected with each desa.
    """
    gpkg = place.processed / "coverage.gpkg"
    metric = pyogrio.read_dataframe(gpkg, layer="crs_metrik")["crs"].iloc[0]
    standard = pyogrio.read_dataframe(gpkg, layer="layanan", read_geometry=False).set_index(
        "layanan"
    )
    desa = gpd.read_file(gpkg, layer="desa").to_crs(metric)
    aset = gpd.read_file(gpkg, layer="aset").to_crs(metric)
    points = aset.loc[aset["layanan"] == "puskesmas"]
    radius = np.where(
        desa["tipe"] == "kelurahan",
        standard.at["puskesmas", "radius_kelurahan_m"],
        standard.at["puskesmas", "radius_desa_m"],
    )

    def fractions(chosen) -> np.ndarray:
        result = []
        for polygon, r in zip(desa.geometry, radius, strict=True):
            discs = shapely.union_all([p.buffer(r, quad_segs=64) for p in chosen.geometry])
            result.append(polygon.intersection(discs).area / polygon.area)
        return np.array(result)

    return desa, fractions(points), fractions(points[points["id_aset"] != without]), standard


# Camba: the only puskesmas within reach of its desa, which lose it all. Turikale: in the
# town, where neighbouring puskesmas keep part of each desa within reach.
@pytest.mark.parametrize("name", [CAMBA, "Puskesmas Turikale"])
def test_closing_a_puskesmas_shows_lost_desa_alert_and_pulih_restores(service, name):
    client, place, tokens, _db = service
    before = client.get("/status.json").json()
    assert before["aset"] == [] and before["desa"] == [] and before["kecamatan"] == []
    camba = _asset_id(place, name)
    answer = client.post(
        "/api/laporan/status",
        json={
            "id_aset": camba,
            "status": "tutup sementara",
            "waktu": "2026-02-03T07:30:00+08:00",
            "catatan": "banjir di halaman",
        },
        headers=_bearer(tokens["kesehatan"]),
    )
    assert answer.status_code == 201, answer.text
    document = _wait_for(client, answer.json()["id"])
    (closed,) = document["aset"]
    assert (closed["id_aset"], closed["status"], closed["melayani"]) == (
        camba,
        "tutup sementara",
        False,
    )
    assert closed["waktu"].startswith("2026-02-02T23:30:00")

    desa, every, without, standard = _independent_puskesmas_fractions(place, camba)
    lost = np.flatnonzero(every - without > 1e-6)
    assert len(lost) >= 3
    reported = {d["kode_desa"]: d for d in document["desa"] if d["layanan"] == "puskesmas"}
    assert set(reported) == set(desa["kode_desa"].iloc[lost])
    for i in lost:
        row = reported[desa["kode_desa"].iat[i]]
        assert row["cakupan_sesudah"] == pytest.approx(without[i], abs=2e-3)
        assert row["cakupan_sebelum"] == pytest.approx(every[i], abs=2e-3)

    people = desa["penduduk"].to_numpy(dtype=float)
    target = standard.at["puskesmas", "target_cakupan"]
    touched = sorted(set(desa["kode_kec"].iloc[lost]))
    assert [k["kode_kec"] for k in document["kecamatan"]] == touched
    for kec in touched:
        members = (desa["kode_kec"] == kec).to_numpy()
        expected_after = (people * without)[members].sum() / people[members].sum()
        (kec_row,) = [k for k in document["kecamatan"] if k["kode_kec"] == kec]
        assert kec_row["cakupan_sesudah"] == pytest.approx(expected_after, abs=2e-3)
        alert = [a for a in document["peringatan"] if a["kode_kec"] == kec]
        assert len(alert) == (1 if expected_after < target else 0)
        for found in alert:
            assert found["layanan"] == "puskesmas" and "di bawah target" in found["pesan"]

    # The live layers beside the run: the closure and the report.
    gpkg = place.processed / "status.gpkg"
    status_layer = gpd.read_file(gpkg, layer="status_aset").set_index("id_aset")
    assert status_layer.at[camba, "status"] == "tutup sementara"
    assert (status_layer.drop(index=camba)["status"] == "beroperasi").all()
    reports = gpd.read_file(gpkg, layer="laporan")
    assert reports["id_aset"].tolist() == [camba]
    # The published run folder is untouched: the live files sit beside it.
    assert not (place.processed / "terkini" / "status.json").exists()

    answer = client.post(
        "/api/laporan/status",
        json={"id_aset": camba, "status": "pulih", "waktu": "2026-02-04T08:00:00+08:00"},
        headers=_bearer(tokens["kesehatan"]),
    )
    assert answer.status_code == 201
    restored = _wait_for(client, answer.json()["id"])
    for key in ("aset", "desa", "kecamatan", "peringatan"):
        assert restored[key] == before[key] == []
    restored_layer = gpd.read_file(gpkg, layer="status_aset")
    assert (restored_layer["status"] == "beroperasi").all()


def test_refusals_answer_in_indonesian_and_store_nothing(service):
    client, place, tokens, db = service
    camba = _asset_id(place, CAMBA)
    good = {"id_aset": camba, "status": "tutup sementara"}
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    cases = [
        ("/api/laporan/status", {}, good, 401, "token tidak ada"),
        ("/api/laporan/status", _bearer("salah"), good, 401, "token tidak dikenal"),
        ("/api/laporan/status", _bearer(tokens["pendidikan"]), good, 403, "hanya berlaku"),
        ("/api/laporan/status", _bearer(tokens["kesehatan"]), b"{id_aset:", 400, "bukan JSON"),
        ("/api/laporan/status", _bearer(tokens["kesehatan"]), [good], 400, "objek JSON"),
        (
            "/api/laporan/status",
            _bearer(tokens["kesehatan"]),
            {**good, "id_aset": "P9999999"},
            422,
            "tidak dikenal",
        ),
        (
            "/api/laporan/status",
            _bearer(tokens["kesehatan"]),
            {**good, "status": "hilang"},
            422,
            "status",
        ),
        (
            "/api/laporan/status",
            _bearer(tokens["kesehatan"]),
            {**good, "waktu": future},
            422,
            "masa depan",
        ),
        (
            "/api/laporan/status",
            _bearer(tokens["kesehatan"]),
            {**good, "waktu": "2026-02-03T07:30:00"},
            422,
            "zona waktu",
        ),
        (
            "/api/laporan/status",
            _bearer(tokens["kesehatan"]),
            {**good, "catatan": "x" * 20000},
            413,
            "terlalu besar",
        ),
        (
            "/api/laporan/kejadian",
            _bearer(tokens["kesehatan"]),
            {"jenis": "banjir", "lintang": -6.6, "bujur": 119.0},
            422,
            "di luar wilayah",
        ),
        (
            "/api/laporan/kejadian",
            _bearer(tokens["kesehatan"]),
            {"jenis": "gempa", "lintang": -5.0, "bujur": 119.6},
            422,
            "jenis kejadian",
        ),
        (
            "/api/laporan/kejadian",
            _bearer(tokens["kesehatan"]),
            {"jenis": "banjir", "lintang": "utara", "bujur": 119.6},
            422,
            "angka",
        ),
        (
            "/api/laporan/kejadian",
            {},
            {"jenis": "banjir", "lintang": -5.0, "bujur": 119.6},
            401,
            "token",
        ),
    ]
    for path, headers, body, status, words in cases:
        if isinstance(body, bytes):
            answer = client.post(
                path, content=body, headers={**headers, "Content-Type": "application/json"}
            )
        else:
            answer = client.post(path, json=body, headers=headers)
        assert answer.status_code == status, (
            body if not isinstance(body, dict) else list(body),
            answer.text,
        )
        assert words in answer.json()["galat"], answer.text
    assert _count(db) == 0
    assert client.get("/api/laporan").status_code == 401


def test_sql_and_markup_are_stored_and_returned_verbatim(service):
    client, place, tokens, db = service
    text = "'); DROP TABLE laporan; -- <script>alert('x')</script> & {{ 7*7 }}"
    answer = client.post(
        "/api/laporan/kejadian",
        json={
            "jenis": "banjir",
            "lintang": -5.0,
            "bujur": 119.6,
            "radius_m": 800,
            "keterangan": text,
        },
        headers=_bearer(tokens["kesehatan"]),
    )
    assert answer.status_code == 201, answer.text
    document = _wait_for(client, answer.json()["id"])
    (event,) = document["kejadian"]
    assert event["keterangan"] == text and event["radius_m"] == 800
    listed = client.get("/api/laporan", headers=_bearer(tokens["pendidikan"])).json()
    assert listed["jumlah"] == 1 and listed["laporan"][0]["catatan"] == text
    layer = gpd.read_file(place.processed / "status.gpkg", layer="laporan")
    assert layer["catatan"].tolist() == [text]
    # The residents' form shows what was typed back as text, never as markup.
    page = client.post(
        "/lapor",
        content="jenis_laporan=status&id_aset=%3Cscript%3Ealert(1)%3C%2Fscript%3E&status=rusak+berat",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert page.status_code == 422
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)" in page.text
    assert _count(db) == 1
    if db.startswith("postgresql"):
        # PostGIS: the database itself makes the report's point.
        assert _postgis_points(db) == ["POINT(119.6 -5)"]


def _postgis_points(db_url: str) -> list[str]:
    async def read() -> list[str]:
        store = Store(db_url)
        async with store.engine.connect() as connection:
            has = "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
            if (await connection.execute(sa.text(has))).first() is None:
                await store.close()
                pytest.skip("PostGIS tidak terpasang (paket Debian postgresql-postgis)")
            rows = await connection.execute(
                sa.text("SELECT ST_AsText(geom) FROM laporan ORDER BY id")
            )
            found = [r[0] for r in rows]
        await store.close()
        return found

    return asyncio.run(read())


def test_residents_reports_wait_for_verification_and_are_rate_limited(service):
    client, place, tokens, db = service
    camba = _asset_id(place, CAMBA)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = f"jenis_laporan=status&id_aset={camba}&status=tutup+sementara&catatan=pintu+dikunci"
    first = client.post("/lapor", content=body, headers=form)
    assert first.status_code == 201 and "menunggu verifikasi" in first.text
    document = _wait_for(client, 1)
    assert document["aset"] == [] and document["menunggu_verifikasi"] == 1
    for _ in range(4):
        assert client.post("/lapor", content=body, headers=form).status_code == 201
    refused = client.post("/lapor", content=body, headers=form)
    assert refused.status_code == 429 and "terlalu banyak laporan" in refused.text
    assert _count(db) == 5
    listed = client.get("/api/laporan", headers=_bearer(tokens["kesehatan"])).json()["laporan"]
    assert {r["verifikasi"] for r in listed} == {"menunggu verifikasi"}
    assert {r["pelapor"] for r in listed} == {"warga"}
    verified = client.post("/api/laporan/1/verifikasi", headers=_bearer(tokens["kesehatan"]))
    assert verified.status_code == 200
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        document = client.get("/status.json").json()
        if document["aset"]:
            break
        time.sleep(0.05)
    assert [a["id_aset"] for a in document["aset"]] == [camba]
    assert document["menunggu_verifikasi"] == 4


def test_reports_filtered_by_period_and_status(service, tmp_path):
    client, place, tokens, _db = service
    camba = _asset_id(place, CAMBA)
    for when, status in (
        ("2026-01-05T08:00:00+08:00", "rusak ringan"),
        ("2026-01-20T08:00:00+08:00", "pulih"),
    ):
        assert (
            client.post(
                "/api/laporan/status",
                json={"id_aset": camba, "status": status, "waktu": when},
                headers=_bearer(tokens["kesehatan"]),
            ).status_code
            == 201
        )
    auth = _bearer(tokens["kesehatan"])
    january = client.get(
        "/api/laporan?dari=2026-01-01T00:00:00%2B08:00&sampai=2026-01-10T00:00:00%2B08:00",
        headers=auth,
    )
    assert [r["status"] for r in january.json()["laporan"]] == ["rusak ringan"]
    assert [
        r["status"] for r in client.get("/api/laporan?status=pulih", headers=auth).json()["laporan"]
    ] == ["pulih"]
    exported = tmp_path / "laporan.gpkg"
    exported.write_bytes(
        client.get("/api/laporan?format=gpkg&status=rusak+ringan", headers=auth).content
    )
    layer = gpd.read_file(exported, layer="laporan")
    assert layer["status"].tolist() == ["rusak ringan"] and layer.crs.to_epsg() == 4326
    aset = gpd.read_file(place.processed / "coverage.gpkg", layer="aset").set_index("id_aset")
    assert layer.geometry.iloc[0].equals_exact(aset.geometry[camba], 1e-9)
    csv_text = client.get("/api/laporan?format=csv", headers=auth).text
    assert (
        csv_text.splitlines()[0].startswith("id,jenis_laporan") and len(csv_text.splitlines()) == 3
    )


def test_token_command_prints_once_and_stores_only_a_hash(published, tmp_path, capsys):
    from flows.cli import main

    root, place = published
    db = tmp_path / "token.sqlite"
    args = ["pantau", "token", "maros", "--instansi", "Dinas Pendidikan", "--kelas", "sd,smp"]
    assert main([*args, "--root", str(PROJECT), "--out", str(root), "--db", f"sqlite:///{db}"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert len(token) >= 40
    assert token.encode() not in db.read_bytes()
    stored = sqlite3.connect(db).execute("select instansi, kelas, hash from token").fetchall()
    assert [(i, k) for i, k, _h in stored] == [("Dinas Pendidikan", "sd,smp")]
    assert len(stored[0][2]) == 64 and token not in stored[0][2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server(root, db_url: str, port: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "flows.cli",
        "pantau",
        "serve",
        "maros",
        "--root",
        str(PROJECT),
    ]
    command += ["--out", str(root), "--port", str(port), "--db", db_url]
    process = subprocess.Popen(
        command,
        cwd=PROJECT,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/status.json", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode())
        time.sleep(0.2)
    process.kill()
    raise AssertionError("the service did not start")


def _stored_ids(db_url: str) -> set[int]:
    async def ids() -> set[int]:
        store = Store(db_url)
        rows = await store.reports()
        await store.close()
        return {r["id"] for r in rows}

    return asyncio.run(ids())


def test_kill_during_a_burst_loses_no_acknowledged_report(published, db_url):
    root, place = published
    token = _token(db_url, "Dinas Kesehatan", ["puskesmas"])
    aset = gpd.read_file(place.processed / "coverage.gpkg", layer="aset")
    targets = aset.loc[aset["layanan"] == "puskesmas", "id_aset"].tolist()
    port = _free_port()
    server = _start_server(root, db_url, port)
    acknowledged: list[int] = []
    lock = threading.Lock()

    def burst(worker: int) -> None:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers=_bearer(token), timeout=5
        ) as client:
            for n in range(10_000):
                body = {
                    "id_aset": targets[(worker + n) % len(targets)],
                    "status": ["rusak ringan", "pulih"][n % 2],
                }
                try:
                    answer = client.post("/api/laporan/status", json=body)
                except httpx.TransportError:
                    return
                if answer.status_code == 201:
                    with lock:
                        acknowledged.append(answer.json()["id"])

    threads = [threading.Thread(target=burst, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 60 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(server.pid, signal.SIGKILL)
    server.wait()
    for thread in threads:
        thread.join()
    assert len(acknowledged) >= 60
    if db_url.startswith("sqlite"):
        path = db_url.split(":///", 1)[1]
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = _stored_ids(db_url)
    assert set(acknowledged) <= stored
    # Restarts cleanly on the same database and takes the stored reports into account.
    server = _start_server(root, db_url, port)
    try:
        document = httpx.get(f"http://127.0.0.1:{port}/status.json").json()
        assert document["laporan_terakhir"] == max(stored)
        answer = httpx.post(
            f"http://127.0.0.1:{port}/api/laporan/status",
            json={"id_aset": targets[0], "status": "pulih"},
            headers=_bearer(token),
        )
        assert answer.status_code == 201 and answer.json()["id"] > max(stored)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_map_page_shows_status_terkini_over_http_and_says_so_from_a_file(published, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    root, place = published
    db_url = sqlite_url(tmp_path / "peta.sqlite")
    token = _token(db_url, "BPBD", ["semua"])
    port = _free_port()
    server = _start_server(root, db_url, port)
    base = f"http://127.0.0.1:{port}"
    trap = "<img src=x onerror=window.__disusupi=1>"
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(
        options=options, service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    )
    try:
        camba = _asset_id(place, CAMBA)
        for path, body in (
            ("/api/laporan/status", {"id_aset": camba, "status": "tutup sementara"}),
            (
                "/api/laporan/kejadian",
                {
                    "jenis": "banjir",
                    "lintang": -4.9,
                    "bujur": 119.84,
                    "radius_m": 900,
                    "keterangan": trap,
                },
            ),
        ):
            assert httpx.post(base + path, json=body, headers=_bearer(token)).status_code == 201
        deadline = time.monotonic() + 20
        while (
            httpx.get(base + "/status.json").json()["laporan_terakhir"] < 2
            and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        driver.get(base + "/")
        text = ""
        for _ in range(100):
            panel = driver.find_elements("id", "status-terkini")
            text = panel[0].text if panel else ""
            if CAMBA in text:
                break
            time.sleep(0.1)
        assert CAMBA in text and "Tutup sementara" in text and "Diperbarui" in text
        assert trap in text  # shown as text
        assert driver.execute_script("return window.__disusupi === undefined")
        lost = httpx.get(base + "/status.json").json()["desa"]
        assert "Peringatan" in text and f"Desa kehilangan layanan ({len(lost)})" in text
        assert len(lost) >= 3 and all(d["desa"] in text for d in lost)
        driver.get((place.maps / "index.html").resolve().as_uri())
        time.sleep(1.0)
        panel_text = driver.find_element("id", "status-terkini").text
        assert "Dibuka dari berkas" in panel_text and CAMBA not in panel_text
    finally:
        driver.quit()
        server.terminate()
        server.wait(timeout=30)


def test_serving_a_region_with_nothing_published_is_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "pantau", "serve", "maros", "--out", str(tmp_path)],
        cwd=PROJECT,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "belum punya hasil yang diterbitkan" in done.stderr


def test_make_pantau_serves_maros_on_loopback_by_default():
    done = subprocess.run(
        ["make", "-n", "pantau"], cwd=PROJECT, capture_output=True, text=True, timeout=60
    )
    assert "jangkau pantau serve maros --host 127.0.0.1 --port 8765" in done.stdout


def test_the_next_full_run_starts_from_the_current_status(tmp_path):
    """A puskesmas closed live does not serve in the next full run; the live state agrees."""
    region = prepare_region(region_file=PROJECT / "regions" / "maros.toml")
    outputs = OutputPaths.under(tmp_path, "maros")
    run_all(region, outputs)
    place = Place(region="maros", processed=outputs.processed, maps=outputs.maps)
    db_url = sqlite_url(tmp_path / "pantau.sqlite")
    token = _token(db_url, "Dinas Kesehatan", ["puskesmas"])
    camba = _asset_id(place, CAMBA)
    first_run = gpd.read_file(place.processed / "coverage.gpkg", layer="desa").set_index(
        "kode_desa"
    )
    with TestClient(create_app(place, db_url)) as client:
        answer = client.post(
            "/api/laporan/status",
            json={"id_aset": camba, "status": "tutup sementara"},
            headers=_bearer(token),
        )
        live = _wait_for(client, answer.json()["id"])
        lost = {d["kode_desa"]: d for d in live["desa"]}
        assert len(lost) >= 3
        # A full run while the puskesmas is closed (the service keeps running).
        run_all(region, outputs)
        info = json.loads((place.processed / "terkini" / "info.json").read_text(encoding="utf-8"))
        assert info["aset_tidak_melayani"] == [camba]
        second_run = gpd.read_file(place.processed / "coverage.gpkg", layer="desa")
        second_run = second_run.set_index("kode_desa")
        for code, row in lost.items():
            assert second_run.at[code, "cakupan_puskesmas"] == pytest.approx(
                row["cakupan_sesudah"], abs=1e-6
            )
        unaffected = second_run.index.difference(list(lost))
        assert np.allclose(
            second_run.loc[unaffected, "cakupan_puskesmas"],
            first_run.loc[unaffected, "cakupan_puskesmas"],
        )
        # The service takes the new run as its base: the closure is in it, nothing differs.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            document = client.get("/status.json").json()
            if document["hasil_dasar"] != live["hasil_dasar"]:
                break
            time.sleep(0.2)
        assert document["hasil_dasar"] == info["proses"]
        assert [a["id_aset"] for a in document["aset"]] == [camba]
        assert document["desa"] == [] and document["peringatan"] == []
        # Restored: the desa gain back what the first run gave them.
        answer = client.post(
            "/api/laporan/status",
            json={"id_aset": camba, "status": "pulih"},
            headers=_bearer(token),
        )
        restored = _wait_for(client, answer.json()["id"])
        assert restored["aset"] == [] and restored["peringatan"] == []
        gained = {d["kode_desa"]: d for d in restored["desa"]}
        assert set(gained) == set(lost)
        for code, row in gained.items():
            assert row["cakupan_sesudah"] == pytest.approx(
                first_run.at[code, "cakupan_puskesmas"], abs=1e-6
            )
            assert row["penduduk_kehilangan_layanan"] < 0
