"""Which kecamatan need attention first, and how far that answer depends on the weights.

- :func:`urgency_index`: per kecamatan, the weighted mean of its services'
  gap indices (``indeks_kesenjangan`` of the ``kesenjangan`` table), with
  each service's ``bobot_indeks`` from ``layanan.toml`` (source or rationale
  beside each weight; a region may override them). Services planned per
  kabupaten have no kecamatan index and take no part.
- :func:`most_urgent_service`: per kecamatan, the service whose weighted
  index is highest.
- :func:`weight_sensitivity`: the five most urgent kecamatan with every
  service's weight moved by ±50 %, one service at a time, against those with
  the weights as given.
- :func:`kabupaten_table`: every service judged for the whole kabupaten —
  coverage, count against need, gap index, rank among the kabupaten of the
  run; the only judgement for services planned per kabupaten.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jangkau.analysis.gaps import combine_index

KABUPATEN_COLUMNS = [
    "kode_kab",
    "layanan",
    "tingkat",
    "penduduk",
    "penduduk_terlayani",
    "cakupan",
    "jumlah_fasilitas",
    "tanpa_koordinat",
    "kebutuhan",
    "kekurangan",
    "indeks_kesenjangan",
    "peringkat",
    "jumlah_peringkat",
]
SENSITIVITY_COLUMNS = [
    "layanan",
    "faktor_bobot",
    "lima_teratas",
    "sama_dengan_dasar",
    "urutan_sama",
]


def _weights(catalogue: pd.DataFrame, changed: dict[str, float] | None = None) -> pd.Series:
    weights = catalogue.set_index("layanan")["bobot_indeks"].astype(float)
    for service, factor in (changed or {}).items():
        weights[service] = weights[service] * factor
    return weights


def urgency_index(
    gaps: pd.DataFrame, catalogue: pd.DataFrame, *, factors: dict[str, float] | None = None
) -> pd.Series:
    """Return each kecamatan's urgency (0–100), indexed by ``kode_kec``.

    Parameters
    ----------
    gaps
        The ``kesenjangan`` table.
    catalogue
        Services with ``bobot_indeks``.
    factors
        Optional multipliers of some services' weights (for sensitivity).
    """
    weight = gaps["layanan"].map(_weights(catalogue, factors)).astype(float)
    scored = gaps["indeks_kesenjangan"].notna() & (weight > 0)
    frame = pd.DataFrame(
        {
            "kode_kec": gaps.loc[scored, "kode_kec"],
            "weighted": gaps.loc[scored, "indeks_kesenjangan"] * weight[scored],
            "weight": weight[scored],
        }
    )
    totals = frame.groupby("kode_kec")[["weighted", "weight"]].sum()
    index = (totals["weighted"] / totals["weight"]).round(2)
    return index.reindex(gaps["kode_kec"].unique())


def most_urgent_service(gaps: pd.DataFrame, catalogue: pd.DataFrame) -> pd.Series:
    """Return, per kecamatan, the service with the highest weighted gap index (ties: catalogue order)."""
    order = {code: i for i, code in enumerate(catalogue["layanan"])}
    weight = gaps["layanan"].map(_weights(catalogue)).astype(float)
    scored = gaps.assign(
        _nilai=gaps["indeks_kesenjangan"] * weight, _urut=gaps["layanan"].map(order)
    ).dropna(subset=["_nilai"])
    scored = scored[scored["_nilai"] > 0]
    first = scored.sort_values(["kode_kec", "_nilai", "_urut"], ascending=[True, False, True])
    return first.groupby("kode_kec")["layanan"].first()


def _top(index: pd.Series, n: int) -> list[str]:
    # Highest index first, ties by code (the pairs are distinct: the order is total).
    ranked = sorted((-value, code) for code, value in index.dropna().items())
    return [code for _, code in ranked[:n]]


def weight_sensitivity(
    gaps: pd.DataFrame,
    catalogue: pd.DataFrame,
    *,
    top: int = 5,
    factors: tuple[float, ...] = (0.5, 1.5),
) -> pd.DataFrame:
    """Return how the ``top`` most urgent kecamatan change when one service's weight moves.

    One row per service with an index × factor, plus a first row with the
    weights as given (``layanan`` empty, factor 1). ``sama_dengan_dasar`` is
    how many of the base top kecamatan stay in the top; ``urutan_sama``
    whether the order is the same too.
    """
    base = _top(urgency_index(gaps, catalogue), top)
    rows = [
        {
            "layanan": "",
            "faktor_bobot": 1.0,
            "lima_teratas": ", ".join(base),
            "sama_dengan_dasar": len(base),
            "urutan_sama": True,
        }
    ]
    scored = set(gaps.loc[gaps["indeks_kesenjangan"].notna(), "layanan"])
    changes = [
        (service, factor)
        for service in catalogue["layanan"]
        if service in scored
        for factor in factors
    ]
    for (service, factor), index in zip(
        changes, _indices_with_factors(gaps, catalogue, changes), strict=True
    ):
        moved = _top(index, top)
        rows.append(
            {
                "layanan": service,
                "faktor_bobot": factor,
                "lima_teratas": ", ".join(moved),
                "sama_dengan_dasar": len(set(moved) & set(base)),
                "urutan_sama": moved == base,
            }
        )
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)


def _indices_with_factors(
    gaps: pd.DataFrame, catalogue: pd.DataFrame, changes: list[tuple[str, float]]
) -> list[pd.Series]:
    """Return :func:`urgency_index` with each (service, factor) change, from one grouping.

    The same sums as one :func:`urgency_index` call per change (each column is
    summed on its own, over the same rows in the same order; rows a change
    does not score are left empty, which a sum skips), at the cost of one.
    """
    services = gaps["layanan"].to_numpy()
    gap_index = gaps["indeks_kesenjangan"].astype(float).to_numpy()
    given = gaps["layanan"].map(_weights(catalogue)).astype(float).to_numpy()
    weights = _weights(catalogue)
    columns = {}
    for k, (service, factor) in enumerate(changes):
        weight = np.where(services == service, weights[service] * factor, given)
        scored = ~np.isnan(gap_index) & (weight > 0)
        columns[f"weighted{k}"] = np.where(scored, gap_index * weight, np.nan)
        columns[f"weight{k}"] = np.where(scored, weight, np.nan)
    totals = pd.DataFrame({"kode_kec": gaps["kode_kec"], **columns}).groupby("kode_kec").sum()
    order = gaps["kode_kec"].unique()
    return [
        (totals[f"weighted{k}"] / totals[f"weight{k}"]).round(2).reindex(order)
        for k in range(len(changes))
    ]


def kabupaten_only_counts(unlocated: pd.DataFrame | None) -> pd.Series:
    """Return facilities counted for a kabupaten but no kecamatan, per (``kode_kab``, ``layanan``)."""
    if unlocated is None or unlocated.empty:
        return pd.Series(dtype="int64")
    rows = unlocated[unlocated["dihitung"].astype(bool) & unlocated["kode_kec"].isna()]
    return rows.groupby(["kode_kab", "layanan"]).size()


def kabupaten_table(
    gaps: pd.DataFrame,
    catalogue: pd.DataFrame,
    *,
    kabupaten: pd.Series,
    weights: dict[str, float],
    unlocated: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return one row per kabupaten × service (``KABUPATEN_COLUMNS``).

    Parameters
    ----------
    gaps
        The ``kesenjangan`` table.
    catalogue
        Services and their standards.
    kabupaten
        The kabupaten code of each ``kode_kec`` (index).
    weights
        Gap index weights (``bobot_tak_terjangkau``, ``bobot_kekurangan``).
    unlocated
        Facilities counted without a location (``kode_kab``, ``kode_kec``,
        ``layanan``): those counted for a kecamatan are already in ``gaps``;
        those counted for the kabupaten only (``kode_kec`` empty, e.g. a
        roster row of a hospital) are added here, to ``jumlah_fasilitas``
        and ``tanpa_koordinat``.

    Notes
    -----
    For services planned per kabupaten, ``kebutuhan`` is
    ceil(penduduk / penduduk_per_fasilitas) for the whole kabupaten (empty
    without a population norm); for the others it is the sum of the
    kecamatan needs, and ``kekurangan`` the sum of their shortfalls (a
    surplus in one kecamatan does not make up for a shortfall in another;
    facilities counted for the kabupaten only make up for none either).
    """
    frame = gaps.assign(kode_kab=gaps["kode_kec"].map(kabupaten))
    if "tanpa_koordinat" not in frame:
        frame["tanpa_koordinat"] = 0
    frame["_kebutuhan"] = frame["kebutuhan"].astype("Float64")
    frame["_kekurangan"] = frame["kekurangan"].astype("Float64")
    table = frame.groupby(["kode_kab", "layanan"], sort=False).agg(
        penduduk=("penduduk", "sum"),
        penduduk_terlayani=("penduduk_terlayani", lambda s: s.sum(min_count=1)),
        jumlah_fasilitas=("jumlah_fasilitas", "sum"),
        tanpa_koordinat=("tanpa_koordinat", "sum"),
        kebutuhan=("_kebutuhan", lambda s: s.sum(min_count=1)),
        kekurangan=("_kekurangan", lambda s: s.sum(min_count=1)),
    )
    table = table.reset_index()
    extra = kabupaten_only_counts(unlocated)
    added = pd.MultiIndex.from_frame(table[["kode_kab", "layanan"]]).map(
        lambda key: extra.get(key, 0)
    )
    table["jumlah_fasilitas"] = table["jumlah_fasilitas"] + added.to_numpy(dtype="int64")
    table["tanpa_koordinat"] = table["tanpa_koordinat"] + added.to_numpy(dtype="int64")
    standards = catalogue.set_index("layanan")
    table["tingkat"] = table["layanan"].map(standards["tingkat_perencanaan"])
    by_kabupaten = (table["tingkat"] == "kabupaten").to_numpy()
    norm = table["layanan"].map(standards["penduduk_per_fasilitas"]).astype(float)
    need = np.where(
        norm.notna() & (table["penduduk"] > 0), np.ceil(table["penduduk"] / norm), np.nan
    )
    need = np.where(norm.notna() & (table["penduduk"] <= 0), 0.0, need)
    table.loc[by_kabupaten, "kebutuhan"] = need[by_kabupaten]
    table.loc[by_kabupaten, "kekurangan"] = np.maximum(
        0.0, need[by_kabupaten] - table.loc[by_kabupaten, "jumlah_fasilitas"]
    )
    table["cakupan"] = np.where(
        (table["penduduk"] > 0) & table["penduduk_terlayani"].notna(),
        table["penduduk_terlayani"].astype(float) / table["penduduk"].where(table["penduduk"] > 0),
        np.nan,
    )
    kebutuhan = table["kebutuhan"].astype(float)
    shortfall_share = pd.Series(
        np.where(kebutuhan > 0, table["kekurangan"].astype(float) / kebutuhan, np.nan),
        index=table.index,
    )
    shortfall_share[(kebutuhan == 0).fillna(False)] = 0.0
    table["indeks_kesenjangan"] = combine_index(
        1 - table["cakupan"], shortfall_share, weights=weights
    )
    for column in ("kebutuhan", "kekurangan"):
        table[column] = table[column].astype(float).round().astype("Int64")
    ranked = table.dropna(subset=["indeks_kesenjangan"]).sort_values(
        ["layanan", "indeks_kesenjangan", "kode_kab"], ascending=[True, False, True]
    )
    table["peringkat"] = pd.Series(pd.NA, index=table.index, dtype="Int64")
    table.loc[ranked.index, "peringkat"] = ranked.groupby("layanan").cumcount().to_numpy() + 1
    table["jumlah_peringkat"] = (
        table.groupby("layanan")["peringkat"].transform("count").astype("Int64")
    ).where(table["peringkat"].notna())
    return table[KABUPATEN_COLUMNS]
