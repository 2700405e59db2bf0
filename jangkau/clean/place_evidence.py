"""Evidence of place from text: flag points that lie far from every place their record names.

A record's text often says where a facility is: the address (``Ds. Benteng
Gajah, Kec. Tompobulu``), the written ``kecamatan``/``desa`` columns, a code
carrying the kecamatan (Kemenkes ``P7308060101``: BPS kecamatan code
``7308060`` inside), and the facility's name (``PUSKESMAS CAMBA``). When the
point lies more than a set distance (``config/data/bukti_lokasi.toml``) from
every place its text names, and at least one of those is a strong source
(address, code or written column; a name alone never suffices), the location
is doubted: the point may have been typed or copied from another facility.

Former names and the parents of splits (``riwayat_kecamatan.toml``) name the
right place: ``Kec. Camba`` written for a place now in Cenrana is not doubted.
Text that contradicts itself and agrees with the point in any part is not
doubted either (only a point far from *everything* the text says is).

Dapodik's ``kode_kec`` (``190104``) is not used: its numbering is Kemdikbud's
own, with no public table to Kemendagri or BPS codes in the project, and the
same files write the kecamatan name beside it, which is used.
"""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.clean.names import _ALTERNATIVES, history_entry, kecamatan_name_keys, name_key

DOUBT_COLUMNS = ["lokasi_diragukan", "catatan_lokasi", "tempat_tertulis", "jarak_tempat_tertulis_m"]
TEXT_COLUMNS = ["nama", "id_aset", "alamat_tertulis", "desa_tertulis", "kecamatan_tertulis"]
# Fuzzy matching of desa names: high, because desa names repeat and differ by one letter.
DESA_SIMILARITY = 0.9
KECAMATAN_SIMILARITY = 0.85

_KEYWORDS = r"kecamatan|kec|kelurahan|kel|desa|ds"
_STOP = r"kecamatan|kec|kelurahan|kel|desa|ds|dusun|dsn|kabupaten|kab|kota|provinsi|prov|jl|jalan|rt|rw|no"
_ADDRESS_PLACE = re.compile(
    rf"\b(?P<kind>{_KEYWORDS})\b\.?\s*(?P<name>[^,;()\n\d]+?)"
    rf"(?=\s*(?:[,;()\n\d]|\b(?:{_STOP})\b|$))",
    re.IGNORECASE,
)
_KEMENKES_CODE = re.compile(r"^P(\d{7})\d{3}$", re.IGNORECASE)
_ROMAN = re.compile(r"^[ivxl]+$")


@functools.cache
def evidence_settings() -> dict:
    """Return ``config/data/bukti_lokasi.toml``: the distance and the generic name words."""
    text = (
        resources.files("jangkau.config")
        .joinpath("data", "bukti_lokasi.toml")
        .read_text(encoding="utf-8")
    )
    return tomllib.loads(text)


@dataclass(frozen=True)
class Claim:
    """One place a record's text names.

    ``place`` is how the report writes it (``Kec. Camba``); ``named`` the
    kecamatan codes the text names directly; ``kecamatan`` / ``desa`` the
    codes of the area where the claim holds (with former names and splits).
    """

    source: str
    place: str
    named: frozenset[str]
    kecamatan: frozenset[str] = frozenset()
    desa: frozenset[str] = frozenset()
    strong: bool = True


