"""The ``jangkau`` command line: run a region, fetch boundaries, fetch OpenStreetMap facilities.

User errors (a wrong region name, a missing folder, a bad input file, no
network, a region already being processed) end in one line on stderr and a
non-zero exit code, never a traceback, under every runner. A wrong region
name is caught before Prefect is imported.
"""

from __future__ import annotations

import argparse
import difflib
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from flows.prefect_setup import (
    PrefectServerUnreachableError,
    ephemeral_start_failed,
    prepare_prefect,
)
from jangkau.errors import InputError, NetworkError, RegionBusyError

DESCRIPTION = """\
jangkau menghitung, per kecamatan dan desa/kelurahan, berapa persen penduduk yang
tinggal dalam jarak standar dari fasilitas layanan publik (sekolah, puskesmas, ...),
dari berkas batas wilayah, tabel penduduk dan daftar aset apa adanya.
"""

EXAMPLES = """\
Contoh:
  jangkau run demo                          wilayah contoh buatan (tanpa berkas lain)
  jangkau run maros                         regions/maros.toml
  jangkau run maros --runner local          tanpa Prefect (cepat, untuk pemeriksaan)
  jangkau run --data-dir DATA --name NAMA   folder berkas tanpa berkas wilayah
  jangkau run --all --runner dask           semua wilayah di regions/, dibagi ke pekerja Dask
  jangkau boundaries 73.09                  batas desa dan kecamatan dari kode Kemendagri
  jangkau osm maros --jalan                 fasilitas dan jalan dari OpenStreetMap
  jangkau pantau serve maros                layanan laporan status di http://127.0.0.1:8765/
  jangkau pantau serve maros --prefect      ... dengan pembaruan sebagai flow run Prefect
  jangkau pantau token maros --instansi "Dinas Kesehatan" --kelas puskesmas,pustu
"""

RUNNER_HELP = (
    "cara menjalankan tahap-tahap: 'prefect' (bawaan) sebagai flow Prefect, tercatat di server "
    "Prefect bila ada (PREFECT_API_URL atau server di port 4200), selain itu di API Prefect "
    "sementara; 'local' tanpa Prefect (paling cepat); 'dask' seperti 'prefect' tetapi tugas "
    "dijalankan di klaster Dask (lokal, atau --dask-address)"
)


class UserError(Exception):
    """A mistake in the command line the user can fix; printed as one line."""


class _OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like every other user error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"{self.prog}: {message} (lihat: {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def _known_regions(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "regions").glob("*.toml"))


def _region_file(region: str, root: Path) -> Path:
    """Return the region file of a region name or path; a wrong name is a :class:`UserError`."""
    candidate = Path(region)
    if candidate.suffix == ".toml":
        if not candidate.is_file():
            raise UserError(f"berkas wilayah '{region}' tidak ada")
        return candidate
    path = root / "regions" / f"{region}.toml"
    if path.is_file():
        return path
    known = _known_regions(root)
    listed = ", ".join(known) if known else f"(tidak ada berkas di {root / 'regions'})"
    close = difflib.get_close_matches(region, known, n=1)
    hint = f" (mungkin maksud Anda: {close[0]})" if close else ""
    raise UserError(f"wilayah '{region}' tidak ada; wilayah yang dikenal: {listed}{hint}")


def _data_dir(text: str | None) -> str | None:
    if text is None:
        return None
    folder = Path(text).resolve()
    if not folder.is_dir():
        raise UserError(f"folder data '{text}' tidak ada")
    return str(folder)


