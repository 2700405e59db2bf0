"""``jangkau pantau serve|token``: the live status service of one region (thin layer)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
from pathlib import Path

from jangkau.config.region import load_region_file
from jangkau.pantau.notify import Settings, notifier_for, settings_from_region
from jangkau.pantau.store import TOKEN_RECHECK_S, Store, sqlite_url
from jangkau.pantau.updater import Place

DEFAULT_DB = "pantau.sqlite"


def place_for(name: str, root: Path) -> Place:
    """Return where region ``name``'s outputs are under ``root`` (``data/processed/NAME``, ``maps/NAME``)."""
    root = root.resolve()
    return Place(
        region=name, processed=root / "data" / "processed" / name, maps=root / "maps" / name
    )


def output_root(args: argparse.Namespace) -> Path:
    """Return ``--out``, else ``--root``."""
    return Path(args.out).resolve() if args.out else Path(args.root).resolve()


def region_place(args: argparse.Namespace, region_file: Path) -> Place:
    """Return where the region's published outputs are (``ROOT/data/processed/NAME``)."""
    return place_for(load_region_file(region_file)["name"], output_root(args))


def database_url_for(db: str | None, place: Place) -> str:
    """Return ``db``, else the SQLite file beside the region's outputs."""
    return db or sqlite_url(place.processed / DEFAULT_DB)


def database_url(args: argparse.Namespace, place: Place) -> str:
    """Return ``--db``, else the SQLite file beside the region's outputs."""
    return database_url_for(args.db, place)


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
    settings = load_region_file(region_file)
    notice = settings_from_region(settings, source=region_file)
    if getattr(args, "prefect", False):
        return _serve_with_prefect(args, region_file, place, notice)
    notifier = notifier_for(place.region, place.processed, notice)
    app = create_app(place, database_url(args, place), on_update=notifier)
    _announce(args, place, notice)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def _announce(args: argparse.Namespace, place: Place, notice: Settings) -> None:
    channels = [name for name in ("webhook", "surel", "blok_prefect") if getattr(notice, name)]
    print(
        f"jangkau pantau: {place.region} di http://{args.host}:{args.port}/ (formulir: /lapor); "
        f"pemberitahuan peringatan: {', '.join(channels) or 'tidak diatur'}",
        flush=True,
    )


def _serve_with_prefect(
    args: argparse.Namespace, region_file: Path, place: Place, notice: Settings
) -> int:
    """Serve the API and the update deployment together: reports become Prefect events."""
    import os

    from flows.prefect_setup import PREFECT_DEFAULT_PORT, _server_answers, prepare_prefect

    # Automations need a lasting server: a temporary API would vanish with its events.
    if not os.environ.get("PREFECT_API_URL") and not _server_answers(
        "127.0.0.1", PREFECT_DEFAULT_PORT
    ):
        raise ValueError(
            "--prefect memerlukan server Prefect: jalankan 'prefect server start' "
            f"(port {PREFECT_DEFAULT_PORT}) atau isi PREFECT_API_URL"
        )
    prepare_prefect(verbose=getattr(args, "verbose", False))
    import uvicorn

    from flows.pantau_prefect import event_emitter, serve_together, update_deployment
    from jangkau.pantau.app import create_app

    # The flow sends the alerts (with the Prefect block when one is named); the API only emits.
    app = create_app(place, database_url(args, place), on_report=event_emitter(place.region))
    deployment = update_deployment(place.region, region_file.resolve(), output_root(args), args.db)
    server = uvicorn.Server(
        uvicorn.Config(app, host=args.host, port=args.port, log_level="warning")
    )
    _announce(args, place, notice)
    print(
        f"jangkau pantau: setiap laporan menjadi kejadian Prefect; pembaruan berjalan sebagai "
        f"flow run deployment {deployment.flow_name}/{deployment.name}",
        flush=True,
    )
    asyncio.run(serve_together(server, deployment))
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
