"""The report service (FastAPI): officers' and agencies' reports, residents' form, live status.

Every accepted report is committed to the database before the 201 answer;
the live files follow within the update's time (:mod:`jangkau.pantau.updater`).
Refusals are JSON ``{"galat": "..."}`` in Bahasa Indonesia and store nothing.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from jangkau.pantau import checks
from jangkau.pantau.checks import ReportError
from jangkau.pantau.files import STATUS_JSON, geopackage_bytes, report_layer
from jangkau.pantau.form import render_form
from jangkau.pantau.limits import BodyLimit
from jangkau.pantau.series_api import add_coverage_route
from jangkau.pantau.store import PENDING, VERIFIED, Store
from jangkau.pantau.updater import Place, Updater
from jangkau.pantau.vocabulary import load_vocabulary

LOG = logging.getLogger("jangkau.pantau")
RESIDENT = "warga"
ALL_CLASSES = "semua"


def create_app(
    place: Place,
    db_url: str,
    *,
    on_report: Callable[[dict[str, Any]], object] | None = None,
    on_update: Callable[[dict], object] | None = None,
) -> FastAPI:
    """Return the service for one region's outputs and one database URL.

    ``on_report``, when given, is told of each stored report (and each
    verification) instead of the in-process update being asked for: the caller
    updates elsewhere (the Prefect flow, :mod:`flows.pantau_prefect`); a
    failing ``on_report`` is logged and the report stays stored. ``on_update``
    is called with every new ``status.json`` document of the in-process update,
    in a thread (the alert notifications, :mod:`jangkau.pantau.notify`).
    """
    vocabulary = load_vocabulary()
    store = Store(db_url)
    window = float(vocabulary.limits["warga_jendela_detik"])
    allowed = int(vocabulary.limits["warga_maks_laporan"])
    recent: dict[str, deque[float]] = defaultdict(deque)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await store.create()
        updater = Updater(place, store, vocabulary, on_update=on_update)
        app.state.updater = updater
        await updater.update_now()
        updater.start()
        yield
        await updater.stop()
        await store.close()

    app = FastAPI(title=f"jangkau pantau — {place.region}", lifespan=lifespan)
    app.state.store = store
    app.add_middleware(BodyLimit, limit=int(vocabulary.limits["ukuran_maks_byte"]))

    @app.exception_handler(ReportError)
    async def refused(_request: Request, error: ReportError) -> JSONResponse:
        return JSONResponse({"galat": error.message}, status_code=error.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        fields = ", ".join(str(e["loc"][-1]) for e in error.errors())
        return JSONResponse({"galat": f"isian tidak sah: {fields}"}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def not_found(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        words = {404: "alamat tidak ada", 405: "metode tidak diizinkan untuk alamat ini"}
        return JSONResponse(
            {"galat": words.get(error.status_code, str(error.detail))},
            status_code=error.status_code,
        )

    async def officer(request: Request) -> dict[str, Any]:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ReportError(401, "token tidak ada: kirim header 'Authorization: Bearer TOKEN'")
        owner = await store.token_owner(token.strip())
        if owner is None:
            raise ReportError(401, "token tidak dikenal atau sudah tidak berlaku")
        if owner["dicabut"] is not None:
            raise ReportError(
                401, f"token ini sudah dicabut ({owner['dicabut']:%Y-%m-%d %H:%M} UTC)"
            )
        return owner

    async def json_body(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raise ReportError(400, "isi permintaan bukan JSON yang sah") from None
        return checks.require_object(body)

    def baseline():
        return app.state.updater.baseline

    add_coverage_route(app, store=store, baseline=baseline)

    async def stored(values: dict[str, Any]) -> int:
        """Commit a report, ask for an update, return its id."""
        values.setdefault("diterima", datetime.now(UTC))
        report_id = await store.add_report(values)
        if on_report is None:
            app.state.updater.request()
        else:
            announce({**values, "id": report_id})
        return report_id

    def announce(report: dict[str, Any]) -> None:
        try:
            on_report(report)
        except Exception as error:  # the report is committed; its update follows the next one
            LOG.warning(
                "laporan %s tersimpan, tetapi pemberitahuannya gagal: %s", report["id"], error
            )

    async def accepted(values: dict[str, Any]) -> JSONResponse:
        report_id = await stored(values)
        return JSONResponse({"id": report_id, "pesan": "laporan diterima"}, status_code=201)

    @app.post("/api/laporan/status")
    async def status_report(request: Request) -> JSONResponse:
        owner = await officer(request)
        body = await json_body(request)
        id_aset, status, service = checks.asset_status(
            body, baseline=baseline(), vocabulary=vocabulary, region=place.region
        )
        if ALL_CLASSES not in owner["kelas"] and service not in owner["kelas"]:
            raise ReportError(
                403,
                f"token {owner['instansi']} hanya berlaku untuk kelas aset "
                f"{', '.join(owner['kelas'])}; aset {id_aset} termasuk kelas {service}",
            )
        now = datetime.now(UTC)
        return await accepted(
            {
                "jenis_laporan": "status",
                "id_aset": id_aset,
                "status": status,
                "waktu": checks.report_time(body, now=now, vocabulary=vocabulary),
                "pelapor": owner["instansi"],
                "catatan": checks.text_field(body, "catatan"),
                "verifikasi": VERIFIED,
            }
        )

    @app.post("/api/laporan/kejadian")
    async def event_report(request: Request) -> JSONResponse:
        owner = await officer(request)
        body = await json_body(request)
        kind = checks.event_kind(body, vocabulary=vocabulary)
        lat, lon = checks.event_place(body, baseline=baseline(), region=place.region)
        now = datetime.now(UTC)
        return await accepted(
            {
                "jenis_laporan": "kejadian",
                "jenis_kejadian": kind,
                "lintang": lat,
                "bujur": lon,
                "radius_m": checks.event_radius(body, vocabulary=vocabulary),
                "waktu": checks.report_time(body, now=now, vocabulary=vocabulary),
                "pelapor": owner["instansi"],
                "catatan": checks.text_field(body, "keterangan"),
                "verifikasi": VERIFIED,
            }
        )

    @app.post("/api/laporan/kejadian/{report_id}/selesai")
    async def event_over(report_id: int, request: Request) -> JSONResponse:
        owner = await officer(request)
        events = [r for r in await store.reports() if r["id"] == report_id]
        if not events or events[0]["jenis_laporan"] != "kejadian":
            raise ReportError(404, f"kejadian nomor {report_id} tidak ada")
        return await accepted(
            {
                "jenis_laporan": "kejadian_selesai",
                "merujuk": report_id,
                "waktu": datetime.now(UTC),
                "pelapor": owner["instansi"],
                "verifikasi": VERIFIED,
            }
        )

    @app.post("/api/laporan/{report_id}/verifikasi")
    async def verify(report_id: int, request: Request) -> JSONResponse:
        owner = await officer(request)
        if not await store.verify(report_id, officer=owner["instansi"]):
            raise ReportError(
                404, f"tidak ada laporan warga nomor {report_id} yang menunggu verifikasi"
            )
        app.state.updater.reread(update=on_report is None)
        if on_report is not None:
            announce({"id": report_id, "jenis_laporan": "verifikasi", "pelapor": owner["instansi"]})
        return JSONResponse({"id": report_id, "pesan": "laporan diverifikasi"})

    @app.get("/api/laporan")
    async def list_reports(
        request: Request,
        dari: datetime | None = None,
        sampai: datetime | None = None,
        status: str | None = None,
        format: str = "json",  # noqa: A002 - the query parameter's name
    ) -> Response:
        await officer(request)
        for moment in (dari, sampai):
            if moment is not None and moment.tzinfo is None:
                raise ReportError(422, "dari/sampai harus memuat zona waktu, misalnya +08:00")
        rows = await store.reports(
            dari=dari.astimezone(UTC) if dari else None,
            sampai=sampai.astimezone(UTC) if sampai else None,
            status=status,
        )
        if format == "gpkg":
            layer = report_layer(rows, baseline().aset)
            data = await asyncio.to_thread(geopackage_bytes, layer, "laporan")
            return Response(
                data,
                media_type="application/geopackage+sqlite3",
                headers={"Content-Disposition": 'attachment; filename="laporan.gpkg"'},
            )
        for row in rows:
            for key in ("waktu", "diterima"):
                row[key] = row[key].isoformat()
        if format == "csv":
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["id"])
            writer.writeheader()
            writer.writerows(rows)
            return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8")
        return JSONResponse({"laporan": rows, "jumlah": len(rows)})

    @app.get("/status.json")
    async def status_file() -> Response:
        path = place.processed / STATUS_JSON
        if not path.exists():
            raise ReportError(503, "status belum tersedia")
        return FileResponse(
            path, media_type="application/json", headers={"Cache-Control": "no-store"}
        )

    @app.get("/")
    async def map_page() -> Response:
        page = place.maps / "index.html" if place.maps else None
        if page is None or not page.exists():
            raise ReportError(404, "peta belum diterbitkan")
        return FileResponse(page, media_type="text/html")

    @app.get("/lapor", response_class=HTMLResponse)
    async def form_page() -> HTMLResponse:
        return HTMLResponse(render_form(region=place.region, vocabulary=vocabulary))

    @app.post("/lapor", response_class=HTMLResponse)
    async def form_post(request: Request) -> HTMLResponse:
        address = request.client.host if request.client else "?"
        now = time.monotonic()
        times = recent[address]
        while times and now - times[0] > window:
            times.popleft()
        if len(times) >= allowed:
            message = (
                f"terlalu banyak laporan dari alamat ini; coba lagi dalam {window / 60:.0f} menit"
            )
            return HTMLResponse(
                render_form(region=place.region, vocabulary=vocabulary, error=message), 429
            )
        fields = {
            k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()
        }
        try:
            values = resident_report(fields)
        except ReportError as error:
            page = render_form(
                region=place.region, vocabulary=vocabulary, error=error.message, fields=fields
            )
            return HTMLResponse(page, error.status)
        times.append(now)
        report_id = await stored(values)
        page = render_form(region=place.region, vocabulary=vocabulary, done=report_id)
        return HTMLResponse(page, 201)

    def resident_report(fields: dict[str, str]) -> dict[str, Any]:
        now = datetime.now(UTC)
        common = {
            "waktu": now,
            "pelapor": RESIDENT,
            "catatan": checks.text_field(fields, "catatan"),
            "verifikasi": PENDING,
        }
        if fields.get("jenis_laporan") == "kejadian":
            lat, lon = checks.event_place(fields, baseline=baseline(), region=place.region)
            kind = checks.event_kind(fields, vocabulary=vocabulary)
            return {
                **common,
                "jenis_laporan": "kejadian",
                "jenis_kejadian": kind,
                "lintang": lat,
                "bujur": lon,
            }
        id_aset, status, _service = checks.asset_status(
            fields, baseline=baseline(), vocabulary=vocabulary, region=place.region
        )
        return {**common, "jenis_laporan": "status", "id_aset": id_aset, "status": status}

    return app