def _run(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve()
    out_root = Path(args.out).resolve() if args.out else root
    if args.all:
        return _run_all(args, root, out_root)
    if args.region is None and (args.data_dir is None or args.name is None):
        raise UserError("beri REGION, atau --data-dir DIR dan --name NAMA, atau --all")
    # Checked before Prefect is imported: a typo costs nothing and says what exists.
    region_file = str(_region_file(args.region, root)) if args.region else None
    data_dir = _data_dir(args.data_dir)
    print(f"jangkau: wilayah {args.region or args.name}, runner {args.runner}", flush=True)
    if args.runner == "local":
        from jangkau import pipeline

        region = pipeline.prepare_region(region_file=region_file, data_dir=data_dir, name=args.name)
        result = pipeline.run_all(
            region,
            pipeline.OutputPaths.under(out_root, region.name),
            progress=_progress,
            wait=not args.no_wait,
            accept_drop=args.accept_drop,
        )
    else:
        prepare_prefect(verbose=args.verbose)
        from flows.coverage import coverage_flow, with_runner

        chosen = with_runner(coverage_flow, args.runner, args.dask_address, workers=args.workers)
        result = chosen(
            region_file=region_file,
            data_dir=data_dir,
            name=args.name,
            out_root=str(out_root),
            wait=not args.no_wait,
            accept_drop=args.accept_drop,
        )
    print(result["ringkasan"]["teks"])
    print("Keluaran:")
    for label, path in result["keluaran"].items():
        print(f"  {label}: {path}")
    return 0


def _progress(stage: str) -> None:
    print(f"  … {stage}", flush=True)


def _share_cores(processes: int) -> None:
    """Let worker processes started from here split the cores between their threads."""
    cores = len(os.sched_getaffinity(0))
    os.environ.setdefault("JANGKAU_THREADS", str(max(1, cores // processes)))


def _run_region_file(region_file: str, out_root: str) -> dict[str, str]:
    """Run one region with the local runner (module level, so worker processes can call it)."""
    from jangkau import pipeline

    region = pipeline.prepare_region(region_file=region_file)
    done = pipeline.run_all(
        region, pipeline.OutputPaths.under(out_root, region.name), progress=_progress
    )
    return {"wilayah": region.name, "teks": done["ringkasan"]["teks"]}


def _run_all(args: argparse.Namespace, root: Path, out_root: Path) -> int:
    region_files = sorted(str(p) for p in (root / "regions").glob("*.toml"))
    print(f"jangkau: {len(region_files)} wilayah, runner {args.runner}", flush=True)
    if args.runner == "local":
        workers = args.workers or 1
        if workers == 1:
            results = [_run_region_file(f, str(out_root)) for f in region_files]
        else:
            _share_cores(workers)
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                results = list(
                    pool.map(_run_region_file, region_files, [str(out_root)] * len(region_files))
                )
            from jangkau.pipeline.publishing import publish_index

            # Regions finishing together may each have listed the index before the other.
            publish_index(out_root / "maps")
    else:
        prepare_prefect(verbose=args.verbose)
        if args.runner == "dask" and not args.dask_address:
            _share_cores(args.workers or 2)
        from flows.coverage import all_regions_flow, with_runner

        chosen = with_runner(all_regions_flow, args.runner, args.dask_address, workers=args.workers)
        results = chosen(region_files, str(out_root))
    for result in results:
        print(f"== {result['wilayah']}\n{result['teks']}")
    return 0


def _boundaries(args: argparse.Namespace) -> int:
    from jangkau import pipeline

    out = Path(args.out) if args.out else Path(args.root) / "data" / "raw" / args.kode
    result = pipeline.fetch_boundaries(args.kode, source=args.source, out=out)
    counts = result["jumlah"]
    print(
        f"jangkau: {counts['desa']} desa/kelurahan, {counts['kecamatan']} kecamatan dari {result['sumber']}"
    )
    print(f"  ditulis ke {result['folder']}; tambahkan daftar aset dan tabel penduduk, lalu:")
    print(f"  jangkau run --data-dir {result['folder']} --name NAMA")
    return 0


def _osm(args: argparse.Namespace) -> int:
    from jangkau import pipeline

    result = pipeline.fetch_osm_assets(
        args.target,
        root=Path(args.root),
        source=args.source,
        out=Path(args.out) if args.out else None,
        url=args.url,
        roads=args.jalan,
    )
    print(f"jangkau: {result['jumlah']} fasilitas dari OpenStreetMap ditulis ke {result['berkas']}")
    if result["di_luar"]:
        print(f"  {result['di_luar']} fitur di luar batas kabupaten tidak ditulis")
    if args.jalan:
        print(f"jangkau: {result['jalan']} ruas jalan ditulis ke {result['berkas_jalan']}")
        for value, count in sorted(result["jalan_dilewati"].items()):
            print(f"  highway={value}: {count} ruas tidak dipakai (tidak ada di tabel kecepatan)")
    return 0


def _pantau(args: argparse.Namespace) -> int:
    from flows import pantau

    region_file = _region_file(args.region, Path(args.root).resolve())
    handler = pantau.serve if args.aksi == "serve" else pantau.token
    return handler(args, region_file)


def _add_pantau(commands: argparse._SubParsersAction) -> None:
    pantau = _command(
        commands, "pantau", "layanan laporan status fasilitas dan kejadian (langsung)"
    )
    actions = pantau.add_subparsers(
        dest="aksi", required=True, metavar="AKSI", help="serve (layanan) atau token (token baru)"
    )
    for name, text in (
        ("serve", "jalankan layanan laporan untuk satu wilayah"),
        ("token", "buat token untuk sebuah instansi (dicetak sekali), daftar atau cabut token"),
    ):
        action = actions.add_parser(name, help=text, description=text)
        action.add_argument("region", help="nama wilayah (regions/NAMA.toml)")
        action.add_argument(
            "--db", help="URL basis data (bawaan: SQLite di samping keluaran wilayah)"
        )
        action.add_argument("--root", default=".", help="folder proyek (bawaan: .)")
        action.add_argument("--out", help="folder keluaran, bila bukan folder proyek")
        if name == "serve":
            action.add_argument("--host", default="127.0.0.1", help="alamat (bawaan: 127.0.0.1)")
            action.add_argument("--port", type=int, default=8765, help="port (bawaan: 8765)")
            action.add_argument(
                "--prefect",
                action="store_true",
                help="setiap laporan menjadi kejadian Prefect; pembaruan berjalan sebagai flow run",
            )
        else:
            action.add_argument("--instansi", help="nama instansi pemilik token baru")
            action.add_argument(
                "--kelas",
                help="kelas aset yang boleh dilaporkan, dipisah koma (sd,smp,puskesmas; 'semua')",
            )
            action.add_argument(
                "--cabut",
                metavar="NOMOR_ATAU_AWALAN",
                help="cabut token (nomor dari --daftar, atau sedikitnya 6 huruf awal token)",
            )
            action.add_argument(
                "--daftar", action="store_true", help="tampilkan semua token (tanpa rahasianya)"
            )
    pantau.set_defaults(handler=_pantau)


def _command(commands: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    command = commands.add_parser(
        name,
        help=text,
        add_help=False,
        description=f"{text}.\n\n{DESCRIPTION}",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_help(command)
    return command


def _add_help(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-h", "--help", action="help", help="tampilkan bantuan ini lalu keluar")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for ``jangkau`` (help texts in Bahasa Indonesia)."""
    parser = _OneLineParser(
        prog="jangkau",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    _add_help(parser)
    commands = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="PERINTAH",
        help="salah satu perintah berikut (bantuannya: jangkau PERINTAH --help)",
    )
    run = _command(commands, "run", "hitung cakupan layanan untuk satu wilayah (atau semua)")
    run.add_argument(
        "region", nargs="?", help="nama wilayah (regions/NAMA.toml) atau jalur berkas .toml"
    )
    run.add_argument("--data-dir", help="folder berkas masukan, bila tidak ada berkas wilayah")
    run.add_argument("--name", help="nama wilayah untuk keluaran (dengan --data-dir)")
    run.add_argument("--out", help="tulis keluaran di OUT/data/processed dan OUT/maps")
    run.add_argument("--root", default=".", help="folder proyek yang berisi regions/ (bawaan: .)")
    run.add_argument(
        "--runner", choices=["local", "prefect", "dask"], default="prefect", help=RUNNER_HELP
    )
    run.add_argument(
        "--dask-address", help="scheduler Dask yang sudah berjalan, tcp://HOST:PORT (--runner dask)"
    )
    run.add_argument("--all", action="store_true", help="jalankan semua berkas wilayah di regions/")
    run.add_argument(
        "--workers",
        type=int,
        help="wilayah yang dijalankan bersamaan dengan --all: jumlah proses (local, bawaan 1) "
        "atau pekerja klaster Dask lokal (dask, bawaan 2)",
    )
    run.add_argument(
        "--tanpa-tunggu",
        "--no-wait",
        dest="no_wait",
        action="store_true",
        help="bila wilayah yang sama sedang diproses, berhenti (kode 4) alih-alih menunggu",
    )
    run.add_argument(
        "--verbose",
        action="store_true",
        help="tampilkan semua log Prefect (bawaan: hanya peringatan)",
    )
    run.add_argument(
        "--terima-penurunan",
        "--accept-drop",
        dest="accept_drop",
        action="store_true",
        help="publish even when an input file has far fewer records than in the previous run",
    )
    run.set_defaults(handler=_run)
    boundaries = _command(
        commands, "boundaries", "batas desa dan kecamatan untuk kode wilayah Kemendagri"
    )
    boundaries.add_argument("kode", help="kode kabupaten/kota, misalnya 73.09")
    boundaries.add_argument("--source", help="folder dump wilayah_boundaries, atau URL dasarnya")
    boundaries.add_argument("--out", help="folder tujuan (bawaan: data/raw/KODE)")
    boundaries.add_argument("--root", default=".", help="folder proyek (bawaan: .)")
    boundaries.set_defaults(handler=_boundaries)
    osm = _command(commands, "osm", "fasilitas publik dari OpenStreetMap sebagai berkas aset")
    osm.add_argument(
        "target", help="kode kabupaten (misalnya 73.09) atau nama wilayah (regions/NAMA.toml)"
    )
    osm.add_argument("--source", help="folder dump wilayah_boundaries, untuk sebuah kode")
    osm.add_argument("--out", help="folder tujuan aset_osm.geojson")
    osm.add_argument("--url", help="alamat Overpass API")
    osm.add_argument(
        "--jalan",
        action="store_true",
        help="tulis juga jalan (jalan_osm.geojson) untuk waktu tempuh",
    )
    osm.add_argument("--root", default=".", help="folder proyek (bawaan: .)")
    osm.set_defaults(handler=_osm)
    _add_pantau(commands)
    return parser


def _user_error(error: BaseException) -> tuple[str, int] | None:
    """Return the one line and exit code for an error the user can act on, else None.

    Prefect re-raises a task's exception from the flow call, but may chain it
    (``__cause__``) behind its own; the chain is searched.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (UserError, PrefectServerUnreachableError)):
            return f"jangkau: {current}", 2
        if isinstance(current, InputError):
            return f"jangkau: data masukan bermasalah: {current}", 2
        if isinstance(current, RegionBusyError):
            return f"jangkau: {current}", 4
        if isinstance(current, NetworkError):
            return f"jangkau: tidak ada jaringan: {current}", 3
        if (line := ephemeral_start_failed(current)) is not None:
            return f"jangkau: {line}", 3
        if isinstance(current, (FileNotFoundError, ValueError)):
            return f"jangkau: {current}", 2
        current = current.__cause__
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except Exception as error:
        known = _user_error(error)
        if known is None:
            raise
        line, code = known
        print(" ".join(line.split()), file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
