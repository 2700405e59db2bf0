"""Facilities known without a usable location: counted where their text says, never twice.

An asset record rejected only for its location (coordinates empty, zero,
unreadable, or outside the kabupaten) still names a facility that stands: it
counts for the kecamatan, and the desa when named, that its text names — the
written ``kecamatan``/``desa`` columns, the address (``Kec. X``, ``Ds. Y``),
a Kemenkes code — read against the region's names with former names and
splits (:class:`jangkau.clean.place_evidence.Gazetteer`). The facility's name
alone never places a record (``SDN 74 PATANYAMANG`` may stand anywhere). A
record whose text names no place of the region, or places that contradict
each other, is not counted, and says why. A point outside the kabupaten
counts under the same rule: only when its row still names a kecamatan or
desa of the region (its coordinates are then the error, not the record). A
record that is a placed facility again (same id, or same service, name and
kecamatan) is not counted twice.

Roster rows (:mod:`jangkau.clean.rosters`) end in the same table. Everything
counted appears in ``jumlah_fasilitas`` and ``tanpa_koordinat`` of the gap
tables; coverage uses placed points only.
"""

from __future__ import annotations

import functools
import re

import pandas as pd

from jangkau.analysis.proposals import kabupaten_of
from jangkau.clean.names import name_key
from jangkau.clean.place_evidence import Gazetteer, evidence_settings, record_claims
from jangkau.config.catalogue import KindTable

UNLOCATED_COLUMNS = [
    "asal",
    "sumber",
    "baris",
    "nama",
    "id_aset",
    "layanan",
    "jenis",
    "kode_kab",
    "kode_kec",
    "kecamatan",
    "kode_desa",
    "desa",
    "dihitung",
    "keterangan",
]
# One row per roster row: what became of it.
FROM_REJECTED = "aset ditolak karena lokasi"
FROM_ROSTER = "daftar tanpa koordinat"
# Ids shorter than this may be row numbers: they match only within one file.
GLOBAL_ID_LENGTH = 6
_LOCATION_REASONS = ("koordinat", "di luar kabupaten")


def is_location_reason(reason: object) -> bool:
    """Return True for a rejection reason about the location only (the facility may exist)."""
    return str(reason or "").startswith(_LOCATION_REASONS)


def match_key(name: object) -> str:
    """Return the part of a facility name that tells facilities apart: no kind words, numbers kept.

    Examples
    --------
    >>> match_key("PUSKESMAS MANDAI"), match_key("L A U"), match_key("SDN 12 BONTOA")
    ('mandai', 'lau', '12bontoa')
    """
    if name is None or pd.isna(name):
        return ""
    return _match_key(str(name))


# Every placed facility of a province is keyed once per run; names repeat across runs' steps.
@functools.lru_cache(maxsize=65536)
def _match_key(name: str) -> str:
    generic = _generic_words()
    kept = "".join(w for w in _WORD.findall(name.lower()) if w not in generic)
    return kept or name_key(name)


_WORD = re.compile(r"[a-z0-9]+")


@functools.cache
def _generic_words() -> frozenset[str]:
    return frozenset(evidence_settings()["kata_umum"])


def id_code(value: object) -> str:
    """Return an identifier as compared: trimmed, upper case, ``""`` when empty."""
    return "" if value is None or pd.isna(value) else str(value).strip().upper()


