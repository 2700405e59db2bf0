"""Coverage over time of each kecamatan: the published figure, then every change a report makes.

Table ``cakupan_kecamatan`` in the report database (same SQLAlchemy Core
code for SQLite and PostgreSQL). When the service first works from a
published run it records that run's figure of every kecamatan × service at
the run's time (``sumber = 'hasil'``); after each update of the live files it
records the figure of every kecamatan × service that differs from the one
recorded last (``sumber = 'laporan'``, with the newest report the update
took). A ``pulih`` that gives the published figure back is recorded with
exactly that figure, so a series returns to its starting value.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from jangkau.pantau.baseline import Baseline
from jangkau.pantau.store import METADATA, Store

FROM_RUN = "hasil"
FROM_REPORTS = "laporan"

CAKUPAN_KECAMATAN = sa.Table(
    "cakupan_kecamatan",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
    sa.Column("kode_kec", sa.Text, nullable=False),
    sa.Column("layanan", sa.Text, nullable=False),
    # Share of the kecamatan's people within reach, 0..1 (as cakupan_* in the run).
    sa.Column("cakupan", sa.Float, nullable=False),
    # "hasil": the published run's figure; "laporan": after the live update.
    sa.Column("sumber", sa.String(16), nullable=False),
    # The run folder the figure starts from.
    sa.Column("hasil_dasar", sa.Text, nullable=False),
    # The newest report the update took (none for a run's own figure).
    sa.Column("laporan_terakhir", sa.Integer),
)
sa.Index(
    "cakupan_kecamatan_seri",
    CAKUPAN_KECAMATAN.c.kode_kec,
    CAKUPAN_KECAMATAN.c.layanan,
    CAKUPAN_KECAMATAN.c.waktu,
)

_RUN_STAMP = re.compile(r"^(\d{8}T\d{6})")


def run_time(processed: Path, run: str) -> datetime:
    """Return when a run was made: its folder's stamp (local time, as written), else its mtime."""
    found = _RUN_STAMP.match(run)
    if found:
        return datetime.strptime(found.group(1), "%Y%m%dT%H%M%S").astimezone(UTC)
    folder = processed / "riwayat" / run
    path = folder if folder.exists() else processed / "terkini"
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def published_figures(baseline: Baseline) -> dict[tuple[str, str], float]:
    """Return ``(kode_kec, layanan)`` → the run's coverage, for every service it measured."""
    figures = {}
    for service in baseline.layanan["layanan"]:
        column = f"cakupan_{service}"
        if column not in baseline.kecamatan.columns:
            continue
        for code, value in zip(
            baseline.kecamatan["kode_kec"], baseline.kecamatan[column], strict=True
        ):
            if value is not None and math.isfinite(float(value)):
                figures[(str(code), str(service))] = float(value)
    return figures


def live_figures(
    published: dict[tuple[str, str], float], document: dict[str, Any]
) -> dict[tuple[str, str], float]:
    """Return the figures now: the published ones, with those ``status.json`` changed."""
    now = dict(published)
    for row in document["kecamatan"]:
        key = (str(row["kode_kec"]), str(row["layanan"]))
        if key in now:
            now[key] = float(row["cakupan_sesudah"])
    return now


class CoverageHistory:
    """Records the coverage series of the service's database as the live files change."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._run: str | None = None
        self._published: dict[tuple[str, str], float] = {}
        self._last: dict[tuple[str, str], float] = {}

    async def record(self, baseline: Baseline, processed: Path, document: dict[str, Any]) -> int:
        """Record what changed since the last record; return the number of rows written.

        ``document`` must be computed from ``baseline`` (same ``hasil_dasar``).
        """
        if document["hasil_dasar"] != baseline.run:
            raise ValueError(
                f"status.json dari hasil {document['hasil_dasar']}, bukan {baseline.run}"
            )
        if self._run != baseline.run:
            await self._start_run(baseline, processed)
        now = live_figures(self._published, document)
        changed = [key for key, value in now.items() if self._last.get(key) != value]
        if not changed:
            return 0
        when = datetime.fromisoformat(document["diperbarui"]).astimezone(UTC)
        rows = [
            {
                "waktu": when,
                "kode_kec": code,
                "layanan": service,
                "cakupan": now[(code, service)],
                "sumber": FROM_REPORTS,
                "hasil_dasar": baseline.run,
                "laporan_terakhir": int(document["laporan_terakhir"]),
            }
            for code, service in sorted(changed)
        ]
        await self._insert(rows)
        self._last.update({key: now[key] for key in changed})
        return len(rows)

    async def _start_run(self, baseline: Baseline, processed: Path) -> None:
        """Record a run's own figures once, and take the last recorded ones as the start."""
        self._published = published_figures(baseline)
        table = CAKUPAN_KECAMATAN
        async with self.store.engine.connect() as connection:
            recorded = (
                await connection.execute(
                    sa.select(sa.func.count())
                    .select_from(table)
                    .where(table.c.hasil_dasar == baseline.run, table.c.sumber == FROM_RUN)
                )
            ).scalar()
        if not recorded:
            when = run_time(processed, baseline.run)
            await self._insert(
                [
                    {
                        "waktu": when,
                        "kode_kec": code,
                        "layanan": service,
                        "cakupan": value,
                        "sumber": FROM_RUN,
                        "hasil_dasar": baseline.run,
                        "laporan_terakhir": None,
                    }
                    for (code, service), value in sorted(self._published.items())
                ]
            )
        # The newest figure of each series of this run (the service may have restarted).
        async with self.store.engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.select(table.c.kode_kec, table.c.layanan, table.c.cakupan)
                    .where(table.c.hasil_dasar == baseline.run)
                    .order_by(table.c.id)
                )
            ).all()
        self._last = {(row.kode_kec, row.layanan): float(row.cakupan) for row in rows}
        self._run = baseline.run

    async def _insert(self, rows: list[dict[str, Any]]) -> None:
        async with self.store.write_lock, self.store.engine.begin() as connection:
            await connection.execute(CAKUPAN_KECAMATAN.insert(), rows)


async def coverage_series(
    store: Store,
    *,
    kode_kec: str,
    layanan: str | None = None,
    dari: datetime | None = None,
    sampai: datetime | None = None,
) -> list[dict[str, Any]]:
    """Return a kecamatan's recorded figures, oldest first, optionally of one service and period."""
    table = CAKUPAN_KECAMATAN
    query = sa.select(table).where(table.c.kode_kec == kode_kec)
    if layanan is not None:
        query = query.where(table.c.layanan == layanan)
    if dari is not None:
        query = query.where(table.c.waktu >= dari)
    if sampai is not None:
        query = query.where(table.c.waktu <= sampai)
    query = query.order_by(table.c.waktu, table.c.id)
    async with store.engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    found = []
    for row in rows:
        values = dict(row)
        if values["waktu"].tzinfo is None:  # SQLite hands back the stored UTC time naive
            values["waktu"] = values["waktu"].replace(tzinfo=UTC)
        found.append(values)
    return found
