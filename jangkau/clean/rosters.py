"""Official rosters (names and codes, no coordinates): matched once, or counted without location.

A roster row (the Kemenkes ``*_daftar_*.csv``: name, code, kabupaten) is
matched to the facilities already counted (placed, or counted by
:func:`jangkau.clean.unlocated.count_unlocated`), one to one and in passes
over all rows: the same code; the same name once kind words are set aside
(``PUSKESMAS MANDAI`` = ``MANDAI``, ``L A U`` = ``LAU``); a name at least
90 % alike; finally the place its name gives (``PUSKESMAS BONTOA`` → Kec.
Bontoa), where the facility's point or its own address lies, when exactly
one facility of that service there is still unmatched. A matched row adds
nothing. An unmatched row counts without a location: for the kecamatan its
place columns name, else for the kabupaten its code names (rosters give no
kecamatan). A row that fits several facilities equally, names another
kabupaten, or repeats a counted row is not counted, with the reason. Every
row ends in the ledger (``ROSTER_LEDGER_COLUMNS``): matched (and how, to
which record), counted without location, or not counted.
"""

from __future__ import annotations

import difflib
import re

import pandas as pd

from jangkau.analysis.proposals import kabupaten_of
from jangkau.clean.place_evidence import Gazetteer, record_claims
from jangkau.clean.unlocated import (
    FROM_ROSTER,
    GLOBAL_ID_LENGTH,
    UNLOCATED_COLUMNS,
    Names,
    Seen,
    describe,
    id_code,
    match_key,
    new_entry,
    place_from_text,
)
from jangkau.config.catalogue import KindTable
from jangkau.config.detect import column_key
from jangkau.errors import InputError
from jangkau.io.read import records_as_text

ROSTER_COLUMNS = [
    "sumber",
    "baris",
    "nama",
    "jenis_tertulis",
    "id_aset",
    "kode_kab_tertulis",
    "desa_tertulis",
    "kecamatan_tertulis",
    "alamat_tertulis",
    "data_asli",
]
# One row per facility known without a usable point (counted or not, with why).
ROSTER_LEDGER_COLUMNS = [
    "sumber",
    "baris",
    "nama",
    "id_aset",
    "layanan",
    "hasil",
    "cara",
    "cocok_dengan",
    "keterangan",
]
MATCHED, COUNTED, NOT_COUNTED = "cocok", "dihitung tanpa koordinat", "tidak dihitung"
# Names at least this alike (difflib ratio of the match keys) denote one facility.
NAME_SIMILARITY = 0.9
_KABUPATEN_COLUMN = re.compile(r"^(kode|kd|id)_?(kab|kabupaten|kabkota|kab_kota)$")


def standardise_roster(raw: pd.DataFrame, *, columns: dict[str, str], source: str) -> pd.DataFrame:
    """Bring one roster file's rows to ``ROSTER_COLUMNS``.

    ``columns`` maps roles (``nama``, ``jenis``, ``id``, and optionally
    ``kode_kab``, ``desa``, ``kecamatan``, ``alamat``) to the file's columns;
    without ``kode_kab`` a column named like ``kode_kab`` is used.

    Raises
    ------
    InputError
        When the file has no name or kind column, or a stated column is missing.
    """
    if "nama" not in columns and "jenis" not in columns:
        raise InputError(source, "daftar fasilitas tanpa kolom nama atau jenis")
    for role, column in columns.items():
        if column not in raw.columns:
            raise InputError(source, f"kolom '{column}' (untuk {role}) tidak ada di berkas")
    roles = dict(columns)
    if "kode_kab" not in roles:
        found = [c for c in raw.columns if _KABUPATEN_COLUMN.match(column_key(c))]
        if found:
            roles["kode_kab"] = found[0]

    def column(role: str) -> pd.Series:
        if role in roles:
            return raw[roles[role]].astype("string").str.strip()
        return pd.Series(pd.NA, index=raw.index, dtype="string")

    out = pd.DataFrame(
        {
            "sumber": source,
            "baris": raw["baris"].astype("int64"),
            "nama": column("nama") if "nama" in roles else column("jenis"),
            "jenis_tertulis": column("jenis") if "jenis" in roles else column("nama"),
            "id_aset": column("id"),
            "kode_kab_tertulis": column("kode_kab"),
            "desa_tertulis": column("desa"),
            "kecamatan_tertulis": column("kecamatan"),
            "alamat_tertulis": column("alamat"),
        },
        index=raw.index,
    )
    out["data_asli"] = records_as_text(raw)
    return out[ROSTER_COLUMNS].reset_index(drop=True)


