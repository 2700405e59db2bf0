"""``GET /api/cakupan/{kode_kec}``: a kecamatan's coverage over time, as JSON or CSV.

Public, like ``status.json`` and the map: the figures are the published ones
and the changes reports made to them, no reporter or note.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from jangkau.pantau.baseline import Baseline
from jangkau.pantau.checks import ReportError
from jangkau.pantau.series import coverage_series
from jangkau.pantau.store import Store

SERIES_COLUMNS = [
    "waktu",
    "kode_kec",
    "kecamatan",
    "layanan",
    "cakupan",
    "sumber",
    "hasil_dasar",
    "laporan_terakhir",
]


def add_coverage_route(app: FastAPI, *, store: Store, baseline: Callable[[], Baseline]) -> None:
    """Add the coverage-over-time endpoint to the service."""

    @app.get("/api/cakupan/{kode_kec}")
    async def coverage_over_time(
        kode_kec: str,
        layanan: str | None = None,
        dari: datetime | None = None,
        sampai: datetime | None = None,
        format: str = "json",  # noqa: A002 - the query parameter's name
    ) -> Response:
        published = baseline()
        names = dict(
            zip(published.kecamatan["kode_kec"], published.kecamatan["kecamatan"], strict=True)
        )
        if kode_kec not in names:
            raise ReportError(404, f"kecamatan dengan kode {kode_kec} tidak ada di wilayah ini")
        services = set(published.layanan["layanan"])
        if layanan is not None and layanan not in services:
            raise ReportError(
                422, f"layanan '{layanan}' tidak dikenal; pilih: {', '.join(sorted(services))}"
            )
        if format not in ("json", "csv"):
            raise ReportError(422, "format harus json atau csv")
        for moment in (dari, sampai):
            if moment is not None and moment.tzinfo is None:
                raise ReportError(422, "dari/sampai harus memuat zona waktu, misalnya +08:00")
        rows = await coverage_series(
            store,
            kode_kec=kode_kec,
            layanan=layanan,
            dari=dari.astimezone(UTC) if dari else None,
            sampai=sampai.astimezone(UTC) if sampai else None,
        )
        series = [
            {
                **{key: row.get(key) for key in SERIES_COLUMNS},
                "waktu": row["waktu"].isoformat(),
                "kecamatan": names[kode_kec],
            }
            for row in rows
        ]
        if format == "csv":
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=SERIES_COLUMNS)
            writer.writeheader()
            writer.writerows(series)
            return Response(
                buffer.getvalue(),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="cakupan_{kode_kec}.csv"'},
            )
        return JSONResponse(
            {
                "kode_kec": kode_kec,
                "kecamatan": names[kode_kec],
                "layanan": layanan,
                "seri": series,
                "jumlah": len(series),
            }
        )
