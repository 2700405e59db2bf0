"""One service's page of ``laporan.pdf``: its map, its standard, the kecamatan ranked.

Also how a kecamatan is named in the report's tables (:func:`display_names`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from jangkau.analysis.no_data import services_marked_without_data
from jangkau.config.labels import labels
from jangkau.publish.report_layout import (
    PAGE_WIDTH,
    SIDE_COLUMN,
    Sheet,
    draw_table,
    percent,
    printable,
    thousands,
    wrap_to_width,
)
from jangkau.publish.report_maps import MapBase, draw_map, points_by_service

# Kecamatan listed beside a service's map; the rest are counted in a line under the list.
SERVICE_TABLE_ROWS = 28
# The map's box on the page (left, bottom, width, height as shares of the page).
MAP_BOX = (0.03, 0.06, 0.52, 0.78)


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


def coverage_cell(by_pair: dict, code: str, service: str) -> str:
    """Return a summary cell: coverage, with the facilities short in brackets; a dash if none."""
    if (code, service) not in by_pair:
        return "—"
    coverage, shortfall = by_pair[(code, service)]
    text = percent(coverage, 0)
    if pd.notna(shortfall) and int(shortfall) > 0:
        text += f" ({int(shortfall)})"
    return text


@dataclass(frozen=True)
class ServiceData:
    """What every service's page reads, prepared once per report.

    Attributes
    ----------
    desa
        The desa layer indexed by ``kode_desa`` (``cakupan_<layanan>``).
    facilities, proposals
        Per service, ``(n, 2)`` metric coordinates of its facilities and proposed sites.
    gaps
        The ``kesenjangan`` table.
    standards
        The catalogue indexed by ``layanan``.
    regency
        The kabupaten of each ``kode_kec``, when the desa layer names it.
    """

    desa: pd.DataFrame
    facilities: dict[str, np.ndarray]
    proposals: dict[str, np.ndarray]
    gaps: pd.DataFrame
    standards: pd.DataFrame
    regency: dict[str, str] | None


def service_data(
    *,
    desa: pd.DataFrame,
    assets: gpd.GeoDataFrame,
    proposals: gpd.GeoDataFrame,
    gaps: pd.DataFrame,
    catalogue: pd.DataFrame,
    metric_crs: str,
) -> ServiceData:
    """Return the frames of :class:`ServiceData` from the published layers."""
    return ServiceData(
        desa=desa.set_index("kode_desa"),
        facilities=points_by_service(assets, metric_crs=metric_crs),
        proposals=points_by_service(proposals, metric_crs=metric_crs),
        gaps=gaps,
        standards=catalogue.set_index("layanan"),
        regency=(
            desa.groupby("kode_kec")["kabupaten"].first().to_dict() if "kabupaten" in desa else None
        ),
    )


def service_page(
    sheet: Sheet, base: MapBase, data: ServiceData, *, service: str, name: str, colour: str
) -> None:
    """One service: its map on the left, its standard and the kecamatan ranked on the right."""
    words = labels()["laporan"]
    standard = data.standards.loc[service]
    gaps = data.gaps
    rows = gaps[gaps["layanan"] == service]
    none = np.zeros((0, 2))
    draw_map(
        sheet,
        base,
        box=MAP_BOX,
        desa_coverage=data.desa[f"cakupan_{service}"],
        facilities=data.facilities.get(service, none),
        proposals=data.proposals.get(service, none),
        colour=colour,
        service_name=printable(name),
    )
    sheet.text(0.03, 0.95, words["peta_judul"].format(layanan=name), size=14, bold=True, va="top")
    norm = (
        words["norma_penduduk"].format(penduduk=thousands(standard["penduduk_per_fasilitas"]))
        if pd.notna(standard["penduduk_per_fasilitas"])
        else words["tanpa_norma"]
    )
    people = rows["penduduk"].sum()
    unknown = service in services_marked_without_data(rows)
    # min_count: a service without data has no served people, not zero.
    served = rows["penduduk_terlayani"].sum(min_count=1)
    sheet.text(
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
        size=8,
        va="top",
    )
    _service_table(
        sheet,
        rows,
        kabupaten_level=standard["tingkat_perencanaan"] == "kabupaten",
        unknown=unknown,
        regency=data.regency,
    )


def _service_table(
    sheet: Sheet,
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
        sheet,
        words["kolom_layanan"],
        table,
        widths=[1.2, 2.0, 1.1, 1.1, 1.3],
        top=0.84,
        left=SIDE_COLUMN,
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
        # Wrapped at the page's right edge, as the matplotlib text before was.
        lines = [
            line
            for note in notes
            for line in wrap_to_width(printable(note), (1 - SIDE_COLUMN) * PAGE_WIDTH, size=6.5)
        ]
        sheet.text(SIDE_COLUMN, 0.07, "\n".join(lines), size=6.5, va="bottom")
