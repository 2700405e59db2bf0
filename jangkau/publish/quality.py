"""The data-quality report: what was read, placed, repaired and rejected, per source file.

Pure functions: frames in, tables and text (HTML and Markdown, in Bahasa
Indonesia) out. :mod:`jangkau.pipeline` writes them.
"""

from __future__ import annotations

import re

import pandas as pd

from jangkau.clean.names import name_key
from jangkau.clean.place_evidence import evidence_settings
from jangkau.config.labels import labels
from jangkau.publish.templating import render

_DUPLICATE = re.compile(r"^duplikat\b")
# What the agency that sent a file gets back: each rejected record, why, and as it was written.
REJECTED_FOR_AGENCY = ["sumber", "baris", "nama", "id_aset", "alasan", "data_asli"]


def reason_category(reason: str) -> str:
    """Return the kind of a rejection reason (``"duplikat"``, ``"di luar kabupaten"``, …)."""
    if _DUPLICATE.match(reason):
        return "duplikat"
    return reason.split(":")[0].split("(")[0].strip()


def source_summary(
    read_counts: pd.Series, placed: pd.DataFrame, rejected: pd.DataFrame
) -> pd.DataFrame:
    """Return one row per source file: read, placed, repaired, rejected, and whether they add up.

    Parameters
    ----------
    read_counts
        Records read per ``sumber``.
    placed, rejected
        The ``aset`` and ``aset_ditolak`` tables (``sumber``, ``perbaikan`` / ``alasan``).
    """
    rows = []
    for source, read in read_counts.items():
        mine = placed[placed["sumber"] == source]
        refused = rejected[rejected["sumber"] == source]
        rows.append(
            {
                "sumber": source,
                "dibaca": int(read),
                "ditempatkan": len(mine),
                "diperbaiki": int((mine["perbaikan"] != "").sum()),
                "ditolak": len(refused),
                "cocok": int(read) == len(mine) + len(refused),
            }
        )
    return pd.DataFrame(
        rows, columns=["sumber", "dibaca", "ditempatkan", "diperbaiki", "ditolak", "cocok"]
    )


def breakdown(frame: pd.DataFrame, column: str, label: str) -> pd.DataFrame:
    """Count records per source file and kind (of repair or rejection)."""
    values = frame[column].fillna("")
    if column == "alasan":
        values = values.map(reason_category)
    else:
        # Records without a repair (most) count for nothing: split only the others.
        values = values[values != ""].str.split("; ").explode()
    kinds = pd.DataFrame({"sumber": frame.loc[values.index, "sumber"], label: values})
    kinds = kinds[kinds[label] != ""]
    return kinds.groupby(["sumber", label]).size().rename("jumlah").reset_index()


def written_values(values: pd.Series) -> pd.Series:
    """Return text as written, blank where the file had nothing."""
    return values.astype(object).where(values.notna(), "").astype(str)


def rejected_details(rejected: pd.DataFrame) -> pd.DataFrame:
    """Return every rejected record with its name and identifier, for whoever fixes the file.

    Parameters
    ----------
    rejected
        The ``aset_ditolak`` table (``sumber``, ``baris``, ``nama``,
        ``id_aset``, ``alasan``).
    """
    table = rejected[["sumber", "baris", "nama", "id_aset", "alasan"]].copy()
    for column in ("nama", "id_aset"):
        table[column] = written_values(table[column])
    return table.reset_index(drop=True)


def rejected_for_agency(rejected: pd.DataFrame) -> pd.DataFrame:
    """Return the rejected records to send back to the agency (``baris_ditolak.csv``)."""
    table = rejected[REJECTED_FOR_AGENCY].copy()
    for column in ("nama", "id_aset", "data_asli"):
        table[column] = written_values(table[column])
    return table.reset_index(drop=True)


def repair_details(placed: pd.DataFrame) -> pd.DataFrame:
    """Return every repaired record: the repair, the location as written and the one used.

    Parameters
    ----------
    placed
        The ``aset`` table with ``perbaikan``, ``koordinat_tertulis`` and the
        placed point as ``lintang_dipakai`` / ``bujur_dipakai`` (degrees).
    """
    repaired = placed[placed["perbaikan"].fillna("") != ""]
    return pd.DataFrame(
        {
            "sumber": repaired["sumber"],
            "baris": repaired["baris"],
            "nama": written_values(repaired["nama"]),
            "id_aset": written_values(repaired["id_aset"]),
            "perbaikan": repaired["perbaikan"],
            "koordinat_tertulis": written_values(repaired["koordinat_tertulis"]),
            # Six decimals (about 0.1 m): the report's one-decimal number format would hide the move.
            "lintang_dipakai": [f"{v:.6f}" for v in repaired["lintang_dipakai"]],
            "bujur_dipakai": [f"{v:.6f}" for v in repaired["bujur_dipakai"]],
        }
    ).reset_index(drop=True)