class Gazetteer:
    """The region's kecamatan and desa names and codes, to read text against."""

    def __init__(self, desa: pd.DataFrame) -> None:
        kecamatan = desa.groupby("kode_kec")["kecamatan"].first()
        self.kecamatan_name = kecamatan.to_dict()
        self._read: dict[tuple, Claim | None] = {}
        # key -> [(code, why)]; why "" (current/other spelling), "nama lama", "sebelum pemekaran"
        self.kecamatan_keys: dict[str, list[tuple[str, str]]] = {}
        for code, name in kecamatan.items():
            for key, why in kecamatan_name_keys(code, name).items():
                self.kecamatan_keys.setdefault(key, []).append((code, why))
        self.children: dict[str, set[str]] = {}
        for code, name in kecamatan.items():
            entry = history_entry(code, name)
            if entry is not None and "induk" in entry:
                self.children.setdefault(entry["induk"]["kode"], set()).add(code)
        self.desa_keys: dict[str, set[str]] = {}
        for code, name in zip(desa["kode_desa"], desa["desa"], strict=True):
            self.desa_keys.setdefault(name_key(name), set()).add(code)
        self.desa_kecamatan = dict(zip(desa["kode_desa"], desa["kode_kec"], strict=True))
        self.desa_name = dict(zip(desa["kode_desa"], desa["desa"], strict=True))
        self.bps = (
            desa.dropna(subset=["kode_bps"]).groupby("kode_bps")["kode_kec"].first().to_dict()
            if "kode_bps" in desa
            else {}
        )

    def kecamatan_claim(self, text: object, *, source: str, strong: bool = True) -> Claim | None:
        """Read a written kecamatan (``Kec. Maros Utara / Bontoa``) as a claim, or None."""
        # Files repeat a handful of kecamatan texts thousands of times: read each once.
        key = ("kecamatan", None if text is None or pd.isna(text) else str(text), source, strong)
        if key not in self._read:
            self._read[key] = self._kecamatan_claim(text, source=source, strong=strong)
        return self._read[key]

    def desa_claim(self, text: object, *, source: str, strong: bool = True) -> Claim | None:
        """Read a written desa/kelurahan name as a claim (every desa of that name), or None."""
        key = ("desa", None if text is None or pd.isna(text) else str(text), source, strong)
        if key not in self._read:
            self._read[key] = self._desa_claim(text, source=source, strong=strong)
        return self._read[key]

    def _kecamatan_claim(self, text: object, *, source: str, strong: bool) -> Claim | None:
        if text is None or pd.isna(text) or not name_key(text):
            return None
        parts = {name_key(text), *(name_key(p) for p in _ALTERNATIVES.split(str(text)))} - {""}
        hits = [hit for key in parts for hit in self.kecamatan_keys.get(key, [])]
        if not hits:
            close = [_closest(key, self.kecamatan_keys, KECAMATAN_SIMILARITY) for key in parts]
            hits = [hit for key in close if key for hit in self.kecamatan_keys[key]]
        if not hits:
            return None
        named = {code for code, why in hits if why != "sebelum pemekaran"}
        named = named or {code for code, _ in hits}
        accepted = {code for code, _ in hits} | {c for n in named for c in self.children.get(n, ())}
        label = " / ".join(sorted(self.kecamatan_name[c] for c in named))
        return Claim(
            source, f"Kec. {label}", frozenset(named), kecamatan=frozenset(accepted), strong=strong
        )

    def _desa_claim(self, text: object, *, source: str, strong: bool) -> Claim | None:
        key = name_key(text) if text is not None and not pd.isna(text) else ""
        if not key:
            return None
        if key not in self.desa_keys:
            key = _closest(key, self.desa_keys, DESA_SIMILARITY)
            if key is None:
                return None
        codes = frozenset(self.desa_keys[key])
        named = frozenset(self.desa_kecamatan[c] for c in codes)
        label = " / ".join(sorted({str(self.desa_name[c]) for c in codes}))
        return Claim(source, f"Ds. {label}", named, desa=codes, strong=strong)

    def code_claim(self, code: object) -> Claim | None:
        """Read a Kemenkes facility code (``P`` + BPS kecamatan code + 3 digits) as a claim."""
        if code is None or pd.isna(code):
            return None
        match = _KEMENKES_CODE.match(str(code).strip())
        if match is None or match.group(1) not in self.bps:
            return None
        kode_kec = self.bps[match.group(1)]
        accepted = {kode_kec, *self.children.get(kode_kec, ())}
        return Claim(
            f"kode {str(code).strip()}",
            f"Kec. {self.kecamatan_name[kode_kec]}",
            frozenset({kode_kec}),
            kecamatan=frozenset(accepted),
        )

    def name_claims(self, name: object) -> list[Claim]:
        """Read the place word of a facility name (``PUSKESMAS CAMBA``) as weak claims."""
        key = place_word(name)
        if not key:
            return []
        claims = []
        if key in self.kecamatan_keys:
            claim = self.kecamatan_claim(key, source="nama", strong=False)
            if claim is not None:
                claims.append(claim)
        if key in self.desa_keys:
            claims.append(self.desa_claim(key, source="nama", strong=False))
        return claims


