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
import time
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
    # The token's first characters, to name it when listing or revoking (not enough to use it).
    sa.Column("awalan", sa.String(8)),
    sa.Column("dicabut", sa.DateTime(timezone=True)),
)
# Columns added after the first databases were made; added on start where missing.
LATER_TOKEN_COLUMNS = ("awalan", "dicabut")
PREFIX_LENGTH = 8
# How long a token's owner (or its revocation) is trusted before the database is asked again:
# a token revoked by `jangkau pantau token --cabut` is refused within this time.
TOKEN_RECHECK_S = 1.0

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
        self._owners: dict[str, tuple[float, dict[str, Any] | None]] = {}

    @property
    def write_lock(self) -> asyncio.Lock:
        """The lock every write of this service's database takes (one writer at a time)."""
        return self._write_lock

    async def create(self) -> None:
        """Create the tables where missing (an existing database is kept as it is).

        On PostgreSQL with PostGIS available, ``laporan`` also gets ``geom``, a
        point computed by the database from ``bujur``/``lintang`` (EPSG:4326),
        so QGIS can show reports straight from the database.
        """
        async with self.engine.begin() as connection:
            await connection.run_sync(METADATA.create_all)
            await connection.run_sync(_add_later_token_columns)
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
        # Its prefix is typed after --cabut to revoke it: one starting with "-" reads as an option.
        while token.startswith("-"):
            token = secrets.token_urlsafe(32)
        async with self._write_lock, self.engine.begin() as connection:
            await connection.execute(
                TOKEN.insert().values(
                    hash=hash_token(token),
                    instansi=instansi,
                    kelas=",".join(kelas),
                    dibuat=datetime.now(UTC),
                    awalan=token[:PREFIX_LENGTH],
                )
            )
        return token

    async def token_owner(self, token: str) -> dict[str, Any] | None:
        """Return ``{"instansi", "kelas", "dicabut"}`` of a token, or None when it is unknown.

        ``dicabut`` is the time it was revoked (None while it is valid). A known
        token is asked of the database again after ``TOKEN_RECHECK_S``, so a
        revocation made by another process takes effect within that time.
        """
        key = hash_token(token)
        checked = self._owners.get(key)
        if checked is not None and time.monotonic() - checked[0] < TOKEN_RECHECK_S:
            return checked[1]
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.select(TOKEN.c.instansi, TOKEN.c.kelas, TOKEN.c.dicabut).where(
                        TOKEN.c.hash == key
                    )
                )
            ).first()
        owner = None
        if row is not None:
            owner = {
                "instansi": row.instansi,
                "kelas": [k for k in row.kelas.split(",") if k],
                "dicabut": _utc(row.dicabut),
            }
        self._owners[key] = (time.monotonic(), owner)
        return owner

    async def tokens(self) -> list[dict[str, Any]]:
        """Return every token by id: prefix, agency, classes, made, revoked (never the hash)."""
        columns = [TOKEN.c[name] for name in ("id", "awalan", "instansi", "kelas")]
        query = sa.select(*columns, TOKEN.c.dibuat, TOKEN.c.dicabut).order_by(TOKEN.c.id)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [
            {**row, "dibuat": _utc(row["dibuat"]), "dicabut": _utc(row["dicabut"])} for row in rows
        ]

    async def revoke(self, which: str) -> dict[str, Any]:
        """Revoke one token named by its id, the token itself or its first characters.

        Returns the token's row (as :meth:`tokens`) with ``dicabut`` set; one
        already revoked keeps its first revocation time. Raises ValueError
        (Indonesian) when nothing or more than one token matches.
        """
        which = which.strip()
        everything = await self.tokens()
        async with self.engine.connect() as connection:
            by_hash = (
                await connection.execute(
                    sa.select(TOKEN.c.id).where(TOKEN.c.hash == hash_token(which))
                )
            ).scalar()
        if by_hash is not None:
            found = [t for t in everything if t["id"] == by_hash]
        elif which.isdigit():
            found = [t for t in everything if t["id"] == int(which)]
        elif len(which) >= 6:
            found = [
                t
                for t in everything
                if t["awalan"] and t["awalan"].startswith(which[:PREFIX_LENGTH])
            ]
        else:
            raise ValueError(
                f"'{which}' terlalu pendek: sebut nomor token atau sedikitnya 6 huruf awalnya"
            )
        if not found:
            raise ValueError(f"tidak ada token dengan nomor atau awalan '{which}' (lihat --daftar)")
        if len(found) > 1:
            numbers = ", ".join(str(t["id"]) for t in found)
            raise ValueError(
                f"awalan '{which}' cocok dengan beberapa token (nomor {numbers}); sebut nomornya"
            )
        (chosen,) = found
        if chosen["dicabut"] is not None:
            return chosen
        when = datetime.now(UTC)
        async with self._write_lock, self.engine.begin() as connection:
            await connection.execute(
                TOKEN.update()
                .where(TOKEN.c.id == chosen["id"], TOKEN.c.dicabut.is_(None))
                .values(dicabut=when)
            )
        self._owners.clear()
        return {**chosen, "dicabut": when}

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


def _utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes for timezone columns: they were stored as UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _add_later_token_columns(connection: sa.Connection) -> None:
    """Add the token columns newer than the database (ALTER TABLE, on SQLite and PostgreSQL)."""
    present = {column["name"] for column in sa.inspect(connection).get_columns("token")}
    for name in LATER_TOKEN_COLUMNS:
        if name not in present:
            column = TOKEN.c[name]
            kind = column.type.compile(dialect=connection.dialect)
            connection.execute(sa.text(f"ALTER TABLE token ADD COLUMN {name} {kind}"))


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
