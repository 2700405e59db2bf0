"""What the offline map page shows: every figure and name, escaped, in compact form.

:func:`page_data` gathers the page's content; :mod:`jangkau.publish.foliummap`
builds the folium page from it.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from jangkau.analysis.no_data import services_marked_without_data
from jangkau.clean.condition import CONDITIONS, STATUSES
from jangkau.config.catalogue import has_distance_standard
from jangkau.config.labels import labels
from jangkau.publish.templating import render
from jangkau.publish.webgeometry import polygon_features, web_tolerance
from jangkau.publish.webinventory import Lookup, asset_rows, shape_rows
from jangkau.publish.webtext import page_text as _text

SERVICE_COLOURS = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#ff7f0e",
    "#7f7f7f",
    "#393b79",
    "#637939",
    "#8c6d31",
    "#843c39",
    "#7b4173",
    "#3182bd",
]


def _number(value: object, digits: int = 4) -> float | None:
    # ``value != value``: NaN, without np.isnan's cost (called ~170,000 times for a province).
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return round(float(value), digits)


def _trimmed(values: list) -> list:
    """Drop trailing blanks (services without a distance standard come last)."""
    values = list(values)
    while values and values[-1] is None:
        values.pop()
    return values


def _count(value: object) -> int | None:
    number = _number(value, 0)
    return None if number is None else int(number)


def _records(frame: pd.DataFrame) -> list[dict]:
    """Return the rows of a frame (without geometry) as plain dicts: far cheaper than iterrows."""
    plain = frame.drop(columns="geometry") if "geometry" in frame.columns else frame
    # Column by column: ``to_dict`` indexes a wide frame of nullable columns once per
    # column and row (0.1 s for Maros's 103 desa); ``tolist`` gives the same Python values.
    columns = [_plain_values(plain.iloc[:, position]) for position in range(plain.shape[1])]
    return [dict(zip(plain.columns, row, strict=True)) for row in zip(*columns, strict=True)]


def _plain_values(column: pd.Series) -> list:
    """Return a column's values as ``to_dict`` gives them: Python values, None for a missing one.

    Nullable (extension) columns give None where ``tolist`` would give ``pd.NA``
    (text columns whose missing value is NaN keep NaN); a missing value in a
    NumPy column stays as NumPy has it (NaN, NaT), as in ``to_dict``.
    """
    dtype = column.dtype
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        missing = None if dtype.na_value is pd.NA else dtype.na_value
        return column.to_numpy(dtype=object, na_value=missing).tolist()
    return column.tolist()


def _service_rows(catalogue: pd.DataFrame, unknown: list[str] = ()) -> list[dict]:
    """Return the page's service list; ``tanpa_data`` marks services without any asset."""
    icons = labels()["ikon"]
    distance = has_distance_standard(catalogue)
    rows = []
    for index, row in enumerate(catalogue.itertuples(index=False)):
        icon = icons.get(
            row.layanan,
            {"singkatan": row.layanan[:3].upper(), "warna": SERVICE_COLOURS[index % 16]},
        )
        rows.append(
            {
                "kode": _text(row.layanan),
                "nama": _text(row.nama),
                "jarak": bool(distance.iloc[index]),
                "radius_kelurahan": _number(row.radius_kelurahan_m, 0),
                "radius_desa": _number(row.radius_desa_m, 0),
                "singkatan": _text(icon["singkatan"]),
                "warna": _text(icon["warna"]),
                "tanpa_data": row.layanan in unknown,
            }
        )
    return rows


def _per_service(
    table: pd.DataFrame | None, key: str, services: list[str], field: str, digits: int
) -> dict[str, list]:
    """Return per ``key`` value the ``field`` of each service, in catalogue order."""
    if table is None or field not in table:
        return {}
    wide = table.pivot_table(index=key, columns="layanan", values=field, aggfunc="first")
    wide = wide.reindex(columns=services)
    # Python floats (tolist) round exactly as numpy's do, several times faster.
    convert = _count if digits == 0 else lambda v: _number(v, digits)
    return {
        code: [convert(v) for v in values]
        for code, values in zip(wide.index, wide.to_numpy().tolist(), strict=True)
    }


def _proposal_rows(proposals: pd.DataFrame | None, names: pd.Series) -> list[dict]:
    rows = []
    if proposals is None or not len(proposals):
        return rows
    # A dict and whole coordinate arrays: Series.get and point.x per row cost most of this.
    name_of = names.to_dict()
    points = proposals.geometry.to_numpy()
    for row, x, y in zip(
        proposals.itertuples(index=False),
        shapely.get_x(points).tolist(),
        shapely.get_y(points).tolist(),
        strict=True,
    ):
        rows.append(
            {
                "layanan": _text(row.layanan),
                "kecamatan": _text(name_of.get(row.kode_kec, row.kode_kec)),
                "urutan": int(row.urutan),
                "tambahan": _number(row.tambahan_penduduk_terlayani, 0),
                "cakupan_setelah": _number(row.cakupan_setelah),
                "x": round(x, 6),
                "y": round(y, 6),
            }
        )
    return rows


