"""Alerts of the live status service sent out (issue 17, point 4): webhook and e-mail, once each.

Closing Puskesmas Camba leaves its kecamatan with no puskesmas in reach; the
figures the receivers get are checked against plain shapely discs
(``_independent_puskesmas_fractions``), the target against the published
``layanan`` layer.
"""

from __future__ import annotations

import email
import json
import logging
import socketserver
import threading
import time
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyogrio
import pytest
from fastapi.testclient import TestClient
from test_pantau import (
    CAMBA,
    _asset_id,
    _bearer,
    _count,
    _independent_puskesmas_fractions,
    _token,
    _wait_for,
    published,  # noqa: F401 - the module's fixture: a published Maros run
)

from jangkau.errors import InputError
from jangkau.pantau.app import create_app
from jangkau.pantau.notify import LEDGER, Email, Settings, notifier_for, settings_from_region
from jangkau.pantau.store import sqlite_url

MALLAWA = "Puskesmas Mallawa"


class Hook:
    """A local webhook receiver: keeps every JSON body; answers 500 while ``failing``."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.failing = False
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                data = self.rfile.read(int(self.headers["Content-Length"]))
                if hook.failing:
                    self.send_response(500)
                else:
                    hook.bodies.append(json.loads(data))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/peringatan"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float = 20.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.bodies) < count:
            time.sleep(0.05)
        assert len(self.bodies) >= count, f"{len(self.bodies)} webhook calls, expected {count}"
        return self.bodies

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox(socketserver.ThreadingTCPServer):
    """The smallest SMTP server smtplib talks to: keeps each message's envelope and text."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        box = self

        class Session(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                sender, recipients = "", []
                self.wfile.write(b"220 localhost siap\r\n")
                while line := self.rfile.readline():
                    verb = line.decode().strip().split(" ")[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.wfile.write(b"250 localhost\r\n")
                    elif verb == "MAIL":
                        sender = line.decode().split(":", 1)[1].strip().strip("<>")
                        self.wfile.write(b"250 OK\r\n")
                    elif verb == "RCPT":
                        recipients.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                        self.wfile.write(b"250 OK\r\n")
                    elif verb == "DATA":
                        self.wfile.write(b"354 akhiri dengan titik\r\n")
                        data = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk
                        box.messages.append((sender, recipients, data))
                        self.wfile.write(b"250 OK\r\n")
                    elif verb == "QUIT":
                        self.wfile.write(b"221 Bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 OK\r\n")

        super().__init__(("127.0.0.1", 0), Session)
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture
def hook():
    receiver = Hook()
    yield receiver
    receiver.close()


@pytest.fixture
def expected_camba(published):  # noqa: F811 - the imported fixture
    """Camba's kecamatan coverage of puskesmas with and without it (shapely), and the target."""
    _root, place = published
    camba = _asset_id(place, CAMBA)
    desa, every, without, _standard = _independent_puskesmas_fractions(place, camba)
    people = desa["penduduk"].to_numpy(dtype=float)
    (code,) = desa.loc[desa["kecamatan"] == "Camba", "kode_kec"].unique()
    members = (desa["kode_kec"] == code).to_numpy()
    layanan = pyogrio.read_dataframe(
        place.processed / "coverage.gpkg", layer="layanan", read_geometry=False
    ).set_index("layanan")
    return {
        "kode_kec": code,
        "sebelum": (people * every)[members].sum() / people[members].sum(),
        "sesudah": (people * without)[members].sum() / people[members].sum(),
        "target": float(layanan.at["puskesmas", "target_cakupan"]),
    }


def _service(published, tmp_path, settings: Settings):  # noqa: F811
    _root, place = published
    (place.processed / LEDGER).unlink(missing_ok=True)  # another test's alerts
    db = sqlite_url(tmp_path / "pantau.sqlite")
    token = _token(db, "Dinas Kesehatan", ["puskesmas"])
    notifier = notifier_for(place.region, place.processed, settings)
    return TestClient(create_app(place, db, on_update=notifier)), place, token, db


def _report(client, token: str, id_aset: str, status: str) -> int:
    answer = client.post(
        "/api/laporan/status",
        json={"id_aset": id_aset, "status": status},
        headers=_bearer(token),
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _ledger_keys(place) -> set[str]:
    path = place.processed / LEDGER
    if not path.exists():
        return set()
    return {k for keys in json.loads(path.read_text())["terkirim"].values() for k in keys}


def _wait_ledger(place, predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate(_ledger_keys(place)):
            return
        time.sleep(0.05)
    raise AssertionError(f"ledger stayed {_ledger_keys(place)}")


def test_webhook_gets_each_new_alert_once(published, tmp_path, hook, expected_camba):  # noqa: F811
    client, place, token, _db = _service(published, tmp_path, Settings(webhook=hook.url))
    with client:
        camba, mallawa = _asset_id(place, CAMBA), _asset_id(place, MALLAWA)
        _wait_for(client, _report(client, token, camba, "tutup sementara"))
        (body,) = hook.wait(1)
        assert body["wilayah"] == "maros" and body["jenis"] == "peringatan_cakupan"
        (alert,) = body["peringatan"]
        assert (alert["kecamatan"], alert["layanan"]) == ("Camba", "puskesmas")
        assert alert["kode_kec"] == expected_camba["kode_kec"]
        assert alert["cakupan_sebelum"] == pytest.approx(expected_camba["sebelum"], abs=2e-3)
        assert alert["cakupan_sesudah"] == pytest.approx(expected_camba["sesudah"], abs=2e-3)
        assert expected_camba["sesudah"] == pytest.approx(0.0, abs=1e-9)
        assert alert["target_cakupan"] == expected_camba["target"] == 1.0
        assert "Kec. Camba" in alert["pesan"] and "di bawah target" in alert["pesan"]

        # A second closure elsewhere: its alert is sent, Camba's (still on) is not again.
        _wait_for(client, _report(client, token, mallawa, "tutup sementara"))
        bodies = hook.wait(2)
        assert [a["kecamatan"] for a in bodies[1]["peringatan"]] == ["Mallawa"]
        # A report changing no coverage: no call at all.
        _wait_for(client, _report(client, token, camba, "tutup sementara"))
        _wait_ledger(place, lambda keys: len(keys) == 2)
        time.sleep(0.5)
        assert len(hook.bodies) == 2

        # Camba restored: its alert ends; closed again later, it is a new alert, sent again.
        _wait_for(client, _report(client, token, camba, "pulih"))
        mallawa_key = f"{bodies[1]['peringatan'][0]['kode_kec']}|puskesmas"
        _wait_ledger(place, lambda keys: keys == {mallawa_key})
        assert len(hook.bodies) == 2
        _wait_for(client, _report(client, token, camba, "tutup sementara"))
        bodies = hook.wait(3)
        assert [a["kecamatan"] for a in bodies[2]["peringatan"]] == ["Camba"]


def test_failing_webhook_loses_no_report_and_is_retried(
    published,  # noqa: F811
    tmp_path,
    hook,
    caplog,
    expected_camba,
):
    hook.failing = True
    client, place, token, db = _service(published, tmp_path, Settings(webhook=hook.url))
    with client, caplog.at_level(logging.WARNING, logger="jangkau.pantau"):
        camba, mallawa = _asset_id(place, CAMBA), _asset_id(place, MALLAWA)
        first = _report(client, token, camba, "tutup sementara")
        document = _wait_for(client, first)
        assert [a["id_aset"] for a in document["aset"]] == [camba]
        assert [a["kecamatan"] for a in document["peringatan"]] == ["Camba"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "tidak terkirim" not in caplog.text:
            time.sleep(0.05)
        failures = [r for r in caplog.records if "tidak terkirim" in r.getMessage()]
        assert len(failures) == 1 and "\n" not in failures[0].getMessage()
        assert "webhook" in failures[0].getMessage() and "500" in failures[0].getMessage()
        assert _count(db) == 1 and hook.bodies == []
        # The receiver is back: the next update sends both alerts, Camba's included.
        hook.failing = False
        _wait_for(client, _report(client, token, mallawa, "tutup sementara"))
        (body,) = hook.wait(1)
        assert sorted(a["kecamatan"] for a in body["peringatan"]) == ["Camba", "Mallawa"]
        assert _count(db) == 2


def test_email_alert_reaches_a_local_smtp_server(published, tmp_path, expected_camba):  # noqa: F811
    box = Mailbox()
    port = box.server_address[1]
    settings = Settings(
        surel=Email(
            host="127.0.0.1",
            port=port,
            dari="jangkau@maros.go.id",
            kepada=("dinkes@maros.go.id", "bappeda@maros.go.id"),
        )
    )
    try:
        client, place, token, _db = _service(published, tmp_path, settings)
        with client:
            _wait_for(client, _report(client, token, _asset_id(place, CAMBA), "tutup sementara"))
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not box.messages:
                time.sleep(0.05)
            _wait_for(client, _report(client, token, _asset_id(place, CAMBA), "rusak berat"))
            _wait_ledger(place, lambda keys: len(keys) == 1)
            time.sleep(0.5)
    finally:
        box.shutdown()
        box.server_close()
    ((sender, recipients, data),) = box.messages
    assert sender == "jangkau@maros.go.id"
    assert recipients == ["dinkes@maros.go.id", "bappeda@maros.go.id"]
    message = email.message_from_bytes(data, policy=policy.default)
    assert "Kec. Camba" in message["Subject"] and "maros" in message["Subject"]
    text = message.get_content()
    before = f"{expected_camba['sebelum'] * 100:.1f}".replace(".", ",")
    assert f"Cakupan Puskesmas di Kec. Camba turun dari {before} % menjadi 0,0 %" in text
    assert "di bawah target 100,0 %" in text


def test_notification_settings_from_the_region_file():
    region = {
        "pantau": {
            "pemberitahuan": {
                "webhook": "https://contoh.go.id/kait",
                "blok_prefect": "custom-webhook/peringatan-maros",
                "surel": {"host": "smtp.contoh.go.id", "dari": "a@b.id", "kepada": "c@d.id"},
            }
        }
    }
    settings = settings_from_region(region, source="maros.toml")
    assert settings.webhook == "https://contoh.go.id/kait"
    assert settings.blok_prefect == "custom-webhook/peringatan-maros"
    assert settings.surel == Email(
        host="smtp.contoh.go.id", port=25, dari="a@b.id", kepada=("c@d.id",)
    )
    assert not settings_from_region({"name": "maros"}, source="maros.toml").any
    with pytest.raises(InputError, match=r"maros.toml: \[pantau.pemberitahuan\] webhook harus"):
        settings_from_region(
            {"pantau": {"pemberitahuan": {"webhook": "ftp://x"}}}, source="maros.toml"
        )
    with pytest.raises(InputError, match="surel tanpa dari, kepada"):
        settings_from_region(
            {"pantau": {"pemberitahuan": {"surel": {"host": "h"}}}}, source="maros.toml"
        )
