"""The live status service under Prefect (issue 17, point 3 and 4): events, the update flow, artifacts.

Fast tests catch the events with Prefect's own recording client and look at
the deployment's trigger; the ``slow`` ones run the flow against a temporary
Prefect API, and the whole chain (report → event → automation → flow run)
against a real local Prefect server.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
import pytest
from conftest import PROJECT
from fastapi.testclient import TestClient
from prefect.events.clients import AssertingEventsClient
from prefect.events.worker import EventsWorker
from test_pantau import (
    CAMBA,
    _asset_id,
    _bearer,
    _count,
    _free_port,
    _token,
    published,  # noqa: F401 - the module's fixture: a published Maros run
)
from test_pantau_alerts import Hook

from flows.pantau_prefect import (
    EVENT_RECEIVED,
    EVENT_VERIFIED,
    FLOW_NAME,
    event_emitter,
    pantau_perbarui,
    update_deployment,
)
from jangkau.pantau.app import create_app
from jangkau.pantau.files import STATUS_JSON
from jangkau.pantau.notify import LEDGER
from jangkau.pantau.store import VERIFIED, Store, sqlite_url


class RecordingWorker(EventsWorker):
    """Prefect's events worker and recording client, without an API to look up run context.

    (The stock worker opens an API client first; with no server that starts a
    temporary API in the worker's thread, which is what this test avoids.)
    """

    @asynccontextmanager
    async def _lifespan(self):
        self._client = self.client_type()
        async with self._client:
            yield

    async def _handle(self, event) -> None:
        self._context_cache.pop(event.id, None)
        await self._client.emit(event)


@pytest.fixture
def recorded_events(monkeypatch):
    """Events sent through ``emit_event`` land in Prefect's ``AssertingEventsClient``."""
    worker = RecordingWorker.instance(AssertingEventsClient)
    monkeypatch.setattr(EventsWorker, "instance", lambda *_: worker)
    yield worker
    worker.drain()


def test_each_report_emits_an_event_instead_of_updating_in_process(
    published,  # noqa: F811
    tmp_path,
    recorded_events,
):
    _root, place = published
    db = sqlite_url(tmp_path / "pantau.sqlite")
    token = _token(db, "Dinas Kesehatan", ["semua"])
    camba = _asset_id(place, CAMBA)
    app = create_app(place, db, on_report=event_emitter("maros"))
    with TestClient(app) as client:
        status = client.post(
            "/api/laporan/status",
            json={"id_aset": camba, "status": "tutup sementara", "catatan": "banjir"},
            headers=_bearer(token),
        )
        event = client.post(
            "/api/laporan/kejadian",
            json={"jenis": "banjir", "lintang": -5.0, "bujur": 119.57, "radius_m": 500},
            headers=_bearer(token),
        )
        assert (status.status_code, event.status_code) == (201, 201), event.text
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        resident = client.post(
            "/lapor", content=f"jenis_laporan=status&id_aset={camba}&status=pulih", headers=form
        )
        assert resident.status_code == 201
        resident_id = event.json()["id"] + 1
        verified = client.post(f"/api/laporan/{resident_id}/verifikasi", headers=_bearer(token))
        assert verified.status_code == 200, verified.text
        recorded_events.wait_until_empty()
        time.sleep(1.0)  # longer than the in-process update's gathering pause
        document = client.get("/status.json").json()
    events = recorded_events._client.events
    assert [e.event for e in events] == [
        EVENT_RECEIVED,
        EVENT_RECEIVED,
        EVENT_RECEIVED,
        EVENT_VERIFIED,
    ]
    assert {e.resource.id for e in events} == {"jangkau.wilayah.maros"}
    assert events[0].payload == {
        "laporan_id": status.json()["id"],
        "jenis_laporan": "status",
        "id_aset": camba,
        "status": "tutup sementara",
        "pelapor": "Dinas Kesehatan",
    }
    assert events[1].payload == {
        "laporan_id": event.json()["id"],
        "jenis_laporan": "kejadian",
        "jenis_kejadian": "banjir",
        "pelapor": "Dinas Kesehatan",
    }
    assert events[2].payload == {
        "laporan_id": resident_id,
        "jenis_laporan": "status",
        "id_aset": camba,
        "status": "pulih",
        "pelapor": "warga",
    }
    assert events[3].payload == {
        "laporan_id": resident_id,
        "jenis_laporan": "verifikasi",
        "pelapor": "Dinas Kesehatan",
    }
    # The flow run updates; the service itself did not (only its start-up state is there).
    assert document["laporan_terakhir"] == 0 and document["aset"] == []


def test_update_deployment_is_triggered_by_the_regions_report_events(tmp_path):
    deployment = update_deployment(
        "maros", PROJECT / "regions" / "maros.toml", tmp_path, "sqlite+aiosqlite:///x.sqlite"
    )
    assert (deployment.flow_name, deployment.name) == (FLOW_NAME, "pantau-maros")
    (trigger,) = deployment.triggers
    assert trigger.expect == {"jangkau.laporan.*"}
    assert trigger.match.model_dump()["prefect.resource.id"] == "jangkau.wilayah.maros"
    assert trigger.parameters == {
        "laporan_id": "{{ event.payload.laporan_id }}",
        "peristiwa": "{{ event.event }}",
    }
    assert trigger.threshold == 1 and trigger.posture == "Reactive"
    assert deployment.concurrency_limit == 1
    assert deployment.parameters["region_file"].endswith("regions/maros.toml")


def _region_file(tmp_path, webhook: str) -> str:
    """maros.toml with a webhook for alerts."""
    text = (PROJECT / "regions" / "maros.toml").read_text(encoding="utf-8")
    data_dir = (PROJECT / ".." / "shared" / "data" / "maros").resolve()
    text = text.replace('data_dir = "../shared/data/maros"', f'data_dir = "{data_dir}"')
    text += f'\n[pantau.pemberitahuan]\nwebhook = "{webhook}"\n'
    path = tmp_path / "regions" / "maros.toml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    return str(path)


def _store_closure(db: str, id_aset: str) -> int:
    async def add() -> int:
        store = Store(db)
        await store.create()
        report = {
            "jenis_laporan": "status",
            "id_aset": id_aset,
            "status": "tutup sementara",
            "waktu": datetime.now(UTC),
            "diterima": datetime.now(UTC),
            "pelapor": "Dinas Kesehatan",
            "catatan": "",
            "verifikasi": VERIFIED,
        }
        report_id = await store.add_report(report)
        await store.close()
        return report_id

    return asyncio.run(add())


@pytest.mark.slow
def test_update_flow_writes_status_publishes_the_alert_and_sends_it_once(
    published,  # noqa: F811
    tmp_path,
    prefect_harness,
):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    root, place = published
    (place.processed / LEDGER).unlink(missing_ok=True)
    hook = Hook()
    try:
        region_file = _region_file(tmp_path, hook.url)
        db = sqlite_url(tmp_path / "pantau.sqlite")
        camba = _asset_id(place, CAMBA)
        report_id = _store_closure(db, camba)
        result = pantau_perbarui(
            region_file, str(root), db, laporan_id=report_id, peristiwa=EVENT_RECEIVED
        )
        assert result == {
            "diperbarui": True,
            "laporan_terakhir": report_id,
            "peringatan": 1,
            "terkirim": 1,
            "gagal_terkirim": [],
        }
        document = json.loads((place.processed / STATUS_JSON).read_text(encoding="utf-8"))
        assert [a["id_aset"] for a in document["aset"]] == [camba]
        (body,) = hook.wait(1)
        assert [a["kecamatan"] for a in body["peringatan"]] == ["Camba"]
        # The same event again (a second trigger): nothing to do, nothing sent.
        again = pantau_perbarui(
            region_file, str(root), db, laporan_id=report_id, peristiwa=EVENT_RECEIVED
        )
        assert again == {"diperbarui": False}
        # A verification always updates; the alert is not sent twice.
        verified = pantau_perbarui(
            region_file,
            str(root),
            db,
            laporan_id=report_id,
            peristiwa="jangkau.laporan.diverifikasi",
        )
        assert verified["diperbarui"] and verified["terkirim"] == 0
        assert len(hook.bodies) == 1
    finally:
        hook.close()

    async def artifacts():
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["peringatan-maros"]))
            )

    found = asyncio.run(artifacts())
    assert found and found[0].type == "markdown"
    text = found[0].data
    assert "# Peringatan cakupan — maros" in text
    assert "| Camba | puskesmas |" in text and "| 0,0 % | 100,0 % |" in text
    assert "Cakupan Puskesmas di Kec. Camba turun dari" in text


