"""The printed report ``laporan.pdf``: what a planner takes to a meeting, in Bahasa Indonesia.

Pages, in order: the title page (region, data date, run id); the summary of
kecamatan by urgency (as many pages as the table needs); one map page per
distance service (desa coverage colours with their legend, kecamatan
boundaries and names, facilities and proposed sites, scale bar, north arrow,
and the kecamatan ranked for that service); the method, assumptions and
limitations, the standards with their sources and the input files; and, when
the run counted facilities without coordinates, where those are.

Drawn with matplotlib alone (``PdfPages``), so no browser or system library
is needed at run time; text is real PDF text in a core font (see
:mod:`jangkau.publish.report_layout`), so the PDF can be searched and copied.
"""

from __future__ import annotations

import re
import textwrap
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages

from jangkau.analysis.no_data import services_marked_without_data
from jangkau.config.labels import labels
from jangkau.io.atomic import replacing
from jangkau.publish.report_layout import (
    FONTS,
    ReportPages,
    decimal,
    draw_table,
    percent,
    printable,
    thousands,
)
from jangkau.publish.report_maps import draw_map, map_base, points_xy

# Kecamatan listed beside a service's map; the rest are counted in a line under the list.
SERVICE_TABLE_ROWS = 28


@dataclass(frozen=True)
class ReportContext:
    """What the title and sources pages state about a run.

    Attributes
    ----------
    title
        The region as planners know it (``Kabupaten Maros``).
    data_date
        The date the figures were computed (ISO).
    run_id
        The run folder's id, as in ``info.json``.
    metric_crs
        How distances were measured (CRS and why).
    sources
        One row per input file: ``berkas``, ``peran``, ``baris``.
    """

    title: str
    data_date: str
    run_id: str
    metric_crs: str
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)


def write_report_pdf(
    path: Path,
    *,
    kecamatan: gpd.GeoDataFrame,
    desa: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    proposals: gpd.GeoDataFrame,
    gaps: pd.DataFrame,
    catalogue: pd.DataFrame,
    services: list[str],
    context: ReportContext,
    metric_crs: str,
    atomic: bool = True,
) -> Path:
    """Write ``laporan.pdf`` (see the module docstring for its pages).

    Parameters
    ----------
    path
        Destination; replaced only once written whole.
    kecamatan, desa
        The published ``kecamatan`` and ``desa`` layers (``cakupan_<layanan>``,
        ``indeks_kesenjangan``, ``layanan_paling_mendesak``).
    assets, proposals
        The ``aset`` and ``usulan_lokasi`` layers (``layanan``, points).
    gaps
        The ``kesenjangan`` table (a ``tanpa_koordinat`` column is used when present).
    catalogue
        Standards, one row per service, with their sources.
    services
        Distance services, in catalogue order: one map page each.
    context
        Region, date, run and input files.
    metric_crs
        The run's metric CRS, the maps are drawn in.
    atomic
        False writes straight to ``path``: for a scratch folder whose files
        are moved into place later (:mod:`jangkau.pipeline.beside`).
    """
    words = labels()["laporan"]
    base = map_base(desa, kecamatan, metric_crs=metric_crs)
    metadata = {"Title": f"{words['judul']} — {context.title}", "Creator": words["pembuat"]}
    with (
        matplotlib.rc_context(FONTS),
        replacing(path) if atomic else nullcontext(path) as temporary,
        PdfPages(temporary, metadata={**metadata, "CreationDate": None}) as pdf,
    ):
        pages = ReportPages(
            pdf, footer=printable(f"{context.title} · {context.data_date} · {context.run_id}")
        )
        _title_page(pages, context, has_no_coordinates=_no_coordinates(gaps) is not None)
        _summary_pages(pages, kecamatan, gaps, catalogue, services)
        names = dict(zip(catalogue["layanan"], catalogue["nama"], strict=True))
        icons = labels()["ikon"]
        for service in services:
            figure = pages.new()
            _service_page(
                figure,
                base,
                service=service,
                name=names[service],
                colour=icons.get(service, {}).get("warna", "#1f77b4"),
                desa=desa,
                assets=assets,
                proposals=proposals,
                gaps=gaps,
                catalogue=catalogue,
                metric_crs=metric_crs,
            )
            pages.save(figure)
        pages.text(words["metode"], _method_blocks(catalogue, context))
        missing = _no_coordinates(gaps)
        if missing is not None:
            pages.table(
                words["tanpa_koordinat"],
                words["kolom_tanpa_koordinat"],
                [
                    [
                        str(r.kecamatan),
                        names.get(r.layanan, r.layanan),
                        thousands(r.tanpa_koordinat),
                    ]
                    for r in missing.itertuples()
                ],
                widths=[3, 3, 2],
                note=words["tanpa_koordinat_catatan"],
            )
    return path


