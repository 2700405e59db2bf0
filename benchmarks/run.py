"""Benchmarks: time per stage and peak memory, per scenario (run by ``make bench``).

Scenarios: Maros (../shared/data/maros), Sulawesi Selatan (../shared/data/sulsel),
and with ``--national`` a synthetic national-scale input (28 province-sized
regions built from the province files: 85,568 desa and 1.21 million asset
records), run with ``--all`` on the local runner and on a local Dask cluster;
``--scaling`` runs a smaller multi-region input on 1 and 2 workers. Each
measurement runs in its own process so that its time and memory are its own.

Results accumulate in ``benchmarks/results.json`` (a run replaces only what
it measured) and are written as tables to ``benchmarks/results.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results.json"
STAGES = [
    "siapkan",
    "baca_batas",
    "baca_bersihkan_aset",
    "cakupan",
    "usulan_lokasi",
    "terbitkan",
    "total",
]
PROVINCE_DESA, PROVINCE_ASSETS = 3056, 43346
# The province with generated pipes, power lines, roads and polygons in every kabupaten.
NETWORK_SCENARIO = "sulsel_jaringan"
NATIONAL_COPIES = 28
SCALING_COPIES = 4


def _region(name: str) -> object:
    from jangkau import pipeline

    if name == "maros":
        return pipeline.prepare_region(region_file=ROOT / "regions" / "maros.toml")
    if name == NETWORK_SCENARIO:
        return pipeline.prepare_region(data_dir=_province_with_networks(), name=name)
    return pipeline.prepare_region(data_dir=SHARED / "sulsel", name=name)


def _province_with_networks() -> Path:
    """Return a folder with the province's files and generated networks for every kabupaten.

    The files of ``../shared/data/sulsel`` are linked, and the pipes, power
    lines, roads, polygons, BTS list and information systems of
    :mod:`jangkau.sources.demo_networks` written beside them (issue 16's
    province-scale check). Made once per machine, under a temporary folder.
    """
    import geopandas as gpd

    from jangkau.sources.demo_networks import write_network_files

    folder = Path(tempfile.gettempdir()) / "jangkau-bench-sulsel-jaringan"
    if (folder / ".lengkap").exists():
        return folder
    building = folder.with_name(f"{folder.name}.{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    for path in (SHARED / "sulsel").iterdir():
        (building / path.name).symlink_to(path)
    write_network_files(building, gpd.read_file(SHARED / "sulsel" / "batas_desa.shp"))
    (building / ".lengkap").touch()
    shutil.rmtree(folder, ignore_errors=True)
    building.rename(folder)
    return folder


def run_scenario(name: str, out: Path) -> dict:
    """Time each stage of one region with the local runner (no cache); runs inside a child process."""
    import geopandas as gpd
    import pandas as pd

    from jangkau import pipeline
    from jangkau.pipeline.stages import measure_coverage, propose_and_rank

    times: dict[str, float] = {}
    start = time.perf_counter()
    region = _region(name)
    times["siapkan"] = time.perf_counter() - start
    outputs = pipeline.OutputPaths.under(out, region.name)
    work = pipeline.new_work_dir(outputs)
    clock = time.perf_counter()
    pipeline.run_boundaries(region, work)
    times["baca_batas"] = time.perf_counter() - clock
    clock = time.perf_counter()
    pipeline.run_assets(region, work)
    times["baca_bersihkan_aset"] = time.perf_counter() - clock
    clock = time.perf_counter()
    measure_coverage(region, work)
    times["cakupan"] = time.perf_counter() - clock
    clock = time.perf_counter()
    propose_and_rank(region, work)
    times["usulan_lokasi"] = time.perf_counter() - clock
    clock = time.perf_counter()
    pipeline.run_publish(region, work, outputs)
    times["terbitkan"] = time.perf_counter() - clock
    times["total"] = time.perf_counter() - start
    counts = {
        "desa": len(gpd.read_parquet(work / "desa.parquet")),
        "aset": int(pd.read_parquet(work / "aset_dibaca.parquet")["dibaca"].sum()),
    }
    shutil.rmtree(work, ignore_errors=True)
    return {"waktu": times, "jumlah": counts}


def input_files(name: str) -> list[list]:
    """Return ``[path, options]`` of every input file of a scenario."""
    region = _region(name)
    specs = [region.desa, region.kecamatan, region.penduduk, *region.aset]
    return [[str(spec.path), spec.options] for spec in specs if spec is not None]


def io_floor(inputs: list[list], published: list[str], target: str) -> float:
    """Only read the inputs and write outputs of the same size (no analysis); return seconds.

    The GeoPackage is rewritten layer by layer through GDAL; every other
    output file is written as bytes.
    """
    import pyogrio

    from jangkau.io.read import read_records

    start = time.perf_counter()
    for path, options in inputs:
        read_records(path, **options)
    folder = Path(target)
    folder.mkdir(parents=True, exist_ok=True)
    for path in map(Path, published):
        if path.suffix == ".gpkg":
            for layer in pyogrio.list_layers(path)[:, 0]:
                frame = pyogrio.read_dataframe(path, layer=layer)
                pyogrio.write_dataframe(frame, folder / path.name, layer=layer, driver="GPKG")
        else:
            (folder / path.name).write_bytes(path.read_bytes())
    return time.perf_counter() - start


def accuracy(gpkg: str) -> dict:
    """Compare published coverage with the tests' independent computation (percentage points)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from coverage_check import worst_differences

    worst_kecamatan, worst_desa = worst_differences(gpkg)
    return {"kecamatan_pp": 100 * worst_kecamatan, "desa_pp": 100 * worst_desa}


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); {code}"]