def _closest(key: str, keys: dict, cutoff: float) -> str | None:
    """Return the one key most like ``key`` at or above ``cutoff``, None when none or a tie."""
    scored = sorted(
        ((difflib.SequenceMatcher(None, key, other).ratio(), other) for other in keys),
        reverse=True,
    )
    if not scored or scored[0][0] < cutoff or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]


def address_places(address: object) -> list[tuple[str, str]]:
    """Return the places an address names, as (``kecamatan`` or ``desa``, name) in order.

    Examples
    --------
    >>> address_places("Jl. Poros Maros Camba Ds. Lima Poccoe,  Kec. Cenrana")
    [('desa', 'Lima Poccoe'), ('kecamatan', 'Cenrana')]
    """
    if address is None or pd.isna(address):
        return []
    found = []
    for match in _ADDRESS_PLACE.finditer(str(address)):
        name = match.group("name").strip(" .-")
        if not name:
            continue
        kind = match.group("kind").lower()
        found.append(("kecamatan" if kind.startswith("kec") else "desa", name))
    return found


def place_word(name: object) -> str:
    """Return the name key of what a facility name says besides kind and number, or ``""``.

    Examples
    --------
    >>> place_word("SD NEGERI 12 BONTOA")
    'bontoa'
    >>> place_word("L A U")
    'lau'
    """
    if name is None or pd.isna(name):
        return ""
    generic = set(evidence_settings()["kata_umum"])
    words = re.findall(r"[a-z0-9]+", str(name).lower())
    kept = [w for w in words if w not in generic and not w.isdigit() and not _ROMAN.match(w)]
    return name_key("".join(kept))


def record_claims(record: dict, gazetteer: Gazetteer, *, with_name: bool) -> list[Claim]:
    """Return every claim a record's text makes (names only when ``with_name``)."""
    claims: list[Claim | None] = []
    for kind, place in address_places(record.get("alamat_tertulis")):
        read = gazetteer.kecamatan_claim if kind == "kecamatan" else gazetteer.desa_claim
        claims.append(read(place, source="alamat"))
    claims.append(gazetteer.code_claim(record.get("id_aset")))
    claims.append(
        gazetteer.kecamatan_claim(record.get("kecamatan_tertulis"), source="kolom kecamatan")
    )
    claims.append(gazetteer.desa_claim(record.get("desa_tertulis"), source="kolom desa"))
    if with_name:
        claims.extend(gazetteer.name_claims(record.get("nama")))
    return [c for c in claims if c is not None]


def _holds(claim: Claim, kode_kec: str, kode_desa: str) -> bool:
    return kode_kec in claim.kecamatan or kode_desa in claim.desa


def _distance(claim: Claim, point: shapely.Point, desa: gpd.GeoDataFrame) -> tuple[float, str]:
    """Return the distance (m) from a point to the nearest polygon of a claim, and that place's name."""
    mask = desa["kode_kec"].isin(claim.kecamatan) | desa["kode_desa"].isin(claim.desa)
    area = desa[mask]
    gaps = shapely.distance(point, area.geometry.to_numpy())
    nearest = int(np.argmin(gaps))
    if claim.desa:
        return float(gaps[nearest]), f"Ds. {area['desa'].iloc[nearest]}"
    where = f"Kec. {area['kecamatan'].iloc[nearest]}"
    if area["kode_kec"].iloc[nearest] not in claim.named:
        # A kecamatan split off the named one: the text may date from before the split.
        where += f", dahulu bagian {claim.place}"
    return float(gaps[nearest]), where


def _km(metres: float) -> str:
    return f"{metres / 1000:.1f}".replace(".", ",") + " km"