def _title_page(pages: ReportPages, context: ReportContext, *, has_no_coordinates: bool) -> None:
    words = labels()["laporan"]
    figure = pages.new()
    figure.text(0.08, 0.78, words["judul"], fontsize=26, fontweight="bold")
    figure.text(0.08, 0.71, printable(context.title), fontsize=20)
    figure.text(0.08, 0.66, words["subjudul"], fontsize=11, color="#333333")
    y = 0.55
    for label, value in (
        (words["wilayah"], context.title),
        (words["tanggal_data"], context.data_date),
        (words["proses"], context.run_id),
        (words["ukuran_jarak"], context.metric_crs),
    ):
        figure.text(0.08, y, label, fontsize=10, fontweight="bold", va="top")
        # The CRS line carries why it was chosen: long, so wrapped.
        lines = textwrap.wrap(printable(value), 95) or [""]
        figure.text(0.32, y, "\n".join(lines), fontsize=10, va="top")
        y -= 0.04 + 0.022 * (len(lines) - 1)
    y -= 0.03
    figure.text(0.08, y, words["isi"], fontsize=11, fontweight="bold")
    contents = [*words["isi_daftar"]]
    if has_no_coordinates:
        contents.append(words["isi_tanpa_koordinat"])
    for line in contents:
        y -= 0.035
        figure.text(0.10, y, f"• {line}", fontsize=10)
    pages.save(figure)


def _summary_pages(
    pages: ReportPages,
    kecamatan: pd.DataFrame,
    gaps: pd.DataFrame,
    catalogue: pd.DataFrame,
    services: list[str],
) -> None:
    """Kecamatan by overall urgency, each service's coverage and shortfall in one cell."""
    words = labels()["laporan"]
    icons = labels()["ikon"]
    names = dict(zip(catalogue["layanan"], catalogue["nama"], strict=True))
    ordered = kecamatan.sort_values(
        ["indeks_kesenjangan", "kode_kec"],
        ascending=[False, True],
        kind="stable",
        na_position="last",
    )
    by_pair = {
        (row.kode_kec, row.layanan): (row.cakupan, row.kekurangan)
        for row in gaps.itertuples(index=False)
    }
    # No asset of the service anywhere: the cell says so instead of a blank or 0 %.
    unknown = set(services_marked_without_data(gaps))
    total = len(ordered)
    shown_names = display_names(ordered).tolist()
    rows = []
    for rank, row in enumerate(ordered.itertuples(index=False), start=1):
        cells = [
            f"{rank} {words['dari']} {total}",
            shown_names[rank - 1],
            thousands(row.penduduk),
            decimal(row.indeks_kesenjangan),
            names.get(row.layanan_paling_mendesak, "—")
            if isinstance(row.layanan_paling_mendesak, str)
            else "—",
        ]
        for service in services:
            cells.append(
                words["tanpa_data_singkat"]
                if service in unknown
                else _coverage_cell(by_pair, row.kode_kec, service)
            )
        rows.append(cells)
    headers = [*words["kolom_ringkasan"], *(icons.get(s, {}).get("singkatan", s) for s in services)]
    key = "; ".join(f"{icons.get(s, {}).get('singkatan', s)} = {names[s]}" for s in services)
    pages.table(
        words["ringkasan"],
        headers,
        rows,
        # The name column is wide enough for "Tompobulu (Maros)" (repeated names, below).
        widths=[1.3, 2.7, 1.0, 0.7, 1.9, *([1.05] * len(services))],
        note=f"{words['ringkasan_catatan']} {key}."
        + (f" {words['tanpa_data_catatan']}" if unknown & set(services) else ""),
    )


