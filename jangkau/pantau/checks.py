"""Checks on a report's fields, each failure one Indonesian sentence with its HTTP status."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import shapely

from jangkau.pantau.baseline import Baseline
from jangkau.pantau.vocabulary import Vocabulary

MAX_TEXT = 4000
# Report places may lie just outside the simplified desa polygons (coast, border road).
OUTLINE_TOLERANCE_DEG = 0.001


class ReportError(Exception):
    """A report refused: ``status`` is the HTTP status, the message is for the reporter."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def require_object(body: Any) -> dict[str, Any]:
    """Return the body when it is a JSON object."""
    if not isinstance(body, dict):
        raise ReportError(400, "isi permintaan harus berupa objek JSON {...}")
    return body


def text_field(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    """Return a text field (stored exactly as sent), or None when absent and optional."""
    value = body.get(name)
    if value is None:
        if required:
            raise ReportError(422, f"kolom '{name}' wajib diisi")
        return None
    if not isinstance(value, str):
        raise ReportError(422, f"kolom '{name}' harus berupa teks")
    if required and not value.strip():
        raise ReportError(422, f"kolom '{name}' wajib diisi")
    if len(value) > MAX_TEXT:
        raise ReportError(422, f"kolom '{name}' terlalu panjang (paling banyak {MAX_TEXT} huruf)")
    return value


def number_field(body: dict[str, Any], name: str, *, required: bool = False) -> float | None:
    """Return a finite number field, or None when absent and optional."""
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise ReportError(422, f"kolom '{name}' wajib diisi")
        return None
    if isinstance(value, bool):
        raise ReportError(422, f"kolom '{name}' harus berupa angka")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ReportError(422, f"kolom '{name}' harus berupa angka, bukan '{value}'") from None
    if not math.isfinite(number):
        raise ReportError(422, f"kolom '{name}' harus berupa angka terhingga")
    return number


def report_time(body: dict[str, Any], *, now: datetime, vocabulary: Vocabulary) -> datetime:
    """Return the report's time in UTC: ``waktu`` (ISO 8601 with zone), or now when absent."""
    value = body.get("waktu")
    if value is None or value == "":
        return now
    if not isinstance(value, str):
        raise ReportError(
            422, "kolom 'waktu' harus berupa teks ISO 8601, misalnya 2026-03-01T08:30:00+08:00"
        )
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ReportError(
            422,
            f"waktu '{value}' tidak terbaca; tulis ISO 8601, misalnya 2026-03-01T08:30:00+08:00",
        ) from None
    if moment.tzinfo is None:
        raise ReportError(
            422, f"waktu '{value}' tanpa zona waktu; tambahkan misalnya +08:00 (WITA)"
        )
    moment = moment.astimezone(UTC)
    skew = timedelta(seconds=float(vocabulary.limits["toleransi_jam_detik"]))
    if moment > now + skew:
        raise ReportError(422, f"waktu '{value}' berada di masa depan")
    return moment


def asset_status(
    body: dict[str, Any], *, baseline: Baseline, vocabulary: Vocabulary, region: str
) -> tuple[str, str, str]:
    """Return ``(id_aset, status, layanan)`` of a status report, checked against the region."""
    id_aset = text_field(body, "id_aset", required=True).strip()
    status = text_field(body, "status", required=True).strip().lower()
    if status not in vocabulary.statuses:
        allowed = ", ".join(f"'{s}'" for s in vocabulary.statuses)
        raise ReportError(422, f"status '{status}' tidak dikenal; pilih salah satu: {allowed}")
    service = baseline.service_of(id_aset)
    if service is None:
        raise ReportError(422, f"id_aset '{id_aset}' tidak dikenal di wilayah {region}")
    return id_aset, status, service


def event_place(body: dict[str, Any], *, baseline: Baseline, region: str) -> tuple[float, float]:
    """Return ``(lintang, bujur)`` of an event, which must lie in the kabupaten."""
    lat = number_field(body, "lintang", required=True)
    lon = number_field(body, "bujur", required=True)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ReportError(422, f"koordinat ({lat}, {lon}) bukan lintang/bujur yang sah")
    point = shapely.Point(lon, lat)
    if not shapely.dwithin(baseline.outline, point, OUTLINE_TOLERANCE_DEG):
        raise ReportError(422, f"titik ({lat}, {lon}) berada di luar wilayah {region}")
    return lat, lon


def event_kind(body: dict[str, Any], *, vocabulary: Vocabulary) -> str:
    """Return the event's kind, one of the known kinds."""
    kind = text_field(body, "jenis", required=True).strip().lower()
    if kind not in vocabulary.events:
        allowed = ", ".join(f"'{k}'" for k in vocabulary.events)
        raise ReportError(
            422, f"jenis kejadian '{kind}' tidak dikenal; pilih salah satu: {allowed}"
        )
    return kind


def event_radius(body: dict[str, Any], *, vocabulary: Vocabulary) -> float | None:
    """Return the event's radius in metres (optional, 0 to the configured maximum)."""
    radius = number_field(body, "radius_m")
    limit = float(vocabulary.limits["radius_maks_m"])
    if radius is not None and not 0 <= radius <= limit:
        raise ReportError(422, f"radius_m harus antara 0 dan {limit:.0f} meter")
    return radius
