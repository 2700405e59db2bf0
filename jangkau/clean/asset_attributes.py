"""Year built and capacity of assets, read from the columns offices write them in.

The column spellings, their units and the earliest plausible year are data
(``config/data/atribut_aset.toml``). A value that cannot be read, or a year
outside the plausible range, is left empty and named in the record's note:
a wrong year in a report is worse than none.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from jangkau.config.catalogue import normalise_kind_text
from jangkau.config.towers import tower_reach

ATTRIBUTE_COLUMNS = ["tahun_dibangun", "kapasitas", "satuan_kapasitas", "teknologi"]
_YEAR = re.compile(r"^\s*(\d{4})(?:[.,]0+)?\s*$")
# An ISO date or a date-time as spreadsheets export them: the year is plain.
_DATE = re.compile(r"^\s*(\d{4})-\d{1,2}-\d{1,2}([ T].*)?$")
_NUMBER = re.compile(r"^\s*(\d[\d.,]*)\s*([^\d\s].*)?$")


@dataclass(frozen=True)
class AttributeWords:
    """Column names of year built and capacity, capacity units, the earliest year."""

    year_columns: tuple[str, ...]
    capacity_columns: dict[str, str]
    unit_columns: tuple[str, ...]
    earliest_year: int


@cache
def attribute_words() -> AttributeWords:
    """Return the packaged spellings (``atribut_aset.toml``)."""
    text = (
        resources.files("jangkau.config").joinpath("data", "atribut_aset.toml").read_text("utf-8")
    )
    data = tomllib.loads(text)
    return AttributeWords(
        year_columns=tuple(normalise_kind_text(c) for c in data["tahun_dibangun"]["kolom"]),
        capacity_columns={
            normalise_kind_text(c): unit for c, unit in data["kapasitas"]["kolom"].items()
        },
        unit_columns=tuple(normalise_kind_text(c) for c in data["kapasitas"]["kolom_satuan"]),
        earliest_year=int(data["tahun_dibangun"]["tahun_terawal"]),
    )


def _blank(value: object) -> bool:
    return (
        value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == ""
    )


def read_year(value: object, *, latest: int, earliest: int) -> tuple[int | None, str]:
    """Return the year built written in ``value`` and a note when it is refused.

    Four digits (``1998``, ``1998.0`` as spreadsheets store it) or a date
    (``2005-03-01``) give their year; a year before ``earliest`` or after
    ``latest`` is refused as implausible, anything else as not a year.
    """
    if _blank(value):
        return None, ""
    written = str(value).strip()
    if isinstance(value, (int, np.integer)) or (
        isinstance(value, (float, np.floating)) and float(value).is_integer()
    ):
        written = str(int(value))
    match = _YEAR.match(written) or _DATE.match(written)
    if match is None:
        return None, f"tahun dibangun tertulis '{written}' bukan tahun"
    year = int(match.group(1))
    if not earliest <= year <= latest:
        return None, (
            f"tahun dibangun tertulis '{written}' tidak masuk akal (di luar {earliest}–{latest})"
        )
    return year, ""


def read_capacity(value: object) -> tuple[float | None, str, str]:
    """Return the number in a capacity cell, a unit written after it, and a refusal note.

    ``12,5`` and ``12.5`` are 12.5; ``1.200.000`` and ``1.200,5`` carry
    thousands dots. ``1.200`` (or ``1,200``) alone could be either and is
    refused rather than guessed.
    """
    if _blank(value):
        return None, "", ""
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return (
            (number, "", "") if number >= 0 else (None, "", f"kapasitas tertulis '{value}' negatif")
        )
    written = str(value).strip()
    match = _NUMBER.match(written)
    if match is None:
        return None, "", f"kapasitas tertulis '{written}' bukan angka"
    digits, unit = match.group(1).rstrip(".,"), (match.group(2) or "").strip()
    dots, commas = digits.count("."), digits.count(",")
    if dots and commas:
        # The last separator is the decimal one: 1.200,5 or 1,200.5.
        decimal = "," if digits.rfind(",") > digits.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        if digits.count(decimal) > 1:
            return None, "", f"kapasitas tertulis '{written}' bukan angka"
        digits = digits.replace(thousands, "").replace(decimal, ".")
    elif dots + commas == 1:
        separator = "." if dots else ","
        if len(digits.split(separator)[1]) == 3:
            return None, "", f"kapasitas tertulis '{written}' ambigu (ribuan atau desimal?)"
        digits = digits.replace(",", ".")
    elif dots + commas > 1:
        separator = "." if dots else ","
        groups = digits.split(separator)
        if any(len(g) != 3 for g in groups[1:]):
            return None, "", f"kapasitas tertulis '{written}' bukan angka"
        digits = digits.replace(separator, "")
    return float(digits), unit, ""


def _column(raw: pd.DataFrame, names: tuple[str, ...] | list[str]) -> str | None:
    """Return the first column of ``raw`` whose name is listed (in the list's order)."""
    by_name = {normalise_kind_text(c): c for c in raw.columns if c not in ("baris", "geometry")}
    for name in names:
        if name in by_name:
            return by_name[name]
    return None


def read_attributes(raw: pd.DataFrame, *, year_now: int | None = None) -> pd.DataFrame:
    """Return year built, capacity, BTS technology and notes per record.

    Parameters
    ----------
    raw
        Records of one file as read.
    year_now
        The latest plausible year built (the current year by default).

    Returns
    -------
    pandas.DataFrame
        One row per record, in order: ``tahun_dibangun`` (Int64, empty when
        not written or refused), ``kapasitas`` (float), ``satuan_kapasitas``
        (text, empty when unknown), ``teknologi`` (the BTS technologies named,
        ``2G, 4G``; see :mod:`jangkau.config.towers`) and ``catatan_atribut``
        naming each value refused.
    """
    words = attribute_words()
    latest = year_now or dt.date.today().year
    count = len(raw)
    years: list[int | None] = [None] * count
    amounts: list[float | None] = [None] * count
    units = [""] * count
    notes: list[list[str]] = [[] for _ in range(count)]
    year_column = _column(raw, words.year_columns)
    if year_column is not None:
        for i, value in enumerate(raw[year_column].to_numpy()):
            years[i], note = read_year(value, latest=latest, earliest=words.earliest_year)
            if note:
                notes[i].append(note)
    capacity_column = _column(raw, list(words.capacity_columns))
    if capacity_column is not None:
        unit = words.capacity_columns[normalise_kind_text(capacity_column)]
        unit_column = _column(raw, words.unit_columns) if not unit else None
        written_units = raw[unit_column].to_numpy() if unit_column is not None else [None] * count
        for i, (value, written_unit) in enumerate(
            zip(raw[capacity_column].to_numpy(), written_units, strict=True)
        ):
            amounts[i], trailing, note = read_capacity(value)
            if note:
                notes[i].append(note)
            if amounts[i] is not None:
                units[i] = (
                    unit or ("" if _blank(written_unit) else str(written_unit).strip()) or trailing
                )
    technologies = [""] * count
    reach = tower_reach()
    tech_column = _column(raw, reach.columns)
    written = raw[tech_column].to_numpy() if tech_column is not None else []
    named = [reach.technologies(v) for v in written]
    filled = [bool(n) for n, v in zip(named, written, strict=True) if not _blank(v)]
    # As with condition words: a column of other words (a pipe file's "jenis
    # jaringan") is not a technology column.
    if filled and sum(filled) >= len(filled) / 2:
        for i, (value, found) in enumerate(zip(written, named, strict=True)):
            technologies[i] = ", ".join(found)
            if not found and not _blank(value):
                notes[i].append(f"teknologi tertulis '{str(value).strip()}' tidak dikenali")
    return pd.DataFrame(
        {
            "tahun_dibangun": pd.array(years, dtype="Int64"),
            "kapasitas": pd.array(amounts, dtype="Float64").astype(float),
            "satuan_kapasitas": units,
            "teknologi": technologies,
            "catatan_atribut": ["; ".join(n) for n in notes],
        }
    )


def with_blank_attributes(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with empty year built and capacity columns where it has none."""
    blanks = {
        "tahun_dibangun": pd.array([None] * len(frame), dtype="Int64"),
        "kapasitas": np.full(len(frame), np.nan),
        "satuan_kapasitas": pd.Series("", index=frame.index, dtype=object),
        "teknologi": pd.Series("", index=frame.index, dtype=object),
    }
    missing = {c: v for c, v in blanks.items() if c not in frame}
    return frame.assign(**missing) if missing else frame