def place_from_text(record: dict, gazetteer: Gazetteer) -> tuple[str | None, str | None, str]:
    """Return (kode_kec, kode_desa, why) from a record's place text; kode_kec None when unplaced.

    Every strong claim (address, code, written columns) must hold: the
    kecamatan is the one all claims share (a name written before a split
    admits the new kecamatan too), the desa the one desa of a desa claim in it.
    """
    claims = [c for c in record_claims(record, gazetteer, with_name=False) if c.strong]
    if not claims:
        return None, None, "teks tidak menyebut kecamatan atau desa di wilayah ini"
    said = ", ".join(f"{c.place} ({c.source})" for c in claims)
    common: set[str] | None = None
    for claim in claims:
        area = set(claim.kecamatan) | {gazetteer.desa_kecamatan[d] for d in claim.desa}
        common = area if common is None else common & area
    if not common:
        return None, None, f"teks menyebut tempat yang bertentangan: {said}"
    desa = {d for c in claims for d in c.desa if gazetteer.desa_kecamatan[d] in common}
    if len(desa) == 1:
        (kode_desa,) = desa
        return gazetteer.desa_kecamatan[kode_desa], kode_desa, f"menurut teks: {said}"
    named = {k for c in claims if not c.desa for k in c.named} & common
    kecamatan = named if len(named) == 1 else common
    if len(kecamatan) != 1:
        names = ", ".join(sorted(gazetteer.kecamatan_name[k] for k in kecamatan))
        return None, None, f"teks menyebut lebih dari satu kecamatan yang mungkin ({names}): {said}"
    (kode_kec,) = kecamatan
    return kode_kec, None, f"menurut teks: {said}"


def describe(row: pd.Series | dict) -> str:
    """Return how a report names a record: file, row and name."""
    return f"{row['sumber']} baris {row['baris']} ({row['nama']})"


def count_unlocated(
    records: pd.DataFrame,
    rejected: pd.DataFrame,
    placed: pd.DataFrame,
    *,
    desa: pd.DataFrame,
    kinds: KindTable,
) -> pd.DataFrame:
    """Return the records rejected only for their location, each counted or not, with why.

    Parameters
    ----------
    records
        Standardised asset records (:func:`jangkau.clean.assets.standardise_assets`).
    rejected, placed
        The two outputs of :func:`jangkau.clean.assets.place_assets`.
    desa
        ``kode_desa``, ``desa``, ``kode_kec``, ``kecamatan`` (and ``kode_bps``).
    kinds
        The kind table.

    Returns
    -------
    DataFrame
        ``UNLOCATED_COLUMNS``, ``asal`` = ``FROM_REJECTED``. A record that is
        the same facility as a placed one (same id, or same service, name and
        kecamatan) is not counted again.
    """
    by_location = rejected["alasan"].map(is_location_reason).to_numpy(dtype=bool)
    wanted = rejected.loc[by_location, ["sumber", "baris", "alasan"]]
    rows = wanted.merge(records, on=["sumber", "baris"], how="left", validate="one_to_one")
    gazetteer = Gazetteer(desa)
    names = Names(desa)
    seen = Seen(pd.DataFrame(placed)[["sumber", "baris", "nama", "id_aset", "layanan", "kode_kec"]])
    out = []
    for row in rows.to_dict(orient="records"):
        kind = kinds.classify(row.get("jenis_tertulis"))
        entry = new_entry(FROM_REJECTED, row, kind)
        if kind is None or kind[1] == "lainnya":
            entry["keterangan"] = "jenis tidak ada di katalog layanan: tidak dihitung"
            out.append(entry)
            continue
        kode_kec, kode_desa, why = place_from_text(row, gazetteer)
        if kode_kec is None:
            entry["keterangan"] = f"tidak dihitung: {why}"
            out.append(entry)
            continue
        names.fill(entry, kode_kec, kode_desa)
        twin = seen.twin(entry)
        if twin is not None:
            entry["keterangan"] = f"tidak dihitung lagi: sama dengan {twin}"
        else:
            entry["dihitung"] = True
            entry["keterangan"] = f"{row['alasan']}; dihitung {why}"
            seen.add(entry)
        out.append(entry)
    return pd.DataFrame(out, columns=UNLOCATED_COLUMNS)


