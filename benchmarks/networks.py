"""Line and polygon assets at province scale (issue 16): the cost added to a run.

``python -m benchmarks.networks`` generates, over Sulawesi Selatan's 3,056
desa (``../shared/data/sulsel``), the network and polygon files of
:mod:`jangkau.sources.demo_networks` (pipes, power lines, roads, polygons),
then times, in one process: placing the lines and polygons (repairs,
clipping, desa), the network measures (reach, length) and the asset
register. It prints JSON: seconds per step, records, peak memory. The whole
province run (``benchmarks.run``) is measured separately; this is what
issue 16 adds on top of it.
"""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> int:
    """Run the measurement and print its figures as JSON."""
    import geopandas as gpd
    import pandas as pd

    from jangkau.analysis.networks import network_by_kecamatan, network_measures
    from jangkau.analysis.register import asset_register
    from jangkau.clean.asset_geometry import AREA, LINE, place_shapes, split_by_geometry
    from jangkau.clean.boundaries import standardise_desa
    from jangkau.config.catalogue import load_kind_table
    from jangkau.config.networks import load_networks
    from jangkau.io.read import read_records
    from jangkau.sources.demo_networks import network_frames

    raw = read_records(SHARED / "sulsel" / "batas_desa.shp")
    columns = {
        "kode_desa": "KDEPUM",
        "desa": "WADMKD",
        "kode_kec": "KDCPUM",
        "kecamatan": "WADMKC",
        "tipe": "TIPADM",
    }
    desa, _ = standardise_desa(raw, columns=columns, source="batas_desa.shp")
    metric = desa.estimate_utm_crs()
    desa_metric = desa.to_crs(metric).assign(penduduk=1000.0)
    started = time.perf_counter()
    files = network_frames(raw)
    generated = time.perf_counter() - started
    kinds = load_kind_table()
    timings, counts = {"membuat_berkas_s": round(generated, 2)}, {}
    placed: dict[str, list] = {LINE: [], AREA: []}
    started = time.perf_counter()
    for name, frame in files.items():
        if not isinstance(frame, gpd.GeoDataFrame):
            continue
        frame = frame.assign(baris=range(1, len(frame) + 1))
        counts[name] = len(frame)
        for kind, part in split_by_geometry(frame).items():
            if kind in placed:
                shapes, _ = place_shapes(
                    part,
                    kind=kind,
                    columns={"nama": "nama", "jenis": "jenis"},
                    source=name,
                    desa=desa_metric,
                    kinds=kinds,
                )
                placed[kind].append(shapes)
    timings["menempatkan_garis_dan_area_s"] = round(time.perf_counter() - started, 2)
    lines = pd.concat(placed[LINE], ignore_index=True)
    areas = pd.concat(placed[AREA], ignore_index=True)
    started = time.perf_counter()
    long = network_measures(
        desa_metric, gpd.GeoDataFrame(lines, crs=4326).to_crs(metric), networks=load_networks()
    )
    network_by_kecamatan(long)
    timings["ukuran_jaringan_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    asset_register(lines, areas)
    timings["rekap_aset_s"] = round(time.perf_counter() - started, 2)
    print(
        json.dumps(
            {
                "desa": len(desa),
                "garis": len(lines),
                "area": len(areas),
                "berkas": counts,
                **timings,
                "jumlah_s": round(sum(v for k, v in timings.items() if k != "membuat_berkas_s"), 2),
                "memori_puncak_gb": round(_peak_gb(), 2),
            },
            ensure_ascii=False,
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
