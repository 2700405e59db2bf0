"""Decide the CRS of a vector file that declares none, from where its coordinates fall.

Offices send shapefiles without their ``.prj`` every week. The numbers
themselves say much: degrees stay within ±180/±90, metres do not. Which
projection the metres belong to is decided by the region: every CRS in
``config/data/crs_indonesia.toml`` (WGS 84 and DGN95 degrees, UTM zones
48–54 south and north, the DGN95 TM-3 zones) is tried, and the one that puts
the most points inside the region outline (within a tolerance) wins.

Ties. Two candidates *fit equally* when they put exactly the same number of
points inside. Candidates that place every point within ``setara_m`` (1 m)
of each other are one answer (WGS 84 and DGN95 degrees), and the earlier in
the list is taken. Two or more different answers that fit equally stop the
run: choosing would be a guess. A boundary layer has no region to compare
against; it is judged against Indonesia's extent, which tells degrees from
metres but rarely one UTM zone from the next, so metres there usually stop
the run with the candidates named.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from jangkau.analysis.crs import utm_at_centre
from jangkau.errors import InputError

# Points judged per file: enough to tell candidates apart, few enough to stay fast.
SAMPLE_POINTS = 2000
DEGREE_LIMIT = 180.0
ADVICE = "isi 'crs' di berkas wilayah"


@dataclass(frozen=True)
class Candidates:
    """The CRSs tried, in order of preference, and the settings that judge them."""

    epsg: list[int]
    equivalent_m: float
    indonesia: tuple[float, float, float, float]


def load_candidates() -> Candidates:
    """Read the candidate CRSs and Indonesia's extent from ``crs_indonesia.toml``."""
    text = (
        resources.files("jangkau.config")
        .joinpath("data", "crs_indonesia.toml")
        .read_text(encoding="utf-8")
    )
    table = tomllib.loads(text)
    codes: list[int] = []
    for group in table["kelompok"]:
        if "epsg" in group:
            codes.extend(int(c) for c in group["epsg"])
        else:
            codes.extend(range(int(group["epsg_dari"]), int(group["epsg_sampai"]) + 1))
    box = table["wilayah_indonesia"]
    return Candidates(
        epsg=codes,
        equivalent_m=float(table["setara_m"]),
        indonesia=(box["barat"], box["selatan"], box["timur"], box["utara"]),
    )


