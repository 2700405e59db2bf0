"""Service standards and asset-kind tables, loaded from the package's data files."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

CATALOGUE_COLUMNS = [
    "layanan",
    "nama",
    "jenis_aset",
    "radius_kelurahan_m",
    "radius_desa_m",
    "penduduk_per_fasilitas",
    "minimum_per",
    "target_cakupan",
    "sumber_standar",
    "sumber_target_cakupan",
    "waktu_kelurahan_menit",
    "waktu_desa_menit",
    "sumber_waktu",
]


def _package_toml(name: str) -> dict[str, Any]:
    text = resources.files("jangkau.config").joinpath("data", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def load_catalogue(overrides: dict[str, dict[str, Any]] | None = None) -> pd.DataFrame:
    """Return the service catalogue, one row per service.

    Parameters
    ----------
    overrides
        Per service code, figures that replace the packaged standard (a region
        may adopt its own norm). A service code not in the catalogue adds a
        new service; it must then give at least ``nama`` and ``jenis_aset``.

    Returns
    -------
    pandas.DataFrame
        Columns ``CATALOGUE_COLUMNS``; ``jenis_aset`` holds lists of canonical
        kinds; radii and population norms are floats with NaN where the
        standard sets none.
    """
    packaged = _package_toml("layanan.toml")
    defaults = packaged["bawaan"]
    rows = {entry["kode"]: dict(entry) for entry in packaged["layanan"]}
    for code, figures in (overrides or {}).items():
        base = rows.setdefault(code, {"kode": code})
        base.update(figures)
        if "sumber_standar" not in figures and figures:
            base["sumber_standar"] = (
                f"{base.get('sumber_standar', '')} (diubah oleh berkas wilayah)".strip()
            )
    records = []
    for code, entry in rows.items():
        if "nama" not in entry or "jenis_aset" not in entry:
            raise ValueError(f"layanan '{code}' needs at least 'nama' and 'jenis_aset'")
        records.append(
            {
                "layanan": code,
                "nama": entry["nama"],
                "jenis_aset": list(entry["jenis_aset"]),
                "radius_kelurahan_m": float(entry.get("radius_kelurahan_m", "nan")),
                "radius_desa_m": float(entry.get("radius_desa_m", "nan")),
                "penduduk_per_fasilitas": float(entry.get("penduduk_per_fasilitas", "nan")),
                "minimum_per": entry.get("minimum_per"),
                "target_cakupan": float(entry.get("target_cakupan", defaults["target_cakupan"])),
                "sumber_standar": entry.get("sumber_standar", ""),
                "sumber_target_cakupan": (
                    "berkas wilayah"
                    if "target_cakupan" in entry
                    else defaults["sumber_target_cakupan"]
                ),
                **_time_standard(entry),
            }
        )
    return pd.DataFrame.from_records(records, columns=CATALOGUE_COLUMNS)


def walking_speed() -> tuple[float, str]:
    """Return the off-road walking speed (km/h) and its source, from ``kecepatan_jalan.toml``."""
    row = _package_toml("kecepatan_jalan.toml")["jalan_kaki"]
    return float(row["km_per_jam"]), row["sumber"]


def _time_standard(entry: dict[str, Any]) -> dict[str, Any]:
    """Return a service's travel-time standard: stated, or derived from its radius on foot."""
    stated = {
        key: float(entry[key])
        for key in ("waktu_kelurahan_menit", "waktu_desa_menit")
        if key in entry
    }
    if stated:
        return {
            "waktu_kelurahan_menit": stated.get("waktu_kelurahan_menit", np.nan),
            "waktu_desa_menit": stated.get("waktu_desa_menit", np.nan),
            "sumber_waktu": entry.get("sumber_waktu", "berkas wilayah"),
        }
    speed, _ = walking_speed()
    minutes_per_metre = 60.0 / (speed * 1000.0)
    derived = {
        "waktu_kelurahan_menit": float(entry.get("radius_kelurahan_m", "nan")) * minutes_per_metre,
        "waktu_desa_menit": float(entry.get("radius_desa_m", "nan")) * minutes_per_metre,
    }
    if np.isnan(derived["waktu_kelurahan_menit"]) and np.isnan(derived["waktu_desa_menit"]):
        return {**derived, "sumber_waktu": ""}
    return {
        **derived,
        "sumber_waktu": (
            f"turunan: radius jarak lurus ditempuh berjalan kaki {speed:g} km/jam "
            "(belum ada standar waktu tempuh)"
        ),
    }


