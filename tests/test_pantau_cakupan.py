"""Coverage over time of a kecamatan (issue 17, point 5), on SQLite and PostgreSQL.

The drop a closure causes is checked against plain shapely discs on the
published layers (``_independent_puskesmas_fractions`` of test_pantau), not the
project's coverage code.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from test_pantau import (  # noqa: F401 - fixtures: published, postgres, db_url, service
    CAMBA,
    _asset_id,
    _bearer,
    _independent_puskesmas_fractions,
    _wait_for,
    db_url,
    postgres,
    published,
    service,
)


def _series(client, kode_kec: str, **params) -> list[dict]:
    answer = client.get(f"/api/cakupan/{kode_kec}", params={"layanan": "puskesmas", **params})
    assert answer.status_code == 200, answer.text
    return answer.json()["seri"]


def test_coverage_over_time_shows_baseline_drop_and_exact_restoration(service):  # noqa: F811
    client, place, tokens, _db = service
    camba = _asset_id(place, CAMBA)
    aset = gpd.read_file(place.processed / "coverage.gpkg", layer="aset").set_index("id_aset")
    kec = aset.at[camba, "kode_kec"]
    kecamatan = gpd.read_file(place.processed / "coverage.gpkg", layer="kecamatan")
    published_figure = float(kecamatan.set_index("kode_kec").at[kec, "cakupan_puskesmas"])

    # Before any report: the published run's figure, once, at the run's time.
    (start,) = _series(client, kec)
    assert start["sumber"] == "hasil" and start["cakupan"] == published_figure
    run = place.processed.resolve().joinpath("terkini").resolve().name
    assert start["hasil_dasar"] == run
    # The run folder's stamp is the machine's local time; the series is in UTC.
    stamp = datetime.strptime(run[:15], "%Y%m%dT%H%M%S").astimezone()
    assert datetime.fromisoformat(start["waktu"]) == stamp

    closed = client.post(
        "/api/laporan/status",
        json={"id_aset": camba, "status": "tutup sementara"},
        headers=_bearer(tokens["kesehatan"]),
    )
    assert closed.status_code == 201
    _wait_for(client, closed.json()["id"])
    desa, _every, without, _standard = _independent_puskesmas_fractions(place, camba)
    members = (desa["kode_kec"] == kec).to_numpy()
    people = desa["penduduk"].to_numpy(dtype=float)
    expected_drop = (people * without)[members].sum() / people[members].sum()
    series = _series(client, kec)
    assert [row["sumber"] for row in series] == ["hasil", "laporan"]
    assert series[1]["cakupan"] == pytest.approx(expected_drop, abs=2e-3)
    assert series[1]["cakupan"] < published_figure - 0.01
    assert series[1]["laporan_terakhir"] == closed.json()["id"]

    reopened = client.post(
        "/api/laporan/status",
        json={"id_aset": camba, "status": "pulih"},
        headers=_bearer(tokens["kesehatan"]),
    )
    _wait_for(client, reopened.json()["id"])
    series = _series(client, kec)
    assert [row["sumber"] for row in series] == ["hasil", "laporan", "laporan"]
    assert series[2]["cakupan"] == published_figure  # exactly, not approximately
    times = [datetime.fromisoformat(row["waktu"]) for row in series]
    assert times == sorted(times)

    # Only what changed is recorded: the other services of this kecamatan and the
    # kecamatan Camba does not reach have their published figure alone.
    everything = client.get(f"/api/cakupan/{kec}").json()["seri"]
    assert {r["layanan"] for r in everything if r["sumber"] == "laporan"} == {"puskesmas"}
    services = pyogrio.read_dataframe(
        place.processed / "coverage.gpkg", layer="layanan", read_geometry=False
    )["layanan"]
    figures = kecamatan.set_index("kode_kec").loc[kec]
    measured = {
        s
        for s in services
        if f"cakupan_{s}" in figures.index and np.isfinite(float(figures[f"cakupan_{s}"]))
    }
    assert len(measured) >= 5
    assert {r["layanan"] for r in everything if r["sumber"] == "hasil"} == measured
    lost = set(desa.loc[(_every - without) > 1e-6, "kode_kec"])
    for other in sorted(set(kecamatan["kode_kec"]) - lost)[:3]:
        assert [r["sumber"] for r in _series(client, other)] == ["hasil"]

    # A period: only the report-made figures after the run.
    after = _series(client, kec, dari=series[1]["waktu"])
    assert [row["cakupan"] for row in after] == [series[1]["cakupan"], published_figure]

    exported = client.get(f"/api/cakupan/{kec}", params={"layanan": "puskesmas", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [float(r["cakupan"]) for r in rows] == [r["cakupan"] for r in series]
    assert rows[0]["kecamatan"] == figures["kecamatan"] and rows[0]["kode_kec"] == kec


def test_status_json_names_a_report_once_its_coverage_is_recorded(service):  # noqa: F811
    client, place, tokens, _db = service
    history = client.app.state.updater.history
    seen: list[tuple[int, int]] = []
    record = history.record

    async def watched(baseline, processed, document):
        on_disk = json.loads((processed / "status.json").read_text(encoding="utf-8"))
        seen.append((int(document["laporan_terakhir"]), int(on_disk["laporan_terakhir"])))
        return await record(baseline, processed, document)

    history.record = watched
    camba = _asset_id(place, CAMBA)
    closed = client.post(
        "/api/laporan/status",
        json={"id_aset": camba, "status": "tutup sementara"},
        headers=_bearer(tokens["kesehatan"]),
    )
    assert closed.status_code == 201
    report = closed.json()["id"]
    _wait_for(client, report)
    # While the state with the report was recorded, status.json still named an earlier one ...
    assert any(state == report and on_disk < report for state, on_disk in seen), seen
    # ... so whoever reads status.json naming it finds that state's figure at once.
    aset = gpd.read_file(place.processed / "coverage.gpkg", layer="aset").set_index("id_aset")
    series = _series(client, aset.at[camba, "kode_kec"])
    assert [row["sumber"] for row in series] == ["hasil", "laporan"]
    assert series[1]["laporan_terakhir"] == report


def test_coverage_over_time_refusals_in_indonesian(service):  # noqa: F811
    client, _place, _tokens, _db = service
    unknown = client.get("/api/cakupan/99.99.99", params={"layanan": "puskesmas"})
    assert unknown.status_code == 404 and "tidak ada" in unknown.json()["galat"]
    kec = gpd.read_file(_place.processed / "coverage.gpkg", layer="kecamatan")["kode_kec"].iat[0]
    wrong = client.get(f"/api/cakupan/{kec}", params={"layanan": "bioskop"})
    assert wrong.status_code == 422 and "tidak dikenal" in wrong.json()["galat"]
    naive = client.get(f"/api/cakupan/{kec}", params={"dari": "2026-01-01T00:00:00"})
    assert naive.status_code == 422 and "zona waktu" in naive.json()["galat"]


def test_a_restarted_service_continues_the_series(published, db_url):  # noqa: F811
    """After a restart: no second run figure, no repeated row, and pulih still records."""
    from fastapi.testclient import TestClient
    from test_pantau import _token

    from jangkau.pantau.app import create_app

    _root, place = published
    health = _bearer(_token(db_url, "Dinas Kesehatan", ["puskesmas"]))
    camba = _asset_id(place, CAMBA)
    kec = gpd.read_file(place.processed / "coverage.gpkg", layer="aset").set_index("id_aset")
    kec = kec.at[camba, "kode_kec"]
    with TestClient(create_app(place, db_url)) as client:
        closed = client.post(
            "/api/laporan/status",
            json={"id_aset": camba, "status": "tutup sementara"},
            headers=health,
        )
        _wait_for(client, closed.json()["id"])
        first = _series(client, kec)
    with TestClient(create_app(place, db_url)) as client:
        assert _series(client, kec) == first
        reopened = client.post(
            "/api/laporan/status", json={"id_aset": camba, "status": "pulih"}, headers=health
        )
        _wait_for(client, reopened.json()["id"])
        series = _series(client, kec)
    assert [row["sumber"] for row in series] == ["hasil", "laporan", "laporan"]
    assert series[2]["cakupan"] == series[0]["cakupan"]
    assert series[:2] == first