def child(call: str) -> dict:
    """Evaluate ``call`` (a function of this module) in a fresh process; add its own peak memory (MB)."""
    code = (
        "import json, resource; from benchmarks.run import *; answer = " + call + "; "
        "usage = resource.getrusage(resource.RUSAGE_SELF); "
        "children = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(json.dumps([answer, usage.ru_maxrss, children.ru_maxrss, "
        "usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime]))"
    )
    result = subprocess.run(_python(code), capture_output=True, text=True, cwd=ROOT, check=True)
    answer, peak_kb, child_peak_kb, cpu = json.loads(result.stdout.strip().splitlines()[-1])
    if not isinstance(answer, dict):
        answer = {"nilai": answer}
    # Forked helpers (proposals, documents) count in full on top of the main process, though
    # they share most pages with it: an upper bound on what the run holds at once.
    answer["memori_puncak_mb"] = round((peak_kb + child_peak_kb) / 1024, 1)
    answer["cpu_detik"] = cpu
    return answer


def published_files(root: Path, name: str) -> list[str]:
    processed = root / "data" / "processed" / name
    files = [p for p in processed.iterdir() if p.is_file()]
    return [str(p) for p in [*files, root / "maps" / name / "index.html"]]


def whole_process(name: str, out: Path, *, repeats: int = 3) -> dict:
    """Wall time of ``jangkau run NAME --runner local`` as a user starts it, and of an I/O-only program.

    Both are fresh Python processes (interpreter start and imports included);
    the best of ``repeats`` runs counts, each run writing into a new folder
    (no stage cache).
    """
    runs, floors = [], []
    inputs = json.dumps(input_files(name))
    for attempt in range(repeats):
        target = out / f"proses-{name}-{attempt}"
        command = [sys.executable, "-m", "flows.cli", "run", "--runner", "local", "--out"]
        command += [str(target)]
        command += (
            ["maros"] if name == "maros" else ["--data-dir", str(SHARED / name), "--name", name]
        )
        clock = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        runs.append(time.perf_counter() - clock)
        published = json.dumps(published_files(target, name))
        code = (
            "import json; from benchmarks.run import io_floor; "
            f"io_floor(json.loads({inputs!r}), json.loads({published!r}), {str(out / 'lantai')!r})"
        )
        clock = time.perf_counter()
        subprocess.run(_python(code), cwd=ROOT, check=True, capture_output=True)
        floors.append(time.perf_counter() - clock)
    return {"jalan_s": min(runs), "lantai_s": min(floors)}


def prefect_overhead(out: Path) -> dict:
    """Time the Maros flow against an already running local Prefect server, next to the local runner."""
    from flows.serve import local_server

    with local_server(out / "prefect") as env:
        env["PREFECT_LOGGING_LEVEL"] = "WARNING"
        timings = {}
        for runner in ("local", "prefect", "local", "prefect"):
            args = [sys.executable, "-m", "flows.cli", "run", "maros", "--runner", runner]
            args += ["--out", str(out / runner)]
            clock = time.perf_counter()
            subprocess.run(args, env=env, cwd=ROOT, check=True, capture_output=True)
            timings[runner] = time.perf_counter() - clock  # the second (warm) run of each counts
        return {"local": timings["local"], "prefect": timings["prefect"]}