def display_names(frame: pd.DataFrame, regency: dict[str, str] | None = None) -> pd.Series:
    """Return each kecamatan's name, told apart where it repeats (two Cenrana).

    A repeated name gets its kabupaten's name (``regency``: per ``kode_kec``,
    else a ``kabupaten`` column of ``frame``: ``Cenrana (Maros)``), or its
    code when none is known.
    """
    names = frame["kecamatan"].astype(str)
    repeated = names.duplicated(keep=False)
    if regency is None and "kabupaten" in frame:
        regency = dict(zip(frame["kode_kec"], frame["kabupaten"], strict=True))
    # "Cenrana (Maros)": the table's name column is narrow; a city keeps its "Kota".
    known = {
        k: re.sub(r"^Kabupaten ", "", v)
        for k, v in (regency or {}).items()
        if isinstance(v, str) and v
    }
    which = frame["kode_kec"].map(lambda code: known.get(code, code)).astype(str)
    return names.where(~repeated, names + " (" + which + ")")


def _coverage_cell(by_pair: dict, code: str, service: str) -> str:
    if (code, service) not in by_pair:
        return "—"
    coverage, shortfall = by_pair[(code, service)]
    text = percent(coverage, 0)
    if pd.notna(shortfall) and int(shortfall) > 0:
        text += f" ({int(shortfall)})"
    return text


def _service_page(
    figure: object,
    base: object,
    *,
    service: str,
    name: str,
    colour: str,
    desa: pd.DataFrame,
    assets: gpd.GeoDataFrame,
    proposals: gpd.GeoDataFrame,
    gaps: pd.DataFrame,
    catalogue: pd.DataFrame,
    metric_crs: str,
) -> None:
    """One service: its map on the left, its standard and the kecamatan ranked on the right."""
    words = labels()["laporan"]
    standard = catalogue.set_index("layanan").loc[service]
    rows = gaps[gaps["layanan"] == service]
    figure.text(
        0.03,
        0.95,
        printable(words["peta_judul"].format(layanan=name)),
        fontsize=14,
        fontweight="bold",
        va="top",
    )
    norm = (
        words["norma_penduduk"].format(penduduk=thousands(standard["penduduk_per_fasilitas"]))
        if pd.notna(standard["penduduk_per_fasilitas"])
        else words["tanpa_norma"]
    )
    people = rows["penduduk"].sum()
    unknown = service in services_marked_without_data(rows)
    # min_count: a service without data has no served people, not zero.
    served = rows["penduduk_terlayani"].sum(min_count=1)
    figure.text(
        0.03,
        0.905,
        words["standar_baris"].format(
            kelurahan=thousands(standard["radius_kelurahan_m"]),
            desa=thousands(standard["radius_desa_m"]),
            norma=norm,
        )
        + "\n"
        + words["cakupan_wilayah"].format(
            cakupan=labels()["data"]["tidak_ada_data"]
            if unknown
            else percent(served / people if people else np.nan),
            penduduk=thousands(people),
            fasilitas=thousands(rows["jumlah_fasilitas"].sum()),
        ),
        fontsize=8,
        va="top",
    )
    ax = figure.add_axes((0.03, 0.06, 0.52, 0.78))
    own_assets = assets[assets["layanan"] == service]
    own_proposals = proposals[proposals["layanan"] == service] if len(proposals) else proposals
    draw_map(
        ax,
        base,
        desa_coverage=desa.set_index("kode_desa")[f"cakupan_{service}"],
        facilities=points_xy(own_assets, metric_crs=metric_crs),
        proposals=points_xy(own_proposals, metric_crs=metric_crs),
        colour=colour,
        service_name=printable(name),
    )
    _service_table(
        figure,
        rows,
        kabupaten_level=standard["tingkat_perencanaan"] == "kabupaten",
        unknown=unknown,
        regency=(
            desa.groupby("kode_kec")["kabupaten"].first().to_dict() if "kabupaten" in desa else None
        ),
    )


