"""``jangkau`` command line.

Examples
--------
``jangkau run maros`` runs ``regions/maros.toml``;
``jangkau run --data-dir DIR --name NAME [--out ROOT]`` runs a folder of files.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from jangkau.errors import InputError, NetworkError, RegionBusyError


def _region_file(region: str, root: Path) -> Path:
    candidate = Path(region)
    if candidate.suffix == ".toml":
        return candidate
    return root / "regions" / f"{region}.toml"


def _run(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve()
    out_root = Path(args.out).resolve() if args.out else root
    if args.all:
        return _run_all(args, root, out_root)
    if args.region is None and (args.data_dir is None or args.name is None):
        print(
            "jangkau run: beri REGION, atau --data-dir DIR dan --name NAMA, atau --all",
            file=sys.stderr,
        )
        return 2
    region_file = str(_region_file(args.region, root)) if args.region else None
    data_dir = str(Path(args.data_dir).resolve()) if args.data_dir else None
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
        _quiet_prefect()
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


def _quiet_prefect() -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")


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
        _quiet_prefect()
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
    )
    print(f"jangkau: {result['jumlah']} fasilitas dari OpenStreetMap ditulis ke {result['berkas']}")
    if result["di_luar"]:
        print(f"  {result['di_luar']} fitur di luar batas kabupaten tidak ditulis")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for ``jangkau``."""
    parser = argparse.ArgumentParser(prog="jangkau", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the coverage pipeline for one region")
    run.add_argument("region", nargs="?", help="region name (regions/NAME.toml) or a .toml path")
    run.add_argument("--data-dir", help="folder of input files, when there is no region file")
    run.add_argument("--name", help="region name for outputs (with --data-dir)")
    run.add_argument("--out", help="put outputs under OUT/data/processed and OUT/maps")
    run.add_argument("--root", default=".", help="project root holding regions/ (default: .)")
    run.add_argument("--runner", choices=["local", "prefect", "dask"], default="prefect")
    run.add_argument(
        "--dask-address", help="existing Dask scheduler, tcp://HOST:PORT (with --runner dask)"
    )
    run.add_argument("--all", action="store_true", help="run every region file in regions/")
    run.add_argument(
        "--workers",
        type=int,
        help="regions run side by side with --all: processes (local, default 1) "
        "or workers of the local Dask cluster (dask, default 2)",
    )
    run.add_argument(
        "--tanpa-tunggu",
        "--no-wait",
        dest="no_wait",
        action="store_true",
        help="if a run of the same region is under way, exit (code 4) instead of waiting for it",
    )
    run.add_argument(
        "--terima-penurunan",
        "--accept-drop",
        dest="accept_drop",
        action="store_true",
        help="publish even when an input file has far fewer records than in the previous run",
    )
    run.set_defaults(handler=_run)
    boundaries = commands.add_parser(
        "boundaries", help="desa and kecamatan boundaries for a Kemendagri code"
    )
    boundaries.add_argument("kode", help="kabupaten/kota code, e.g. 73.09")
    boundaries.add_argument("--source", help="folder of wilayah_boundaries dumps, or a base URL")
    boundaries.add_argument("--out", help="folder to write (default data/raw/KODE)")
    boundaries.add_argument("--root", default=".", help="project root (default: .)")
    boundaries.set_defaults(handler=_boundaries)
    osm = commands.add_parser("osm", help="public facilities from OpenStreetMap as an asset file")
    osm.add_argument(
        "target", help="kabupaten code (e.g. 73.09) or region name (regions/NAME.toml)"
    )
    osm.add_argument("--source", help="folder of wilayah_boundaries dumps, for a code")
    osm.add_argument("--out", help="folder to write aset_osm.geojson into")
    osm.add_argument("--url", help="Overpass API endpoint")
    osm.add_argument("--root", default=".", help="project root (default: .)")
    osm.set_defaults(handler=_osm)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except InputError as error:
        print(f"jangkau: data masukan bermasalah: {error}", file=sys.stderr)
        return 2
    except RegionBusyError as error:
        print(f"jangkau: {error}", file=sys.stderr)
        return 4
    except NetworkError as error:
        print(f"jangkau: tidak ada jaringan: {error}", file=sys.stderr)
        return 3
    except (FileNotFoundError, ValueError) as error:
        print(f"jangkau: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