def match_rosters(
    rosters: pd.DataFrame,
    *,
    placed: pd.DataFrame,
    unlocated: pd.DataFrame,
    desa: pd.DataFrame,
    kinds: KindTable,
    records: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Match roster rows to the facilities already counted; count the others without location.

    Parameters
    ----------
    rosters
        Roster rows (:func:`standardise_roster`), any number of files.
    placed
        Placed facilities (``sumber``, ``baris``, ``nama``, ``id_aset``,
        ``layanan``, ``kode_kec``, ``kode_desa``).
    unlocated
        :func:`count_unlocated`: its counted rows take part like placed ones.
    desa
        ``kode_desa``, ``desa``, ``kode_kec``, ``kecamatan`` (and ``kode_bps``).
    kinds
        The kind table.
    records
        The standardised asset records behind ``placed`` (by ``sumber`` and
        ``baris``): the place their text names (address, written columns)
        counts like the point's place in the last pass.

    Returns
    -------
    (DataFrame, DataFrame)
        The roster rows counted or not counted without location
        (``UNLOCATED_COLUMNS``, ``asal`` = ``FROM_ROSTER``; matched rows are
        not in it), and the ledger of every roster row (``ROSTER_LEDGER_COLUMNS``).
    """
    columns = ["sumber", "baris", "nama", "id_aset", "layanan", "kode_kec", "kode_desa"]
    matcher = _Matcher(desa, kinds)
    rows = [matcher.start(row) for row in rosters.to_dict(orient="records")]
    counted = unlocated[unlocated["dihitung"].astype(bool)] if len(unlocated) else unlocated
    pool = pd.concat(
        [pd.DataFrame(placed)[columns], pd.DataFrame(counted).reindex(columns=columns)],
        ignore_index=True,
    )
    # Only the services the rosters list take part (a province holds tens of thousands).
    pool = pool[pool["layanan"].isin({row["layanan"] for row in rows})].copy()
    pool["_key"] = pool["nama"].map(match_key)
    pool["_id"] = pool["id_aset"].map(id_code)
    pool["_kab"] = kabupaten_of(pool["kode_kec"].astype(str)).where(pool["kode_kec"].notna())
    text = ["alamat_tertulis", "desa_tertulis", "kecamatan_tertulis"]
    if records is not None and len(pool):
        written = pool[["sumber", "baris", "id_aset"]].merge(
            records[["sumber", "baris", *text]], on=["sumber", "baris"], how="left"
        )
        pool["_teks_kec"] = [matcher.named_kecamatan(r) for r in written.to_dict(orient="records")]
    else:
        pool["_teks_kec"] = [frozenset()] * len(pool)
    matcher.pool = pool
    for step in (matcher.by_code, matcher.by_name, matcher.by_similar_name, matcher.by_place):
        for row in rows:
            if row["hasil"] is None:
                step(row)
    seen = Seen(pd.DataFrame(columns=columns))
    unmatched = []
    for row in rows:
        if row["hasil"] is None:
            unmatched.append(matcher.finish(row, seen))
    ledger = pd.DataFrame(
        [{c: row.get(c) for c in ROSTER_LEDGER_COLUMNS} for row in rows],
        columns=ROSTER_LEDGER_COLUMNS,
    )
    return pd.DataFrame(unmatched, columns=UNLOCATED_COLUMNS), ledger


class _Matcher:
    """The passes of :func:`match_rosters` over one pool of counted facilities."""

    def __init__(self, desa: pd.DataFrame, kinds: KindTable) -> None:
        # The facilities to match against; set once the rosters' services are known.
        self.pool = pd.DataFrame()
        self.taken: set[int] = set()
        self.kinds = kinds
        self.gazetteer = Gazetteer(desa)
        self.names = Names(desa)
        self.region_kab = sorted(set(self.names.kabupaten.values()))
        self.by_digits = {re.sub(r"\D", "", k): k for k in self.region_kab}

    def named_kecamatan(self, record: dict) -> frozenset[str]:
        """Return the kecamatan a record's text names (address, written columns, code)."""
        claims = record_claims(record, self.gazetteer, with_name=False)
        named = {k for c in claims for k in c.named}
        return frozenset(named | {self.gazetteer.desa_kecamatan[d] for c in claims for d in c.desa})

    def start(self, record: dict) -> dict:
        """Classify a roster row and read its kabupaten; reject it when either fails."""
        row = {**record, "hasil": None, "cara": "", "cocok_dengan": "", "keterangan": ""}
        row["id_aset"] = record.get("id_aset")
        kind = self.kinds.classify(record.get("jenis_tertulis"))
        row["layanan"] = kind[1] if kind else None
        row["jenis"] = kind[0] if kind else None
        row["_place"] = place_from_text(record, self.gazetteer)
        row["_ambiguous"] = ""
        if kind is None or kind[1] == "lainnya":
            return self._refuse(row, "jenis tidak ada di katalog layanan")
        written = id_code(record.get("kode_kab_tertulis"))
        placed_in = row["_place"][0]
        if placed_in is not None:
            row["_kab"] = self.names.kabupaten[placed_in]
        elif written:
            row["_kab"] = self.by_digits.get(re.sub(r"\D", "", written))
            if row["_kab"] is None:
                return self._refuse(
                    row,
                    f"kode kabupaten '{written}' bukan kabupaten wilayah ini "
                    f"(kode Kemendagri: {', '.join(self.region_kab)})",
                )
        elif len(self.region_kab) == 1:
            row["_kab"] = self.region_kab[0]
            row["keterangan"] = "daftar tanpa kode kabupaten: dianggap kabupaten wilayah ini"
        else:
            row["_kab"] = None
        return row

    @staticmethod
    def _refuse(row: dict, why: str) -> dict:
        row.update(hasil=NOT_COUNTED, keterangan=why)
        return row

    def _candidates(self, row: dict) -> pd.DataFrame:
        pool = self.pool
        mask = (pool["layanan"] == row["layanan"]) & ~pool.index.isin(list(self.taken))
        if row["_kab"] is not None:
            mask &= pool["_kab"] == row["_kab"]
        return pool[mask]

    def _decide(self, row: dict, found: pd.DataFrame, how: str) -> None:
        if len(found) == 1:
            index = int(found.index[0])
            self.taken.add(index)
            row.update(hasil=MATCHED, cara=how, cocok_dengan=describe(self.pool.loc[index]))
        elif len(found) > 1 and not row["_ambiguous"]:
            listed = "; ".join(describe(r) for _, r in found.head(5).iterrows())
            row["_ambiguous"] = f"{how}: cocok dengan {len(found)} fasilitas ({listed})"

    def by_code(self, row: dict) -> None:
        code = id_code(row["id_aset"])
        if len(code) >= GLOBAL_ID_LENGTH:
            found = self._candidates(row)
            self._decide(row, found[found["_id"] == code], f"kode sama ({code})")

    def by_name(self, row: dict) -> None:
        key = match_key(row["nama"])
        if key and not row["_ambiguous"]:
            found = self._candidates(row)
            self._decide(row, found[found["_key"] == key], "nama sama")

    def by_similar_name(self, row: dict) -> None:
        key = match_key(row["nama"])
        if not key or row["_ambiguous"]:
            return
        found = self._candidates(row)
        found = found[found["_key"] != ""]
        ratio = found["_key"].map(lambda other: difflib.SequenceMatcher(None, key, other).ratio())
        best = ratio[ratio >= NAME_SIMILARITY]
        if len(best):
            top = best[best == best.max()]
            self._decide(row, found.loc[top.index], f"nama mirip ({best.max():.0%})")

    def by_place(self, row: dict) -> None:
        # Only the place a roster name gives (PUSKESMAS BONTOA), never a written column
        # alone: many facilities of a service share a kecamatan, few share its name.
        claims = [] if row["_ambiguous"] else self.gazetteer.name_claims(row["nama"])
        if not claims:
            return
        kecamatan = {k for c in claims if not c.desa for k in c.named}
        desa = {d for c in claims for d in c.desa}
        found = self._candidates(row)
        # Where the point lies, or where the facility's own text says it is
        # (a point near a border may fall in the neighbour).
        found = found[
            found["kode_kec"].isin(kecamatan)
            | found["kode_desa"].isin(desa)
            | found["_teks_kec"].map(lambda named: bool(named & kecamatan))
        ]
        said = " / ".join(c.place for c in claims)
        self._decide(
            row,
            found,
            f"tempat yang disebut nama: {said} (satu-satunya {row['layanan']} di sana "
            "yang belum dicocokkan)",
        )

    def _same_name(self, row: dict) -> str | None:
        """Return a facility matched already that has this row's name (a repeated row), or None."""
        key = match_key(row["nama"])
        if not key:
            return None
        pool = self.pool
        same = pool[(pool["layanan"] == row["layanan"]) & (pool["_key"] == key)]
        if row["_kab"] is not None:
            same = same[same["_kab"] == row["_kab"]]
        return describe(same.iloc[0]) if len(same) else None

    def finish(self, row: dict, seen: Seen) -> dict:
        """Count an unmatched roster row without location, or say why it is not counted."""
        entry = new_entry(FROM_ROSTER, row, (row["jenis"], row["layanan"]))
        kode_kec, kode_desa, why = row["_place"]
        same = self._same_name(row)
        if row["_ambiguous"]:
            row.update(hasil=NOT_COUNTED, keterangan=row["_ambiguous"])
        elif same is not None:
            row.update(hasil=NOT_COUNTED, keterangan=f"sama dengan {same}, yang sudah dihitung")
        elif row["_kab"] is None:
            row.update(hasil=NOT_COUNTED, keterangan="kabupaten tidak diketahui")
        else:
            if kode_kec is not None:
                self.names.fill(entry, kode_kec, kode_desa)
                where = f"dihitung untuk Kec. {entry['kecamatan']} ({why})"
            else:
                entry["kode_kab"] = row["_kab"]
                where = f"dihitung untuk kabupaten {row['_kab']} (daftar tidak menyebut kecamatan)"
            twin = seen.twin(entry)
            if twin is not None:
                row.update(hasil=NOT_COUNTED, keterangan=f"sama dengan {twin}")
            else:
                seen.add(entry)
                note = "; ".join(p for p in (row["keterangan"], where) if p)
                row.update(hasil=COUNTED, keterangan=f"tidak ada di daftar bertitik; {note}")
                entry["dihitung"] = True
        entry["keterangan"] = row["keterangan"]
        return entry
