"""Live coverage: the published figures with the assets that do not serve now taken out.

Only what a report touches is recomputed: for each service with an asset whose
serving state differs from the published run's (out of service now, or left out
by the run and restored since), the desa within that service's radius of such
an asset. Their coverage is measured twice with the project's own definition
(:func:`jangkau.analysis.coverage.desa_fractions`): with the assets the run
counted and with those serving now. Where the two agree the desa keeps its
published figure; where they differ the desa is reported with the published
figure before and the new one after, and its kecamatan's figure moves by the
people it lost (or gained). When the assets serving are again those the run
counted nothing differs, so ``pulih`` gives back the published figures exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.coverage import desa_fractions, surface_arrays
from jangkau.pantau.baseline import Baseline

# Two measurements of the same desa with the same discs agree to the last bit;
# anything above this is a real change in reach.
CHANGE_TOLERANCE = 1e-9

DESA_COLUMNS = [
    "kode_desa",
    "desa",
    "kode_kec",
    "kecamatan",
    "layanan",
    "penduduk",
    "cakupan_sebelum",
    "cakupan_sesudah",
    "penduduk_kehilangan_layanan",
]
KECAMATAN_COLUMNS = [
    "kode_kec",
    "kecamatan",
    "layanan",
    "cakupan_sebelum",
    "cakupan_sesudah",
    "target_cakupan",
]


def _radius(standard: pd.Series, is_kelurahan: np.ndarray) -> np.ndarray:
    return np.where(
        is_kelurahan, float(standard["radius_kelurahan_m"]), float(standard["radius_desa_m"])
    )


def desa_changes(
    baseline: Baseline, not_serving: set[str], *, cache: dict | None = None
) -> pd.DataFrame:
    """Return the desa × service whose coverage differs while ``not_serving`` assets are out.

    Parameters
    ----------
    baseline
        The published run (:func:`jangkau.pantau.baseline.read_baseline`).
    not_serving
        ``id_aset`` of the assets that do not serve now.
    cache
        Optional dict kept between calls with the same baseline: a service's
        result is reused while the same assets of it are out.

    Returns
    -------
    pandas.DataFrame
        ``DESA_COLUMNS``: the published ``cakupan_sebelum``, the recomputed
        ``cakupan_sesudah`` and the people who lost (negative: gained) reach.
    """
    aset, desa = baseline.aset, baseline.desa
    out = aset["id_aset"].isin(not_serving).to_numpy()
    # The published figures already leave out what the run left out.
    was_out = aset["id_aset"].isin(baseline.excluded).to_numpy()
    is_kelurahan = (desa["tipe"] == "kelurahan").to_numpy()
    frames = []
    for service in sorted(set(aset.loc[out != was_out, "layanan"])):
        key = (
            service,
            frozenset(aset.loc[out & (aset["layanan"] == service).to_numpy(), "id_aset"]),
        )
        if cache is not None and key in cache:
            frames.append(cache[key])
            continue
        frame = _service_changes(baseline, service, out, was_out, is_kelurahan)
        if cache is not None:
            cache[key] = frame
        frames.append(frame)
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=DESA_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def _service_changes(
    baseline: Baseline,
    service: str,
    out: np.ndarray,
    was_out: np.ndarray,
    is_kelurahan: np.ndarray,
) -> pd.DataFrame:
    """Return one service's changed desa (``DESA_COLUMNS``; empty when none)."""
    aset, desa = baseline.aset, baseline.desa
    empty = pd.DataFrame(columns=DESA_COLUMNS)
    standard = baseline.layanan.loc[baseline.layanan["layanan"] == service]
    column = f"cakupan_{service}"
    if standard.empty or column not in desa.columns:
        return empty  # a service without a distance standard has no coverage to change
    radius = _radius(standard.iloc[0], is_kelurahan)
    if not np.isfinite(radius).any():
        return empty
    of_service = (aset["layanan"] == service).to_numpy()
    points = aset.geometry.to_numpy()
    tree = shapely.STRtree(points[of_service & (out != was_out)])
    rows, _ = tree.query(desa.geometry.to_numpy(), predicate="dwithin", distance=np.nanmax(radius))
    touched = np.unique(rows)
    if len(touched) == 0:
        return empty
    polygons = desa.geometry.to_numpy()[touched]
    # Desa the run's finer population surface covers are measured on its points, as the run did.
    surface = surface_arrays(desa.iloc[touched], baseline.permukaan)
    published = desa_fractions(
        polygons, radius[touched], points[of_service & ~was_out], surface=surface
    )
    serving = desa_fractions(polygons, radius[touched], points[of_service & ~out], surface=surface)
    changed = np.abs(published - serving) > CHANGE_TOLERANCE
    if not changed.any():
        return empty
    chosen = desa.iloc[touched[changed]]
    before = chosen[column].to_numpy(dtype=float)
    after = serving[changed]
    people = chosen["penduduk"].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "kode_desa": chosen["kode_desa"].to_numpy(),
            "desa": chosen["desa"].to_numpy(),
            "kode_kec": chosen["kode_kec"].to_numpy(),
            "kecamatan": chosen["kecamatan"].to_numpy(),
            "layanan": service,
            "penduduk": people,
            "cakupan_sebelum": before,
            "cakupan_sesudah": after,
            "penduduk_kehilangan_layanan": people * (before - after),
        }
    )


