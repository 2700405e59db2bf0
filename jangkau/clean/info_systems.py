"""The agencies' information systems: a register without geometry, read as offices write it.

A table with a system-name column and an OPD column (names listed in
``config/data/kondisi.toml`` under ``[sistem_informasi]``) is this register.
Each row becomes a system (``sistem``, ``opd``, ``status_operasi``,
``terintegrasi`` = ``ya`` / ``tidak`` / empty) or, without a name, a
rejected row with its reason: nothing is dropped silently.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

import pandas as pd

from jangkau.clean.assets import REJECTED_COLUMNS
from jangkau.clean.condition import condition_words
from jangkau.config.catalogue import normalise_kind_text
from jangkau.io.read import records_as_text

REGISTER_COLUMNS = [
    "sistem",
    "opd",
    "status_operasi",
    "terintegrasi",
    "catatan",
    "sumber",
    "baris",
]


@cache
def _words() -> dict:
    text = resources.files("jangkau.config").joinpath("data", "kondisi.toml").read_text("utf-8")
    return tomllib.loads(text)["sistem_informasi"]


def _column(columns: list[str], names: list[str]) -> str | None:
    wanted = {normalise_kind_text(n) for n in names}
    return next((c for c in columns if normalise_kind_text(c) in wanted), None)


def register_columns(columns: list[str]) -> dict[str, str] | None:
    """Return the register's columns by role, or None when the table is not such a register."""
    words = _words()
    names = [str(c) for c in columns if c != "baris"]
    roles = {
        "sistem": _column(names, words["kolom_sistem"]),
        "opd": _column(names, words["kolom_opd"]),
        "status": _column(names, words["kolom_status"]),
        "terintegrasi": _column(names, words["kolom_terintegrasi"]),
    }
    if roles["sistem"] is None or roles["opd"] is None:
        return None
    return {role: column for role, column in roles.items() if column is not None}


def read_register(raw: pd.DataFrame, *, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the systems of one register file and its rejected rows (``REJECTED_COLUMNS``).

    Raises
    ------
    ValueError
        When the table has no system-name and OPD columns (recognition decides first).
    """
    roles = register_columns(list(raw.columns))
    if roles is None:
        raise ValueError(f"{source}: not an information-system register")
    words = _words()
    yes = {normalise_kind_text(w) for w in words["ya"]}
    no = {normalise_kind_text(w) for w in words["tidak"]}
    status_words = condition_words().status

    def text(role: str) -> pd.Series:
        if role not in roles:
            return pd.Series("", index=raw.index, dtype=object)
        values = raw[roles[role]].astype("string").str.strip().fillna("")
        return values.astype(object)

    rows, notes = [], []
    for status, integrated in zip(text("status"), text("terintegrasi"), strict=True):
        note = []
        key = normalise_kind_text(status)
        if key and key not in status_words:
            note.append(f"status tertulis '{status}' tidak dikenali")
        mark = normalise_kind_text(integrated)
        if mark and mark not in yes | no:
            note.append(f"terintegrasi tertulis '{integrated}' tidak dikenali")
        rows.append(
            (
                status_words.get(key, ""),
                "ya" if mark in yes else "tidak" if mark in no else "",
            )
        )
        notes.append("; ".join(note))
    out = pd.DataFrame(
        {
            "sistem": text("sistem"),
            "opd": text("opd"),
            "status_operasi": [r[0] for r in rows],
            "terintegrasi": [r[1] for r in rows],
            "catatan": notes,
            "sumber": source,
            "baris": raw["baris"].astype("int64").to_numpy(),
        }
    )
    unnamed = (out["sistem"] == "").to_numpy()
    rejected = pd.DataFrame(
        {
            "sumber": source,
            "baris": out.loc[unnamed, "baris"].to_numpy(),
            "nama": None,
            "id_aset": None,
            "alasan": "nama sistem informasi kosong",
            "data_asli": records_as_text(raw[unnamed]) if unnamed.any() else [],
        },
        columns=REJECTED_COLUMNS,
    )
    return out.loc[~unnamed, REGISTER_COLUMNS].reset_index(drop=True), rejected