def _sample_xy(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return x, y of one point per feature (on its surface), evenly thinned to the sample size."""
    values = frame.geometry.to_numpy()
    keep = ~(shapely.is_missing(values) | shapely.is_empty(values))
    points = shapely.point_on_surface(values[keep])
    if len(points) > SAMPLE_POINTS:
        points = points[np.linspace(0, len(points) - 1, SAMPLE_POINTS).astype(int)]
    return shapely.get_x(points), shapely.get_y(points)


def _plausible_codes(x: np.ndarray, y: np.ndarray, candidates: Candidates) -> list[int]:
    """Keep geographic candidates for degrees, projected ones for metres."""
    degrees = bool(np.all(np.abs(x) <= DEGREE_LIMIT) and np.all(np.abs(y) <= 90.0))
    return [c for c in candidates.epsg if pyproj.CRS.from_epsg(c).is_geographic == degrees]


def _score(
    x: np.ndarray,
    y: np.ndarray,
    codes: list[int],
    *,
    target_crs: pyproj.CRS,
    inside: object,
) -> dict[int, tuple[int, np.ndarray, np.ndarray]]:
    """Return, per candidate, the number of points inside and the points in ``target_crs``."""
    scores = {}
    for code in codes:
        transformer = pyproj.Transformer.from_crs(code, target_crs, always_xy=True)
        tx, ty = transformer.transform(x, y, errcheck=False)
        tx, ty = np.asarray(tx, dtype=float), np.asarray(ty, dtype=float)
        finite = np.isfinite(tx) & np.isfinite(ty)
        hit = np.zeros(len(tx), dtype=bool)
        hit[finite] = inside(tx[finite], ty[finite])
        scores[code] = (int(hit.sum()), tx, ty)
    return scores


def _decide(
    scores: dict[int, tuple[int, np.ndarray, np.ndarray]],
    *,
    total: int,
    candidates: Candidates,
    source: str,
    where: str,
) -> tuple[int, str]:
    """Pick the best candidate, or stop when different answers fit equally (see module doc)."""
    best = max(count for count, _, _ in scores.values())
    if best == 0:
        raise InputError(
            source,
            f"sistem koordinat (CRS) tidak dinyatakan, dan tidak ada CRS umum di Indonesia "
            f"yang menempatkan titiknya di {where}; {ADVICE}",
        )
    tied = [code for code, (count, _, _) in scores.items() if count == best]
    answers: list[list[int]] = []
    for code in tied:
        _, x, y = scores[code]
        for group in answers:
            _, gx, gy = scores[group[0]]
            if np.nanmax(np.hypot(x - gx, y - gy)) <= candidates.equivalent_m:
                group.append(code)
                break
        else:
            answers.append([code])
    if len(answers) > 1:
        names = ", ".join(f"EPSG:{group[0]}" for group in answers)
        raise InputError(
            source,
            f"sistem koordinat (CRS) tidak dinyatakan, dan {len(answers)} CRS sama cocoknya "
            f"({names}: masing-masing menempatkan {best} dari {total} titik di {where}); {ADVICE}",
        )
    chosen = answers[0]
    name = pyproj.CRS.from_epsg(chosen[0]).name
    note = (
        f"CRS tidak dinyatakan (tanpa .prj); disimpulkan EPSG:{chosen[0]} ({name}): "
        f"{best} dari {total} titik jatuh di {where}"
    )
    if len(chosen) > 1:
        note += f"; setara dengan {', '.join(f'EPSG:{c}' for c in chosen[1:])} (selisih < 1 m)"
    others = sorted(
        ((count, code) for code, (count, _, _) in scores.items() if code not in chosen),
        reverse=True,
    )
    if others and others[0][0] > 0:
        note += f"; terbaik berikutnya EPSG:{others[0][1]} ({others[0][0]} titik)"
    return chosen[0], note


def infer_crs(
    frame: gpd.GeoDataFrame,
    *,
    region_outline: gpd.GeoDataFrame,
    source: str,
    tolerance_m: float = 100.0,
) -> tuple[gpd.GeoDataFrame, str]:
    """Return the frame with the CRS that puts its features inside the region, and a note.

    Parameters
    ----------
    frame
        Features read from a file that declares no CRS (``frame.crs`` is None).
    region_outline
        The region's desa polygons (any CRS).
    source
        File name, for the note and for errors.
    tolerance_m
        Distance outside the outline within which a point still counts as inside
        (simplified boundaries leave slivers along coasts).

    Returns
    -------
    (GeoDataFrame, str)
        A copy of ``frame`` with its CRS set, and the note recording the inference
        (in Bahasa Indonesia, for the quality report).

    Raises
    ------
    InputError
        When no feature has a geometry, no candidate puts any point inside the
        region, or two different candidates fit equally.
    """
    candidates = load_candidates()
    x, y = _sample_xy(frame)
    if len(x) == 0:
        raise InputError(
            source, f"sistem koordinat (CRS) tidak dinyatakan dan tidak ada geometri; {ADVICE}"
        )
    metric = utm_at_centre(region_outline)
    outline = shapely.buffer(region_outline.to_crs(metric).geometry.union_all(), tolerance_m)
    shapely.prepare(outline)
    scores = _score(
        x,
        y,
        _plausible_codes(x, y, candidates),
        target_crs=metric,
        inside=lambda px, py: shapely.contains_xy(outline, px, py),
    )
    code, note = _decide(
        scores, total=len(x), candidates=candidates, source=source, where="wilayah"
    )
    return frame.set_crs(code, allow_override=False), note


def infer_boundary_crs(frame: gpd.GeoDataFrame, *, source: str) -> tuple[gpd.GeoDataFrame, str]:
    """Return a boundary layer with the CRS whose reading lies inside Indonesia, and a note.

    Without a region to compare against, only Indonesia's extent judges: it
    tells degrees from metres; metres that fit several zones stop the run.

    Raises
    ------
    InputError
        When no candidate or more than one different candidate puts every
        feature inside Indonesia's extent.
    """
    candidates = load_candidates()
    x, y = _sample_xy(frame)
    if len(x) == 0:
        raise InputError(
            source, f"sistem koordinat (CRS) tidak dinyatakan dan tidak ada geometri; {ADVICE}"
        )
    west, south, east, north = candidates.indonesia
    scores = _score(
        x,
        y,
        _plausible_codes(x, y, candidates),
        target_crs=pyproj.CRS.from_epsg(4326),
        inside=lambda lon, lat: (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north),
    )
    # Degrees are compared in degrees here: a metre of tolerance is about 1e-5 degree.
    degree_candidates = Candidates(
        epsg=candidates.epsg,
        equivalent_m=candidates.equivalent_m / 111_000,
        indonesia=candidates.indonesia,
    )
    code, note = _decide(
        scores, total=len(x), candidates=degree_candidates, source=source, where="wilayah Indonesia"
    )
    return frame.set_crs(code, allow_override=False), note
