"""Services the run has no data for: no asset of the kind anywhere in the region.

A service with no facility in any input (no file of that kind, or files
without that kind) cannot be measured: its coverage is not zero but unknown,
and so are its shortfall, index and rank (the need, from the population and
the standard, stays). Their figures are left empty and
the gap table's ``catatan`` says why (README "How coverage is measured"),
so that a planner never reads an empty input as "nobody is covered".

A service whose facilities exist but are all out of service (the ``kondisi``
of the records, or the live status) is measured: its zero is a real zero.
"""

from __future__ import annotations

import pandas as pd

from jangkau.analysis.gaps import counted_without_location
from jangkau.config.labels import labels

# What stays measurable with no facility of the service: the people, the need the standard
# sets from them, the count of records received (zero).
GAP_COLUMNS_WITHOUT_DATA = [
    "penduduk_terlayani",
    "cakupan",
    "kekurangan",
    "desa_tanpa_layanan",
    "memenuhi_minimum",
    "indeks_kesenjangan",
    "peringkat",
    "jumlah_peringkat",
]


def note_without_data() -> str:
    """Return the note a row of a service without data carries (label.toml ``[data]``)."""
    return str(labels()["data"]["catatan_tanpa_data"])


def services_without_data(
    assets: pd.DataFrame, unlocated: pd.DataFrame | None, services: list[str]
) -> list[str]:
    """Return the services (in the order given) with no facility anywhere in the region.

    Parameters
    ----------
    assets
        Every placed asset of the run (``layanan``), whatever its condition or
        live status: an asset out of service is still data.
    unlocated
        Facilities counted without a location (``layanan``, ``dihitung``), or None.
    services
        The services to check.
    """
    # unique first: iterating 40,000 Arrow-backed texts one by one is slow.
    known = set(assets["layanan"].dropna().unique()) | set(
        counted_without_location(unlocated)["layanan"].dropna().unique()
    )
    return [service for service in services if service not in known]


def without_data(
    table: pd.DataFrame,
    services: list[str],
    *,
    columns: list[str],
    note_column: str | None = None,
) -> pd.DataFrame:
    """Return ``table`` with ``columns`` emptied on the rows of ``services`` (column ``layanan``).

    ``note_column``, when given, gets the note of :func:`note_without_data`
    in front of what it held.
    """
    out = table.copy()
    rows = out["layanan"].isin(services).to_numpy()
    if not rows.any():
        return out
    for column in columns:
        if column not in out:
            continue
        if pd.api.types.is_integer_dtype(out[column]) and not pd.api.types.is_extension_array_dtype(
            out[column]
        ):
            out[column] = out[column].astype("Int64")
        elif pd.api.types.is_bool_dtype(out[column]) and out[column].dtype == bool:
            out[column] = out[column].astype("boolean")
        out.loc[rows, column] = pd.NA if out[column].dtype.kind not in "f" else float("nan")
    if note_column is not None:
        before = out.loc[rows, note_column].fillna("").astype(str)
        note = note_without_data()
        out.loc[rows, note_column] = [f"{note}; {b}" if b else note for b in before]
    return out


def services_marked_without_data(gaps: pd.DataFrame) -> list[str]:
    """Return the services whose gap-table rows carry the note of :func:`without_data`."""
    if "catatan" not in gaps or gaps.empty:
        return []
    marked = gaps["catatan"].fillna("").astype(str).str.startswith(note_without_data())
    return list(dict.fromkeys(gaps.loc[marked.to_numpy(), "layanan"]))