def _service_table(
    figure: object,
    rows: pd.DataFrame,
    *,
    kabupaten_level: bool,
    unknown: bool = False,
    regency: dict[str, str] | None = None,
) -> None:
    words = labels()["laporan"]
    total = len(rows)
    if kabupaten_level or rows["peringkat"].isna().all():
        ordered = rows.sort_values(["cakupan", "kode_kec"], kind="stable")
    else:
        ordered = rows.sort_values(["peringkat", "kode_kec"], kind="stable", na_position="last")
    shown = ordered.head(SERVICE_TABLE_ROWS)
    shown = shown.assign(kecamatan=display_names(ordered, regency).head(SERVICE_TABLE_ROWS))
    table = [
        [
            f"{int(r.peringkat)} {words['dari']} {int(r.jumlah_peringkat)}"
            if pd.notna(r.peringkat)
            else "—",
            str(r.kecamatan),
            words["tanpa_data_singkat"] if unknown else percent(r.cakupan),
            thousands(r.jumlah_fasilitas),
            words["tanpa_data_singkat"] if unknown else thousands(r.kekurangan),
        ]
        for r in shown.itertuples(index=False)
    ]
    draw_table(
        figure,
        words["kolom_layanan"],
        table,
        widths=[1.2, 2.0, 1.1, 1.1, 1.3],
        top=0.84,
        left=0.70,
        right=0.985,
        rows_per_page=SERVICE_TABLE_ROWS + 2,
        size=6.5,
    )
    notes = []
    if total > len(shown):
        notes.append(words["kecamatan_lain"].format(n=total - len(shown)))
    if kabupaten_level:
        notes.append(words["tingkat_kabupaten"])
    if unknown:
        notes.append(words["tanpa_data_catatan"])
    if notes:
        figure.text(0.70, 0.07, "\n".join(notes), fontsize=6.5, va="bottom", wrap=True)


def _no_coordinates(gaps: pd.DataFrame) -> pd.DataFrame | None:
    """Return kecamatan × service rows with facilities counted without coordinates, or None."""
    if "tanpa_koordinat" not in gaps.columns:
        return None
    counts = pd.to_numeric(gaps["tanpa_koordinat"], errors="coerce").fillna(0)
    rows = gaps.loc[counts > 0, ["kode_kec", "kecamatan", "layanan"]].assign(
        tanpa_koordinat=counts[counts > 0]
    )
    return rows.sort_values(["kode_kec", "layanan"]) if len(rows) else None


def _method_blocks(catalogue: pd.DataFrame, context: ReportContext) -> list[tuple[str, str]]:
    """Return the method, assumptions, standards with sources and input files as text blocks."""
    words = labels()["laporan"]
    blocks: list[tuple[str, str]] = [("p", text) for text in labels()["buku_kerja"]["teks_metode"]]
    blocks += [("p", text) for text in words["asumsi"]]
    blocks.append(("h", words["standar"]))
    for row in catalogue.itertuples(index=False):
        figures = []
        if pd.notna(row.radius_kelurahan_m) or pd.notna(row.radius_desa_m):
            figures.append(
                words["standar_radius"].format(
                    kelurahan=thousands(row.radius_kelurahan_m), desa=thousands(row.radius_desa_m)
                )
            )
        if pd.notna(row.penduduk_per_fasilitas):
            figures.append(
                words["norma_penduduk"].format(penduduk=thousands(row.penduduk_per_fasilitas))
            )
        if isinstance(row.minimum_per, str) and row.minimum_per:
            figures.append(f"{words['minimum']} {row.minimum_per}")
        figures.append(words["standar_target"].format(target=percent(row.target_cakupan, 0)))
        blocks.append(("p", f"{row.nama}: {'; '.join(figures)}."))
        blocks.append(("i", f"{words['sumber']}: {row.sumber_standar}"))
        blocks.append(("i", f"{words['sumber_target']}: {row.sumber_target_cakupan}"))
    blocks.append(("h", words["masukan"]))
    for source in context.sources.itertuples(index=False):
        count = f" ({thousands(source.baris)} {words['baris']})" if pd.notna(source.baris) else ""
        blocks.append(("p", f"{source.berkas}: {source.peran}{count}"))
    blocks.append(("p", f"{words['ukuran_jarak']}: {context.metric_crs}"))
    return blocks