def _heading(column: object) -> str:
    """Return a column's heading in Bahasa Indonesia (``[kolom]`` of label.toml), else its name."""
    return str(labels()["kolom"].get(str(column), column))


def _anchor(heading: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-") or "bagian"
    anchor, number = base, 2
    while anchor in taken:
        anchor, number = f"{base}-{number}", number + 1
    taken.add(anchor)
    return anchor


def _cell_text(value: object) -> str:
    """Write one table cell as the report shows it: decimals with one digit, yes/no in Bahasa."""
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, bool):
        return "ya" if value else "TIDAK"
    return str(value)


def _table_for_page(frame: pd.DataFrame) -> dict[str, list]:
    """Return a table as plain text for the report template: column names and rows of cells."""
    return {
        "kosong": frame.empty,
        "kolom": [_heading(c) for c in frame.columns],
        "baris": [[_cell_text(v) for v in row] for row in frame.itertuples(index=False)],
    }


def _markdown_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "_Tidak ada._"
    lines = [
        "| " + " | ".join(map(_heading, frame.columns)) + " |",
        "|" + "---|" * len(frame.columns),
    ]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "/") for v in row) + " |")
    return "\n".join(lines)


DOUBT_NOTE = "lokasi diragukan: "


def _doubt_km() -> str:
    metres = float(evidence_settings()["jarak_diragukan_m"])
    return f"{metres / 1000:g} km".replace(".", ",")


def doubted_table(placed: pd.DataFrame) -> pd.DataFrame:
    """Return the points whose text names a place far away: file, row, name, where, how far, why.

    Parameters
    ----------
    placed
        The ``aset`` table with ``lokasi_diragukan``, ``desa``, ``kecamatan``,
        ``jarak_tempat_tertulis_m`` and ``catatan`` (holding the doubt note).
    """
    columns = ["sumber", "baris", "nama", "lokasi_titik", "jarak_km", "keterangan"]
    if "lokasi_diragukan" not in placed:
        return pd.DataFrame(columns=columns)
    doubted = placed[placed["lokasi_diragukan"].fillna(False).astype(bool)]
    notes = doubted["catatan"].fillna("").str.split("; ")
    return pd.DataFrame(
        {
            "sumber": doubted["sumber"],
            "baris": doubted["baris"],
            "nama": doubted["nama"],
            "lokasi_titik": "Ds. " + doubted["desa"].astype(str) + ", Kec. " + doubted["kecamatan"],
            "jarak_km": (doubted["jarak_tempat_tertulis_m"].astype(float) / 1000).round(1),
            "keterangan": [
                next((n[len(DOUBT_NOTE) :] for n in parts if n.startswith(DOUBT_NOTE)), "")
                for parts in notes
            ],
        },
        columns=columns,
    )


