"""Live status service speed (issue 17): report → status.json, and reports per second.

Starts ``jangkau pantau serve`` as its own process on loopback (SQLite beside a
published run in a temporary folder, or ``--db URL``), then measures

1. the time from posting a ``tutup sementara`` / ``pulih`` for a puskesmas to
   the ``status.json`` on disk naming that report (goal: 2 s for Maros, 5 s
   for the province run);
2. for Maros, a burst of reports from concurrent clients: reports per second,
   answer time percentiles (goal: 200/s with the 99th percentile under 200 ms)
   and the count in the database against the count acknowledged (goal: equal).

Scenarios: ``maros`` (``regions/maros.toml``) and ``sulsel`` (the province as
``benchmarks/run.py`` runs it: a region file with ``data_dir`` the shared
``sulsel`` folder, published by ``jangkau run FILE --runner local``).
Writes ``benchmarks/results_pantau.json`` (one entry per scenario, kept
between runs) and its section of ``benchmarks/results.md``. Usage:
``python -m benchmarks.pantau [--skenario maros,sulsel] [--reports 2000]
[--clients 16] [--rate 200] [--rounds 10]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results_pantau.json"
HEADING = "## Live status service (`python -m benchmarks.pantau`)"
SCENARIOS = ("maros", "sulsel")


def _publish(name: str, root: Path) -> tuple[Path, Path]:
    """Publish a scenario's run under ``root`` as a user does; return (region file, processed).

    The province is a region file naming the shared folder (as ``benchmarks/run.py``
    runs it), published by ``jangkau run FILE --runner local`` in its own process.
    """
    if name == "maros":
        region_file = ROOT / "regions" / "maros.toml"
    else:
        region_file = root / f"{name}.toml"
        region_file.write_text(f'name = "{name}"\ndata_dir = "{SHARED / name}"\n', encoding="utf-8")
    command = [sys.executable, "-m", "flows.cli", "run", str(region_file)]
    command += ["--out", str(root), "--runner", "local"]
    subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return region_file, root / "data" / "processed" / name


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _token(db_url: str) -> str:
    from jangkau.pantau.store import Store

    async def make() -> str:
        store = Store(db_url)
        await store.create()
        token = await store.new_token(instansi="Bench", kelas=["semua"])
        await store.close()
        return token

    return asyncio.run(make())


def _count(db_url: str) -> int:
    from jangkau.pantau.store import Store

    async def count() -> int:
        store = Store(db_url)
        value = await store.last_id()
        rows = len(await store.reports())
        await store.close()
        return rows if rows else value

    return asyncio.run(count())


def _cpu_seconds(pid: int) -> float:
    """CPU seconds used by a process and its children (the update process), from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for one in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _latency(
    base: str, headers: dict, processed: Path, targets: list[str], rounds: int
) -> list[float]:
    times = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for n in range(rounds):
            status = "tutup sementara" if n % 2 == 0 else "pulih"
            start = time.perf_counter()
            answer = client.post(
                "/api/laporan/status",
                json={"id_aset": targets[(n // 2) % len(targets)], "status": status},
            )
            report = answer.json()["id"]
            while True:
                try:
                    document = json.loads((processed / "status.json").read_text(encoding="utf-8"))
                    if document["laporan_terakhir"] >= report:
                        break
                except (OSError, ValueError):
                    pass
                time.sleep(0.005)
            times.append(time.perf_counter() - start)
    return times


async def _burst(
    base: str, headers: dict, targets: list[str], total: int, clients: int, rate: float
) -> dict:
    answers: list[float] = []
    acknowledged = 0
    failures = 0
    interval = clients / rate if rate > 0 else 0.0
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:

        async def worker(w: int) -> None:
            nonlocal acknowledged, failures
            start = time.perf_counter()
            for n in range(w, total, clients):
                if interval:
                    wait = start + (n // clients) * interval - time.perf_counter()
                    if wait > 0:
                        await asyncio.sleep(wait)
                body = {
                    "id_aset": targets[n % len(targets)],
                    "status": ["rusak ringan", "pulih"][n % 2],
                }
                sent = time.perf_counter()
                answer = await client.post("/api/laporan/status", json=body)
                answers.append(time.perf_counter() - sent)
                if answer.status_code == 201:
                    acknowledged += 1
                else:
                    failures += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(clients)))
        elapsed = time.perf_counter() - began
    ms = np.array(answers) * 1000
    return {
        "laporan": total,
        "klien": clients,
        "laju_diminta_per_detik": rate,
        "detik": round(elapsed, 2),
        "laporan_per_detik": round(total / elapsed, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "maks_ms": round(float(ms.max()), 1),
        "diterima": acknowledged,
        "gagal": failures,
    }


def measure(name: str, args: argparse.Namespace) -> dict:
    """Publish one scenario, serve it, measure; return its results."""
    import geopandas as gpd

    from jangkau.pantau.store import sqlite_url

    with tempfile.TemporaryDirectory(prefix="jangkau-bench-pantau-") as folder:
        root = Path(folder)
        began = time.perf_counter()
        region_file, processed = _publish(name, root)
        published_s = time.perf_counter() - began
        db_url = args.db or sqlite_url(processed / "pantau.sqlite")
        token = _token(db_url)
        aset = gpd.read_file(processed / "coverage.gpkg", layer="aset", read_geometry=False)
        puskesmas = aset.loc[aset["layanan"] == "puskesmas", "id_aset"].tolist()
        port = _free_port()
        command = [sys.executable, "-m", "flows.cli", "pantau", "serve", str(region_file)]
        command += ["--root", str(ROOT), "--out", str(root), "--port", str(port), "--db", db_url]
        began = time.perf_counter()
        server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/status.json", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            started_s = time.perf_counter() - began
            headers = {"Authorization": f"Bearer {token}"}
            load = os.getloadavg()[0]
            latency = _latency(base, headers, processed, puskesmas, args.rounds)
            result = {
                "waktu_ukur": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "cpu": os.cpu_count(),
                "basis_data": "postgresql" if args.db else "sqlite",
                "desa": int(_layer_size(processed, "desa")),
                "aset": len(aset),
                "terbit_detik": round(published_s, 1),
                "layanan_siap_detik": round(started_s, 1),
                "beban_mesin_1_menit": round(load, 2),
                "laporan_ke_status_json_detik": {
                    "median": round(float(np.median(latency)), 3),
                    "maks": round(float(np.max(latency)), 3),
                    "putaran": len(latency),
                    "semua": [round(t, 3) for t in latency],
                },
            }
            if name == "maros" and args.reports:
                before = _count(db_url)
                server_cpu, client_cpu = _cpu_seconds(server.pid), time.process_time()
                burst = asyncio.run(
                    _burst(
                        base,
                        headers,
                        aset["id_aset"].tolist(),
                        args.reports,
                        args.clients,
                        args.rate,
                    )
                )
                burst["cpu_layanan_detik"] = round(_cpu_seconds(server.pid) - server_cpu, 1)
                burst["cpu_pembangkit_beban_detik"] = round(time.process_time() - client_cpu, 1)
                burst["beban_mesin_1_menit"] = os.getloadavg()[0]
                burst["di_basis_data"] = _count(db_url) - before
                result["semburan"] = burst
        finally:
            server.terminate()
            server.wait(timeout=30)
    return result


def _layer_size(processed: Path, layer: str) -> int:
    import pyogrio

    return pyogrio.read_info(processed / "coverage.gpkg", layer=layer)["features"]


def section(results: dict) -> list[str]:
    """Return the results.md section from ``results_pantau.json``."""
    goals = {"maros": 2.0, "sulsel": 5.0}
    rows = []
    for name in SCENARIOS:
        result = results.get(name)
        if result is None:
            continue
        latency = result["laporan_ke_status_json_detik"]
        rows.append(
            f"| {name} | {result.get('desa', 0):,} | {result.get('aset', 0):,} | "
            f"{latency['median']:.2f} | {latency['maks']:.2f} | {latency['putaran']} | "
            f"{goals[name]:.0f} | {result.get('beban_mesin_1_menit', '–')} | "
            f"{result['waktu_ukur'][:10]} |"
        )
    text = [
        HEADING,
        "",
        "The service as its own process on loopback, SQLite beside a published run "
        "(`jangkau run --runner local`). Time from posting a `tutup sementara` or `pulih` "
        "for a puskesmas (alternately) to the `status.json` on disk naming that report.",
        "",
        "| skenario | desa | aset | median (s) | terlama (s) | putaran | target (s) | "
        "beban mesin (1 menit) | diukur |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
    ]
    burst = results.get("maros", {}).get("semburan")
    if burst:
        text += [
            f"- Maros burst: {burst['laporan']:,} reports from {burst['klien']} clients offered "
            f"at {burst['laju_diminta_per_detik']:.0f}/s: taken at "
            f"{burst['laporan_per_detik']}/s, p50 {burst['p50_ms']} ms, p99 {burst['p99_ms']} ms, "
            f"slowest {burst['maks_ms']} ms; {burst['diterima']:,} acknowledged, "
            f"{burst['di_basis_data']:,} in the database (goals: 200/s, p99 under 200 ms, "
            f"none lost); machine load {burst['beban_mesin_1_menit']:.1f}.",
            "",
        ]
    return text


def write_section(results: dict, results_md: Path) -> None:
    """Put the section into ``results_md``, replacing the previous one."""
    text = (
        results_md.read_text(encoding="utf-8") if results_md.exists() else "# Benchmark results\n"
    )
    lines = text.rstrip("\n").split("\n")
    new = section(results)[:-1]
    if HEADING in lines:
        start = lines.index(HEADING)
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        lines = lines[:start] + new + [""] + lines[end:]
    else:
        lines += ["", *new]
    results_md.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")


def load_results() -> dict:
    """Return the kept results by scenario (an older flat file is the Maros entry)."""
    if not RESULTS.exists():
        return {}
    kept = json.loads(RESULTS.read_text(encoding="utf-8"))
    return {"maros": kept} if "laporan_ke_status_json_detik" in kept else kept


def main() -> int:
    """Measure the chosen scenarios and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skenario", default="maros,sulsel", help="maros, sulsel or both")
    parser.add_argument("--reports", type=int, default=2000, help="burst size (Maros); 0: none")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--rate",
        type=float,
        default=200.0,
        help="offered reports per second (0: as fast as possible)",
    )
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--db", help="database URL (default: SQLite beside the outputs)")
    args = parser.parse_args()
    chosen = [s.strip() for s in args.skenario.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if unknown:
        parser.error(f"skenario tidak dikenal: {', '.join(unknown)} (pilih: maros, sulsel)")
    results = load_results()
    for name in chosen:
        results[name] = measure(name, args)
        print(json.dumps({name: results[name]}, indent=1, ensure_ascii=False), flush=True)
    RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    write_section(results, ROOT / "benchmarks" / "results.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