def doubted_locations(
    placed: gpd.GeoDataFrame, *, desa: gpd.GeoDataFrame, distance_m: float | None = None
) -> pd.DataFrame:
    """Judge each placed record's point against the places its text names.

    Parameters
    ----------
    placed
        Placed records: points (any CRS) with ``kode_desa``, ``kode_kec``,
        ``desa``, ``kecamatan`` where they lie, and any of ``TEXT_COLUMNS``.
    desa
        Desa polygons in a metric CRS with ``kode_desa``, ``desa``,
        ``kode_kec``, ``kecamatan`` and optionally ``kode_bps`` (BPS
        kecamatan code, to read Kemenkes codes).
    distance_m
        Distance beyond which a point is far from a place
        (default ``jarak_diragukan_m`` of ``bukti_lokasi.toml``).

    Returns
    -------
    DataFrame
        On ``placed``'s index: ``lokasi_diragukan`` (bool), ``catatan_lokasi``
        (the note for ``catatan``, ``""`` when not doubted), ``tempat_tertulis``
        (the kecamatan codes the text names, ``,``-joined) and
        ``jarak_tempat_tertulis_m`` (to the nearest named place).
    """
    limit = float(evidence_settings()["jarak_diragukan_m"] if distance_m is None else distance_m)
    out = pd.DataFrame(
        {
            "lokasi_diragukan": False,
            "catatan_lokasi": "",
            "tempat_tertulis": "",
            "jarak_tempat_tertulis_m": np.nan,
        },
        index=placed.index,
    )
    if placed.empty:
        return out
    gazetteer = Gazetteer(desa)
    doubted: dict[object, list] = {}
    text = placed.reindex(columns=TEXT_COLUMNS).astype(object)
    # Only Kemenkes-like codes carry a place; dropping the rest (NPSN, …) lets
    # records with the same texts and desa be judged once.
    code = text["id_aset"].astype("string").str.strip()
    text["id_aset"] = code.where(code.str.match(_KEMENKES_CODE.pattern, case=False, na=False))
    keys = text.drop(columns="nama").assign(
        kode_kec=placed["kode_kec"], kode_desa=placed["kode_desa"]
    )
    keys = keys.astype(object).where(keys.notna(), None)
    rows = list(keys.itertuples(index=False, name=None))
    settled = {}
    for row in set(rows):
        record = dict(zip(keys.columns, row, strict=True))
        strong = record_claims(record, gazetteer, with_name=False)
        # Most points agree with some strong claim: settled without distances or names.
        settled[row] = not strong or any(
            _holds(c, record["kode_kec"], record["kode_desa"]) for c in strong
        )
    points = placed.geometry.to_crs(desa.crs)
    for index, row, name in zip(placed.index, rows, text["nama"], strict=True):
        if settled[row]:
            continue
        record = dict(zip(keys.columns, row, strict=True))
        kode_kec, kode_desa = record["kode_kec"], record["kode_desa"]
        strong = record_claims(record, gazetteer, with_name=False)
        claims = strong + gazetteer.name_claims(name)
        if any(_holds(c, kode_kec, kode_desa) for c in claims):
            continue
        measured = [(c, *_distance(c, points[index], desa)) for c in claims]
        if min(gap for _, gap, _ in measured) <= limit:
            continue
        doubted[index] = _doubt_row(measured, placed.loc[index])
    if doubted:
        rows = pd.DataFrame(list(doubted.values()), index=list(doubted), columns=out.columns)
        for column in out.columns:
            out.loc[rows.index, column] = rows[column]
    return out


def _doubt_row(measured: list[tuple[Claim, float, str]], row: pd.Series) -> list:
    """Return the output row for a doubted point: flag, note, named codes, distance.

    The note holds no ``"; "``: ``catatan`` joins notes with it, and readers split on it.
    """
    by_place: dict[str, list] = {}
    for claim, gap, nearest in measured:
        sources, gaps, named = by_place.setdefault(claim.place, [[], [], set()])
        sources.append(claim.source)
        gaps.append((gap, nearest))
        named |= claim.named
    said = ", ".join(f"{place} ({', '.join(s)})" for place, (s, _, _) in by_place.items())
    how_far = " dan ".join(
        f"{_km(gap)} dari batas {nearest}"
        for gap, nearest in (min(g) for _, g, _ in by_place.values())
    )
    named_codes = sorted({c for _, _, n in by_place.values() for c in n})
    note = (
        f"lokasi diragukan: teks menyebut {said}, titik di Ds. {row['desa']}, "
        f"Kec. {row['kecamatan']} ({how_far}), titik tetap dihitung di tempatnya"
    )
    return [True, note, ",".join(named_codes), min(gap for _, gap, _ in measured)]
