"""Normalise and match place names as they are typed in agency files.

Also reads the kecamatan history (``config/data/riwayat_kecamatan.toml``:
renames, splits, other spellings) so that a name written before a change
still matches the place it denotes.
"""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
from collections.abc import Iterable
from importlib import resources
from typing import Any

import pandas as pd

# Administrative prefixes people put before a name ("KEC. MANDAI", "Desa Bontoa").
_PREFIX = re.compile(
    r"^(kecamatan|kec|kabupaten|kab|kota|kelurahan|kel|desa|ds|lurah)\b\.?\s*", re.IGNORECASE
)


def name_key(name: object) -> str:
    """Return a comparison key for a place name.

    Drops administrative prefixes, case, punctuation and all white space (so
    ``Banti murung`` and ``KEC. BANTIMURUNG`` meet), and collapses a letter
    typed three or more times in a row to two (``Malllawa``).

    Examples
    --------
    >>> name_key("KEC. MANDAI ")
    'mandai'
    >>> name_key("Tanr alili") == name_key("Tanralili")
    True
    """
    if name is None or (isinstance(name, float) and pd.isna(name)):
        return ""
    return _text_key(str(name))


# Province runs ask for the same names many times (matching, ids, duplicates).
@functools.lru_cache(maxsize=65536)
def _text_key(name: str) -> str:
    text = name.strip()
    previous = None
    while previous != text:
        previous = text
        text = _PREFIX.sub("", text).strip()
    text = _NOT_LETTER_OR_DIGIT.sub("", text.lower())
    return _REPEATED_LETTER.sub(r"\1\1", text)


# Compiled once: a province asks for tens of thousands of keys, each a cache lookup in ``re``.
_NOT_LETTER_OR_DIGIT = re.compile(r"[^0-9a-z]")
_REPEATED_LETTER = re.compile(r"([a-z])\1{2,}")


def nearest_names(name: object, candidates: Iterable[str], *, limit: int = 3) -> list[str]:
    """Return up to ``limit`` candidates that look most like ``name``."""
    by_key: dict[str, str] = {}
    for candidate in candidates:
        by_key.setdefault(name_key(candidate), candidate)
    close = difflib.get_close_matches(name_key(name), list(by_key), n=limit, cutoff=0.0)
    return [by_key[key] for key in close]


def match_names(
    names: Iterable[object], candidates: Iterable[str], *, min_similarity: float = 0.85
) -> dict[object, str | None]:
    """Map each name to the candidate it denotes, or None when none is close enough.

    Exact key equality wins; otherwise the most similar candidate key is taken
    when its similarity ratio reaches ``min_similarity`` and no other
    candidate ties with it.
    """
    candidate_list = list(candidates)
    by_key: dict[str, str] = {}
    for candidate in candidate_list:
        by_key.setdefault(name_key(candidate), candidate)
    result: dict[object, str | None] = {}
    for name in names:
        key = name_key(name)
        if key in by_key:
            result[name] = by_key[key]
            continue
        scored = sorted(
            ((difflib.SequenceMatcher(None, key, other).ratio(), other) for other in by_key),
            reverse=True,
        )
        if (
            scored
            and scored[0][0] >= min_similarity
            and (len(scored) == 1 or scored[1][0] < scored[0][0])
        ):
            result[name] = by_key[scored[0][1]]
        else:
            result[name] = None
    return result


# Separators people put between two names of one kecamatan ("Maros Utara / Bontoa").
_ALTERNATIVES = re.compile(r"/|\||;|\(|\)|\batau\b", re.IGNORECASE)


@functools.cache
def kecamatan_history() -> dict[str, dict[str, Any]]:
    """Return the packaged kecamatan history (``config/data/riwayat_kecamatan.toml``).

    Keyed by current Kemendagri kecamatan code; each entry has ``nama`` and
    optionally ``nama_lama``, ``nama_lain``, ``induk`` (``kode``, ``nama``),
    ``tahun`` and ``sumber``.
    """
    text = (
        resources.files("jangkau.config")
        .joinpath("data", "riwayat_kecamatan.toml")
        .read_text(encoding="utf-8")
    )
    return tomllib.loads(text)


def history_entry(code: object, name: object) -> dict[str, Any] | None:
    """Return the history of a boundary kecamatan, when its code and name both agree."""
    entry = kecamatan_history().get(str(code).strip())
    if entry is None:
        return None
    current = {name_key(entry["nama"]), *(name_key(n) for n in entry.get("nama_lain", []))}
    return entry if name_key(name) in current else None


def kecamatan_name_keys(code: object, name: object) -> dict[str, str]:
    """Return the name keys that rightly denote places in a kecamatan, with why.

    The current name and its other spellings (``""``), former names
    (``"nama lama"``), and the parent a split kecamatan was formed from
    (``"sebelum pemekaran"``): a record written before the change names the
    right place.
    """
    keys = {name_key(name): ""}
    entry = history_entry(code, name)
    if entry is None:
        return keys
    for other in entry.get("nama_lain", []):
        keys.setdefault(name_key(other), "")
    for former in entry.get("nama_lama", []):
        keys.setdefault(name_key(former), "nama lama")
    if "induk" in entry:
        keys.setdefault(name_key(entry["induk"]["nama"]), "sebelum pemekaran")
    return keys


def stated_kecamatan_agrees(stated: object, code: object, name: object) -> bool:
    """Return True when a written kecamatan names the boundary kecamatan ``code``/``name``.

    The whole text or any of its parts (``Kec. Maros Utara / Bontoa``) may
    be the current name, another spelling, a former name, or the parent of a
    split (history in ``riwayat_kecamatan.toml``). Empty text agrees.
    """
    whole = name_key(stated)
    if not whole:
        return True
    keys = kecamatan_name_keys(code, name)
    parts = {whole, *(name_key(part) for part in _ALTERNATIVES.split(str(stated)))}
    return bool(parts & set(keys))


def former_kecamatan_names(kecamatan_names: pd.Series) -> dict[str, object]:
    """Map former names and other spellings of the given kecamatan to their codes.

    ``kecamatan_names`` is indexed by Kemendagri code. Parents of splits are
    not included: a parent's name still denotes the parent.
    """
    aliases: dict[str, object] = {}
    for code, name in kecamatan_names.items():
        entry = history_entry(code, name)
        if entry is None:
            continue
        for other in [*entry.get("nama_lain", []), *entry.get("nama_lama", [])]:
            aliases.setdefault(other, code)
    return aliases


def split_from(kecamatan_names: pd.Series) -> list[dict[str, Any]]:
    """Return the kecamatan among ``kecamatan_names`` formed by splitting another one of them.

    Each item: ``kode``, ``nama``, ``induk_kode``, ``induk_nama``, ``tahun``, ``sumber``.
    """
    found = []
    for code, name in kecamatan_names.items():
        entry = history_entry(code, name)
        if entry is None or "induk" not in entry:
            continue
        parent = entry["induk"]["kode"]
        if parent in kecamatan_names.index:
            found.append(
                {
                    "kode": code,
                    "nama": name,
                    "induk_kode": parent,
                    "induk_nama": kecamatan_names[parent],
                    "tahun": entry.get("tahun"),
                    "sumber": entry.get("sumber", ""),
                }
            )
    return found
