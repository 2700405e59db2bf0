"""Counts as people type them: separators resolved from the whole column, never cell by cell.

A cell alone cannot say what ``12,345`` means (twelve thousand, or twelve and a
bit); the column it sits in can. Population tables use one convention per
column, so the convention is read from every cell first and then applied to
each one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from jangkau.errors import InputError

# Spaces people (and spreadsheets) put between thousands: plain, no-break, thin.
_SPACES = re.compile(r"[ \u00a0\u2009\u202f]")
_PLAIN = re.compile(r"\d+")
# Several groups of three: the separator can only be a thousands separator.
_MANY_GROUPS = {sep: re.compile(rf"[1-9]\d{{0,2}}(\{sep}\d{{3}}){{2,}}") for sep in ",."}
# One group of three (``12,345``): thousands, or a decimal with three places.
_ONE_GROUP = {sep: re.compile(rf"[1-9]\d{{0,2}}\{sep}\d{{3}}") for sep in ",."}
# Digits, one separator, digits: a decimal unless it is a single group of three.
_DECIMAL = {sep: re.compile(rf"\d+\{sep}\d+") for sep in ",."}
# Both separators: the last one is the decimal separator.
_BOTH = {
    (thousands, decimal): re.compile(rf"[1-9]\d{{0,2}}(\{thousands}\d{{3}})+\{decimal}\d+")
    for thousands, decimal in ((".", ","), (",", "."))
}
_NAMES = {",": "koma", ".": "titik"}


def _evidence(text: str) -> tuple[dict[str, str], dict[str, str]] | None:
    """Return (definite roles, possible roles) of ``,`` and ``.`` in one cell, or None if unreadable."""
    if _PLAIN.fullmatch(text):
        return {}, {}
    for (thousands, decimal), pattern in _BOTH.items():
        if pattern.fullmatch(text):
            return {thousands: "ribuan", decimal: "desimal"}, {}
    for sep in ",.":
        if _MANY_GROUPS[sep].fullmatch(text):
            return {sep: "ribuan"}, {}
        if _ONE_GROUP[sep].fullmatch(text):
            return {}, {sep: "ribuan"}
        if _DECIMAL[sep].fullmatch(text):
            return {sep: "desimal"}, {}
    return None


def parse_counts(
    column: pd.Series,
    *,
    source: str,
    row_numbers: Sequence[object] | pd.Series | None = None,
    whole: bool = True,
) -> pd.Series:
    r"""Read a column of counts, resolving separators from the whole column.

    The rule:

    1. Spaces (plain, no-break, thin) inside a number are thousands
       separators and are dropped: ``12 345`` is 12345.
    2. Every other cell tells what ``,`` and ``.`` may mean. Certain: a
       separator followed by several groups of three digits (``1.234.567``)
       is a thousands separator; a separator followed by anything but three
       digits (``12,5``, ``0.25``) is a decimal separator; in ``1.234,5`` the
       first is thousands and the last decimal. Ambiguous: one group of three
       (``12,345``, ``16.015``).
    3. The certain roles of the column decide the ambiguous cells. With no
       certain role, a lone group of three is a thousands separator (a
       column where every value is ``\d{1,3}(,\d{3})+`` or plain digits is
       comma-thousands; likewise with dots, the Indonesian way). A column
       whose cells give one separator both roles, or both separators one
       role, is refused: it cannot be read without guessing.
    4. With ``whole`` (counts of people), a value that is not a whole number
       after resolution (``1.234,5``; ``12,345`` in a column that also holds
       ``12,5``) is refused with its row, as is any cell that is not a
       number. Empty cells are returned as NaN for the caller to judge.

    Parameters
    ----------
    column
        The cells as read (text, or numbers when the reader already parsed them).
    source
        File name, for messages.
    row_numbers
        The row of each cell in its file (the ``baris`` column), for messages;
        positions from 1 when not given.
    whole
        Require whole numbers (counts of people). False for weights such as
        modelled people per grid point.

    Returns
    -------
    pandas.Series
        Floats, same index as ``column``; NaN where a cell was empty.

    Raises
    ------
    InputError
        Naming the file, the first offending row and the problem.
    """
    rows = list(row_numbers) if row_numbers is not None else list(range(1, len(column) + 1))
    values = np.full(len(column), np.nan)
    texts: dict[int, str] = {}
    for i, cell in enumerate(column.tolist()):
        if cell is None or (isinstance(cell, float) and np.isnan(cell)) or cell is pd.NA:
            continue
        if isinstance(cell, (bool, np.bool_)):
            raise InputError(source, f"nilai '{cell}' bukan angka", row=_row(rows, i))
        if isinstance(cell, (int, float, np.integer, np.floating)):
            values[i] = float(cell)
            continue
        text = _SPACES.sub("", str(cell).strip())
        if text:
            texts[i] = text
    certain: dict[str, dict[str, int]] = {",": {}, ".": {}}
    possible: dict[str, int] = {}
    for i, text in texts.items():
        found = _evidence(text)
        if found is None:
            raise InputError(
                source, f"nilai '{column.iloc[i]}' bukan angka yang terbaca", row=_row(rows, i)
            )
        for sep, role in found[0].items():
            certain[sep].setdefault(role, i)
        for sep in found[1]:
            possible.setdefault(sep, i)
    roles = _resolve(certain, possible, column=column, rows=rows, source=source)
    for i, text in texts.items():
        if roles.get(",") == "ribuan":
            text = text.replace(",", "")
        if roles.get(".") == "ribuan":
            text = text.replace(".", "")
        values[i] = float(text.replace(",", "."))
    if whole:
        fractional = np.isfinite(values) & (values != np.round(values))
        if fractional.any():
            i = int(np.flatnonzero(fractional)[0])
            raise InputError(
                source,
                f"jumlah '{column.iloc[i]}' bukan bilangan bulat (terbaca {values[i]:g}); "
                "jumlah penduduk harus bilangan bulat",
                row=_row(rows, i),
            )
    negative = values < 0
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        raise InputError(source, f"jumlah '{column.iloc[i]}' negatif", row=_row(rows, i))
    return pd.Series(values, index=column.index, name=column.name)


def _resolve(
    certain: dict[str, dict[str, int]],
    possible: dict[str, int],
    *,
    column: pd.Series,
    rows: list[object],
    source: str,
) -> dict[str, str]:
    """Give each separator one role for the whole column, or refuse."""
    roles: dict[str, str] = {}
    for sep, seen in certain.items():
        if len(seen) > 1:
            first, second = sorted(seen.values())
            raise InputError(
                source,
                f"{_NAMES[sep]} dipakai sebagai pemisah ribuan dan desimal dalam satu kolom "
                f"('{column.iloc[first]}' dan '{column.iloc[second]}' di baris "
                f"{_row(rows, second)}); samakan penulisan angka",
                row=_row(rows, first),
            )
        if seen:
            roles[sep] = next(iter(seen))
    for sep in possible:
        if sep in roles:
            continue
        other = "." if sep == "," else ","
        if roles.get(other) == "ribuan":
            roles[sep] = "desimal"
        elif other in roles or other not in possible:
            roles[sep] = "ribuan"
        else:
            raise InputError(
                source,
                f"koma dan titik sama-sama dipakai di antara kelompok tiga angka "
                f"('{column.iloc[possible[',']]}', '{column.iloc[possible['.']]}'): "
                "pemisah ribuan tidak bisa ditentukan",
                row=_row(rows, min(possible.values())),
            )
    if roles.get(",") == roles.get(".") and "," in roles:
        raise InputError(
            source,
            f"koma dan titik sama-sama dipakai sebagai pemisah {roles[',']}; samakan penulisan angka",
            row=_row(rows, max(min(seen.values()) for seen in certain.values() if seen)),
        )
    return roles


def _row(rows: list[object], i: int) -> int | None:
    try:
        return int(rows[i])  # type: ignore[arg-type]
    except (TypeError, ValueError, IndexError):
        return i + 1


def parse_count(value: object) -> float:
    """Read one count on its own (a lone cell: ``12,345`` and ``12.345`` are thousands).

    Tables go through :func:`parse_counts`, which reads the whole column.
    Unreadable or empty text gives NaN.

    Examples
    --------
    >>> parse_count("50.540")
    50540.0
    >>> parse_count("1 234")
    1234.0
    >>> parse_count("12,5")
    12.5
    """
    try:
        return float(parse_counts(pd.Series([value], dtype=object), source="", whole=False).iloc[0])
    except InputError:
        return np.nan
