"""Service standards and asset-kind tables, loaded from the package's data files."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from jangkau.errors import InputError

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
    "tingkat_perencanaan",
    "usulan_lokasi",
    "bobot_indeks",
    "sumber_bobot",
    "waktu_kelurahan_menit",
    "waktu_desa_menit",
    "sumber_waktu",
]


# Figures a region file may set under [layanan.<kode>] (see layanan.toml): all but the code.
_OVERRIDABLE = frozenset(CATALOGUE_COLUMNS) - {"layanan"}


LEVELS = ("desa", "kecamatan", "kabupaten")


def _level(value: object, code: str) -> str:
    if value not in LEVELS:
        raise InputError(
            "berkas wilayah",
            f"[layanan.{code}] tingkat_perencanaan '{value}' tidak dikenal (pilih: {', '.join(LEVELS)})",
        )
    return str(value)


def _region_or(
    entry: dict,
    code: str,
    overrides: dict | None,
    figure: str,
    source: str,
    defaults: dict,
) -> str:
    """Return the source of a figure: the region file when it set the figure, else the data file's."""
    stated = {str(k).strip().lower(): v for k, v in (overrides or {}).items()}.get(code, {})
    if figure in stated and source not in stated:
        return "berkas wilayah"
    return str(entry.get(source, defaults.get(source, "")))


@cache
def _parsed_toml(name: str) -> dict[str, Any]:
    text = resources.files("jangkau.config").joinpath("data", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def _fresh(value: Any) -> Any:
    """Copy the tables and arrays of parsed TOML (its other values are immutable)."""
    if isinstance(value, dict):
        return {key: _fresh(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    return value


def _package_toml(name: str) -> dict[str, Any]:
    """Return a packaged data file, parsed once per process; each caller gets its own copy.

    A stage asks for the same files dozens of times (the catalogue, the
    walking speed per service) and tomllib is pure Python, so parsing them
    again cost ~0.3 s per stage; the copy (a few microseconds) keeps a
    caller that edits its tables from changing what the next caller reads.
    """
    return _fresh(_parsed_toml(name))


def load_catalogue(overrides: dict[str, dict[str, Any]] | None = None) -> pd.DataFrame:
    """Return the service catalogue, one row per service.

    Parameters
    ----------
    overrides
        Per service code, figures that replace the packaged standard (a region
        may adopt its own norm). Only the figures stated are replaced: a
        region that sets ``radius_desa_m`` keeps the national
        ``radius_kelurahan_m``, population norm, minimum and target, and the
        service's ``sumber_standar`` names the figures changed. A service
        code not in the catalogue adds a new service; it must then give at
        least ``nama`` and ``jenis_aset``, and both radii or neither.

    Raises
    ------
    InputError
        An unknown figure name (a typo would otherwise be ignored) or an
        incomplete new service.

    Returns
    -------
    pandas.DataFrame
        Columns ``CATALOGUE_COLUMNS``; ``jenis_aset`` holds lists of canonical
        kinds; radii and population norms are floats with NaN where the
        standard sets none.
    """
    packaged = _package_toml("layanan.toml")
    defaults = packaged["bawaan"]
    national = {entry["kode"]: dict(entry) for entry in packaged["layanan"]}
    rows = {code: dict(entry) for code, entry in national.items()}
    for stated_code, figures in (overrides or {}).items():
        code = str(stated_code).strip().lower()
        if not isinstance(figures, dict):
            raise InputError(
                "berkas wilayah", f"[layanan.{stated_code}] harus berisi angka standar"
            )
        unknown = sorted(set(figures) - _OVERRIDABLE)
        if unknown:
            raise InputError(
                "berkas wilayah",
                f"[layanan.{stated_code}]: '{unknown[0]}' bukan angka standar yang dikenal "
                f"(pilih: {', '.join(sorted(_OVERRIDABLE))})",
            )
        # A region replaces only the figures it states; every other figure is the
        # national one (an absent radius would otherwise read as no coverage at all).
        merged = {**national.get(code, {"kode": code}), **figures, "kode": code}
        if code not in national:
            radii = [r for r in ("radius_kelurahan_m", "radius_desa_m") if r in figures]
            if len(radii) == 1:
                raise InputError(
                    "berkas wilayah",
                    f"[layanan.{stated_code}] layanan baru: isi radius_kelurahan_m dan "
                    "radius_desa_m (tidak ada angka nasional untuk yang kosong)",
                )
        changed = [f for f in figures if f not in ("sumber_standar", "nama", "jenis_aset")]
        if "sumber_standar" not in figures and changed:
            merged["sumber_standar"] = (
                f"{merged.get('sumber_standar', '')} "
                f"({', '.join(changed)} diubah oleh berkas wilayah)"
            ).strip()
        rows[code] = merged
    records = []
    for code, entry in rows.items():
        if "nama" not in entry or "jenis_aset" not in entry:
            raise InputError(
                "berkas wilayah",
                f"[layanan.{code}] layanan baru: isi sedikitnya nama dan jenis_aset",
            )
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
                "sumber_target_cakupan": _region_or(
                    entry, code, overrides, "target_cakupan", "sumber_target_cakupan", defaults
                ),
                "tingkat_perencanaan": _level(
                    entry.get("tingkat_perencanaan", defaults["tingkat_perencanaan"]), code
                ),
                "usulan_lokasi": bool(entry.get("usulan_lokasi", defaults["usulan_lokasi"])),
                "bobot_indeks": float(entry.get("bobot_indeks", defaults["bobot_indeks"])),
                "sumber_bobot": _region_or(
                    entry, code, overrides, "bobot_indeks", "sumber_bobot", defaults
                ),
                **_time_standard(entry),
            }
        )
    return pd.DataFrame.from_records(records, columns=CATALOGUE_COLUMNS)


@cache
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
    # The two figures only: a whole catalogue row is a mixed Series, slow to build.
    kelurahan, desa = catalogue.loc[
        catalogue["layanan"] == service, ["radius_kelurahan_m", "radius_desa_m"]
    ].to_numpy(dtype=float)[0]
    return np.where(np.asarray(is_kelurahan, dtype=bool), kelurahan, desa).astype(float)


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
