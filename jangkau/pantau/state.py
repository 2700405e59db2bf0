"""The live state of a region from its reports: what ``status.json`` and the live layers hold."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.pantau.baseline import Baseline
from jangkau.pantau.recompute import alerts, desa_changes, kecamatan_changes
from jangkau.pantau.store import PENDING, VERIFIED
from jangkau.pantau.travel_live import live_travel
from jangkau.pantau.vocabulary import Vocabulary

OPERATING = "beroperasi"


def current_status(reports: list[dict[str, Any]], *, vocabulary: Vocabulary) -> pd.DataFrame:
    """Return each reported asset's latest verified status (by event time, then report id).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``id_aset``: ``status`` (``pulih`` read as ``beroperasi``),
        ``melayani``, ``waktu``, ``catatan``, ``pelapor``, ``laporan_id``.
    """
    rows = [
        r
        for r in reports
        if r["jenis_laporan"] == "status" and r["verifikasi"] == VERIFIED and r["id_aset"]
    ]
    columns = ["status", "melayani", "waktu", "catatan", "pelapor", "laporan_id"]
    if not rows:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="id_aset"))
    frame = pd.DataFrame(rows).sort_values(["waktu", "id"], kind="stable")
    latest = frame.groupby("id_aset").tail(1).set_index("id_aset")
    status = latest["status"].replace({"pulih": OPERATING})
    return pd.DataFrame(
        {
            "status": status,
            "melayani": [vocabulary.serves(s) for s in status],
            "waktu": latest["waktu"],
            "catatan": latest["catatan"],
            "pelapor": latest["pelapor"],
            "laporan_id": latest["id"].astype(int),
        }
    )


def open_events(reports: list[dict[str, Any]], baseline: Baseline) -> list[dict[str, Any]]:
    """Return the verified events not closed by a later report, with the assets in their radius."""
    closed = {r["merujuk"] for r in reports if r["jenis_laporan"] == "kejadian_selesai"}
    events = [
        r
        for r in reports
        if r["jenis_laporan"] == "kejadian"
        and r["verifikasi"] == VERIFIED
        and r["id"] not in closed
    ]
    if not events:
        return []
    points = gpd.GeoSeries(
        gpd.points_from_xy([e["bujur"] for e in events], [e["lintang"] for e in events]), crs=4326
    ).to_crs(baseline.aset.crs)
    assets = baseline.aset.geometry.to_numpy()
    found = []
    for event, point in zip(events, points.to_numpy(), strict=True):
        radius = float(event["radius_m"] or 0.0)
        near = np.flatnonzero(shapely.dwithin(assets, point, radius)) if radius > 0 else []
        found.append(
            {
                "id": event["id"],
                "jenis": event["jenis_kejadian"],
                "waktu": _iso(event["waktu"]),
                "keterangan": event["catatan"],
                "lintang": event["lintang"],
                "bujur": event["bujur"],
                "radius_m": event["radius_m"],
                "pelapor": event["pelapor"],
                "aset_dalam_radius": baseline.aset["id_aset"].to_numpy()[near].tolist(),
            }
        )
    return found


def live_state(
    baseline: Baseline,
    reports: list[dict[str, Any]],
    *,
    vocabulary: Vocabulary,
    region: str,
    now: datetime,
    cache: dict | None = None,
) -> tuple[dict[str, Any], gpd.GeoDataFrame]:
    """Return the ``status.json`` document and the ``status_aset`` layer (EPSG:4326).

    The document lists assets not operating normally, open events (a road
    cut with the road edges it closes), desa and kecamatan whose coverage
    differs from the published run (before/after; by travel time in
    ``desa_waktu`` / ``kecamatan_waktu``), alerts, the count of residents' reports awaiting verification, the id of
    the newest report taken into account and the time of the update.
    ``cache`` (a dict kept between calls on the same baseline) spares
    recomputing a service whose assets out have not changed.
    """
    status = current_status(reports, vocabulary=vocabulary)
    not_serving = set(status.index[~status["melayani"].astype(bool)])
    desa = desa_changes(baseline, not_serving, cache=cache)
    kecamatan = kecamatan_changes(baseline, desa)
    names = dict(zip(baseline.layanan["layanan"], baseline.layanan["nama"], strict=True))
    events, desa_time, kecamatan_time, time_alerts = live_travel(
        baseline,
        open_events(reports, baseline),
        not_serving=not_serving,
        nearest_within_m=float(vocabulary.limits["ruas_terdekat_maks_m"]),
        service_names=names,
        cache=cache,
    )
    aset = baseline.aset.to_crs(4326)
    layer = aset.join(status, on="id_aset")
    layer["status"] = layer["status"].fillna(OPERATING)
    layer["melayani"] = layer["melayani"].fillna(True).astype(bool)
    unusual = layer.loc[layer["status"] != OPERATING]
    document = {
        "wilayah": region,
        "hasil_dasar": baseline.run,
        "diperbarui": _iso(now),
        "laporan_terakhir": max((r["id"] for r in reports), default=0),
        "aset": [
            {
                "id_aset": row.id_aset,
                "nama": row.nama,
                "layanan": row.layanan,
                "jenis": row.jenis,
                "desa": row.desa,
                "kecamatan": row.kecamatan,
                "status": row.status,
                "label_status": vocabulary.status_label(row.status),
                "melayani": bool(row.melayani),
                "waktu": _iso(row.waktu),
                "catatan": row.catatan,
                "lintang": row.geometry.y,
                "bujur": row.geometry.x,
            }
            for row in unusual.itertuples(index=False)
        ],
        "kejadian": events,
        "desa": _records(desa),
        "kecamatan": _records(kecamatan),
        "peringatan": alerts(kecamatan, service_names=names) + time_alerts,
        # Travel-time coverage (regions with a road network): closed roads and assets out.
        "desa_waktu": _records(desa_time),
        "kecamatan_waktu": _records(kecamatan_time),
        "menunggu_verifikasi": sum(1 for r in reports if r["verifikasi"] == PENDING),
    }
    layer["waktu_status"] = layer["waktu"].map(_iso)
    columns = ["id_aset", "nama", "layanan", "jenis", "desa", "kecamatan", "status", "melayani"]
    return document, layer[[*columns, "waktu_status", "catatan", "geometry"]]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain values; a missing number becomes null (NaN is not JSON a browser reads)."""
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _plain(value: object) -> object:
    value = value.item() if isinstance(value, np.generic) else value
    return None if isinstance(value, float) and not np.isfinite(value) else value


def _iso(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    return pd.Timestamp(value).isoformat()
