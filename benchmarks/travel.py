"""Travel-time benchmarks (issue 15): Makassar on top of its run, and a generated province.

``python -m benchmarks.travel`` measures, each in its own process:

- ``makassar``: reading the RBI roads, building the network and the
  travel-time coverage of every distance service (target: 10 s on top of
  the straight-line run);
- ``provinsi``: a generated province-scale network of at least one million
  road segments (a street grid every 250 m over 100 × 80 km, a vertex every
  50 m), 3,000 desa, 10 services (target: 120 s, 4 GB).

``--scale F`` shrinks the generated province's sides by F (for a quick try).
Results are printed as JSON and, for the full-size runs, kept in
``benchmarks/results_waktu.json``, which ``benchmarks.run`` adds to
``results.md`` as the section on travel time.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
CRS = 32750


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def province(scale: float = 1.0, seed: int = 1) -> tuple:
    """Return (roads, desa, facilities) of a generated province, in a metric CRS."""
    import geopandas as gpd
    import numpy as np
    import shapely

    rng = np.random.default_rng(seed)
    width, height = 100_000 * scale, 80_000 * scale
    step, vertex = 250.0, 50.0
    lines = []
    for x in np.arange(0, width + 1, step):
        ys = np.arange(0, height + 1, vertex)
        lines.append(np.column_stack([np.full(len(ys), x), ys]))
    for y in np.arange(0, height + 1, step):
        xs = np.arange(0, width + 1, vertex)
        lines.append(np.column_stack([xs, np.full(len(xs), y)]))
    classes = np.array(["Jalan Arteri", "Jalan Kolektor", "Jalan Lokal", "Jalan Lain"])
    roads = gpd.GeoDataFrame(
        {"REMARK": classes[rng.integers(0, 4, len(lines))]},
        geometry=[shapely.LineString(c) for c in lines],
        crs=CRS,
    )
    columns, rows = 60, 50
    dx, dy = width / columns, height / rows
    boxes = [
        shapely.box(i * dx + 7, j * dy + 7, (i + 1) * dx + 7, (j + 1) * dy + 7)
        for i in range(columns)
        for j in range(rows)
    ]
    desa = gpd.GeoDataFrame(
        {
            "kode_desa": [f"99.01.{k // 100:02d}.{1000 + k % 100}" for k in range(len(boxes))],
            "kode_kec": [f"99.01.{k // 100:02d}" for k in range(len(boxes))],
            "tipe": np.where(rng.random(len(boxes)) < 0.3, "kelurahan", "desa"),
            "penduduk": rng.integers(500, 8000, len(boxes)).astype(float),
        },
        geometry=boxes,
        crs=CRS,
    )
    services = ["sd", "smp", "sma", "puskesmas", "pustu", "posyandu", "rumah_sakit"]
    services += ["perpustakaan", "pemadam", "tps"]
    counts = [3000, 1000, 500, 200, 600, 3000, 30, 300, 40, 1500]
    frames = []
    for service, count in zip(services, counts, strict=True):
        count = max(1, int(count * scale * scale))
        xy = rng.uniform([0, 0], [width, height], (count, 2))
        frames.append(
            gpd.GeoDataFrame(
                {"layanan": service}, index=range(count), geometry=shapely.points(xy), crs=CRS
            )
        )
    return roads, desa, gpd.pd.concat(frames, ignore_index=True)


def measure(name: str, scale: float) -> dict:
    """Time one scenario inside this process."""
    from jangkau.analysis.network import build_network
    from jangkau.analysis.travel import travel_coverage_by_desa
    from jangkau.clean.roads import network_settings, speed_table, standardise_roads
    from jangkau.config.catalogue import load_catalogue

    settings = network_settings()
    start = time.perf_counter()
    if name == "makassar":
        import geopandas as gpd

        from jangkau.io.read import read_records

        raw = read_records(SHARED / "makassar" / "jalan_rbi50k.geojson")
        boundaries = ROOT / "data" / "raw" / "makassar" / "batas_desa.gpkg"
        desa = gpd.read_file(boundaries).to_crs(CRS)
        desa["penduduk"] = 1000.0
        sites = gpd.read_file(SHARED / "makassar" / "puskesmas_rbi50k.geojson").to_crs(CRS)
        facilities = gpd.GeoDataFrame(
            {"layanan": ["puskesmas"] * len(sites)}, geometry=sites.geometry.to_numpy(), crs=CRS
        )
        raw = raw.to_crs(CRS)
    else:
        raw, desa, facilities = province(scale)
    generated = time.perf_counter()
    roads = standardise_roads(raw, columns={"kelas": "REMARK"}, source=name, speeds=speed_table())
    network = build_network(
        roads,
        tolerance_m=settings["toleransi_sambung_m"],
        min_fragment_m=settings["panjang_fragmen_min_m"],
    )
    built = time.perf_counter()
    times = travel_coverage_by_desa(
        desa,
        facilities,
        network,
        catalogue=load_catalogue(),
        walking_kmh=5.0,
        spacing_m=settings["jarak_titik_m"],
        direct_walk_beyond_m=settings["jarak_jalan_kaki_langsung_m"],
    )
    done = time.perf_counter()
    return {
        "skenario": name,
        "ruas": network.report["ruas"],
        "desa": len(desa),
        "layanan": int(times["layanan"].nunique()),
        "masukan_s": round(generated - start, 1),
        "jaringan_s": round(built - generated, 1),
        "waktu_tempuh_s": round(done - built, 1),
        "total_tanpa_masukan_s": round(done - generated, 1),
        "puncak_memori_gb": round(_peak_gb(), 2),
    }


def main(argv: list[str] | None = None) -> int:
    """Run each scenario in a child process and print its result."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--only", choices=["makassar", "provinsi"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.scale)))
        return 0
    kept_path = ROOT / "benchmarks" / "results_waktu.json"
    kept = json.loads(kept_path.read_text(encoding="utf-8")) if kept_path.exists() else {}
    for name in [args.only] if args.only else ["makassar", "provinsi"]:
        output = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.travel",
                "--child",
                name,
                "--scale",
                str(args.scale),
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout
        line = output.strip().splitlines()[-1]
        print(line)
        if args.scale == 1.0:
            kept[name] = {**json.loads(line), "tanggal": time.strftime("%Y-%m-%d")}
    if args.scale == 1.0:
        kept_path.write_text(json.dumps(kept, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
