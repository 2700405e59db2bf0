"""The live status service under Prefect: reports as events, updates as flow runs.

``jangkau pantau serve REGION --prefect`` serves the report API and, in the
same process, the deployment ``pantau-perbarui/pantau-REGION``. Each stored
report emits the event ``jangkau.laporan.diterima`` (a verification
``jangkau.laporan.diverifikasi``) on the resource ``jangkau.wilayah.REGION``;
the deployment's trigger (a Prefect automation) runs the flow
``pantau-perbarui`` for it, one run at a time. A run whose report an earlier
run already took in ends at once ("sudah termasuk"), so a burst costs a few
updates. Alerts are published as the artifact ``peringatan-REGION`` and sent
through the region's channels (webhook, e-mail, a Prefect notification block).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.events import DeploymentEventTrigger, emit_event

from flows.pantau import database_url_for, place_for
from jangkau.config.region import load_region_file
from jangkau.pantau.notify import (
    Channel,
    Notifier,
    body_text,
    notifier_for,
    settings_from_region,
    subject,
)
from jangkau.pantau.once import applied_report, update_once

EVENT_RECEIVED = "jangkau.laporan.diterima"
EVENT_VERIFIED = "jangkau.laporan.diverifikasi"
FLOW_NAME = "pantau-perbarui"
PAYLOAD_KEYS = ("jenis_laporan", "id_aset", "status", "jenis_kejadian", "pelapor", "merujuk")
LOG = logging.getLogger("jangkau.pantau")


def resource_id(region: str) -> str:
    """Return the Prefect resource id of a region's reports."""
    return f"jangkau.wilayah.{region}"