class TreeMemory(threading.Thread):
    """Sample the resident memory of a process and all its descendants (Linux ``/proc``)."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak_total_mb = 0.0
        self.peak_process_mb = 0.0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            sizes = self._family_rss_mb()
            if sizes:
                self.peak_total_mb = max(self.peak_total_mb, sum(sizes))
                self.peak_process_mb = max(self.peak_process_mb, max(sizes))

    def _family_rss_mb(self) -> list[float]:
        parent, rss = {}, {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                text = Path(f"/proc/{entry}/status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
            parent[int(entry)] = int(fields["PPid"])
            rss[int(entry)] = int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
        family, frontier = {self.pid}, [self.pid]
        while frontier:
            current = frontier.pop()
            for pid, ppid in parent.items():
                if ppid == current and pid not in family:
                    family.add(pid)
                    frontier.append(pid)
        return [rss[pid] for pid in family if pid in rss]


def national(out: Path, *, copies: int, runner: str, workers: int) -> dict:
    """Time ``copies`` province-sized regions run with ``--all``; peak memory of the whole process tree.

    Every region reads the province files (Sulawesi Selatan: 3,056 desa,
    43,346 asset records). Caches are per region and start empty. The Dask
    runner reaches one running local Prefect server, as a deployed setup
    would, so its workers do not each start a temporary API.
    """
    from flows.serve import local_server

    root = out / f"nasional-{runner}-{workers}-{copies}"
    (root / "regions").mkdir(parents=True)
    for index in range(copies):
        (root / "regions" / f"provinsi_{index:02d}.toml").write_text(
            f'name = "provinsi_{index:02d}"\ndata_dir = "{SHARED / "sulsel"}"\n', encoding="utf-8"
        )
    args = [sys.executable, "-m", "flows.cli", "run", "--all", "--runner", runner]
    args += ["--workers", str(workers), "--root", str(root), "--out", str(root)]
    server = (
        local_server(out / f"prefect-{runner}-{workers}-{copies}")
        if runner == "dask"
        else contextlib.nullcontext(dict(os.environ))
    )
    with server as env:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_before = usage.ru_utime + usage.ru_stime
        clock = time.perf_counter()
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        memory = TreeMemory(process.pid)
        memory.start()
        _, errors = process.communicate()
        seconds = time.perf_counter() - clock
        memory.stopped.set()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = usage.ru_utime + usage.ru_stime - cpu_before
    if process.returncode != 0:
        raise RuntimeError(errors.decode(errors="replace")[-2000:])
    shutil.rmtree(root, ignore_errors=True)
    return {
        "wilayah": copies,
        "runner": runner,
        "workers": workers,
        "detik": seconds,
        "cpu_detik": cpu,
        "memori_total_mb": round(memory.peak_total_mb),
        "memori_proses_mb": round(memory.peak_process_mb),
    }


def _load() -> dict:
    return json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}


def _machine() -> str:
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return (
        f"{os.cpu_count()} cores, {memory_gb:.0f} GB memory, {platform.platform()}, "
        f"Python {platform.python_version()}"
    )


def report(results: dict) -> str:
    """Return ``results.md`` from the accumulated results."""
    text = ["# Benchmark results", "", f"Machine: {results.get('mesin', _machine())}.", ""]
    scenarios = results.get("skenario", {})
    if scenarios:
        text += [
            "## Stages (`--runner local`, no cache, inside one process, seconds)",
            "",
            "| skenario | desa | aset | "
            + " | ".join(STAGES)
            + " | memori puncak (MB) | lantai I/O |",
            "|---|---:|---:|" + "---:|" * len(STAGES) + "---:|---:|",
        ]
        for name, result in scenarios.items():
            times = result["waktu"]
            text.append(
                f"| {name} | {result['jumlah']['desa']:,} | {result['jumlah']['aset']:,} | "
                + " | ".join(f"{times.get(s, float('nan')):.2f}" for s in STAGES)
                + f" | {result['memori_puncak_mb']:,.0f} | {result['lantai_io']:.2f} |"
            )
        text.append("")
    notes = []
    if "maros" in scenarios:
        maros = scenarios["maros"]
        notes.append(
            f"- Maros, stages only: {maros['waktu']['total']:.2f} s against an I/O floor of "
            f"{maros['lantai_io']:.2f} s in the same process: "
            f"{maros['waktu']['total'] / maros['lantai_io']:.1f}x (target at most 3x)."
        )
    process = results.get("proses", {})
    if "maros" in process:
        walls = process["maros"]
        notes.append(
            f"- Maros as a user runs it (`jangkau run maros --runner local`, fresh process, "
            f"imports included): {walls['jalan_s']:.2f} s against {walls['lantai_s']:.2f} s for a "
            f"program that only reads the inputs and writes the outputs: "
            f"{walls['jalan_s'] / walls['lantai_s']:.1f}x (target at most 3x)."
        )
    for name, result in scenarios.items():
        check = result.get("akurasi")
        if check:
            notes.append(
                f"- Coverage accuracy, {name}: every published `cakupan_*` figure against "
                "the independent per-desa computation of `tests/coverage_check.py`: worst "
                f"kecamatan {check['kecamatan_pp']:.3f}, worst desa {check['desa_pp']:.3f} "
                "percentage points (limit 0.5)."
            )
    if "sulsel" in scenarios:
        sulsel = scenarios["sulsel"]
        notes.append(
            f"- Sulawesi Selatan whole run: {sulsel['waktu']['total']:.1f} s, peak "
            f"{sulsel['memori_puncak_mb']:,.0f} MB (target at most 60 s and 2 GB)."
        )
    if NETWORK_SCENARIO in scenarios:
        networks = scenarios[NETWORK_SCENARIO]
        notes.append(
            "- Sulawesi Selatan with generated networks (pipes, power lines, roads, polygons, "
            "BTS in every kabupaten; `sulsel_jaringan`), one whole run: "
            f"{networks['waktu']['total']:.1f} s, peak {networks['memori_puncak_mb']:,.0f} MB "
            "(issue 16 target: at most 60 s and 2 GB)."
        )
    overhead = results.get("prefect")
    if overhead:
        notes.append(
            "- Prefect overhead for Maros against a running local server: "
            f"{overhead['prefect'] - overhead['local']:.1f} s (local {overhead['local']:.1f} s, "
            f"prefect {overhead['prefect']:.1f} s; target at most 3 s)."
        )
    text += notes + [""]
    runs = results.get("nasional", [])
    if runs:
        text += [
            "## Many regions (`jangkau run --all`, every region a copy of Sulawesi Selatan)",
            "",
            "Memory is the peak resident memory of the whole process tree (all workers "
            "together) and of its largest single process.",
            "",
            "| wilayah | desa | aset | runner | workers | waktu (menit) | CPU (menit) "
            "| memori total (MB) | proses terbesar (MB) | diukur |",
            "|---:|---:|---:|---|---:|---:|---:|---:|---:|---|",
        ]
        for run in runs:
            text.append(
                f"| {run['wilayah']} | {run['wilayah'] * PROVINCE_DESA:,} | "
                f"{run['wilayah'] * PROVINCE_ASSETS:,} | {run['runner']} | {run['workers']} | "
                f"{run['detik'] / 60:.1f} | {run['cpu_detik'] / 60:.1f} | "
                f"{run['memori_total_mb']:,} | {run['memori_proses_mb']:,} | {run['tanggal']} |"
            )
        text.append("")
    growth = _growth(scenarios, runs)
    if growth:
        text += [
            "## Growth",
            "",
            "CPU time (all threads and processes, imports included) per desa and per asset "
            "record, from one kabupaten to the national input.",
            "",
            "| input | desa | aset | CPU (detik) | ms per desa | ms per aset |",
            "|---|---:|---:|---:|---:|---:|",
            *growth,
            "",
        ]
    text += _travel_section()
    text += _map_page_section()
    text += _before_after_section()
    text += _live_status_section()
    return "\n".join(text)


def _before_after_section() -> list[str]:
    """Return the section from ``results_sebelum_sesudah.json`` (``python -m benchmarks.before_after``)."""
    from benchmarks.before_after import RESULTS, section

    if not RESULTS.exists():
        return []
    return section(json.loads(RESULTS.read_text(encoding="utf-8")))


def _map_page_section() -> list[str]:
    """Return the map page section from ``results_peta.json`` (``python -m benchmarks.peta``)."""
    from benchmarks.peta import RESULTS, section

    if not RESULTS.exists():
        return []
    return section(json.loads(RESULTS.read_text(encoding="utf-8")))


def _live_status_section() -> list[str]:
    """Return the live status section from ``results_pantau.json`` (``python -m benchmarks.pantau``)."""
    from benchmarks.pantau import RESULTS, load_results, section

    return section(load_results()) if RESULTS.exists() else []


def _travel_section() -> list[str]:
    """Return the travel-time section from ``results_waktu.json`` (``python -m benchmarks.travel``)."""
    path = ROOT / "benchmarks" / "results_waktu.json"
    if not path.exists():
        return []
    kept = json.loads(path.read_text(encoding="utf-8"))
    rows = [
        f"| {name} | {r['ruas']:,} | {r['desa']:,} | {r['layanan']} | {r['jaringan_s']} | "
        f"{r['waktu_tempuh_s']} | {r['total_tanpa_masukan_s']} | {r['puncak_memori_gb']} | "
        f"{r['tanggal']} |"
        for name, r in kept.items()
    ]
    return [
        "## Travel time (`python -m benchmarks.travel`)",
        "",
        "Network building and travel-time coverage of every distance service, each in its own "
        "process (targets: Makassar within 10 s on top of its run; a generated province of at "
        "least one million road segments, 3,000 desa and 10 services within 120 s and 4 GB).",
        "",
        "| skenario | ruas jalan | desa | layanan | jaringan (s) | waktu tempuh (s) | "
        "total (s) | memori puncak (GB) | diukur |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
    ]


def _growth(scenarios: dict, runs: list[dict]) -> list[str]:
    rows = []
    for name, result in scenarios.items():
        desa, assets = result["jumlah"]["desa"], result["jumlah"]["aset"]
        rows.append((name, desa, assets, result.get("cpu_detik", result["waktu"]["total"])))
    national_runs = [r for r in runs if r["wilayah"] == NATIONAL_COPIES and r["runner"] == "local"]
    if national_runs:
        run = national_runs[-1]
        rows.append(
            (
                "nasional (local)",
                run["wilayah"] * PROVINCE_DESA,
                run["wilayah"] * PROVINCE_ASSETS,
                run["cpu_detik"],
            )
        )
    return [
        f"| {name} | {desa:,} | {assets:,} | {seconds:.1f} | {seconds / desa * 1000:.1f} | "
        f"{seconds / assets * 1000:.2f} |"
        for name, desa, assets, seconds in rows
    ]


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument(
        "--scenarios",
        default=f"maros,sulsel,{NETWORK_SCENARIO}",
        help="comma-separated; '' for none",
    )
    parser.add_argument("--skip-prefect", action="store_true")
    parser.add_argument(
        "--national",
        action="store_true",
        help=f"also {NATIONAL_COPIES} province-sized regions, local and Dask runners, 2 workers",
    )
    parser.add_argument(
        "--scaling",
        action="store_true",
        help=f"also {SCALING_COPIES} province-sized regions on 1 and 2 workers",
    )
    args = parser.parse_args()
    results = _load()
    results["mesin"] = _machine()
    today = dt.date.today().isoformat()
    out = Path(tempfile.mkdtemp(prefix="jangkau-bench-"))
    try:
        for name in filter(None, args.scenarios.split(",")):
            print(f"... {name}", flush=True)
            measured = child(f"run_scenario({name!r}, Path({str(out)!r}))")
            published = published_files(out, name)
            floor = child(
                f"io_floor(input_files({name!r}), {published!r}, {str(out / 'lantai')!r})"
            )
            measured["lantai_io"] = floor["nilai"]
            gpkg = out / "data" / "processed" / name / "coverage.gpkg"
            measured["akurasi"] = child(f"accuracy({str(gpkg)!r})")
            results.setdefault("skenario", {})[name] = measured
            if name == "maros":
                results.setdefault("proses", {})[name] = whole_process(name, out)
        if not args.skip_prefect and args.scenarios:
            print("... prefect", flush=True)
            results["prefect"] = prefect_overhead(out)
        plans = []
        if args.scaling:
            plans += [(SCALING_COPIES, runner, w) for runner in ("local", "dask") for w in (1, 2)]
        if args.national:
            plans += [(NATIONAL_COPIES, "local", 2), (NATIONAL_COPIES, "dask", 2)]
        for copies, runner, workers in plans:
            print(f"... {copies} wilayah, {runner}, {workers} workers", flush=True)
            run = national(out, copies=copies, runner=runner, workers=workers)
            run["tanggal"] = today
            kept = [
                r
                for r in results.get("nasional", [])
                if (r["wilayah"], r["runner"], r["workers"]) != (copies, runner, workers)
            ]
            results["nasional"] = sorted(
                [*kept, run], key=lambda r: (r["wilayah"], r["runner"], r["workers"])
            )
            RESULTS.write_text(json.dumps(results, indent=1), encoding="utf-8")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    RESULTS.write_text(json.dumps(results, indent=1), encoding="utf-8")
    text = report(results)
    (ROOT / "benchmarks" / "results.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