def quality_sections(
    *,
    read_counts: pd.Series,
    placed: pd.DataFrame,
    rejected: pd.DataFrame,
    boundary_repairs: pd.DataFrame,
    boundary_agreement: pd.DataFrame,
    name_matches: pd.DataFrame,
    ignored: dict[str, str],
    surface_report: pd.DataFrame | None = None,
    crs_inferences: pd.DataFrame | None = None,
    column_guesses: list[dict[str, str]] | None = None,
    doubted: pd.DataFrame | None = None,
) -> list[tuple[str, str, pd.DataFrame]]:
    """Return the report's sections as (heading, explanation, table) in reading order.

    ``column_guesses`` lists, per input file, each column role that no region
    file stated (``berkas``, ``peran``, ``kolom``, ``alasan``). ``doubted`` is
    :func:`doubted_table` of the run (points far from the place their text
    names); the section is shown empty when it is None.
    """
    spelled = placed.dropna(subset=["kecamatan_tertulis"])
    spelled = spelled[
        (spelled["kecamatan_tertulis"] != spelled["kecamatan"])
        & (spelled["kecamatan_tertulis"].map(name_key) == spelled["kecamatan"].map(name_key))
    ]
    spellings = (
        spelled.groupby(["sumber", "kecamatan_tertulis", "kecamatan"])
        .size()
        .rename("jumlah_baris")
        .reset_index()
    )
    notes = placed.loc[
        placed["catatan"].fillna("") != "", ["sumber", "baris", "nama", "id_aset", "catatan"]
    ]
    agreement = boundary_agreement.copy()
    for column in ("luas_dari_desa_km2", "luas_lapisan_kecamatan_km2", "selisih_luas_persen"):
        agreement[column] = agreement[column].astype(float).round(2)
    return [
        (
            "Ringkasan per berkas",
            "Setiap baris data berakhir ditempatkan di peta atau ditolak dengan alasan; "
            "kolom 'cocok' memeriksa bahwa dibaca = ditempatkan + ditolak.",
            source_summary(read_counts, placed, rejected),
        ),
        (
            "Perbaikan koordinat",
            "Perbaikan yang diterapkan, per jenis.",
            breakdown(placed, "perbaikan", "perbaikan"),
        ),
        (
            "Rincian perbaikan koordinat",
            "Setiap baris yang diperbaiki: koordinat seperti tertulis di berkas dan lokasi yang "
            "dipakai (derajat, WGS 84). Periksa, lalu perbaiki di berkas sumber.",
            repair_details(placed),
        ),
        ("Penolakan", "Baris yang ditolak, per alasan.", breakdown(rejected, "alasan", "alasan")),
        (
            "Baris yang ditolak",
            "Rincian setiap baris yang ditolak, dengan nama dan ID-nya; perbaiki di berkas "
            "sumber lalu jalankan ulang. Daftar yang sama, dengan data asli, ada di "
            "baris_ditolak.csv untuk dikirim kembali ke dinas pengirim.",
            rejected_details(rejected),
        ),
        (
            "Catatan lokasi dan nama",
            "Titik di luar poligon desa, dan kecamatan tertulis yang berbeda.",
            notes,
        ),
        (
            "Lokasi diragukan",
            f"Titik yang jauh (lebih dari {_doubt_km()}) dari setiap tempat yang disebut teksnya: alamat "
            "(Kec./Ds.), kode fasilitas, kolom kecamatan/desa, nama fasilitas. Nama lama dan "
            "kecamatan induk sebelum pemekaran dianggap benar. Titik tetap dihitung di tempatnya "
            "(data berkata demikian); baris kecamatan yang disebut teks di tabel kesenjangan "
            "diberi catatan. Periksa koordinatnya di berkas sumber.",
            doubted
            if doubted is not None
            else pd.DataFrame(
                columns=["sumber", "baris", "nama", "lokasi_titik", "jarak_km", "keterangan"]
            ),
        ),
        ("Perbaikan batas wilayah", "Poligon yang tidak sah dan diperbaiki.", boundary_repairs),
        (
            "Selisih lapisan desa dan kecamatan",
            "Luas kecamatan dari gabungan desa dibandingkan dengan lapisan kecamatan.",
            agreement,
        ),
        (
            "Pencocokan nama",
            "Nama di tabel penduduk yang dicocokkan dengan nama lain.",
            name_matches,
        ),
        (
            "Penulisan nama kecamatan",
            "Nama kecamatan di daftar aset yang ditulis berbeda (huruf, spasi, awalan 'KEC.') dan dinormalkan.",
            spellings,
        ),
        (
            "Sebaran penduduk di dalam desa",
            "Tanpa lapisan penduduk rinci, penduduk dianggap merata di setiap desa. Dengan lapisan titik "
            "penduduk, jumlah penduduk desa tetap, tetapi sebarannya mengikuti titik-titik itu.",
            surface_report
            if surface_report is not None
            else pd.DataFrame({"sebaran": ["merata per desa (tanpa lapisan penduduk rinci)"]}),
        ),
        (
            "Sistem koordinat yang disimpulkan",
            "Berkas tanpa keterangan CRS (misalnya shapefile tanpa .prj): CRS dipilih yang "
            "menempatkan titik-titiknya di dalam wilayah.",
            crs_inferences
            if crs_inferences is not None
            else pd.DataFrame({"berkas": [], "crs": [], "catatan": []}),
        ),
        (
            "Kolom yang ditebak",
            "Peran kolom yang tidak disebut di berkas wilayah: dari nama kolom, atau dari isinya "
            "(jenis yang ada di tabel jenis aset, nama yang berbeda-beda, angka yang jatuh di "
            "dalam wilayah, pola kode). Bila tebakan salah, sebutkan kolomnya di berkas wilayah.",
            pd.DataFrame(column_guesses or [], columns=["berkas", "peran", "kolom", "alasan"]),
        ),
        (
            "Berkas yang tidak dipakai",
            "Berkas di folder data yang tidak dipakai dalam perhitungan.",
            pd.DataFrame({"berkas": list(ignored), "alasan": list(ignored.values())}),
        ),
    ]


def quality_html(title: str, sections: list[tuple[str, str, pd.DataFrame]]) -> str:
    """Render the report as one self-contained HTML page (every text escaped by the template)."""
    taken: set[str] = set()
    return render(
        "kualitas_data.html",
        judul=title,
        bagian=[
            {
                "judul": heading,
                "jangkar": _anchor(heading, taken),
                "penjelasan": explanation,
                "tabel": _table_for_page(table),
            }
            for heading, explanation, table in sections
        ],
    )


def quality_markdown(
    title: str, sections: list[tuple[str, str, pd.DataFrame]], *, max_rows: int = 50
) -> str:
    """Render the report as Markdown (for a Prefect artifact); long tables are cut."""
    parts = [f"# Kualitas data — {title}"]
    for heading, explanation, table in sections:
        shown = table.head(max_rows)
        more = (
            f"\n\n_… dan {len(table) - max_rows} baris lagi (lihat kualitas_data.html)._"
            if len(table) > max_rows
            else ""
        )
        parts += [f"## {heading}", explanation, _markdown_table(shown) + more]
    return "\n\n".join(parts)
