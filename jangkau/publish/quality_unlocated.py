"""The data-quality report's sections on facilities without a location and official rosters.

Pure functions: the counting tables of :mod:`jangkau.clean.unlocated` and
:mod:`jangkau.clean.rosters` in, report sections (heading, explanation,
table) out, in Bahasa Indonesia.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jangkau.publish.quality import written_values


def unlocated_sections(
    unlocated: pd.DataFrame | None, roster_ledger: pd.DataFrame | None
) -> list[tuple[str, str, pd.DataFrame]]:
    """Return the report's sections on facilities without a location and on official rosters.

    Parameters
    ----------
    unlocated
        The ``tanpa_koordinat`` table (:mod:`jangkau.clean.unlocated`).
    roster_ledger
        The ``daftar_pencocokan`` table (:mod:`jangkau.clean.rosters`).
    """
    columns = ["asal", "sumber", "baris", "nama", "layanan", "kecamatan", "desa", "keterangan"]
    if unlocated is None:
        unlocated = pd.DataFrame(columns=[*columns, "dihitung", "kode_kab"])
    counted = unlocated["dihitung"].astype(bool)
    where = (
        unlocated["kecamatan"]
        .astype(object)
        .where(unlocated["kecamatan"].notna(), "(seluruh kabupaten)")
    )
    summary = (
        unlocated[counted]
        .assign(kecamatan=where[counted])
        .groupby(["kecamatan", "layanan"])
        .size()
        .rename("jumlah")
        .reset_index()
    )
    # "ya"/"tidak" as text: the report writes a false boolean as TIDAK, its alarm for sums.
    listed = unlocated.assign(
        kecamatan=where.where(counted, ""), dihitung=np.where(counted, "ya", "tidak")
    )[[*columns, "dihitung"]]
    for column in ("nama", "desa"):
        listed[column] = written_values(listed[column])
    ledger = (
        roster_ledger
        if roster_ledger is not None
        else pd.DataFrame(
            columns=["sumber", "baris", "nama", "id_aset", "layanan", "hasil", "cara"]
            + ["cocok_dengan", "keterangan"]
        )
    )
    return [
        (
            "Fasilitas tanpa koordinat",
            "Fasilitas yang ada tetapi tanpa koordinat yang dapat dipakai, per kecamatan dan "
            "layanan: baris yang ditolak hanya karena koordinatnya (kosong, 0, tidak terbaca, "
            "atau di luar kabupaten) dan baris daftar resmi yang tidak cocok dengan fasilitas "
            "bertitik. Mereka ikut dalam jumlah fasilitas dan kekurangan di kecamatan yang "
            "disebut barisnya (kolom kecamatan/desa, alamat, kode), tetapi tidak dalam cakupan "
            "karena letaknya tidak diketahui. Daftar resmi tanpa kecamatan dihitung untuk "
            "seluruh kabupaten.",
            summary,
        ),
        (
            "Rincian fasilitas tanpa koordinat",
            "Setiap baris tanpa koordinat yang dapat dipakai: di mana ia dihitung dan mengapa, "
            "atau mengapa tidak dihitung (teks tidak menyebut tempat di wilayah ini, tempat yang "
            "bertentangan, atau fasilitas yang sama sudah dihitung). Lengkapi koordinatnya di "
            "berkas sumber.",
            listed.reset_index(drop=True),
        ),
        (
            "Pencocokan daftar resmi",
            "Setiap baris daftar resmi (nama dan kode tanpa koordinat) dan hasilnya: cocok "
            "dengan fasilitas bertitik (dan caranya: kode sama, nama sama tanpa kata jenis, nama "
            "mirip, atau tempat yang disebut nama), dihitung tanpa koordinat, atau tidak "
            "dihitung dengan alasannya. Satu fasilitas tidak pernah dihitung dua kali. Periksa "
            "pencocokan menurut tempat: itu tebakan.",
            ledger.reset_index(drop=True),
        ),
    ]
