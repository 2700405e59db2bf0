"""Measure each kecamatan and desa against the service standards: the gap table.

Per kecamatan × service (see ``layanan.toml`` for the standards and the
index weights):

- ``jumlah_fasilitas``: facilities of the service in the kecamatan: placed
  points, plus ``tanpa_koordinat``: facilities known without a usable
  location that their record counts here (rejected only for their
  coordinates, or an unmatched roster row; :mod:`jangkau.clean.rosters`).
  Coverage uses placed points only; counts and shortfalls use both.
- ``kebutuhan``: facilities the standards require: ceil(penduduk /
  penduduk_per_fasilitas), raised to the regulatory minimum (one per
  kecamatan, or one per desa/kelurahan in it); empty when neither applies.
- ``kekurangan``: max(0, kebutuhan − jumlah_fasilitas).
- ``desa_tanpa_layanan``: desa with zero coverage (distance services) or
  with no facility where a per-desa minimum applies; empty when neither applies.
- ``memenuhi_minimum``: no shortfall, and no desa without a facility where a
  per-desa minimum applies; empty when no count standard applies.
- ``indeks_kesenjangan``: 0–100, higher is worse: 100 × (w_u × (1 − cakupan)
  + w_k × kekurangan / kebutuhan), or the one term that applies alone.
- ``peringkat`` of ``jumlah_peringkat``: 1 = most urgent kecamatan for that
  service (highest index; ties broken by more people out of reach).
- ``catatan``: facilities whose location is doubted (``lokasi_diragukan``,
  :mod:`jangkau.clean.place_evidence`): they count where their point lies,
  and both that kecamatan's row and the row of the kecamatan their text
  names say so, so that no coverage figure is read without the warning.
- ``tingkat``: the service's planning level. Services planned per kabupaten
  (``tingkat_perencanaan = "kabupaten"``) show their coverage per kecamatan
  but are judged in :func:`jangkau.analysis.urgency.kabupaten_table`: their
  need, shortfall, index and rank stay empty here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jangkau.analysis.coverage import coverage_by_kecamatan
from jangkau.config.catalogue import has_distance_standard

GAP_COLUMNS = [
    "kode_kec",
    "kecamatan",
    "layanan",
    "jumlah_fasilitas",
    "tanpa_koordinat",
    "penduduk",
    "penduduk_terlayani",
    "cakupan",
    "kebutuhan",
    "kekurangan",
    "desa_tanpa_layanan",
    "memenuhi_minimum",
    "indeks_kesenjangan",
    "peringkat",
    "jumlah_peringkat",
    "tingkat",
    "catatan",
]


def facility_counts(
    facilities: pd.DataFrame, keys: pd.Series, services: list[str], *, by: str
) -> pd.DataFrame:
    """Count facilities per unit (``by``: ``kode_kec`` or ``kode_desa``) × service, zero where none."""
    counts = (
        facilities.groupby([by, "layanan"]).size().rename("jumlah_fasilitas")
        if len(facilities)
        else pd.Series(dtype="int64", name="jumlah_fasilitas")
    )
    grid = pd.MultiIndex.from_product([keys.tolist(), services], names=[by, "layanan"])
    return counts.reindex(grid, fill_value=0).astype("int64").reset_index()


def counted_without_location(unlocated: pd.DataFrame | None) -> pd.DataFrame:
    """Return the counted rows of a ``tanpa_koordinat`` table (none when absent)."""
    columns = ["layanan", "kode_kab", "kode_kec", "kode_desa"]
    if unlocated is None or unlocated.empty:
        return pd.DataFrame(columns=columns)
    if "dihitung" in unlocated:
        unlocated = unlocated[unlocated["dihitung"].astype(bool)]
    return unlocated.reindex(columns=columns)


def with_unlocated(facilities: pd.DataFrame, unlocated: pd.DataFrame) -> pd.DataFrame:
    """Return the facilities' count columns with the counted unlocated rows appended."""
    columns = ["layanan", "kode_kec", "kode_desa"]
    frames = [pd.DataFrame(facilities).reindex(columns=columns)]
    if len(unlocated):
        frames.append(unlocated.reindex(columns=columns))
    return pd.concat(frames, ignore_index=True)