@pytest.mark.slow
def test_a_report_runs_the_update_flow_through_a_prefect_automation(
    published,  # noqa: F811
    tmp_path,
):
    """The whole chain on a real local Prefect server: report, event, automation, flow run."""
    from flows.serve import local_server

    root, place = published
    db = sqlite_url(tmp_path / "pantau.sqlite")
    token = _token(db, "Dinas Kesehatan", ["puskesmas"])
    camba = _asset_id(place, CAMBA)
    port = _free_port()
    with local_server(tmp_path / "prefect-home") as env:
        env = {**env, "PYTHONPATH": str(PROJECT)}
        command = [sys.executable, "-m", "flows.cli", "pantau", "serve", "maros", "--prefect"]
        command += ["--root", str(PROJECT), "--out", str(root), "--port", str(port), "--db", db]
        service = subprocess.Popen(
            command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/status.json", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert service.poll() is None, service.stdout.read().decode()
                time.sleep(0.3)
            answer = httpx.post(
                f"{base}/api/laporan/status",
                json={"id_aset": camba, "status": "tutup sementara"},
                headers=_bearer(token),
            )
            assert answer.status_code == 201, answer.text
            report_id = answer.json()["id"]
            sent = time.monotonic()
            deadline = time.monotonic() + 120
            document = {}
            while time.monotonic() < deadline:
                document = httpx.get(f"{base}/status.json", timeout=2).json()
                if document["laporan_terakhir"] >= report_id:
                    break
                time.sleep(0.5)
            assert document["laporan_terakhir"] == report_id, "no flow run updated status.json"
            print(f"report to status.json through a flow run: {time.monotonic() - sent:.1f} s")
            assert [a["id_aset"] for a in document["aset"]] == [camba]
            # status.json is written by the flow's task; the run completes just after.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                runs = httpx.post(
                    f"{env['PREFECT_API_URL']}/flow_runs/filter",
                    json={"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}},
                    timeout=10,
                ).json()
                if any(r["parameters"].get("laporan_id") == report_id for r in runs):
                    break
                time.sleep(0.5)
            (run,) = [r for r in runs if r["parameters"].get("laporan_id") == report_id]
            assert run["parameters"]["peristiwa"] == "jangkau.laporan.diterima"
        finally:
            service.terminate()
            try:
                service.wait(timeout=30)
            except subprocess.TimeoutExpired:
                service.kill()
    assert os.path.exists(place.processed / STATUS_JSON)


def test_a_failing_event_loses_no_report(published, tmp_path, caplog):  # noqa: F811
    _root, place = published
    db = sqlite_url(tmp_path / "pantau.sqlite")
    token = _token(db, "Dinas Kesehatan", ["puskesmas"])

    def unreachable(_report: dict) -> None:
        raise ConnectionError("server Prefect tidak menjawab")

    with TestClient(create_app(place, db, on_report=unreachable)) as client:
        answer = client.post(
            "/api/laporan/status",
            json={"id_aset": _asset_id(place, CAMBA), "status": "tutup sementara"},
            headers=_bearer(token),
        )
    assert answer.status_code == 201
    assert _count(db) == 1
    (line,) = [r.getMessage() for r in caplog.records if "pemberitahuannya gagal" in r.getMessage()]
    assert line == (
        f"laporan {answer.json()['id']} tersimpan, tetapi pemberitahuannya gagal: "
        "server Prefect tidak menjawab"
    )


def test_prefect_mode_without_a_prefect_server_is_one_line(published):  # noqa: F811
    from flows.prefect_setup import PREFECT_DEFAULT_PORT, _server_answers

    if _server_answers("127.0.0.1", PREFECT_DEFAULT_PORT):
        pytest.skip("a Prefect server answers on this machine's port 4200")
    root, _place = published
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "pantau", "serve", "maros", "--prefect"]
        + ["--out", str(root), "--port", str(_free_port())],
        cwd=PROJECT,
        env={**env, "PYTHONPATH": str(PROJECT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "--prefect memerlukan server Prefect" in done.stderr
