"""Benchmarks: time per stage and peak memory, per scenario (run by ``make bench``).

Scenarios: Maros (../shared/data/maros), Sulawesi Selatan (../shared/data/sulsel),
and with ``--national`` a synthetic national-scale input (27 province-sized
regions built from the province files, run one region per task). Each scenario
runs in its own process so that its peak memory is its own. Results are printed
and written to ``benchmarks/results.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
STAGES = ["baca_batas", "baca_bersihkan_aset", "cakupan", "usulan_lokasi", "terbitkan", "total"]


def run_scenario(name: str, out: Path) -> dict:
    """Time each stage of one region with the local runner (no cache); runs inside a child process."""
    import geopandas as gpd
    import pandas as pd

    from jangkau import stages
    from jangkau.catalogue import load_catalogue
    from jangkau.crs import metric_crs_for
    from jangkau.sites import propose_sites

    if name == "maros":
        region = stages.prepare_region(region_file=ROOT / "regions" / "maros.toml")
    else:
        region = stages.prepare_region(data_dir=SHARED / "sulsel", name=name)
    outputs = stages.OutputPaths.under(out, region.name)
    times: dict[str, float] = {}
    start = time.perf_counter()
    work = stages.new_work_dir(outputs)
    clock = time.perf_counter()
    stages.run_boundaries(region, work)
    times["baca_batas"] = time.perf_counter() - clock
    clock = time.perf_counter()
    stages.run_assets(region, work)
    times["baca_bersihkan_aset"] = time.perf_counter() - clock
    k = region.usulan_k
    region.usulan_k = 0
    clock = time.perf_counter()
    stages.run_coverage(region, work)
    times["cakupan"] = time.perf_counter() - clock
    region.usulan_k = k
    clock = time.perf_counter()
    desa = gpd.read_parquet(work / "desa.parquet")
    metric = metric_crs_for(desa)
    proposals = propose_sites(
        desa.to_crs(metric),
        gpd.read_parquet(work / "aset.parquet").to_crs(metric),
        pd.read_parquet(work / "kesenjangan.parquet"),
        catalogue=load_catalogue(region.layanan),
        k=k,
    )
    proposals.to_crs(4326).to_parquet(work / "usulan_lokasi.parquet")
    times["usulan_lokasi"] = time.perf_counter() - clock
    clock = time.perf_counter()
    stages.run_publish(region, work, outputs)
    times["terbitkan"] = time.perf_counter() - clock
    times["total"] = time.perf_counter() - start
    counts = {
        "desa": len(desa),
        "aset": int(pd.read_parquet(work / "aset_dibaca.parquet")["dibaca"].sum()),
    }
    shutil.rmtree(work, ignore_errors=True)
    return {"waktu": times, "jumlah": counts}


def io_floor(name: str, out: Path) -> dict:
    """Only read the same inputs and write outputs of the same size (no analysis)."""
    import pyogrio

    from jangkau import stages
    from jangkau.read import read_records

    if name == "maros":
        region = stages.prepare_region(region_file=ROOT / "regions" / "maros.toml")
    else:
        region = stages.prepare_region(data_dir=SHARED / "sulsel", name=name)
    published = out / "data" / "processed" / region.name
    start = time.perf_counter()
    for spec in [region.desa, region.kecamatan, region.penduduk, *region.aset]:
        if spec is not None:
            read_records(spec.path, **spec.options)
    target = Path(tempfile.mkdtemp(dir=out))
    for layer in pyogrio.list_layers(published / "coverage.gpkg")[:, 0]:
        frame = pyogrio.read_dataframe(published / "coverage.gpkg", layer=layer)
        pyogrio.write_dataframe(frame, target / "coverage.gpkg", layer=layer, driver="GPKG")
    for path in [*published.glob("*.*"), out / "maps" / region.name / "index.html"]:
        if path.suffix != ".gpkg":
            shutil.copyfile(path, target / path.name)
    return {"detik": time.perf_counter() - start}


def child(kind: str, name: str, out: Path) -> dict:
    """Run one measurement in a fresh process; add its peak memory (MB)."""
    code = (
        f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); from benchmarks.run import {kind} as f; "
        f"from pathlib import Path; print(json.dumps(f({name!r}, Path({str(out)!r}))))"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    answer["memori_puncak_mb"] = round(max(peak, before) / 1024, 1)
    return answer


def prefect_overhead(out: Path) -> dict:
    """Time the Maros flow against an already running local Prefect server, next to the local runner."""
    from flows.serve import local_server

    with local_server(out / "prefect") as env:
        env["PREFECT_LOGGING_LEVEL"] = "WARNING"
        timings = {}
        for runner in ("local", "prefect", "local", "prefect"):
            args = [
                sys.executable,
                "-m",
                "flows.cli",
                "run",
                "maros",
                "--runner",
                runner,
                "--out",
                str(out / runner),
            ]
            clock = time.perf_counter()
            subprocess.run(args, env=env, cwd=ROOT, check=True, capture_output=True)
            timings[runner] = time.perf_counter() - clock  # the second (warm) run of each counts
        return {"local": timings["local"], "prefect": timings["prefect"]}


def national(out: Path, *, copies: int = 27, runner: str = "dask") -> dict:
    """Time a synthetic national-scale input: ``copies`` province-sized regions, one task each.

    Every region reads the province files (Sulawesi Selatan: 3,056 desa, 43,346
    asset records), so 27 copies make about 82,500 desa and 1.17 million
    asset records. Caches are per region and start empty.
    """
    root = out / "nasional"
    (root / "regions").mkdir(parents=True)
    for index in range(copies):
        (root / "regions" / f"provinsi_{index:02d}.toml").write_text(
            f'name = "provinsi_{index:02d}"\ndata_dir = "{SHARED / "sulsel"}"\n', encoding="utf-8"
        )
    args = [
        sys.executable,
        "-m",
        "flows.cli",
        "run",
        "--all",
        "--runner",
        runner,
        "--root",
        str(root),
        "--out",
        str(root),
    ]
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    clock = time.perf_counter()
    subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True)
    seconds = time.perf_counter() - clock
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return {
        "detik": seconds,
        "wilayah": copies,
        "memori_puncak_proses_mb": round(peak / 1024, 1),
        "runner": runner,
    }


def table(results: dict) -> str:
    lines = [
        "| skenario | desa | aset | "
        + " | ".join(STAGES)
        + " | memori puncak (MB) | lantai I/O (s) |",
        "|---|---:|---:|" + "---:|" * len(STAGES) + "---:|---:|",
    ]
    for name, result in results.items():
        if "waktu" not in result:
            continue
        times = result["waktu"]
        lines.append(
            f"| {name} | {result['jumlah']['desa']:,} | {result['jumlah']['aset']:,} | "
            + " | ".join(f"{times[s]:.2f}" for s in STAGES)
            + f" | {result['memori_puncak_mb']:,.0f} | {result.get('lantai_io', float('nan')):.2f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--scenarios", default="maros,sulsel")
    parser.add_argument("--skip-prefect", action="store_true")
    parser.add_argument(
        "--national", action="store_true", help="also the 27-province synthetic national input"
    )
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="jangkau-bench-"))
    results: dict[str, dict] = {}
    try:
        for name in args.scenarios.split(","):
            print(f"... {name}", flush=True)
            results[name] = child("run_scenario", name, out)
            results[name]["lantai_io"] = child("io_floor", name, out)["detik"]
        overhead = None if args.skip_prefect else prefect_overhead(out)
        nationwide = national(out) if args.national else None
    finally:
        shutil.rmtree(out, ignore_errors=True)
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    text = [
        "# Benchmark results",
        "",
        f"Machine: {os.cpu_count()} cores, {memory_gb:.0f} GB memory, {platform.platform()}, "
        f"Python {platform.python_version()}. Times in seconds, `--runner local`, no cache.",
        "",
        table(results),
        "",
    ]
    if "maros" in results:
        ratio = results["maros"]["waktu"]["total"] / results["maros"]["lantai_io"]
        text.append(f"- Maros whole run / I/O floor: {ratio:.1f}x (target at most 3x).")
    if "sulsel" in results:
        sulsel = results["sulsel"]
        text.append(
            f"- Sulawesi Selatan whole run: {sulsel['waktu']['total']:.1f} s, peak {sulsel['memori_puncak_mb']:,.0f} MB"
            " (target at most 60 s and 2 GB)."
        )
    if overhead:
        text.append(
            "- Prefect overhead for Maros against a running local server: "
            f"{overhead['prefect'] - overhead['local']:.1f} s (local {overhead['local']:.1f} s, "
            f"prefect {overhead['prefect']:.1f} s; target at most 3 s)."
        )
    if nationwide:
        text.append(
            f"- National synthetic ({nationwide['wilayah']} province-sized regions, about "
            f"{nationwide['wilayah'] * 3056:,} desa and {nationwide['wilayah'] * 43346:,} asset records), "
            f"`--all --runner {nationwide['runner']}` on a 2-worker local Dask cluster: "
            f"{nationwide['detik'] / 60:.1f} min, "
            f"largest single process {nationwide['memori_puncak_proses_mb']:,.0f} MB "
            "(target at most 15 min and 8 GB)."
        )
    else:
        text.append("- National synthetic: not run (`python -m benchmarks.run --national`).")
    if "maros" in results and "sulsel" in results:
        per = {
            name: results[name]["waktu"]["total"] / results[name]["jumlah"]["desa"] * 1000
            for name in ("maros", "sulsel")
        }
        text.append(
            f"- Time per desa: Maros {per['maros']:.1f} ms, Sulawesi Selatan {per['sulsel']:.1f} ms."
        )
    report = "\n".join(text) + "\n"
    (ROOT / "benchmarks" / "results.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
