"""The offline map page planners open in a browser, and the index of published regions."""

from __future__ import annotations

import html
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.config.catalogue import has_distance_standard, service_radius
from jangkau.config.labels import labels
from jangkau.publish.templating import render
from jangkau.publish.webassets import WebAssets

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


def _text(value: object) -> str:
    """Escape a value from an input file for the page (names may hold HTML)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value), quote=True)


def _number(value: object, digits: int = 4) -> float | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return round(float(value), digits)


def _web_geometries(
    frame: gpd.GeoDataFrame, *, metric_crs: object, tolerance_m: float
) -> list[dict]:
    """Simplify polygons for the web (in metres) and round coordinates to about 1 m."""
    simplified = frame.to_crs(metric_crs).simplify(tolerance_m, preserve_topology=True).to_crs(4326)
    rounded = shapely.transform(simplified.to_numpy(), lambda xy: np.round(xy, 5))
    return [json.loads(text) for text in shapely.to_geojson(rounded)]


def web_tolerance(frame: gpd.GeoDataFrame, *, metric_crs: object) -> float:
    """Return a simplification tolerance that grows with the extent (15 m for a kabupaten)."""
    minx, miny, maxx, maxy = frame.to_crs(metric_crs).total_bounds
    return float(max(10.0, np.hypot(maxx - minx, maxy - miny) / 4000))


def _records(frame: pd.DataFrame) -> list[dict]:
    """Return the rows of a frame (without geometry) as plain dicts: far cheaper than iterrows."""
    plain = frame.drop(columns="geometry") if "geometry" in frame.columns else frame
    return plain.to_dict(orient="records")


def _doubt_notes(assets: pd.DataFrame) -> list[str | None]:
    """Return per asset its ``lokasi diragukan: …`` note, None when its location is not doubted."""
    if "lokasi_diragukan" not in assets:
        return [None] * len(assets)
    flags = assets["lokasi_diragukan"].fillna(False).astype(bool).to_numpy()
    notes = assets["catatan"].fillna("").astype(str) if "catatan" in assets else None
    result: list[str | None] = []
    for position, flag in enumerate(flags):
        if not flag:
            result.append(None)
            continue
        parts = [] if notes is None else notes.iloc[position].split("; ")
        result.append(
            next((p for p in parts if p.startswith("lokasi diragukan")), "lokasi diragukan")
        )
    return result


def page_data(
    kecamatan: gpd.GeoDataFrame,
    desa: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    gaps: pd.DataFrame,
    catalogue: pd.DataFrame,
    *,
    proposals: pd.DataFrame | None = None,
    changes: pd.DataFrame | None = None,
    title: str,
    data_date: str,
    metric_crs: object,
    zoom_desa: int = 12,
) -> dict:
    """Assemble everything the map page shows, with every input text escaped.

    Parameters
    ----------
    kecamatan, desa
        EPSG:4326 polygons with names, ``penduduk`` and ``cakupan_<layanan>``;
        desa also with ``tipe``.
    assets
        EPSG:4326 points with ``layanan``, ``jenis``, ``nama``, ``desa``, ``kode_desa``;
        with ``lokasi_diragukan`` and ``catatan``, doubted points carry their note
        (``diragukan``) and the page marks them.
    gaps
        The ``kesenjangan`` table (per kecamatan × layanan).
    catalogue
        Services in display order.
    proposals
        Proposed sites (``layanan``, ``kode_kec``, ``urutan``,
        ``tambahan_penduduk_terlayani``, ``cakupan_setelah``, point geometry), if any.
    title, data_date
        Region title and the date the data were processed, shown on the page.
    metric_crs
        CRS in which the web simplification tolerance is measured.
    zoom_desa
        Zoom level from which desa replace kecamatan shading.
    changes
        The ``perubahan`` table (coverage and facilities now vs the previous run), if any.
    """
    words = labels()
    icons = words["ikon"]
    services = catalogue["layanan"].tolist()
    distance = has_distance_standard(catalogue)
    service_rows = []
    for index, row in enumerate(catalogue.itertuples(index=False)):
        icon = icons.get(
            row.layanan,
            {"singkatan": row.layanan[:3].upper(), "warna": SERVICE_COLOURS[index % 16]},
        )
        service_rows.append(
            {
                "kode": _text(row.layanan),
                "nama": _text(row.nama),
                "jarak": bool(distance.iloc[index]),
                "radius_kelurahan": _number(row.radius_kelurahan_m, 0),
                "radius_desa": _number(row.radius_desa_m, 0),
                "singkatan": _text(icon["singkatan"]),
                "warna": _text(icon["warna"]),
            }
        )
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
        by_kecamatan.setdefault(row["kode_kec"], {})[row["layanan"]] = fields

    def coverage_of(row: pd.Series) -> dict:
        return {s: _number(row[f"cakupan_{s}"]) for s in services if f"cakupan_{s}" in row}

    kecamatan_features = []
    for geometry, row in zip(
        _web_geometries(kecamatan, metric_crs=metric_crs, tolerance_m=tolerance),
        _records(kecamatan),
        strict=True,
    ):
        per_service = by_kecamatan.get(row["kode_kec"], {})
        kecamatan_features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "kode_kec": _text(row["kode_kec"]),
                    "kecamatan": _text(row["kecamatan"]),
                    "penduduk": _number(row["penduduk"], 0),
                    "cakupan": coverage_of(row),
                    "layanan": per_service,
                    # Facilities counted without a location ("SMP 1, SD 2"; "" when none).
                    "tanpa_koordinat": _text(row.get("tanpa_koordinat_rincian")),
                },
            }
        )
    desa_features = [
        {
            "type": "Feature",
            "geometry": geometry,
            "properties": {
                "desa": _text(row["desa"]),
                "kode_kec": _text(row.get("kode_kec")),
                "kecamatan": _text(row["kecamatan"]),
                "penduduk": _number(row["penduduk"], 0),
                "cakupan": coverage_of(row),
            },
        }
        for geometry, row in zip(
            _web_geometries(desa, metric_crs=metric_crs, tolerance_m=tolerance),
            _records(desa),
            strict=True,
        )
    ]
    is_kelurahan = assets["kode_desa"].map(desa.set_index("kode_desa")["tipe"]).eq("kelurahan")
    reach = pd.Series(np.nan, index=assets.index)
    for service in set(assets["layanan"]) & set(services):
        mine = (assets["layanan"] == service).to_numpy()
        reach[mine] = service_radius(catalogue, service, is_kelurahan[mine].to_numpy())
    asset_rows = []
    doubted = _doubt_notes(assets)
    for row, point, radius_m, doubt in zip(
        assets[["layanan", "jenis", "nama", "desa", "kode_desa"]].itertuples(index=False),
        assets.geometry,
        reach.to_numpy(),
        doubted,
        strict=True,
    ):
        radius = _number(radius_m, 0)
        asset_row = {
            "layanan": _text(row.layanan),
            "jenis": _text(row.jenis),
            "nama": _text(row.nama),
            "desa": _text(row.desa),
            "x": round(point.x, 6),
            "y": round(point.y, 6),
            "radius": radius,
        }
        if doubt is not None:
            asset_row["diragukan"] = _text(doubt)
        asset_rows.append(asset_row)
    names = kecamatan.set_index("kode_kec")["kecamatan"]
    proposal_rows = []
    if proposals is not None and len(proposals):
        for row, point in zip(proposals.itertuples(index=False), proposals.geometry, strict=True):
            proposal_rows.append(
                {
                    "layanan": _text(row.layanan),
                    "kecamatan": _text(names.get(row.kode_kec, row.kode_kec)),
                    "urutan": int(row.urutan),
                    "tambahan": _number(row.tambahan_penduduk_terlayani, 0),
                    "cakupan_setelah": _number(row.cakupan_setelah),
                    "x": round(point.x, 6),
                    "y": round(point.y, 6),
                }
            )
    change_rows = []
    if (
        changes is not None
        and "selisih_cakupan" in changes
        and changes["selisih_cakupan"].notna().any()
    ):
        moved = changes[
            (changes["selisih_cakupan"].abs() > 1e-4)
            | (changes["selisih_fasilitas"].fillna(0) != 0)
        ]
        moved = moved.reindex(
            moved["selisih_cakupan"].abs().sort_values(ascending=False).index
        ).head(15)
        names_of = dict(zip(catalogue["layanan"], catalogue["nama"], strict=True))
        for row in moved.itertuples(index=False):
            change_rows.append(
                {
                    "kecamatan": _text(row.kecamatan),
                    "layanan": _text(names_of.get(row.layanan, row.layanan)),
                    "sebelum": _number(row.cakupan_sebelum),
                    "sekarang": _number(row.cakupan_sekarang),
                    "fasilitas": _number(row.selisih_fasilitas, 0),
                }
            )
    previous_run = None
    if changes is not None and len(changes) and changes["proses_sebelumnya"].notna().any():
        previous_run = _text(changes["proses_sebelumnya"].dropna().iloc[0])
    colours = words["kelas_warna"]
    return {
        "perubahan": change_rows,
        "proses_sebelumnya": previous_run,
        "judul": _text(f"{words['peta']['judul_awalan']} — {title}"),
        "tanggal": _text(data_date),
        "kata": {k: _text(v) for k, v in words["peta"].items()},
        "kelas_warna": {
            "batas": colours["batas"],
            "warna": colours["warna"],
            "tanpa_data": colours["tanpa_data"],
        },
        "layanan": service_rows,
        "kecamatan": {"type": "FeatureCollection", "features": kecamatan_features},
        "desa": {"type": "FeatureCollection", "features": desa_features},
        "aset": asset_rows,
        "usulan": proposal_rows,
        "zoom_desa": zoom_desa,
    }


def render_page(data: dict, assets: WebAssets) -> str:
    """Return the self-contained map page: libraries, styles and data inlined.

    Parameters
    ----------
    data
        From :func:`page_data`. Its texts are already HTML-escaped, because
        ``peta.js`` puts them into the page as markup; the data block gets them
        as JSON that cannot end its ``<script>`` early (``tojson``).
    assets
        The stylesheet and script to inline, trusted as markup.
    """
    return render(
        "peta.html",
        # The title is autoescaped by the template, so it starts from the plain text.
        judul=html.unescape(data["judul"]),
        css=assets.css,
        js=assets.js,
        data=data,
    )


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
