"""Mobile signal: who lives within reach of a BTS tower, each tower with its own reach.

Reach follows the coverage definition (README "How coverage is measured")
with each tower's disc in place of a facility's: a desa's reached
population is its population × (area of the desa within the reach of any
operating tower) / (area of the desa), or, where a finer population surface
covers the desa, the weight of its points within reach. A tower reaches as
far as the farthest of its technologies (``config/data/jangkauan_bts.toml``);
per technology, only towers listing it count, with that technology's reach.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.coverage import surface_arrays, with_surface_shares
from jangkau.analysis.crs import require_metric
from jangkau.analysis.geometry import QUAD_SEGMENTS, area_share_within
from jangkau.analysis.networks import NETWORK_LONG_COLUMNS
from jangkau.clean.condition import serves
from jangkau.config.towers import ALL_TOWERS, TowerReach, service_code


def discs_fraction(
    polygons: np.ndarray,
    points: np.ndarray,
    radii: np.ndarray,
    *,
    surface: tuple | None = None,
) -> np.ndarray:
    """Return, per polygon, the share of its people within ``radii[i]`` of some ``points[i]``."""
    fraction = np.zeros(len(polygons))
    if len(points) == 0 or len(polygons) == 0:
        return fraction
    discs = shapely.buffer(points, radii, quad_segs=QUAD_SEGMENTS)
    fraction = area_share_within(polygons, discs, points)
    if surface is None:
        return fraction
    people = surface[0]
    person, tower = shapely.STRtree(points).query(
        people, predicate="dwithin", distance=float(radii.max())
    )
    inside = shapely.distance(people[person], points[tower]) <= radii[tower]
    reached = np.zeros(len(people), dtype=bool)
    reached[np.unique(person[inside])] = True
    return with_surface_shares(fraction, surface, reached)


def tower_radii(towers: pd.DataFrame, reach: TowerReach) -> tuple[np.ndarray, list[list[str]]]:
    """Return each tower's reach (m) and its technologies; none written: the default reach."""
    technologies = [
        [t.strip() for t in str(v).split(",") if t.strip() in reach.radius_m]
        for v in towers.get("teknologi", pd.Series("", index=towers.index)).fillna("")
    ]
    radii = np.array(
        [
            max((reach.radius_m[t] for t in ts), default=reach.default_radius_m)
            for ts in technologies
        ]
    )
    return radii, technologies


def tower_measures(
    desa: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    *,
    reach: TowerReach,
    surface: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Return signal reach per desa: every operating tower, then per technology present.

    Parameters
    ----------
    desa
        Polygons in a metric CRS with ``kode_desa``, ``kode_kec``, ``penduduk``.
    assets
        Point assets in the same CRS with ``jenis`` and optionally
        ``teknologi`` and ``status_operasi`` (only operating towers reach anyone).
    reach
        The reach table (:func:`jangkau.config.towers.tower_reach`).
    surface
        Optional finer population surface (points with ``kode_desa`` and ``bobot``).

    Returns
    -------
    pandas.DataFrame
        ``NETWORK_LONG_COLUMNS``, one row per desa × signal service
        (``sinyal_seluler``, ``sinyal_4g``...); ``jarak_jaringan_m`` is the
        technology's reach, NaN for ``sinyal_seluler`` (each tower its own);
        empty when there is no tower.
    """
    require_metric(desa, "desa")
    require_metric(assets, "assets")
    towers = assets[assets["jenis"].isin(reach.kinds).to_numpy() & serves(assets).to_numpy()]
    if towers.empty:
        return pd.DataFrame(columns=NETWORK_LONG_COLUMNS)
    polygons = desa.geometry.to_numpy()
    points = towers.geometry.to_numpy()
    population = desa["penduduk"].to_numpy(dtype=float)
    arrays = surface_arrays(desa, surface)
    radii, technologies = tower_radii(towers, reach)
    services = [(ALL_TOWERS, np.ones(len(towers), dtype=bool), radii, np.nan)]
    for tech, radius in reach.radius_m.items():
        listed = np.array([tech in ts for ts in technologies])
        if listed.any():
            services.append((service_code(tech), listed, np.full(len(towers), radius), radius))
    frames = []
    for code, chosen, own_radii, distance in services:
        fraction = discs_fraction(polygons, points[chosen], own_radii[chosen], surface=arrays)
        frames.append(
            pd.DataFrame(
                {
                    "kode_desa": desa["kode_desa"].to_numpy(),
                    "kode_kec": desa["kode_kec"].to_numpy(),
                    "layanan": code,
                    "jarak_jaringan_m": distance,
                    "penduduk": population,
                    "luas_km2": shapely.area(polygons) / 1e6,
                    "panjang_km": 0.0,
                    "penduduk_terjangkau": population * fraction,
                    "terjangkau": fraction,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[NETWORK_LONG_COLUMNS]


def tower_columns(long: pd.DataFrame, key: str) -> pd.DataFrame:
    """Return per ``key`` the ``terjangkau_<sinyal>`` columns of :func:`tower_measures`."""
    if long.empty:
        return pd.DataFrame()
    return pd.DataFrame(
        {
            f"terjangkau_{service}": group.set_index(key)["terjangkau"]
            for service, group in long.groupby("layanan", sort=False)
        }
    )


def tower_service_rows(assets: pd.DataFrame, reach: TowerReach) -> pd.DataFrame:
    """Return ``layanan`` table rows for the signal services: reach, its source, the guesses made."""
    towers = assets[assets["jenis"].isin(reach.kinds).to_numpy()]
    if towers.empty:
        return pd.DataFrame()
    _, technologies = tower_radii(towers, reach)
    unknown = sum(1 for ts in technologies if not ts)
    default = (
        f"; {unknown} menara tanpa teknologi tertulis: {reach.default_radius_m:.0f} m "
        f"({reach.default_source})"
        if unknown
        else ""
    )
    reaches = ", ".join(f"{t} {r:.0f} m" for t, r in reach.radius_m.items())
    rows = [
        {
            "layanan": ALL_TOWERS,
            "nama": "Sinyal seluler (semua menara BTS)",
            "jarak_jaringan_m": np.nan,
            "sumber_jarak_jaringan": f"Jangkauan tiap menara menurut teknologinya ({reaches})"
            + default,
        }
    ]
    present = {t for ts in technologies for t in ts}
    for tech, radius in reach.radius_m.items():
        if tech in present:
            rows.append(
                {
                    "layanan": service_code(tech),
                    "nama": f"Sinyal {tech} (menara BTS {tech})",
                    "jarak_jaringan_m": radius,
                    "sumber_jarak_jaringan": reach.sources[tech],
                }
            )
    return pd.DataFrame(rows)
