"""The planners' gap workbook (xlsx)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from jangkau.config.labels import labels
from jangkau.io.atomic import replacing


def write_gap_workbook(path: Path, gaps: pd.DataFrame, catalogue: pd.DataFrame) -> Path:
    """Write the planners' workbook: a summary sheet and one sheet per service, headed in Indonesian.

    Parameters
    ----------
    path
        Destination ``.xlsx``.
    gaps
        The ``kesenjangan`` table.
    catalogue
        Services in sheet order, with their Indonesian names.
    """
    words = labels()["kolom"]
    names = dict(zip(catalogue["layanan"], catalogue["nama"], strict=True))
    summary = gaps.groupby(["kode_kec", "kecamatan"], sort=True).agg(
        penduduk=("penduduk", "first"), indeks_kesenjangan=("indeks_kesenjangan", "mean")
    )
    worst = gaps.dropna(subset=["indeks_kesenjangan"]).sort_values(
        "indeks_kesenjangan", ascending=False
    )
    summary["layanan_paling_mendesak"] = worst.groupby("kode_kec")["layanan"].first().map(names)
    coverage = gaps.pivot(index="kode_kec", columns="layanan", values="cakupan")
    for service in catalogue["layanan"]:
        if service in coverage.columns and coverage[service].notna().any():
            summary[f"{words['cakupan']} {names[service]}"] = summary.index.get_level_values(
                "kode_kec"
            ).map(coverage[service])
    summary = summary.reset_index()
    summary["indeks_kesenjangan"] = summary["indeks_kesenjangan"].round(1)
    sheets = {words["ringkasan"]: summary}
    # Each service's sheet: the gap table's columns but the service itself.
    per_service_columns = [c for c in gaps.columns if c != "layanan"]
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
    for service in catalogue["layanan"]:
        rows = by_service.get(service, ordered.iloc[:0])[per_service_columns]
        # Excel forbids []:*?/\ in sheet names and cuts them at 31 characters.
        title = re.sub(r"[\[\]:*?/\\]", "-", names[service])[:31]
        sheets[title if title not in sheets else f"{title[:27]} ({service})"[:31]] = rows.dropna(
            axis=1, how="all"
        )
    with replacing(path) as temporary:
        _write_sheets(temporary, sheets, headings=words)
    return path


def _write_sheets(path: Path, sheets: dict[str, pd.DataFrame], *, headings: dict) -> None:
    """Write frames as sheets: bold headings, frozen first row, widths and number formats.

    Written cell by column with xlsxwriter directly: several times faster
    than going through ``DataFrame.to_excel``.
    """
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": False})
    bold = book.add_format({"bold": True})
    number_formats: dict[str, object] = {}
    for title, frame in sheets.items():
        sheet = book.add_worksheet(title)
        sheet.freeze_panes(1, 0)
        for index, column in enumerate(frame.columns):
            heading = str(headings.get(column, column))
            pattern = _number_format(column)
            if pattern is not None and pattern not in number_formats:
                number_formats[pattern] = book.add_format({"num_format": pattern})
            sheet.set_column(index, index, max(12, min(40, len(heading) + 2)))
            sheet.write(0, index, heading, bold)
            form = number_formats.get(pattern)
            for row, value in enumerate(frame[column].to_numpy(dtype=object), start=1):
                if value is None or value is pd.NA or (isinstance(value, float) and value != value):
                    continue
                if isinstance(value, (bool, np.bool_)):
                    sheet.write_boolean(row, index, bool(value), form)
                elif isinstance(value, (int, float, np.integer, np.floating)):
                    sheet.write_number(row, index, float(value), form)
                else:
                    sheet.write_string(row, index, str(value), form)
    book.close()


def _number_format(column: str) -> str | None:
    """Return the Excel number format for a column, by its meaning (None: as written)."""
    if column.startswith(("cakupan", "Cakupan")):
        return "0.0%"
    if column in ("penduduk", "penduduk_terlayani"):
        return "#,##0"
    if column == "indeks_kesenjangan":
        return "0.0"
    return None