def new_entry(origin: str, row: dict, kind: tuple[str, str] | None) -> dict:
    """Return an uncounted ``UNLOCATED_COLUMNS`` row for a record and its kind."""
    return {
        "asal": origin,
        "sumber": row["sumber"],
        "baris": int(row["baris"]),
        "nama": row.get("nama"),
        "id_aset": row.get("id_aset"),
        "layanan": kind[1] if kind else None,
        "jenis": kind[0] if kind else None,
        "kode_kab": None,
        "kode_kec": None,
        "kecamatan": None,
        "kode_desa": None,
        "desa": None,
        "dihitung": False,
        "keterangan": "",
    }


class Names:
    """Kecamatan and desa names and kabupaten codes, to fill an entry from codes."""

    def __init__(self, desa: pd.DataFrame) -> None:
        self.kecamatan = desa.groupby("kode_kec")["kecamatan"].first().to_dict()
        self.desa = dict(zip(desa["kode_desa"], desa["desa"], strict=True))
        codes = pd.Series(list(self.kecamatan))
        self.kabupaten = dict(zip(codes, kabupaten_of(codes), strict=True))

    def fill(self, entry: dict, kode_kec: str, kode_desa: str | None) -> None:
        """Set an entry's kabupaten, kecamatan and desa (codes and names) in place."""
        entry.update(
            kode_kab=self.kabupaten[kode_kec],
            kode_kec=kode_kec,
            kecamatan=self.kecamatan[kode_kec],
            kode_desa=kode_desa,
            desa=self.desa.get(kode_desa) if kode_desa else None,
        )


class Seen:
    """Facilities already counted, to find a record that is one of them again."""

    def __init__(self, placed: pd.DataFrame) -> None:
        self.by_id: dict[tuple, str] = {}
        self.by_name: dict[tuple, str] = {}
        if placed.empty:
            return
        # Column by column as plain objects: iterating Arrow-backed strings row by row is
        # slow, and so is building one dict per row (a province has 40,000 facilities).
        values = {str(c): placed[c].astype(object).tolist() for c in placed.columns}
        blank = [None] * len(placed)
        for sumber, baris, nama, id_aset, layanan, kode_kec, kode_kab in zip(
            values["sumber"],
            values["baris"],
            values["nama"],
            *(values.get(name, blank) for name in ("id_aset", "layanan", "kode_kec", "kode_kab")),
            strict=True,
        ):
            ids, name = self._keys_of(id_aset, sumber, layanan, nama, kode_kec or kode_kab)
            self._remember(ids, name, describe({"sumber": sumber, "baris": baris, "nama": nama}))

    @staticmethod
    def _keys_of(
        id_aset: object, sumber: object, layanan: object, nama: object, where: object
    ) -> tuple[list[tuple], tuple | None]:
        code = id_code(id_aset)
        ids = []
        if code:
            ids.append(("berkas", sumber, code))
            if len(code) >= GLOBAL_ID_LENGTH:
                ids.append(("layanan", layanan, code))
        key = match_key(nama)
        # Counted for the kabupaten only: names are told apart within the kabupaten.
        return ids, ((layanan, where, key) if key else None)

    def _keys(self, row: dict) -> tuple[list[tuple], tuple | None]:
        return self._keys_of(
            row.get("id_aset"),
            row.get("sumber"),
            row.get("layanan"),
            row.get("nama"),
            row.get("kode_kec") or row.get("kode_kab"),
        )

    def _remember(self, ids: list[tuple], name: tuple | None, described: str) -> None:
        for key in ids:
            self.by_id.setdefault(key, described)
        if name is not None:
            self.by_name.setdefault(name, described)

    def add(self, row: dict) -> None:
        """Remember a counted facility."""
        self._remember(*self._keys(row), describe(row))

    def twin(self, row: dict) -> str | None:
        """Return the counted facility a record is again (how the report names it), or None."""
        ids, name = self._keys(row)
        for key in ids:
            if key in self.by_id:
                return f"{self.by_id[key]}, id sama"
        if name is not None and name in self.by_name:
            return f"{self.by_name[name]}, nama dan kecamatan sama"
        return None