def kecamatan_changes(
    baseline: Baseline, desa: pd.DataFrame, *, prefix: str = "cakupan_"
) -> pd.DataFrame:
    """Return each kecamatan × service the changed desa belong to, published figure and new one.

    The new figure is the published one (column ``<prefix><layanan>`` of the
    ``kecamatan`` layer) moved by the people the desa lost over the
    kecamatan's people (the sum over its desa, as the run aggregates).
    """
    if desa.empty:
        return pd.DataFrame(columns=KECAMATAN_COLUMNS)
    people = baseline.desa.groupby("kode_kec")["penduduk"].sum()
    lost = desa.groupby(["kode_kec", "layanan"], sort=True)["penduduk_kehilangan_layanan"].sum()
    kecamatan = baseline.kecamatan.set_index("kode_kec")
    target = baseline.layanan.set_index("layanan")["target_cakupan"]
    rows = []
    for (code, service), loss in lost.items():
        before = float(kecamatan.at[code, f"{prefix}{service}"])
        total = float(people[code])
        after = before - loss / total if total > 0 else before
        rows.append(
            {
                "kode_kec": code,
                "kecamatan": kecamatan.at[code, "kecamatan"],
                "layanan": service,
                "cakupan_sebelum": before,
                "cakupan_sesudah": min(max(after, 0.0), 1.0),
                "target_cakupan": float(target.get(service, np.nan)),
            }
        )
    return pd.DataFrame(rows, columns=KECAMATAN_COLUMNS)


def alerts(kecamatan: pd.DataFrame, *, service_names: dict[str, str]) -> list[dict[str, object]]:
    """Return one alert per kecamatan × service whose coverage fell and is now below its target."""
    found = []
    for row in kecamatan.itertuples(index=False):
        if not np.isfinite(row.target_cakupan):
            continue
        if row.cakupan_sesudah < row.target_cakupan and row.cakupan_sesudah < row.cakupan_sebelum:
            name = service_names.get(row.layanan, row.layanan)
            found.append(
                {
                    "kode_kec": row.kode_kec,
                    "kecamatan": row.kecamatan,
                    "layanan": row.layanan,
                    "cakupan_sebelum": row.cakupan_sebelum,
                    "cakupan_sesudah": row.cakupan_sesudah,
                    "target_cakupan": row.target_cakupan,
                    "sudah_di_bawah_target": bool(row.cakupan_sebelum < row.target_cakupan),
                    "pesan": (
                        f"Cakupan {name} di Kec. {row.kecamatan} turun dari "
                        f"{_percent(row.cakupan_sebelum)} menjadi {_percent(row.cakupan_sesudah)}, "
                        f"di bawah target {_percent(row.target_cakupan)}"
                    ),
                }
            )
    return found


def _percent(value: float) -> str:
    return f"{value * 100:.1f} %".replace(".", ",")
