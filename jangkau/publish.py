"""Write what planners open and GIS staff load: GeoPackage, CSV and the map page.

Every file is written beside its final name and then moved into place, so a
run that dies midway leaves the previous outputs whole.
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import branca.colormap as cm
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from jangkau.labels import labels

# QGIS 3.22 warns on GeoPackage 1.4, which current GDAL writes by default.
GPKG_VERSION = "1.2"
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


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it over ``path`` only on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent
    )
    os.close(handle)
    os.unlink(temporary)
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_geopackage(path: Path, layers: dict[str, pd.DataFrame]) -> Path:
    """Write layers (GeoDataFrames as spatial layers, DataFrames as tables) to one GeoPackage."""
    with replacing(path) as temporary:
        for index, (name, frame) in enumerate(layers.items()):
            options = {"dataset_options": {"VERSION": GPKG_VERSION}} if index == 0 else {}
            if isinstance(frame, gpd.GeoDataFrame):
                # One geometry type per layer, whether or not a region has multi-part desa.
                options["promote_to_multi"] = bool(frame.geom_type.str.contains("Polygon").any())
            pyogrio.write_dataframe(frame, temporary, layer=name, driver="GPKG", **options)
    return path


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """Write a table as UTF-8 CSV with a byte-order mark (Excel then shows the accents)."""
    with replacing(path) as temporary:
        frame.to_csv(temporary, index=False, encoding="utf-8-sig")
    return path


def write_text(path: Path, text: str) -> Path:
    """Write a text file (a map page, a report) in place of the previous one."""
    with replacing(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return path


def _escape_frame(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Escape every text value that will reach the page; names come from input files."""
    out = frame[columns].copy()
    for column in columns:
        if column == "geometry":
            continue
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(
                lambda v: html.escape(str(v)) if v is not None and not pd.isna(v) else ""
            )
    return out


def _percent(value: float) -> str:
    return "–" if value is None or pd.isna(value) else f"{100 * value:.1f} %"


def build_map(
    kecamatan: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    *,
    catalogue: pd.DataFrame,
    title: str,
    data_date: str,
) -> folium.Map:
    """Build the map page: kecamatan shaded by coverage per service, asset markers, legend.

    Parameters
    ----------
    kecamatan
        EPSG:4326 polygons with ``kecamatan``, ``penduduk`` and ``cakupan_<layanan>``.
    assets
        EPSG:4326 points with ``layanan``, ``jenis``, ``nama``, ``desa``.
    catalogue
        Service catalogue; its ``nama`` labels the layers.
    title, data_date
        Page heading and the date the data were processed.
    """
    words = labels()["peta"]
    heading = labels()["kolom"]
    minx, miny, maxx, maxy = kecamatan.total_bounds
    page = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, control_scale=True
    )
    page.fit_bounds([[miny, minx], [maxy, maxx]])
    colours = cm.LinearColormap(
        ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"], vmin=0, vmax=100
    )
    colours.caption = words["legenda_cakupan"]
    names = dict(zip(catalogue["layanan"], catalogue["nama"], strict=True))
    services = [c.removeprefix("cakupan_") for c in kecamatan.columns if c.startswith("cakupan_")]
    for position, service in enumerate(services):
        column = f"cakupan_{service}"
        shown = kecamatan[["kecamatan", "penduduk", column, "geometry"]].copy()
        shown["persen"] = shown[column].map(_percent)
        shown = _escape_frame(shown, ["kecamatan", "penduduk", "persen", "geometry"]).assign(
            nilai=kecamatan[column].to_numpy()
        )
        group = folium.FeatureGroup(
            name=html.escape(words["lapisan_kecamatan"].format(nama=names.get(service, service))),
            overlay=False,
            show=position == 0,
        )
        folium.GeoJson(
            shown,
            style_function=lambda feature, colours=colours: {
                "fillColor": "#cccccc"
                if feature["properties"]["nilai"] is None
                else colours(100 * feature["properties"]["nilai"]),
                "color": "#333333",
                "weight": 1,
                "fillOpacity": 0.7,
            },
            highlight_function=lambda _feature: {"weight": 3},
            tooltip=folium.GeoJsonTooltip(
                fields=["kecamatan", "penduduk", "persen"],
                aliases=[heading["kecamatan"], heading["penduduk"], heading["cakupan"]],
            ),
        ).add_to(group)
        group.add_to(page)
    colours.add_to(page)

    palette = dict(zip(catalogue["layanan"], SERVICE_COLOURS, strict=False))
    for service, rows in assets.groupby("layanan", sort=False):
        label = (
            words["lapisan_aset"].format(nama=names[service])
            if service in names
            else words["lapisan_aset_lain"]
        )
        group = folium.FeatureGroup(
            name=html.escape(label), show=service == (services[0] if services else None)
        )
        safe = _escape_frame(rows, ["nama", "jenis", "desa"])
        for (nama, jenis, desa), point in zip(
            safe.itertuples(index=False), rows.geometry, strict=True
        ):
            folium.CircleMarker(
                location=[point.y, point.x],
                radius=4,
                color=palette.get(service, "#555555"),
                fill=True,
                fill_opacity=0.9,
                weight=1,
                tooltip=f"{nama}<br>{jenis}<br>{heading['desa']}: {desa}",
            ).add_to(group)
        group.add_to(page)
    folium.LayerControl(collapsed=False).add_to(page)
    note = (
        f"<div style='position:fixed;top:10px;left:50px;z-index:1000;background:white;padding:6px 10px;"
        f"border:1px solid #999;max-width:420px;font:13px sans-serif'>"
        f"<b>{html.escape(words['judul_awalan'])} — {html.escape(title)}</b><br>"
        f"{html.escape(words['tanggal_data'])}: {html.escape(data_date)}<br>"
        f"<small>{html.escape(words['cara_membaca'])}</small></div>"
    )
    page.get_root().html.add_child(folium.Element(note))
    page.get_root().header.add_child(folium.Element(f"<title>{html.escape(title)}</title>"))
    return page


def render_map(page: folium.Map) -> str:
    """Return the map page as one HTML document."""
    return page.get_root().render()


def kecamatan_percentages(frame: pd.DataFrame) -> pd.DataFrame:
    """Round coverage shares for display tables (0–1 kept in the GeoPackage)."""
    out = frame.copy()
    for column in out.columns:
        if column.startswith("cakupan"):
            out[column] = np.round(out[column].astype(float), 4)
    return out
