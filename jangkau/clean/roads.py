"""Road lines as delivered, turned into classed lines with a travel speed.

Roads come as RBI lines (class in ``REMARK``), OpenStreetMap ways
(``highway``, ``oneway``) or a kabupaten's road inventory (SK jalan: status,
kondisi). A region file names the columns (``[jalan] columns = { kelas =
"REMARK" }``); otherwise the first of ``REMARK``, ``highway``, ``status``
found is the class. The speed of each class comes from
``jangkau/config/data/kecepatan_jalan.toml`` (a region may override it); a
class that is in no table stops the run with the file, row and class, since
a guessed speed would give a wrong time.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from jangkau.errors import InputError

ROAD_COLUMNS = ["kelas", "km_per_jam", "arah", "baris", "geometry"]
CLASS_COLUMN_GUESSES = ("REMARK", "highway", "status", "STATUS", "kelas")
FORWARD_VALUES = {"yes", "true", "1", "ya", "satu arah"}
BACKWARD_VALUES = {"-1", "reverse"}
TWO_WAY_VALUES = {"", "no", "false", "0", "tidak", "dua arah", "none", "nan"}


def _package_table() -> dict[str, Any]:
    text = (
        resources.files("jangkau.config")
        .joinpath("data", "kecepatan_jalan.toml")
        .read_text(encoding="utf-8")
    )
    return tomllib.loads(text)


def _normal(text: object) -> str:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    return " ".join(re.sub(r"[_\s]+", " ", str(text).strip().lower()).split())


def network_settings(overrides: dict[str, Any] | None = None) -> dict[str, float]:
    """Return the network-building settings (tolerances, grid spacing), region values winning."""
    settings = {k: v for k, v in _package_table()["jaringan"].items() if k != "sumber"}
    for key, value in (overrides or {}).items():
        if key in settings:
            settings[key] = float(value)
    return {k: float(v) for k, v in settings.items()}


def speed_table(overrides: dict[str, float] | None = None) -> pd.DataFrame:
    """Return the speed table used: ``kelas``, ``km_per_jam``, ``sumber``; walking is ``jalan kaki``.

    Parameters
    ----------
    overrides
        Class name to km/h from the region file (``[jalan.kecepatan]``);
        they replace packaged figures or add classes.
    """
    table = _package_table()
    rows = [dict(table["jalan_kaki"])] + [dict(row) for row in table["kelas"]]
    by_class = {_normal(row["kelas"]): row for row in rows}
    for name, speed in (overrides or {}).items():
        row = by_class.setdefault(_normal(name), {"kelas": name})
        row["km_per_jam"] = float(speed)
        row["sumber"] = "berkas wilayah"
    frame = pd.DataFrame(list(by_class.values()), columns=["kelas", "km_per_jam", "sumber"])
    if not (frame["km_per_jam"].astype(float) > 0).all():
        raise InputError("berkas wilayah", "kecepatan jalan harus lebih dari 0 km/jam")
    return frame.astype({"km_per_jam": float})


def condition_factors() -> dict[str, float]:
    """Return the speed factor per road condition (``kondisi``)."""
    table = dict(_package_table()["kondisi"])
    table.pop("sumber")
    return {_normal(k): float(v) for k, v in table.items()}


def _class_speed(stated: pd.Series, table: pd.DataFrame) -> pd.Series:
    """Match each stated class to the table: exactly, else by the longest entry it starts with."""
    lookup = dict(zip(table["kelas"].map(_normal), table["km_per_jam"], strict=True))
    speeds = {}
    for value in stated.unique():
        text = _normal(value)
        words = text.split(" ")
        for length in range(len(words), 0, -1):
            prefix = " ".join(words[:length])
            if prefix in lookup:
                speeds[value] = lookup[prefix]
                break
    return stated.map(speeds)


def _direction(values: pd.Series, *, source: str) -> np.ndarray:
    """Return 1 (one way along the line), -1 (one way against it) or 0 (both ways)."""
    text = values.map(_normal)
    direction = np.zeros(len(text), dtype=np.int8)
    direction[text.isin(FORWARD_VALUES).to_numpy()] = 1
    direction[text.isin(BACKWARD_VALUES).to_numpy()] = -1
    unknown = ~text.isin(FORWARD_VALUES | BACKWARD_VALUES | TWO_WAY_VALUES)
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0]) + 1
        raise InputError(
            source, f"arah jalan '{values.iloc[row - 1]}' tidak dikenali (yes/no/-1)", row=row
        )
    return direction


def standardise_roads(
    raw: gpd.GeoDataFrame,
    *,
    columns: dict[str, str],
    source: str,
    speeds: pd.DataFrame,
) -> gpd.GeoDataFrame:
    """Return road lines with ``kelas``, ``km_per_jam``, ``arah`` and ``baris``.

    Parameters
    ----------
    raw
        Road lines as read (any CRS).
    columns
        Roles: ``kelas`` (class/status, required unless guessable), optional
        ``arah`` (one-way flag) and ``kondisi`` (condition).
    source
        File name, for messages.
    speeds
        The speed table (:func:`speed_table`).

    Raises
    ------
    InputError
        When a line has no line geometry, no class, or a class or condition
        the tables do not know.
    """
    class_column = columns.get("kelas") or next(
        (c for c in CLASS_COLUMN_GUESSES if c in raw.columns), None
    )
    if class_column is None or class_column not in raw.columns:
        raise InputError(source, "kolom kelas jalan tidak ditemukan; isi [jalan] columns.kelas")
    geometry_type = raw.geometry.geom_type
    lines = geometry_type.isin(["LineString", "MultiLineString"]).to_numpy()
    if not lines.all():
        row = int(np.flatnonzero(~lines)[0]) + 1
        raise InputError(source, f"bukan garis jalan ({geometry_type.iloc[row - 1]})", row=row)
    stated = raw[class_column].astype(object)
    speed = _class_speed(stated, speeds)
    if speed.isna().any():
        row = int(np.flatnonzero(speed.isna().to_numpy())[0]) + 1
        raise InputError(
            source,
            f"kelas jalan '{stated.iloc[row - 1]}' tidak ada di tabel kecepatan; "
            "tambahkan di berkas wilayah [jalan.kecepatan]",
            row=row,
        )
    speed = speed.astype(float).to_numpy()
    if columns.get("kondisi"):
        factors = condition_factors()
        condition = raw[columns["kondisi"]].map(_normal)
        factor = condition.map(factors)
        unknown = factor.isna() & (condition != "")
        if unknown.any():
            row = int(np.flatnonzero(unknown.to_numpy())[0]) + 1
            raise InputError(
                source,
                f"kondisi jalan '{raw[columns['kondisi']].iloc[row - 1]}' tidak dikenali",
                row=row,
            )
        speed = speed * factor.fillna(1.0).to_numpy()
    # OpenStreetMap ways say one-way in ``oneway``; other sources name their column.
    direction_column = columns.get("arah") or ("oneway" if "oneway" in raw.columns else None)
    direction = (
        _direction(raw[direction_column], source=source)
        if direction_column
        else np.zeros(len(raw), dtype=np.int8)
    )
    return gpd.GeoDataFrame(
        {
            "kelas": stated.astype(str).to_numpy(),
            "km_per_jam": speed,
            "arah": direction,
            "baris": np.arange(1, len(raw) + 1),
        },
        geometry=raw.geometry.to_numpy(),
        crs=raw.crs,
    )
