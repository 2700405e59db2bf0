"""The printed report ``laporan.pdf``: what a planner takes to a meeting, in Bahasa Indonesia.

Pages, in order: the title page (region, data date, run id); the summary of
kecamatan by urgency (as many pages as the table needs); one map page per
distance service (desa coverage colours with their legend, kecamatan
boundaries and names, facilities and proposed sites, scale bar, north arrow,
and the kecamatan ranked for that service); the method, assumptions and
limitations, the standards with their sources and the input files; and, when
the run counted facilities without coordinates, where those are.

Drawn with reportlab's canvas, so no browser or system library is needed at
run time; text is real PDF text (core Helvetica, else an embedded font: see
:mod:`jangkau.publish.report_fonts`), so the PDF can be searched and copied.
"""

from __future__ import annotations

import textwrap
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from jangkau.analysis.no_data import services_marked_without_data
from jangkau.config.labels import labels
from jangkau.io.atomic import replacing
from jangkau.publish.report_layout import (
    PAGE_HEIGHT,
    PAGE_WIDTH,
    ReportPages,
    Sheet,
    decimal,
    percent,
    printable,
    thousands,
)
from jangkau.publish.report_maps import map_base
from jangkau.publish.report_service import (
    coverage_cell,
    display_names,
    service_data,
    service_page,
)


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
        replacing(path) if atomic else nullcontext(path) as temporary,
        ReportPages(
            temporary,
            footer=printable(f"{context.title} · {context.data_date} · {context.run_id}"),
            metadata=metadata,
        ) as pages,
    ):
        _title_page(pages, context, has_no_coordinates=_no_coordinates(gaps) is not None)
        _summary_pages(pages, kecamatan, gaps, catalogue, services)
        names = dict(zip(catalogue["layanan"], catalogue["nama"], strict=True))
        icons = labels()["ikon"]
        data = service_data(
            desa=desa,
            assets=assets,
            proposals=proposals,
            gaps=gaps,
            catalogue=catalogue,
            metric_crs=metric_crs,
        )
        for service in services:
            sheet = pages.new()
            service_page(
                sheet,
                base,
                data,
                service=service,
                name=names[service],
                colour=icons.get(service, {}).get("warna", "#1f77b4"),
            )
            pages.save(sheet)
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
    sheet: Sheet = pages.new()
    sheet.text(0.08, 0.78, words["judul"], size=26, bold=True)
    sheet.text(0.08, 0.71, context.title, size=20)
    sheet.text(0.08, 0.66, words["subjudul"], size=11, fill="#333333")
    y = 0.55
    for label, value in (
        (words["wilayah"], context.title),
        (words["tanggal_data"], context.data_date),
        (words["proses"], context.run_id),
        (words["ukuran_jarak"], context.metric_crs),
    ):
        sheet.text(0.08, y, label, size=10, bold=True, va="top")
        # The CRS line carries why it was chosen: long, so wrapped.
        lines = textwrap.wrap(printable(value), 95) or [""]
        sheet.text(0.32, y, "\n".join(lines), size=10, va="top")
        y -= 0.04 + 0.022 * (len(lines) - 1)
    y -= 0.03
    sheet.text(0.08, y, words["isi"], size=11, bold=True)
    contents = [*words["isi_daftar"]]
    if has_no_coordinates:
        contents.append(words["isi_tanpa_koordinat"])
    # The bullet is drawn, not written: reportlab encodes "•" as the core font's code 127,
    # which text extraction (pypdf) does not read as a bullet.
    indent = sheet.canvas.stringWidth("• ", "Helvetica", 10)
    for line in contents:
        y -= 0.035
        sheet.canvas.setFillColorRGB(0, 0, 0)
        sheet.canvas.circle(0.10 * PAGE_WIDTH + 2.2, y * PAGE_HEIGHT + 3.3, 1.6, stroke=0, fill=1)
        sheet.text(0.10 * PAGE_WIDTH + indent, y * PAGE_HEIGHT, line, size=10, points=True)
    pages.save(sheet)


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
                else coverage_cell(by_pair, row.kode_kec, service)
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
