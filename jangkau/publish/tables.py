"""The planners' tables: the gap workbook for a meeting, and CSV that Excel opens in Indonesia.

The workbook opens on a title sheet (region, data date, the sources of every
input, the method in plain Bahasa Indonesia, the standards with their
figures and sources), then the summary sorted by urgency, one sheet per
service and, when given, one for the desa. Every table sheet has a frozen,
bold header with an autofilter, ranks shown as "3 dari 14" while staying
numbers, and a landscape A4 print setup one page wide with the header
repeated on every page.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from jangkau.analysis.no_data import services_marked_without_data
from jangkau.analysis.urgency import most_urgent_service, urgency_index
from jangkau.config.catalogue import distance_services
from jangkau.config.labels import labels
from jangkau.io.atomic import replacing
from jangkau.publish.layers import coverage_columns

# Excel forbids []:*?/\ in sheet names and cuts them at 31 characters.
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class WorkbookContext:
    """What the title sheet states about a run.

    Attributes
    ----------
    title
        The region's name as planners know it (``Kabupaten Maros``).
    data_date
        The date the figures were computed (ISO).
    sources
        One row per input file: ``berkas``, ``peran`` (what it gave the run)
        and ``baris`` (records read).
    metric_crs
        How distances were measured (e.g. ``EPSG:32750``).
    """

    title: str = ""
    data_date: str = ""
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    metric_crs: str = ""


def _sheet_title(name: str, taken: dict) -> str:
    title = _SHEET_FORBIDDEN.sub("-", name)[:31]
    return title if title not in taken else f"{title[:27]} ({len(taken)})"[:31]


def kecamatan_summary(
    gaps: pd.DataFrame, catalogue: pd.DataFrame, *, urgency: pd.Series | None = None
) -> pd.DataFrame:
    """Return one row per kecamatan, most urgent first, with each service's coverage.

    Parameters
    ----------
    gaps
        The ``kesenjangan`` table.
    catalogue
        Services in column order, with their Indonesian names.
    urgency
        Overall gap index per ``kode_kec``; by default
        :func:`jangkau.analysis.urgency.urgency_index` of ``gaps``.
    """
    words = labels()["kolom"]
    names = dict(zip(catalogue["layanan"], catalogue["nama"], strict=True))
    summary = gaps.groupby(["kode_kec", "kecamatan"], sort=True).agg(penduduk=("penduduk", "first"))
    # The same weighted urgency and most urgent service as the kecamatan layer.
    urgency = urgency_index(gaps, catalogue) if urgency is None else urgency
    codes = summary.index.get_level_values("kode_kec")
    summary["indeks_kesenjangan"] = codes.map(urgency)
    summary["layanan_paling_mendesak"] = codes.map(most_urgent_service(gaps, catalogue)).map(names)
    coverage = coverage_columns(gaps, catalogue["layanan"].tolist())
    # A distance service without any asset keeps its column, saying so: not a blank, not 0 %.
    unknown = set(services_marked_without_data(gaps)) & set(distance_services(catalogue))
    for service in catalogue["layanan"]:
        column = f"cakupan_{service}"
        if service in unknown:
            summary[f"{words['cakupan']} {names[service]}"] = labels()["data"]["tidak_ada_data"]
        elif column in coverage.columns and coverage[column].notna().any():
            summary[f"{words['cakupan']} {names[service]}"] = summary.index.get_level_values(
                "kode_kec"
            ).map(coverage[column])
    summary = summary.reset_index()
    summary["indeks_kesenjangan"] = summary["indeks_kesenjangan"].round(1)
    summary = summary.sort_values(
        ["indeks_kesenjangan", "kode_kec"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)
    summary.insert(0, "peringkat", pd.array(np.arange(1, len(summary) + 1), dtype="Int64"))
    return summary


def _service_sheets(gaps: pd.DataFrame, catalogue: pd.DataFrame, taken: dict) -> dict:
    """Return one frame per service: the gap table's columns but the service, by rank."""
    words = labels()["kolom"]
    names = dict(zip(catalogue["layanan"], catalogue["nama"], strict=True))
    columns = [c for c in gaps.columns if c != "layanan"]
    ordered = gaps.sort_values(["layanan", "peringkat", "kode_kec"], na_position="last")
    meets = ordered["memenuhi_minimum"]
    ordered = ordered.assign(
        memenuhi_minimum=np.where(
            meets.isna(),
            "",
            np.where(meets.fillna(False).astype(bool), words["ya"], words["tidak"]),
        )
    )
    by_service = dict(tuple(ordered.groupby("layanan", sort=False)))
    sheets = {}
    for service in catalogue["layanan"]:
        rows = by_service.get(service, ordered.iloc[:0])[columns]
        sheets[_sheet_title(names[service], {**taken, **sheets})] = rows.dropna(axis=1, how="all")
    return sheets


