"""Measure each kecamatan against the service standards: the gap table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jangkau.coverage import coverage_by_kecamatan

GAP_COLUMNS = [
    "kode_kec",
    "kecamatan",
    "layanan",
    "jumlah_fasilitas",
    "penduduk",
    "penduduk_terlayani",
    "cakupan",
]


def facility_counts(
    facilities: pd.DataFrame, kode_kec: pd.Series, services: list[str]
) -> pd.DataFrame:
    """Count facilities per kecamatan × service, zero where there are none."""
    counts = (
        facilities.groupby(["kode_kec", "layanan"]).size().rename("jumlah_fasilitas")
        if len(facilities)
        else pd.Series(dtype="int64", name="jumlah_fasilitas")
    )
    grid = pd.MultiIndex.from_product([kode_kec.tolist(), services], names=["kode_kec", "layanan"])
    return counts.reindex(grid, fill_value=0).astype("int64").reset_index()


def gap_table(
    kecamatan: pd.DataFrame,
    desa: pd.DataFrame,
    desa_coverage: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    catalogue: pd.DataFrame,
) -> pd.DataFrame:
    """Return one row per kecamatan × catalogue service (``GAP_COLUMNS``).

    Services without a distance standard carry counts and population with
    ``penduduk_terlayani`` and ``cakupan`` left empty.
    """
    services = catalogue["layanan"].tolist()
    table = facility_counts(facilities, kecamatan["kode_kec"], services)
    population = desa.groupby("kode_kec")["penduduk"].sum()
    table["penduduk"] = table["kode_kec"].map(population).fillna(0).astype("int64")
    covered = coverage_by_kecamatan(desa_coverage).set_index(["kode_kec", "layanan"])
    index = pd.MultiIndex.from_frame(table[["kode_kec", "layanan"]])
    table["penduduk_terlayani"] = covered["penduduk_terlayani"].reindex(index).to_numpy()
    table["cakupan"] = covered["cakupan"].reindex(index).to_numpy()
    table["kecamatan"] = table["kode_kec"].map(kecamatan.set_index("kode_kec")["kecamatan"])
    table["penduduk_terlayani"] = np.round(table["penduduk_terlayani"], 1)
    return table[GAP_COLUMNS]