def _change_rows(changes: pd.DataFrame | None, catalogue: pd.DataFrame) -> list[dict]:
    if changes is None or "selisih_cakupan" not in changes:
        return []
    if not changes["selisih_cakupan"].notna().any():
        return []
    moved = changes[
        (changes["selisih_cakupan"].abs() > 1e-4) | (changes["selisih_fasilitas"].fillna(0) != 0)
    ]
    moved = moved.reindex(moved["selisih_cakupan"].abs().sort_values(ascending=False).index)
    names_of = dict(zip(catalogue["layanan"], catalogue["nama"], strict=True))
    return [
        {
            "kecamatan": _text(row.kecamatan),
            "layanan": _text(names_of.get(row.layanan, row.layanan)),
            "sebelum": _number(row.cakupan_sebelum),
            "sekarang": _number(row.cakupan_sekarang),
            "fasilitas": _number(row.selisih_fasilitas, 0),
        }
        for row in moved.head(15).itertuples(index=False)
    ]


def page_data(
    kecamatan: gpd.GeoDataFrame,
    desa: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    gaps: pd.DataFrame,
    catalogue: pd.DataFrame,
    *,
    desa_gaps: pd.DataFrame | None = None,
    proposals: pd.DataFrame | None = None,
    changes: pd.DataFrame | None = None,
    title: str,
    data_date: str,
    metric_crs: object,
    zoom_desa: int = 12,
    shapes: list[gpd.GeoDataFrame] | None = None,
) -> dict:
    """Assemble everything the map page shows, with every input text escaped.

    Parameters
    ----------
    kecamatan, desa
        EPSG:4326 polygons with names, ``penduduk`` and ``cakupan_<layanan>``;
        desa also with ``tipe``; ``kabupaten`` (a name) when present.
    assets
        EPSG:4326 points with ``layanan``, ``jenis``, ``nama``, ``desa``, ``kode_desa``;
        with ``id_aset`` (NPSN...), ``lokasi_diragukan`` and ``catatan`` when present.
    gaps
        The ``kesenjangan`` table (per kecamatan × layanan).
    catalogue
        Services in display order.
    desa_gaps
        The ``kesenjangan_desa`` table: nearest facility and gap index per desa × layanan.
    proposals
        Proposed sites (``layanan``, ``kode_kec``, ``urutan``,
        ``tambahan_penduduk_terlayani``, ``cakupan_setelah``, point geometry), if any.
    changes
        The ``perubahan`` table (coverage and facilities now vs the previous run), if any.
    title, data_date
        Region title and the date the data were processed, shown on the page.
    metric_crs
        CRS in which the web simplification tolerance is measured.
    zoom_desa
        Zoom level from which desa replace kecamatan shading.
    shapes
        The ``aset_garis`` and ``aset_area`` layers, for the inventory view.

    Returns
    -------
    dict
        Texts are HTML-escaped (the page shows them as markup). Per feature,
        ``c`` lists the coverage of each catalogue service in catalogue order,
        ``t`` the point where its name is written; desa carry ``j`` (nearest
        facility, m) and ``k`` (gap index) per service; ``aset`` holds rows per
        service code laid out as ``ASSET_FIELDS``; ``inventaris`` the lines
        and polygons (``jangkau.publish.webinventory.SHAPE_FIELDS``) and the
        source, condition and status names.
    """
    words = labels()
    services = catalogue["layanan"].tolist()
    tolerance = web_tolerance(kecamatan, metric_crs=metric_crs)
    gap_fields = [
        c
        for c in ("cakupan", "jumlah_fasilitas", "tanpa_koordinat", "kekurangan", "peringkat")
        if c in gaps.columns
    ]
    by_kecamatan: dict[str, dict[str, dict]] = {}
    for row in _records(gaps[gaps["layanan"].isin(services)]):
        fields = {f: _number(row[f]) for f in gap_fields}
        # The gap table's warning (doubted facility locations) travels with the figures.
        fields["catatan"] = _text(row.get("catatan"))
        by_kecamatan.setdefault(row["kode_kec"], {})[_text(row["layanan"])] = fields

    def coverage_of(row: dict) -> list[float | None]:
        return _trimmed([_number(row.get(f"cakupan_{s}")) for s in services])

    # A region of several kabupaten names each one (kecamatan names repeat across
    # kabupaten: two Cenrana in Sulawesi Selatan): by its name ("Kabupaten Maros")
    # when the boundary files carry it, else by its code.
    codes = kecamatan["kode_kec"].astype(str).str.rsplit(".", n=1).str[0]
    named = (
        kecamatan["kabupaten"] if "kabupaten" in kecamatan else pd.Series(pd.NA, index=codes.index)
    )
    by_code = words["peta"]["kabupaten"] + " " + words["peta"]["kode"] + " " + codes
    regency = (
        dict(
            zip(
                kecamatan["kode_kec"],
                named.astype(object).where(named.notna(), by_code),
                strict=True,
            )
        )
        if codes.nunique() > 1
        else {}
    )
    kecamatan_properties = [
        {
            "kode_kec": _text(row["kode_kec"]),
            "kecamatan": _text(row["kecamatan"]),
            "kabupaten": _text(regency.get(row.get("kode_kec"))),
            "penduduk": _count(row["penduduk"]),
            "c": coverage_of(row),
            "layanan": by_kecamatan.get(row["kode_kec"], {}),
            # Facilities counted without a location ("SMP 1, SD 2"; "" when none).
            "tanpa_koordinat": _text(row.get("tanpa_koordinat_rincian")),
        }
        for row in _records(kecamatan)
    ]
    nearest = _per_service(desa_gaps, "kode_desa", services, "jarak_terdekat_m", 0)
    index = _per_service(desa_gaps, "kode_desa", services, "indeks_kesenjangan", 2)
    blank = [None] * len(services)
    desa_properties = [
        {
            "desa": _text(row["desa"]),
            "kode_kec": _text(row.get("kode_kec")),
            "kecamatan": _text(row["kecamatan"]),
            "kabupaten": _text(regency.get(row.get("kode_kec"))),
            "kelurahan": row.get("tipe") == "kelurahan",
            "penduduk": _count(row["penduduk"]),
            "c": coverage_of(row),
            "j": _trimmed(nearest.get(row["kode_desa"], blank)),
            "k": _trimmed(index.get(row["kode_desa"], blank)),
        }
        for row in _records(desa)
    ]
    sources = Lookup()
    asset_groups, kinds, places = asset_rows(assets, desa, catalogue, services, sources)
    kind_table = Lookup(kinds)
    inventory = shape_rows(
        shapes or [],
        kinds=kind_table,
        sources=sources,
        metric_crs=metric_crs,
        tolerance_m=tolerance,
    )
    previous_run = None
    if changes is not None and len(changes) and changes["proses_sebelumnya"].notna().any():
        previous_run = _text(changes["proses_sebelumnya"].dropna().iloc[0])
    colours = words["kelas_warna"]
    return {
        "perubahan": _change_rows(changes, catalogue),
        "proses_sebelumnya": previous_run,
        "judul": _text(f"{words['peta']['judul_awalan']} — {title}"),
        "tanggal": _text(data_date),
        "kata": {k: _text(v) for k, v in words["peta"].items()},
        "kelas_warna": {
            "batas": colours["batas"],
            "warna": colours["warna"],
            "tanpa_data": colours["tanpa_data"],
        },
        "layanan": _service_rows(catalogue, services_marked_without_data(gaps)),
        "kecamatan": polygon_features(
            kecamatan, kecamatan_properties, metric_crs=metric_crs, tolerance_m=tolerance
        ),
        "desa": polygon_features(
            desa, desa_properties, metric_crs=metric_crs, tolerance_m=tolerance
        ),
        "toleransi_m": round(tolerance, 1),
        "aset": asset_groups,
        "jenis": kind_table.texts,
        "desa_aset": places,
        "inventaris": {
            "bentuk": inventory,
            "sumber": sources.texts,
            "kondisi": [_text(c) for c in CONDITIONS],
            "status": [_text(s) for s in STATUSES],
            "warna": words["kondisi_warna"],
        },
        "usulan": _proposal_rows(proposals, kecamatan.set_index("kode_kec")["kecamatan"]),
        "zoom_desa": zoom_desa,
        "layanan_awal": _first_service(kecamatan, catalogue),
    }


def _first_service(kecamatan: pd.DataFrame, catalogue: pd.DataFrame) -> str | None:
    """Return the service the page opens on: the one most kecamatan find most urgent.

    Ties go to the service listed first in the catalogue; without the
    ``layanan_paling_mendesak`` column, the first service with a distance standard.
    """
    distance = catalogue.loc[has_distance_standard(catalogue).to_numpy(), "layanan"].tolist()
    if not distance:
        return None
    if "layanan_paling_mendesak" in kecamatan:
        counts = kecamatan["layanan_paling_mendesak"].value_counts()
        counts = counts[counts.index.isin(distance)]
        if len(counts):
            best = counts[counts == counts.max()].index
            return _text(next(s for s in distance if s in set(best)))
    return _text(distance[0])


def index_page(entries: list[dict[str, str]]) -> str:
    """Return ``maps/index.html``: every published region with its date and a link.

    Parameters
    ----------
    entries
        ``folder`` (the region's folder under ``maps/``), ``judul`` and ``tanggal`` per region.
    """
    return render(
        "daftar_wilayah.html",
        kata=labels()["peta"],
        wilayah=sorted(entries, key=lambda e: e["judul"]),
    )
