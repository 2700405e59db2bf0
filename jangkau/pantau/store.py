"""The report database: tokens and reports, SQLite (WAL) by default, PostgreSQL by URL.

SQLAlchemy Core on its asyncio engine, so the same code drives ``aiosqlite``
and ``asyncpg`` (both already installed with Prefect). A report's insert is
committed before the caller answers; SQLite runs in WAL mode with
``synchronous=FULL`` so a committed report survives a killed process and a
power cut, and a reader never sees a half-written database.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

METADATA = sa.MetaData()

TOKEN = sa.Table(
    "token",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    sa.Column("instansi", sa.Text, nullable=False),
    sa.Column("kelas", sa.Text, nullable=False),
    sa.Column("dibuat", sa.DateTime(timezone=True), nullable=False),
)

LAPORAN = sa.Table(
    "laporan",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # "status" (an asset's status), "kejadian" (an event with a place),
    # "kejadian_selesai" (an event is over).
    sa.Column("jenis_laporan", sa.String(16), nullable=False),
    sa.Column("id_aset", sa.Text),
    sa.Column("status", sa.Text),
    sa.Column("jenis_kejadian", sa.Text),
    sa.Column("lintang", sa.Float),
    sa.Column("bujur", sa.Float),
    sa.Column("radius_m", sa.Float),
    sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
    sa.Column("diterima", sa.DateTime(timezone=True), nullable=False),
    sa.Column("pelapor", sa.Text, nullable=False),
    sa.Column("catatan", sa.Text),
    # "terverifikasi" (officer or agency), "menunggu verifikasi" (resident).
    sa.Column("verifikasi", sa.String(32), nullable=False),
    sa.Column("diverifikasi_oleh", sa.Text),
    # The event a "kejadian_selesai" report closes.
    sa.Column("merujuk", sa.Integer),
)
sa.Index("laporan_waktu", LAPORAN.c.waktu)

# Generated, so every writer (this service, or SQL typed by GIS staff) gets it right.
POSTGIS_COLUMN = """
ALTER TABLE laporan ADD COLUMN IF NOT EXISTS geom geometry(Point, 4326)
GENERATED ALWAYS AS (
  CASE WHEN bujur IS NOT NULL AND lintang IS NOT NULL
  THEN ST_SetSRID(ST_MakePoint(bujur, lintang), 4326) END
) STORED
"""

VERIFIED = "terverifikasi"
PENDING = "menunggu verifikasi"


def sqlite_url(path: Path) -> str:
    """Return the async SQLAlchemy URL of an SQLite file."""
    return f"sqlite+aiosqlite:///{Path(path).resolve()}"


def async_url(url: str) -> str:
    """Return ``url`` with the asyncio driver (``postgresql://`` → ``postgresql+asyncpg://``)."""
    for plain, driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite:///", "sqlite+aiosqlite:///"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def hash_token(token: str) -> str:
    """Return the stored form of a token (SHA-256: tokens are 256 random bits, not passwords)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Store:
    """Tokens and reports in one database.

    Writes are serialised by one lock: SQLite takes one writer at a time
    anyway, and waiting here is cheaper than retrying on ``database is locked``.
    """

    def __init__(self, url: str) -> None:
        self.url = async_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        options: dict[str, Any] = {}
        if self.is_sqlite:
            options["connect_args"] = {"timeout": 30}
        else:
            options.update(pool_size=5, max_overflow=10)
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._write_lock = asyncio.Lock()
        self._pending: list[tuple[dict[str, Any], asyncio.Future]] = []
        self._writer: asyncio.Task | None = None
        self._owners: dict[str, dict[str, Any]] = {}

    async def create(self) -> None:
        """Create the tables where missing (an existing database is kept as it is).

        On PostgreSQL with PostGIS available, ``laporan`` also gets ``geom``, a
        point computed by the database from ``bujur``/``lintang`` (EPSG:4326),
        so QGIS can show reports straight from the database.
        """
        async with self.engine.begin() as connection:
            await connection.run_sync(METADATA.create_all)
            if self.is_sqlite:
                return
            available = await connection.execute(
                sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
            )
            if available.first() is None:
                return
            await connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
            await connection.execute(sa.text(POSTGIS_COLUMN))

    async def close(self) -> None:
        """Release every connection."""
        await self.engine.dispose()

    async def new_token(self, *, instansi: str, kelas: list[str]) -> str:
        """Store a new token's hash for an agency and its asset classes; return the token."""
        token = secrets.token_urlsafe(32)
        async with self._write_lock, self.engine.begin() as connection:
            await connection.execute(
                TOKEN.insert().values(
                    hash=hash_token(token),
                    instansi=instansi,
                    kelas=",".join(kelas),
                    dibuat=datetime.now(UTC),
                )
            )
        return token

    async def token_owner(self, token: str) -> dict[str, Any] | None:
        """Return ``{"instansi", "kelas"}`` of a token, or None when it is unknown."""
        known = self._owners.get(hash_token(token))
        if known is not None:
            return known
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.select(TOKEN.c.instansi, TOKEN.c.kelas).where(
                        TOKEN.c.hash == hash_token(token)
                    )
                )
            ).first()
        if row is None:
            return None
        # Tokens are never changed once made, so a known one need not be looked up again.
        owner = {"instansi": row.instansi, "kelas": [k for k in row.kelas.split(",") if k]}
        self._owners[hash_token(token)] = owner
        return owner

    async def add_report(self, values: dict[str, Any]) -> int:
        """Insert one report and return its id once it is committed.

        Reports arriving together are committed together (group commit): one
        flush to disk for the batch instead of one per report, and no answer
        is given before its report's batch is committed.
        """
        future = asyncio.get_running_loop().create_future()
        self._pending.append((values, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending())
        return await future

    async def _write_pending(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                async with self._write_lock, self.engine.begin() as connection:
                    ids = []
                    for values, _future in batch:
                        result = await connection.execute(LAPORAN.insert().values(**values))
                        ids.append(int(result.inserted_primary_key[0]))
            except Exception as error:  # every report of the batch is refused, none half-stored
                for _values, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_values, future), report_id in zip(batch, ids, strict=True):
                if not future.done():
                    future.set_result(report_id)

    async def verify(self, report_id: int, *, officer: str) -> bool:
        """Mark a resident's report as verified; False when there is no such pending report."""
        async with self._write_lock, self.engine.begin() as connection:
            result = await connection.execute(
                LAPORAN.update()
                .where(LAPORAN.c.id == report_id, LAPORAN.c.verifikasi == PENDING)
                .values(verifikasi=VERIFIED, diverifikasi_oleh=officer)
            )
            return result.rowcount == 1

    async def reports(
        self,
        *,
        dari: datetime | None = None,
        sampai: datetime | None = None,
        status: str | None = None,
        after_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """Return reports by time of the event, oldest first, optionally filtered.

        ``after_id``: only reports with a larger id (those stored since).
        """
        query = sa.select(LAPORAN).order_by(LAPORAN.c.waktu, LAPORAN.c.id)
        if after_id is not None:
            query = query.where(LAPORAN.c.id > after_id)
        if dari is not None:
            query = query.where(LAPORAN.c.waktu >= dari)
        if sampai is not None:
            query = query.where(LAPORAN.c.waktu <= sampai)
        if status is not None:
            query = query.where(LAPORAN.c.status == status)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [_with_utc(dict(row)) for row in rows]

    async def last_id(self) -> int:
        """Return the id of the newest report (0 when there is none)."""
        async with self.engine.connect() as connection:
            value = (await connection.execute(sa.select(sa.func.max(LAPORAN.c.id)))).scalar()
        return int(value or 0)


def _with_utc(row: dict[str, Any]) -> dict[str, Any]:
    """SQLite returns naive datetimes for timezone columns: they were stored as UTC."""
    for key in ("waktu", "diterima"):
        value = row.get(key)
        if isinstance(value, datetime) and value.tzinfo is None:
            row[key] = value.replace(tzinfo=UTC)
    return row


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
