"""``jangkau pantau serve|token``: the live status service of one region (thin layer)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
from pathlib import Path

from jangkau.pantau.store import TOKEN_RECHECK_S, Store, sqlite_url
from jangkau.pantau.updater import Place

DEFAULT_DB = "pantau.sqlite"


def region_place(args: argparse.Namespace, region_file: Path) -> Place:
    """Return where the region's published outputs are (``ROOT/data/processed/NAME``)."""
    from jangkau.config.region import load_region_file

    name = load_region_file(region_file)["name"]
    root = Path(args.out).resolve() if args.out else Path(args.root).resolve()
    return Place(
        region=name, processed=root / "data" / "processed" / name, maps=root / "maps" / name
    )


def database_url(args: argparse.Namespace, place: Place) -> str:
    """Return ``--db``, else the SQLite file beside the region's outputs."""
    return args.db or sqlite_url(place.processed / DEFAULT_DB)


def serve(args: argparse.Namespace, region_file: Path) -> int:
    """Serve the region until interrupted."""
    import uvicorn

    from jangkau.pantau.app import create_app
    from jangkau.pantau.baseline import read_baseline

    place = region_place(args, region_file)
    if not (place.processed / "terkini").exists():
        raise ValueError(
            f"wilayah {place.region} belum punya hasil yang diterbitkan di {place.processed}; "
            f"jalankan `jangkau run {place.region}` dulu"
        )
    read_baseline(place.processed)  # a published run the service cannot use stops here, in one line
    app = create_app(place, database_url(args, place))
    print(
        f"jangkau pantau: {place.region} di http://{args.host}:{args.port}/ (formulir: /lapor)",
        flush=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def token(args: argparse.Namespace, region_file: Path) -> int:
    """Create a token for an agency and print it once; or list (``--daftar``) or revoke (``--cabut``)."""
    place = region_place(args, region_file)
    if args.cabut is not None or args.daftar:
        if args.instansi or args.kelas:
            raise ValueError(
                "--instansi/--kelas membuat token baru; jangan dipakai bersama --cabut atau --daftar"
            )
        if not (place.processed / DEFAULT_DB).exists() and not args.db:
            raise ValueError(
                f"wilayah {place.region} belum punya basis data laporan ({place.processed / DEFAULT_DB})"
            )
        return _revoke_or_list(args, place)
    if args.instansi is None or args.kelas is None:
        raise ValueError(
            "token baru memerlukan --instansi dan --kelas (atau pakai --daftar / --cabut)"
        )
    classes = [k.strip() for k in args.kelas.split(",") if k.strip()]
    if not classes:
        raise ValueError("--kelas harus memuat sedikitnya satu kelas aset, misalnya sd,smp")
    if not args.instansi.strip():
        raise ValueError("--instansi tidak boleh kosong")
    place.processed.mkdir(parents=True, exist_ok=True)

    async def make() -> str:
        store = Store(database_url(args, place))
        try:
            await store.create()
            return await store.new_token(instansi=args.instansi.strip(), kelas=classes)
        finally:
            await store.close()

    value = asyncio.run(make())
    print(
        f"Token untuk {args.instansi} (kelas: {', '.join(classes)}); disimpan hanya dalam bentuk hash,"
    )
    print("catat sekarang, token ini tidak akan ditampilkan lagi:")
    print(value)
    return 0


def _revoke_or_list(args: argparse.Namespace, place: Place) -> int:
    async def act() -> tuple[dict | None, list[dict]]:
        store = Store(database_url(args, place))
        try:
            await store.create()
            revoked = await store.revoke(args.cabut) if args.cabut is not None else None
            return revoked, await store.tokens()
        finally:
            await store.close()

    revoked, tokens = asyncio.run(act())
    if revoked is not None:
        print(
            f"Token nomor {revoked['id']} ({revoked['instansi']}) dicabut sejak "
            f"{revoked['dicabut']:%Y-%m-%d %H:%M:%S} UTC; layanan yang berjalan menolaknya "
            f"dalam {TOKEN_RECHECK_S:g} detik."
        )
    if args.daftar:
        print("nomor\tawalan\tinstansi\tkelas\tdibuat (UTC)\tdicabut (UTC)")
        for row in tokens:
            print(
                f"{row['id']}\t{row['awalan'] or '-'}\t{row['instansi']}\t{row['kelas']}\t"
                f"{_moment(row['dibuat'])}\t{_moment(row['dicabut'])}"
            )
    return 0


def _moment(value: datetime | None) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"