def service_minutes(catalogue: pd.DataFrame, service: str, is_kelurahan: np.ndarray) -> np.ndarray:
    """Return the travel-time standard (minutes) of a service for each place (kelurahan or desa)."""
    row = catalogue.loc[catalogue["layanan"] == service].iloc[0]
    return np.where(
        np.asarray(is_kelurahan, dtype=bool), row["waktu_kelurahan_menit"], row["waktu_desa_menit"]
    ).astype(float)


def index_weights() -> dict[str, float]:
    """Return the weights of the gap index (documented in ``layanan.toml``)."""
    return dict(_package_toml("layanan.toml")["indeks_kesenjangan"])


def has_distance_standard(catalogue: pd.DataFrame) -> pd.Series:
    """Return, per catalogue row, whether the service has a distance standard (either radius)."""
    return catalogue["radius_kelurahan_m"].notna() | catalogue["radius_desa_m"].notna()


def distance_services(catalogue: pd.DataFrame) -> list[str]:
    """Return the codes of services that have a distance standard, in catalogue order."""
    return catalogue.loc[has_distance_standard(catalogue), "layanan"].tolist()


def service_radius(catalogue: pd.DataFrame, service: str, is_kelurahan: np.ndarray) -> np.ndarray:
    """Return the radius (metres) of a service for each place: the kelurahan or the desa figure.

    Parameters
    ----------
    catalogue
        Standards, one row per service (:func:`load_catalogue`).
    service
        The service code.
    is_kelurahan
        Per place, True for a kelurahan (urban), False for a desa.
    """
    row = catalogue.loc[catalogue["layanan"] == service].iloc[0]
    return np.where(
        np.asarray(is_kelurahan, dtype=bool), row["radius_kelurahan_m"], row["radius_desa_m"]
    ).astype(float)


@dataclass(frozen=True)
class KindTable:
    """Lookup from the kind a file states to a canonical kind and its service."""

    alias_to_kind: dict[str, tuple[str, str]]

    def classify(self, stated: object) -> tuple[str, str] | None:
        """Return ``(jenis, layanan)`` for a stated kind, or None when unknown.

        The longest alias that equals the normalised text, or that the text
        starts with followed by a space, decides.
        """
        text = normalise_kind_text(stated)
        if not text:
            return None
        if text in self.alias_to_kind:
            return self.alias_to_kind[text]
        words = text.split(" ")
        for length in range(len(words) - 1, 0, -1):
            prefix = " ".join(words[:length])
            if prefix in self.alias_to_kind:
                return self.alias_to_kind[prefix]
        return None


def normalise_kind_text(stated: object) -> str:
    """Lower-case a kind, drop punctuation and collapse white space."""
    if stated is None or (isinstance(stated, float) and pd.isna(stated)):
        return ""
    text = re.sub(r"[^0-9a-z]+", " ", str(stated).lower())
    return " ".join(text.split())


def load_kind_table(extra: dict[str, dict[str, str]] | None = None) -> KindTable:
    """Return the packaged kind table, with region-specific aliases added.

    Parameters
    ----------
    extra
        Alias text mapped to ``{"jenis": ..., "layanan": ...}``; region aliases
        win over packaged ones.
    """
    mapping: dict[str, tuple[str, str]] = {}
    for entry in _package_toml("jenis_aset.toml")["jenis"]:
        for alias in [entry["jenis"], *entry["alias"]]:
            mapping[normalise_kind_text(alias)] = (entry["jenis"], entry["layanan"])
    for alias, target in (extra or {}).items():
        mapping[normalise_kind_text(alias)] = (target["jenis"], target["layanan"])
    return KindTable(alias_to_kind=mapping)