def counts_with_unlocated(
    facilities: pd.DataFrame,
    unlocated: pd.DataFrame | None,
    codes: pd.Series,
    services: list[str],
    *,
    by: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return counts per area × service with ``tanpa_koordinat``, and every facility counted.

    ``jumlah_fasilitas`` counts placed facilities and those counted without a
    location whose record names the area (column ``by``); ``tanpa_koordinat``
    counts the latter alone. The second frame is the placed facilities with
    the counted unlocated rows appended.
    """
    unlocated = counted_without_location(unlocated)
    everything = with_unlocated(facilities, unlocated)
    table = facility_counts(everything, codes, services, by=by)
    table["tanpa_koordinat"] = facility_counts(
        unlocated.dropna(subset=[by]), codes, services, by=by
    )["jumlah_fasilitas"].to_numpy()
    return table, everything


def combine_index(
    uncovered: pd.Series, shortfall: pd.Series, *, weights: dict[str, float]
) -> pd.Series:
    """Combine the uncovered share and the shortfall share (both 0–1, NaN where absent) into 0–100."""
    w_u, w_k = weights["bobot_tak_terjangkau"], weights["bobot_kekurangan"]
    both = uncovered.notna() & shortfall.notna()
    index = pd.Series(np.nan, index=uncovered.index)
    index[both] = 100 * (w_u * uncovered[both] + w_k * shortfall[both]) / (w_u + w_k)
    index[uncovered.notna() & ~both] = 100 * uncovered[uncovered.notna() & ~both]
    index[shortfall.notna() & ~both] = 100 * shortfall[shortfall.notna() & ~both]
    return index.round(2)


def gap_table(
    kecamatan: pd.DataFrame,
    desa: pd.DataFrame,
    desa_coverage: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    catalogue: pd.DataFrame,
    weights: dict[str, float],
    unlocated: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return one row per kecamatan × catalogue service (``GAP_COLUMNS``).

    Parameters
    ----------
    kecamatan
        ``kode_kec``, ``kecamatan``.
    desa
        ``kode_desa``, ``kode_kec``, ``penduduk``.
    desa_coverage
        Long coverage per desa × distance service (:func:`jangkau.coverage.coverage_by_desa`).
    facilities
        Placed assets with ``kode_desa``, ``kode_kec``, ``layanan``.
    catalogue
        Services and their standards.
    weights
        Gap index weights (:func:`jangkau.config.catalogue.index_weights`).
    unlocated
        Facilities counted without a location (``layanan``, ``kode_kec``,
        ``kode_desa`` may be empty); rows without ``kode_kec`` count for the
        kabupaten only (:func:`jangkau.analysis.urgency.kabupaten_table`).
    """
    services = catalogue["layanan"].tolist()
    table, everything = counts_with_unlocated(
        facilities, unlocated, kecamatan["kode_kec"], services, by="kode_kec"
    )
    population = desa.groupby("kode_kec")["penduduk"].sum()
    table["penduduk"] = table["kode_kec"].map(population).fillna(0).astype("int64")
    covered = coverage_by_kecamatan(desa_coverage).set_index(["kode_kec", "layanan"])
    index = pd.MultiIndex.from_frame(table[["kode_kec", "layanan"]])
    table["penduduk_terlayani"] = np.round(
        covered["penduduk_terlayani"].reindex(index).to_numpy(), 1
    )
    table["cakupan"] = covered["cakupan"].reindex(index).to_numpy()
    table["kecamatan"] = table["kode_kec"].map(kecamatan.set_index("kode_kec")["kecamatan"])

    table = table.join(
        _required_counts(table, desa, desa_coverage, everything, catalogue=catalogue)
    )

    uncovered = 1 - table["cakupan"]
    shortfall_share = pd.Series(
        np.where(
            table["kebutuhan"].fillna(0).to_numpy() > 0,
            table["kekurangan"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            / table["kebutuhan"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
            np.where(table["kebutuhan"].isna(), np.nan, 0.0),
        ),
        index=table.index,
    )
    table["indeks_kesenjangan"] = combine_index(uncovered, shortfall_share, weights=weights)
    # Services planned per kabupaten (hospitals, fire posts) are judged in the
    # kabupaten table; per kecamatan they show coverage only.
    level = table["layanan"].map(catalogue.set_index("layanan")["tingkat_perencanaan"])
    table["tingkat"] = level.to_numpy()
    by_kabupaten = (level == "kabupaten").to_numpy()
    for column in ("kebutuhan", "kekurangan"):
        table.loc[by_kabupaten, column] = pd.NA
    table.loc[by_kabupaten, "memenuhi_minimum"] = pd.NA
    table.loc[by_kabupaten, "indeks_kesenjangan"] = np.nan
    table["catatan"] = doubt_notes(table, facilities)
    table["peringkat"] = rank_within_service(table)
    table["jumlah_peringkat"] = (
        table.groupby("layanan")["peringkat"]
        .transform("count")
        .astype("Int64")
        .where(table["peringkat"].notna())
    )
    return table[GAP_COLUMNS]


def doubt_notes(table: pd.DataFrame, facilities: pd.DataFrame) -> pd.Series:
    """Return per kecamatan × service row the warning about doubted facilities (``""`` when none).

    ``facilities`` may carry ``lokasi_diragukan`` and ``tempat_tertulis`` (the
    kecamatan codes the text names, ``,``-joined); without them no row gets a note.
    """
    notes = pd.Series("", index=table.index, dtype=object)
    if "lokasi_diragukan" not in facilities or "tempat_tertulis" not in facilities:
        return notes
    doubted = facilities[facilities["lokasi_diragukan"].fillna(False).astype(bool)]
    names = table.groupby("kode_kec")["kecamatan"].first()
    here: dict[tuple[str, str], list[str]] = {}
    named_here: dict[tuple[str, str], list[str]] = {}
    for row in doubted.itertuples(index=False):
        named = [c for c in str(row.tempat_tertulis or "").split(",") if c and c != row.kode_kec]
        said = ", ".join(f"Kec. {names.get(c, c)}" for c in named) or "tempat lain"
        here.setdefault((row.kode_kec, row.layanan), []).append(
            f"{row.nama} (teks menyebut {said})"
        )
        for code in named:
            named_here.setdefault((code, row.layanan), []).append(
                f"{row.nama} (titik di Kec. {names.get(row.kode_kec, row.kode_kec)})"
            )
    rows = []
    for key in zip(table["kode_kec"].tolist(), table["layanan"].tolist(), strict=True):
        parts = []
        if key in named_here:
            listed = named_here[key]
            parts.append(
                f"{len(listed)} fasilitas yang teksnya menyebut kecamatan ini berlokasi diragukan "
                f"dan tidak dihitung di sini: {', '.join(listed)}"
            )
        if key in here:
            listed = here[key]
            parts.append(
                f"termasuk {len(listed)} fasilitas berlokasi diragukan: {', '.join(listed)}"
            )
        rows.append("; ".join(parts))
    return pd.Series(rows, index=table.index, dtype=object)


def _required_counts(
    table: pd.DataFrame,
    desa: pd.DataFrame,
    desa_coverage: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    catalogue: pd.DataFrame,
) -> pd.DataFrame:
    """Return ``kebutuhan``, ``kekurangan``, ``desa_tanpa_layanan`` and ``memenuhi_minimum``.

    One row per row of ``table`` (kecamatan × service, with ``penduduk`` and
    ``jumlah_fasilitas``), on the same index.
    """
    services = catalogue["layanan"].tolist()
    standards = catalogue.set_index("layanan")
    desa_count = desa.groupby("kode_kec").size()
    per_desa = facility_counts(facilities, desa["kode_desa"], services, by="kode_desa")
    per_desa["kode_kec"] = per_desa["kode_desa"].map(desa.set_index("kode_desa")["kode_kec"])
    without_facility = (
        per_desa[per_desa["jumlah_fasilitas"] == 0].groupby(["kode_kec", "layanan"]).size()
    )
    zero_keys = set(
        map(
            tuple,
            desa_coverage.loc[
                desa_coverage["cakupan"] <= 1e-9, ["kode_desa", "layanan"]
            ].to_numpy(),
        )
    )
    missing_keys = set(
        map(
            tuple,
            per_desa.loc[per_desa["jumlah_fasilitas"] == 0, ["kode_desa", "layanan"]].to_numpy(),
        )
    )
    desa_of = desa.groupby("kode_kec")["kode_desa"].apply(list).to_dict()
    distance = dict(zip(catalogue["layanan"], has_distance_standard(catalogue), strict=True))

    # Plain dicts and lists: a pandas lookup per kecamatan × service row was most of the time.
    norms = dict(zip(services, standards["penduduk_per_fasilitas"].tolist(), strict=True))
    minima = dict(zip(services, standards["minimum_per"].tolist(), strict=True))
    desa_counts = desa_count.to_dict()
    lacking_facility = without_facility.to_dict()
    columns = [table[c].tolist() for c in ("kode_kec", "layanan", "penduduk", "jumlah_fasilitas")]
    need, short, lacking, meets = [], [], [], []
    for kode_kec, layanan, penduduk, jumlah_fasilitas in zip(*columns, strict=True):
        norm = norms[layanan]
        minimum_per = minima[layanan]
        has_distance = distance[layanan]
        required = np.nan
        if pd.notna(norm):
            required = float(np.ceil(penduduk / norm)) if penduduk > 0 else 0.0
        if minimum_per == "kecamatan":
            required = max(0.0 if np.isnan(required) else required, 1.0)
        elif minimum_per == "desa":
            required = max(
                0.0 if np.isnan(required) else required, float(desa_counts.get(kode_kec, 0))
            )
        need.append(required)
        short.append(np.nan if np.isnan(required) else max(0.0, required - jumlah_fasilitas))
        if has_distance or minimum_per == "desa":
            failing = {
                d
                for d in desa_of.get(kode_kec, [])
                if (has_distance and (d, layanan) in zero_keys)
                or (minimum_per == "desa" and (d, layanan) in missing_keys)
            }
            lacking.append(float(len(failing)))
        else:
            lacking.append(np.nan)
        if np.isnan(required):
            meets.append(pd.NA)
        else:
            per_desa_ok = minimum_per != "desa" or lacking_facility.get((kode_kec, layanan), 0) == 0
            meets.append(bool(jumlah_fasilitas >= required and per_desa_ok))

    def whole(values: list[float]) -> pd.Series:
        return pd.Series(values, index=table.index, dtype=float).round().astype("Int64")

    return pd.DataFrame(
        {
            "kebutuhan": whole(need),
            "kekurangan": whole(short),
            "desa_tanpa_layanan": whole(lacking),
            "memenuhi_minimum": pd.Series(meets, index=table.index, dtype="boolean"),
        }
    )


def rank_within_service(table: pd.DataFrame) -> pd.Series:
    """Rank kecamatan per service: 1 = highest gap index, ties by more people out of reach."""
    out_of_reach = (
        table["penduduk"] - table["penduduk_terlayani"].fillna(table["penduduk"])
    ).astype(float)
    ranks = pd.Series(pd.NA, index=table.index, dtype="Int64")
    scored = table.loc[
        table["indeks_kesenjangan"].notna(), ["layanan", "indeks_kesenjangan", "kode_kec"]
    ]
    order = scored.assign(_tak=out_of_reach[scored.index]).sort_values(
        ["layanan", "indeks_kesenjangan", "_tak", "kode_kec"],
        ascending=[True, False, False, True],
        kind="stable",
    )
    ranks[order.index] = order.groupby("layanan", sort=False).cumcount().to_numpy() + 1
    return ranks


def overall_index(gaps: pd.DataFrame) -> pd.Series:
    """Return each kecamatan's overall gap index: the mean over services that have one."""
    return gaps.groupby("kode_kec")["indeks_kesenjangan"].mean().round(2)


def desa_index(
    desa: pd.DataFrame,
    desa_coverage: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    catalogue: pd.DataFrame,
    weights: dict[str, float],
    unlocated: pd.DataFrame | None = None,
) -> pd.Series:
    """Return each desa's overall gap index (0–100), indexed by ``kode_desa``.

    Per service: the uncovered share 1 − cakupan (distance services) and, where
    one facility per desa is the minimum, a shortfall share of 1 when the desa
    has none (placed or counted without location, ``unlocated``) and 0
    otherwise; combined as in the kecamatan index and averaged.
    """
    services = catalogue["layanan"].tolist()
    everything = with_unlocated(facilities, counted_without_location(unlocated))
    counts = facility_counts(everything, desa["kode_desa"], services, by="kode_desa")
    counts = counts.set_index(["kode_desa", "layanan"])["jumlah_fasilitas"]
    coverage = desa_coverage.set_index(["kode_desa", "layanan"])["cakupan"]
    per_desa_minimum = set(catalogue.loc[catalogue["minimum_per"] == "desa", "layanan"])
    grid = pd.MultiIndex.from_product(
        [desa["kode_desa"].tolist(), services], names=["kode_desa", "layanan"]
    )
    uncovered = (1 - coverage.reindex(grid)).reset_index(drop=True)
    has_minimum = grid.get_level_values("layanan").isin(per_desa_minimum)
    shortfall = pd.Series(
        np.where(has_minimum, (counts.reindex(grid).to_numpy() == 0).astype(float), np.nan)
    )
    index = combine_index(uncovered, shortfall, weights=weights)
    return pd.Series(index.to_numpy(), index=grid).groupby(level="kode_desa").mean().round(2)
