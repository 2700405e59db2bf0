"""Closed roads in the live status service (issue 17): Makassar, 50,000 road segments.

Publishes a Makassar run in a temporary folder (or takes ``--out`` holding one),
starts ``jangkau pantau serve`` as its own process on loopback, and measures
the time from posting a ``jalan putus`` (alternately one road edge and a
300 m radius, at road points spread over the city) or closing it again
(``selesai``) to the ``status.json`` on disk naming that report. Also times,
in this process, reading the published base (once per service start and per
new run) and one update's recompute, cold (the run's own trip times per
service computed first) and warm.

Writes ``benchmarks/results_pantau_jalan.json``. Usage:
``python -m benchmarks.pantau_jalan [--rounds 10] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results_pantau_jalan.json"


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


def _publish_makassar(root: Path) -> Path:
    from jangkau import pipeline

    region = pipeline.prepare_region(region_file=ROOT / "regions" / "makassar.toml")
    outputs = pipeline.OutputPaths.under(root, "makassar")
    pipeline.run_all(region, outputs)
    return outputs.processed


def _road_points(processed: Path, count: int) -> list[tuple[float, float]]:
    """Return (lintang, bujur) of the middles of ``count`` road edges spread over the network."""
    import geopandas as gpd

    roads = gpd.read_file(processed / "coverage.gpkg", layer="jalan")
    roads = roads.loc[~roads["feri"].astype(bool)]
    chosen = roads.iloc[np.linspace(0, len(roads) - 1, count).astype(int)]
    middles = shapely.line_interpolate_point(chosen.geometry.to_numpy(), 0.5, normalized=True)
    return [(p.y, p.x) for p in middles]


def _in_process(processed: Path, places: list[tuple[float, float]]) -> dict:
    """Time reading the base and one recompute with a 300 m cut, cold and warm.

    Cold: the first update after the service starts (the run's own trip times
    per service computed first). Warm: a cut elsewhere afterwards.
    """
    from jangkau.pantau.baseline import read_baseline
    from jangkau.pantau.state import live_state
    from jangkau.pantau.store import VERIFIED
    from jangkau.pantau.vocabulary import load_vocabulary

    start = time.perf_counter()
    baseline = read_baseline(processed)
    read = time.perf_counter() - start
    now = datetime.now(UTC)
    vocabulary, cache = load_vocabulary(), {}
    timings, closed, changed = [], [], []
    for place in places:
        report = {
            "id": 1,
            "jenis_laporan": "kejadian",
            "jenis_kejadian": "jalan putus",
            "lintang": place[0],
            "bujur": place[1],
            "radius_m": 300.0,
            "waktu": now,
            "pelapor": "bench",
            "catatan": None,
            "verifikasi": VERIFIED,
            "id_aset": None,
            "merujuk": None,
        }
        start = time.perf_counter()
        document, _ = live_state(
            baseline, [report], vocabulary=vocabulary, region="makassar", now=now, cache=cache
        )
        timings.append(time.perf_counter() - start)
        closed.append(document["kejadian"][0]["ruas_ditutup"])
        changed.append(len(document["desa_waktu"]))
    return {
        "baca_dasar_detik": round(read, 2),
        "hitung_dingin_detik": round(timings[0], 2),
        "hitung_hangat_detik_median": round(float(np.median(timings[1:])), 2),
        "hitung_hangat_detik_maks": round(float(np.max(timings[1:])), 2),
        "ruas_jaringan": int(baseline.waktu.network.edge_count),
        "titik_penduduk": len(baseline.waktu.points),
        "ruas_ditutup_300m": closed,
        "desa_berubah": changed,
    }


def main() -> int:
    """Run the measurements and write the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--out", help="output root already holding a published Makassar run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jangkau-bench-jalan-") as folder:
        root = Path(args.out) if args.out else Path(folder)
        processed = root / "data" / "processed" / "makassar"
        if not args.out:
            processed = _publish_makassar(root)
        from jangkau.pantau.store import sqlite_url

        db = Path(folder) / "pantau.sqlite"
        db_url = sqlite_url(db)
        token = _token(db_url)
        places = _road_points(processed, args.rounds)
        inside = _in_process(processed, places)
        port = _free_port()
        command = [sys.executable, "-m", "flows.cli", "pantau", "serve", "makassar"]
        command += ["--root", str(ROOT), "--out", str(root), "--port", str(port), "--db", db_url]
        server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        base = f"http://127.0.0.1:{port}"
        times = {"tutup": [], "selesai": []}
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/status.json", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                for n, (lat, lon) in enumerate(places):
                    body = {"jenis": "jalan putus", "lintang": lat, "bujur": lon}
                    if n % 2:
                        body["radius_m"] = 300
                    for kind in ("tutup", "selesai"):
                        start = time.perf_counter()
                        if kind == "tutup":
                            answer = client.post("/api/laporan/kejadian", json=body)
                            event = answer.json()["id"]
                            report = event
                        else:
                            answer = client.post(f"/api/laporan/kejadian/{event}/selesai")
                            report = answer.json()["id"]
                        while True:
                            try:
                                text = (processed / "status.json").read_text(encoding="utf-8")
                                if json.loads(text)["laporan_terakhir"] >= report:
                                    break
                            except (OSError, ValueError):
                                pass
                            time.sleep(0.005)
                        times[kind].append(time.perf_counter() - start)
        finally:
            server.terminate()
            server.wait(timeout=30)
    results = {
        "waktu_ukur": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpu": os.cpu_count(),
        "beban_mesin_1_menit": os.getloadavg()[0],
        "dalam_proses": inside,
        **{
            f"{kind}_ke_status_json_detik": {
                "median": round(float(np.median(values)), 3),
                "maks": round(float(np.max(values)), 3),
                "putaran": len(values),
            }
            for kind, values in times.items()
        },
    }
    RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