def unlocated_sheet(unlocated: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Return the facilities counted without a location: where each counts, and why.

    One row per counted row of the ``tanpa_koordinat`` table, by kecamatan;
    those counted for the kabupaten only (rosters that name no kecamatan)
    say so in ``kecamatan``.
    """
    counted = unlocated[unlocated["dihitung"].astype(bool)]
    table = pd.DataFrame(
        {
            "kecamatan": counted["kecamatan"]
            .astype(object)
            .where(counted["kecamatan"].notna(), "(seluruh kabupaten " + counted["kode_kab"] + ")"),
            "desa": counted["desa"].astype(object).where(counted["desa"].notna(), ""),
            "layanan": counted["layanan"].map(lambda s: names.get(s, s)),
            "nama": counted["nama"],
            "sumber": counted["sumber"],
            "baris": counted["baris"],
            "keterangan": counted["keterangan"],
        }
    )
    return table.sort_values(["kecamatan", "layanan", "nama"], kind="stable").reset_index(drop=True)


def standards_table(catalogue: pd.DataFrame) -> pd.DataFrame:
    """Return the standards used, one row per service, headed for the title sheet."""
    table = catalogue[
        [
            "nama",
            "radius_kelurahan_m",
            "radius_desa_m",
            "penduduk_per_fasilitas",
            "minimum_per",
            "target_cakupan",
            "sumber_standar",
        ]
    ].copy()
    table["minimum_per"] = table["minimum_per"].fillna("")
    return table


def write_gap_workbook(
    path: Path,
    gaps: pd.DataFrame,
    catalogue: pd.DataFrame,
    *,
    context: WorkbookContext | None = None,
    desa_gaps: pd.DataFrame | None = None,
    urgency: pd.Series | None = None,
    extra_sheets: dict[str, pd.DataFrame] | None = None,
    unlocated: pd.DataFrame | None = None,
    atomic: bool = True,
) -> Path:
    """Write the planners' workbook (see the module docstring for its sheets).

    Parameters
    ----------
    path
        Destination ``.xlsx``; replaced only once written whole.
    gaps
        The ``kesenjangan`` table.
    catalogue
        Services in sheet order, with names, standards and sources.
    context
        What the title sheet says about the run.
    desa_gaps
        The ``kesenjangan_desa`` table, for a sheet of its own.
    urgency
        Overall gap index per ``kode_kec`` for sorting the summary.
    extra_sheets
        Further sheets by title, written last (e.g. ``rekap_aset``).
    unlocated
        The facilities counted without a location (:func:`unlocated_sheet`),
        for a sheet of their own.
    atomic
        False writes straight to ``path``: for a scratch folder whose files
        are moved into place later (:mod:`jangkau.pipeline.beside`).
    """
    words = labels()["kolom"]
    sheets: dict[str, pd.DataFrame] = {}
    sheets[words["ringkasan"]] = kecamatan_summary(gaps, catalogue, urgency=urgency)
    sheets.update(_service_sheets(gaps, catalogue, sheets))
    if desa_gaps is not None:
        sheets[words["lembar_desa"]] = desa_gaps
    if unlocated is not None:
        sheets[words["lembar_tanpa_koordinat"]] = unlocated
    for title, frame in (extra_sheets or {}).items():
        sheets[_sheet_title(title, sheets)] = frame
    kecamatan_count = gaps["kode_kec"].nunique()
    place = replacing(path) if atomic else nullcontext(path)
    with place as temporary, _cycle_collector_paused():
        _write_book(
            temporary,
            sheets,
            context=context or WorkbookContext(),
            standards=standards_table(catalogue),
            rank_of={"peringkat": kecamatan_count},
        )
    return path


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause the cycle collector, and leave it as it was found.

    xlsxwriter keeps a small object per cell (600,000 for a province's desa
    sheet), none in a reference cycle: paused, the collector does not walk
    them over and over while they are made.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _write_book(
    path: Path,
    sheets: dict[str, pd.DataFrame],
    *,
    context: WorkbookContext,
    standards: pd.DataFrame,
    rank_of: dict[str, int],
) -> None:
    """Write the title sheet, then each frame as a sheet (xlsxwriter, cell by column).

    xlsxwriter directly is several times faster than ``DataFrame.to_excel``.
    """
    words = labels()["kolom"]
    book = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": False})
    formats = _Formats(book)
    _title_sheet(book, formats, context=context, standards=standards)
    for title, frame in sheets.items():
        sheet = book.add_worksheet(title)
        _print_setup(sheet, header_row=True)
        sheet.freeze_panes(1, 0)
        for index, column in enumerate(frame.columns):
            heading = str(words.get(column, column))
            if column in rank_of:
                pattern = f'0" dari {rank_of[column]}"'
            else:
                pattern = _number_format(column)
            form = formats.number(pattern)
            sheet.set_column(index, index, max(12, min(40, len(heading) + 2)))
            sheet.write(0, index, heading, formats.bold)
            _write_column(sheet, index, frame[column], form)
        if len(frame.columns):
            sheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
    book.close()


class _Formats:
    """Cell formats of one workbook, made once each."""

    def __init__(self, book: object) -> None:
        self._book = book
        self.bold = book.add_format({"bold": True})
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        self._numbers: dict[str, object] = {}

    def number(self, pattern: str | None) -> object:
        if pattern is None:
            return None
        if pattern not in self._numbers:
            self._numbers[pattern] = self._book.add_format({"num_format": pattern})
        return self._numbers[pattern]


def _print_setup(sheet: object, *, header_row: bool) -> None:
    """Landscape A4, one page wide, the header row repeated on every page."""
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    if header_row:
        sheet.repeat_rows(0)


def _title_sheet(
    book: object, formats: _Formats, *, context: WorkbookContext, standards: pd.DataFrame
) -> None:
    """Write the first sheet: what this workbook is, from what, how, against which standards."""
    words = labels()["buku_kerja"]
    sheet = book.add_worksheet(words["lembar_keterangan"])
    _print_setup(sheet, header_row=False)
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 6, 18)
    sheet.set_column(6, 6, 70)
    row = 0
    sheet.write(row, 0, f"{words['judul']} — {context.title}".strip(" —"), formats.title)
    row += 2
    for label, value in (
        (words["tanggal_data"], context.data_date),
        (words["ukuran_jarak"], context.metric_crs),
    ):
        sheet.write(row, 0, label, formats.bold)
        sheet.write(row, 1, value)
        row += 1
    row += 1
    sheet.write(row, 0, words["sumber_data"], formats.title)
    row += 1
    for index, heading in enumerate(words["kolom_sumber"]):
        sheet.write(row, index, heading, formats.bold)
    row += 1
    for source in context.sources.itertuples(index=False):
        for index, value in enumerate(source):
            _write_cell(sheet, row, index, value, None)
        row += 1
    row += 1
    sheet.write(row, 0, words["metode"], formats.title)
    row += 1
    for paragraph in words["teks_metode"]:
        sheet.merge_range(row, 0, row, 6, paragraph, formats.wrap)
        sheet.set_row(row, 15 * (1 + len(paragraph) // 150))
        row += 1
    row += 1
    sheet.write(row, 0, words["standar"], formats.title)
    row += 1
    for index, heading in enumerate(words["kolom_standar"]):
        sheet.write(row, index, heading, formats.bold)
    row += 1
    for standard in standards.itertuples(index=False):
        for index, value in enumerate(standard):
            _write_cell(sheet, row, index, value, formats.wrap if index == 6 else None)
        row += 1


def _write_column(sheet: object, column: int, values: pd.Series, form: object) -> None:
    """Write a column below its heading; numbers without a type test per cell (the desa sheet)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        write = sheet.write_number
        for row in np.flatnonzero(~np.isnan(numbers)).tolist():
            write(row + 1, column, float(numbers[row]), form)
        return
    for row, value in enumerate(values.to_numpy(dtype=object), start=1):
        _write_cell(sheet, row, column, value, form)


def _write_cell(sheet: object, row: int, column: int, value: object, form: object) -> None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return
    if isinstance(value, (bool, np.bool_)):
        sheet.write_boolean(row, column, bool(value), form)
    elif isinstance(value, (int, float, np.integer, np.floating)):
        sheet.write_number(row, column, float(value), form)
    else:
        sheet.write_string(row, column, str(value), form)


def _number_format(column: str) -> str | None:
    """Return the Excel number format for a column, by its meaning (None: as written)."""
    if column.startswith(("cakupan", "Cakupan", "target_cakupan")):
        return "0.0%"
    if column in ("penduduk", "penduduk_terlayani", "jarak_terdekat_m"):
        return "#,##0"
    if column == "indeks_kesenjangan":
        return "0.0"
    return None


def write_excel_csv(path: Path, frame: pd.DataFrame) -> Path:
    """Write CSV as Excel with Indonesian regional settings reads it: ``;``, decimal comma, BOM.

    The machine-readable CSV (``,`` and ``.``) is written beside it by the caller.
    """
    with replacing(path) as temporary:
        frame.to_csv(temporary, index=False, sep=";", decimal=",", encoding="utf-8-sig")
    return path
