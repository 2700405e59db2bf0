"""``jangkau`` command line.

Examples
--------
``jangkau run maros`` runs ``regions/maros.toml``;
``jangkau run --data-dir DIR --name NAME [--out ROOT]`` runs a folder of files.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from jangkau.read import InputError


def _region_file(region: str, root: Path) -> Path:
    candidate = Path(region)
    if candidate.suffix == ".toml":
        return candidate
    return root / "regions" / f"{region}.toml"


def _run(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve()
    out_root = Path(args.out).resolve() if args.out else root
    if args.region is None and (args.data_dir is None or args.name is None):
        print("jangkau run: beri REGION, atau --data-dir DIR dan --name NAMA", file=sys.stderr)
        return 2
    region_file = str(_region_file(args.region, root)) if args.region else None
    data_dir = str(Path(args.data_dir).resolve()) if args.data_dir else None
    print(f"jangkau: wilayah {args.region or args.name}, runner {args.runner}", flush=True)
    if args.runner == "local":
        from jangkau import stages

        region = stages.prepare_region(region_file=region_file, data_dir=data_dir, name=args.name)
        result = stages.run_all(region, stages.OutputPaths.under(out_root, region.name))
    else:
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        os.environ.setdefault("DO_NOT_TRACK", "1")
        from flows.coverage import coverage_flow

        result = coverage_flow(
            region_file=region_file, data_dir=data_dir, name=args.name, out_root=str(out_root)
        )
    print(result["ringkasan"]["teks"])
    print("Keluaran:")
    for label, path in result["keluaran"].items():
        print(f"  {label}: {path}")
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
    run.add_argument("--runner", choices=["local", "prefect"], default="prefect")
    run.set_defaults(handler=_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except InputError as error:
        print(f"jangkau: data masukan bermasalah: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
