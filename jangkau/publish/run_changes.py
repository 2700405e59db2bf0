"""What changed since the previous run: coverage and facility counts per kecamatan × service."""

from __future__ import annotations

import pandas as pd

CHANGE_COLUMNS = [
    "kode_kec",
    "kecamatan",
    "layanan",
    "cakupan_sebelum",
    "cakupan_sekarang",
    "selisih_cakupan",
    "jumlah_fasilitas_sebelum",
    "jumlah_fasilitas_sekarang",
    "selisih_fasilitas",
    "proses_sebelumnya",
]


def changes(
    previous: pd.DataFrame | None, current: pd.DataFrame, *, previous_run: str | None
) -> pd.DataFrame:
    """Compare coverage and facility counts per kecamatan × service with the previous run.

    Parameters
    ----------
    previous
        The previous run's gap table, or None on a first run (the "before"
        columns are then empty).
    current
        This run's gap table.
    previous_run
        The previous run's folder name under ``riwayat/``.
    """
    now = current[["kode_kec", "kecamatan", "layanan", "cakupan", "jumlah_fasilitas"]].rename(
        columns={"cakupan": "cakupan_sekarang", "jumlah_fasilitas": "jumlah_fasilitas_sekarang"}
    )
    if previous is None:
        before = pd.DataFrame(
            columns=["kode_kec", "layanan", "cakupan_sebelum", "jumlah_fasilitas_sebelum"]
        )
    else:
        before = previous[["kode_kec", "layanan", "cakupan", "jumlah_fasilitas"]].rename(
            columns={"cakupan": "cakupan_sebelum", "jumlah_fasilitas": "jumlah_fasilitas_sebelum"}
        )
    table = now.merge(before, on=["kode_kec", "layanan"], how="left")
    table["selisih_cakupan"] = (
        table["cakupan_sekarang"].astype(float) - table["cakupan_sebelum"].astype(float)
    ).round(6)
    table["selisih_fasilitas"] = table["jumlah_fasilitas_sekarang"] - table[
        "jumlah_fasilitas_sebelum"
    ].astype(float)
    table["proses_sebelumnya"] = previous_run
    return table[CHANGE_COLUMNS]
