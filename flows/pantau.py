"""``jangkau pantau serve|token``: the live status service of one region (thin layer)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from jangkau.pantau.store import Store, sqlite_url
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
    """Create a token for an agency and print it once."""
    place = region_place(args, region_file)
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
