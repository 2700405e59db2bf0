"""Condition and operating status of assets, read from the words offices write.

The spellings are data (``config/data/kondisi.toml``). A column counts as a
condition (or status) column only when its name is listed there and at least
half of its filled values are recognised: a school list's ``status`` column
holding ``NEGERI``/``SWASTA`` is not an operating status. A value that is not
recognised in such a column is left empty and named in ``catatan_kondisi``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

from jangkau.clean.asset_attributes import ATTRIBUTE_COLUMNS, read_attributes
from jangkau.config.catalogue import normalise_kind_text

CONDITIONS = ("baik", "rusak ringan", "rusak sedang", "rusak berat")
STATUSES = ("beroperasi", "tidak beroperasi", "dalam pembangunan")
CONDITION_COLUMNS = [
    *("sumber", "baris", "kondisi", "status_operasi"),
    *ATTRIBUTE_COLUMNS,
    "catatan_kondisi",
]
# The condition columns every asset layer carries (issue 16 contract).
CONDITION_OUTPUT = ["kondisi", "status_operasi"]
# A status that does not stop service: empty counts as operating (issue 16).
NOT_SERVING = ("tidak beroperasi", "dalam pembangunan")
_MIN_RECOGNISED_SHARE = 0.5


@dataclass(frozen=True)
class ConditionWords:
    """Column names and value spellings for condition and operating status."""

    condition_columns: frozenset[str]
    status_columns: frozenset[str]
    condition: dict[str, str]
    status: dict[str, str]


@cache
def condition_words() -> ConditionWords:
    """Return the packaged spellings (``kondisi.toml``)."""
    text = resources.files("jangkau.config").joinpath("data", "kondisi.toml").read_text("utf-8")
    data = tomllib.loads(text)

    def lookup(section: dict[str, list[str]], allowed: tuple[str, ...]) -> dict[str, str]:
        table = {}
        for canonical, spellings in section.items():
            if canonical not in allowed:
                raise ValueError(f"kondisi.toml: '{canonical}' is not one of {allowed}")
            for word in [canonical, *spellings]:
                table[normalise_kind_text(word)] = canonical
        return table

    return ConditionWords(
        condition_columns=frozenset(normalise_kind_text(c) for c in data["kolom_kondisi"]),
        status_columns=frozenset(normalise_kind_text(c) for c in data["kolom_status"]),
        condition=lookup(data["kondisi"], CONDITIONS),
        status=lookup(data["status_operasi"], STATUSES),
    )


def _pick_column(raw: pd.DataFrame, names: frozenset[str], words: dict[str, str]) -> str | None:
    """Return the listed column whose filled values are mostly recognised, if any."""
    best, best_share = None, 0.0
    for column in raw.columns:
        if column in ("baris", "geometry") or normalise_kind_text(column) not in names:
            continue
        values = raw[column].map(normalise_kind_text)
        filled = values[values != ""]
        if filled.empty:
            continue
        share = filled.isin(words.keys()).mean()
        if share >= _MIN_RECOGNISED_SHARE and share > best_share:
            best, best_share = column, share
    return best


def read_condition(raw: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Return ``kondisi`` and ``status_operasi`` per record of one file.

    Parameters
    ----------
    raw
        Records as read (with ``baris``).
    source
        File name, recorded as ``sumber`` (the key, with ``baris``, to the placed records).

    Returns
    -------
    pandas.DataFrame
        ``CONDITION_COLUMNS``, one row per record: canonical words or empty
        strings, year built and capacity (:mod:`jangkau.clean.asset_attributes`);
        ``catatan_kondisi`` names every value written but not recognised or refused.
    """
    words = condition_words()
    out = pd.DataFrame(
        {
            "sumber": source,
            "baris": raw["baris"].astype("int64").to_numpy(),
            "kondisi": "",
            "status_operasi": "",
            "catatan_kondisi": "",
        }
    )
    notes: list[list[str]] = [[] for _ in range(len(raw))]
    for target, names, table, label in (
        ("kondisi", words.condition_columns, words.condition, "kondisi"),
        ("status_operasi", words.status_columns, words.status, "status"),
    ):
        column = _pick_column(raw, names, table)
        if column is None:
            continue
        written = raw[column].to_numpy()
        # Filled as a plain list: setting frame cells one by one costs seconds per province file.
        recognised = [""] * len(written)
        for position, value in enumerate(written):
            key = normalise_kind_text(value)
            if not key:
                continue
            if key in table:
                recognised[position] = table[key]
            else:
                notes[position].append(f"{label} tertulis '{str(value).strip()}' tidak dikenali")
        out[target] = recognised
    attributes = read_attributes(raw)
    for column in ATTRIBUTE_COLUMNS:
        out[column] = attributes[column].to_numpy()
    out["tahun_dibangun"] = out["tahun_dibangun"].astype("Int64")
    out["catatan_kondisi"] = [
        "; ".join([*n, a] if a else n)
        for n, a in zip(notes, attributes["catatan_atribut"], strict=True)
    ]
    return out[CONDITION_COLUMNS]


def serves(assets: pd.DataFrame) -> pd.Series:
    """Return, per asset, whether it serves in coverage: empty status counts as operating.

    A damaged asset that still operates still serves; ``tidak beroperasi``
    and ``dalam pembangunan`` do not.
    """
    if "status_operasi" not in assets:
        return pd.Series(True, index=assets.index)
    return ~assets["status_operasi"].fillna("").isin(NOT_SERVING)


def heavily_damaged(assets: pd.DataFrame) -> pd.Series:
    """Return, per asset, whether its condition is ``rusak berat``."""
    if "kondisi" not in assets:
        return pd.Series(False, index=assets.index)
    return assets["kondisi"].fillna("") == "rusak berat"
