"""The GeoPackage GIS staff open in QGIS (version 1.2, styles in ``layer_styles``) and the ``.qgz`` project."""

from __future__ import annotations

import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from jangkau.io.atomic import replacing
from jangkau.io.unsynced import sqlite_without_sync

# QGIS 3.22 warns on GeoPackage 1.4, which current GDAL writes by default.
GPKG_VERSION = "1.2"


def _arrow_writes_the_same(frame: pd.DataFrame) -> bool:
    """Say whether writing ``frame`` through Arrow gives the same table as feature by feature.

    Arrow hands GDAL whole columns (the province's 41,600 assets take 0.5 s
    instead of 1 s), and for numbers, booleans and text, with or without
    missing values, the tables written are the same, field types included.
    A column of Python objects is not: a mix of booleans and NaN becomes a
    BOOLEAN field through Arrow and TEXT otherwise; dates are not checked.
    """
    return all(
        pd.api.types.is_integer_dtype(dtype)
        or pd.api.types.is_float_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or isinstance(dtype, pd.StringDtype)
        for column, dtype in frame.dtypes.items()
        if not isinstance(dtype, gpd.array.GeometryDtype)
    )


def _style_table(path: Path, styles: list[tuple[str, str, str, bool]]) -> pd.DataFrame:
    """Return the ``layer_styles`` table QGIS reads default styles from.

    QGIS reads it through OGR, so it is written as an ordinary attribute table
    (registered in ``gpkg_contents``), with the columns QGIS itself creates.
    """
    with sqlite3.connect(path) as connection:
        columns = dict(
            connection.execute(
                "SELECT table_name, column_name FROM gpkg_geometry_columns"
            ).fetchall()
        )
    connection.close()
    rows = [
        {
            "f_table_catalog": "",
            "f_table_schema": "",
            "f_table_name": layer,
            "f_geometry_column": columns[layer],
            "styleName": name,
            "styleQML": qml,
            "styleSLD": "",
            "useAsDefault": bool(default),
            "description": f"jangkau: {name}",
            "owner": "",
            "ui": "",
            "update_time": pd.Timestamp.now(tz="UTC").floor("s"),
        }
        for layer, name, qml, default in styles
        if layer in columns
    ]
    return pd.DataFrame(rows)


def write_geopackage(
    path: Path,
    layers: dict[str, pd.DataFrame],
    *,
    styles: list[tuple[str, str, str, bool]] = (),
    description: str | None = None,
) -> Path:
    """Write layers (GeoDataFrames as spatial layers, DataFrames as tables) to one GeoPackage.

    Parameters
    ----------
    path
        Destination; replaced only once the whole file is written.
    layers
        Layer name to frame, in the order QGIS lists them.
    styles
        ``(layer, style name, QML, use as default)`` stored in ``layer_styles``.
    description
        Stored as every layer's description in ``gpkg_contents`` (QGIS shows
        it), e.g. the run that wrote the file.
    """
    with replacing(path) as temporary, sqlite_without_sync():
        for index, (name, frame) in enumerate(layers.items()):
            options = {"dataset_options": {"VERSION": GPKG_VERSION}} if index == 0 else {}
            if isinstance(frame, gpd.GeoDataFrame):
                # One geometry type per layer, whether or not a region has multi-part desa.
                options["promote_to_multi"] = bool(frame.geom_type.str.contains("Polygon").any())
            pyogrio.write_dataframe(
                frame,
                temporary,
                layer=name,
                driver="GPKG",
                use_arrow=_arrow_writes_the_same(frame),
                **options,
            )
        if styles:
            table = _style_table(temporary, list(styles))
            pyogrio.write_dataframe(
                table, temporary, layer="layer_styles", driver="GPKG", layer_options={"FID": "id"}
            )
        if description is not None:
            with closing(sqlite3.connect(temporary)) as connection, connection:
                connection.execute("PRAGMA synchronous = OFF")
                connection.execute("UPDATE gpkg_contents SET description = ?", (description,))
    return path


def write_qgis_project(path: Path, project_xml: str) -> Path:
    """Write a .qgz: a zip holding the project XML under the same stem."""
    with (
        replacing(path) as temporary,
        zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        archive.writestr(f"{path.stem}.qgs", project_xml)
    return path