def report_event(report: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Return the event name and payload for a stored report (or a verification)."""
    name = EVENT_VERIFIED if report.get("jenis_laporan") == "verifikasi" else EVENT_RECEIVED
    payload = {"laporan_id": int(report["id"])}
    payload |= {k: report[k] for k in PAYLOAD_KEYS if report.get(k) is not None}
    return name, payload


def event_emitter(region: str):
    """Return the service's ``on_report`` hook: emit one Prefect event per report."""

    def emit(report: dict[str, Any]) -> None:
        name, payload = report_event(report)
        emit_event(
            event=name,
            resource={
                "prefect.resource.id": resource_id(region),
                "prefect.resource.name": f"Wilayah {region}",
            },
            payload=payload,
        )

    return emit


def alerts_markdown(region: str, alerts: list[dict[str, Any]], document: dict[str, Any]) -> str:
    """Return the alert artifact's text (Bahasa Indonesia)."""
    if not alerts:
        return (
            f"# Peringatan cakupan — {region}\n\nTidak ada peringatan lagi: "
            f"semua kecamatan kembali di atas target atau asetnya pulih "
            f"(diperbarui {document['diperbarui']})."
        )
    lines = [
        f"# Peringatan cakupan — {region}",
        "",
        f"Cakupan layanan turun di bawah target karena laporan (sampai laporan nomor "
        f"{document['laporan_terakhir']}, diperbarui {document['diperbarui']}).",
        "",
        "| Kecamatan | Layanan | Sebelum | Sesudah | Target |",
        "|---|---|---:|---:|---:|",
    ]
    lines += [
        f"| {a['kecamatan']} | {a['layanan']} | {_pct(a['cakupan_sebelum'])} | "
        f"{_pct(a['cakupan_sesudah'])} | {_pct(a['target_cakupan'])} |"
        for a in alerts
    ]
    lines += ["", *[f"- {a['pesan']}" for a in alerts]]
    return "\n".join(lines)


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %".replace(".", ",")


def block_channel(slug: str) -> Channel:
    """Return a channel sending through a Prefect notification block (``type/name``)."""
    from prefect.blocks.core import Block

    def send(region: str, alerts: list[dict[str, Any]]) -> None:
        block = Block.load(slug)
        block.notify(body_text(region, alerts), subject=subject(region, alerts))

    return send


@task(name="perbarui-status", retries=1, retry_delay_seconds=2)
def update_task(region: str, processed: str, maps: str | None, db_url: str, laporan_id: int | None):
    """Recompute and write the live files, unless an earlier run already took the report in."""
    from jangkau.pantau.updater import Place

    place = Place(region=region, processed=Path(processed), maps=Path(maps) if maps else None)
    logger = get_run_logger()
    if laporan_id is not None and applied_report(place.processed) >= laporan_id:
        logger.info("laporan %s sudah termasuk dalam pembaruan sebelumnya", laporan_id)
        return None
    document = update_once(place, db_url)
    logger.info(
        "status.json diperbarui sampai laporan %s: %d aset tidak normal, %d peringatan",
        document["laporan_terakhir"],
        len(document["aset"]),
        len(document["peringatan"]),
    )
    return document


@flow(name=FLOW_NAME, log_prints=True)
def pantau_perbarui(
    region_file: str,
    out_root: str,
    db: str | None = None,
    laporan_id: int | None = None,
    peristiwa: str | None = None,
) -> dict[str, Any]:
    """Update a region's live files after a report; publish and send its alerts.

    Parameters
    ----------
    region_file, out_root
        The region file and the folder holding ``data/processed/NAME``.
    db
        Database URL (default: the SQLite file beside the region's outputs).
    laporan_id, peristiwa
        From the triggering event: the report's id and the event's name. A
        verification always updates; a new report only when not yet included.
    """
    settings = load_region_file(region_file)
    place = place_for(settings["name"], Path(out_root))
    url = db or database_url_for(None, place)
    wanted = laporan_id if peristiwa in (None, EVENT_RECEIVED) else None
    document = update_task(
        place.region, str(place.processed), str(place.maps) if place.maps else None, url, wanted
    )
    if document is None:
        return {"diperbarui": False}
    notice = settings_from_region(settings, source=region_file)
    extra = {"blok_prefect": block_channel(notice.blok_prefect)} if notice.blok_prefect else None
    notifier: Notifier | None = notifier_for(place.region, place.processed, notice, extra=extra)
    sent = notifier(document) if notifier is not None else None
    alerts = document["peringatan"]
    if alerts or (sent is not None and sent.selesai):
        publish_alerts(place.region, alerts, document)
    return {
        "diperbarui": True,
        "laporan_terakhir": document["laporan_terakhir"],
        "peringatan": len(alerts),
        "terkirim": len(sent.baru) if sent else 0,
        "gagal_terkirim": sent.gagal if sent else [],
    }


def publish_alerts(region: str, alerts: list[dict[str, Any]], document: dict[str, Any]) -> None:
    """Publish the current alerts as a markdown and a table artifact (key ``peringatan-REGION``)."""
    create_markdown_artifact(
        key=f"peringatan-{region}",
        markdown=alerts_markdown(region, alerts, document),
        description=f"Peringatan cakupan di bawah target — {region}",
    )
    create_table_artifact(
        key=f"peringatan-{region}-tabel",
        table=[
            {
                "kecamatan": a["kecamatan"],
                "layanan": a["layanan"],
                "cakupan_sebelum": round(a["cakupan_sebelum"], 4),
                "cakupan_sesudah": round(a["cakupan_sesudah"], 4),
                "target_cakupan": a["target_cakupan"],
            }
            for a in alerts
        ],
        description=f"Peringatan cakupan (tabel) — {region}",
    )


def update_deployment(region: str, region_file: Path, out_root: Path, db_url: str | None):
    """Return the deployment ``pantau-REGION`` of the update flow, triggered by report events."""
    return pantau_perbarui.to_deployment(
        name=f"pantau-{region}",
        parameters={"region_file": str(region_file), "out_root": str(out_root), "db": db_url},
        triggers=[
            DeploymentEventTrigger(
                name=f"laporan-{region}",
                expect={"jangkau.laporan.*"},
                match={"prefect.resource.id": resource_id(region)},
                parameters={
                    "laporan_id": "{{ event.payload.laporan_id }}",
                    "peristiwa": "{{ event.event }}",
                },
            )
        ],
        # One run at a time, the others wait: two runs writing at once could leave the older state.
        concurrency_limit=1,
        tags=["jangkau", "pantau", region],
        description=f"Pembaruan status langsung {region} setelah setiap laporan",
    )


async def serve_together(server: Any, deployment: Any) -> None:
    """Run the report API (a ``uvicorn.Server``) and serve the deployment until the API stops."""
    from prefect.runner import Runner

    runner = Runner(name=f"jangkau-{deployment.name}", query_seconds=2)
    await runner.aadd_deployment(deployment)
    serving = asyncio.create_task(runner.start())
    # Let the runner install its signal handler first, so the API's (Ctrl-C, SIGTERM) wins
    # and stopping the API stops both.
    await asyncio.sleep(0)
    try:
        await server.serve()
    finally:
        if runner.started:
            await runner.astop()
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
