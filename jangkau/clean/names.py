"""Normalise and match place names as they are typed in agency files."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

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
    text = str(name).strip()
    previous = None
    while previous != text:
        previous = text
        text = _PREFIX.sub("", text).strip()
    text = re.sub(r"[^0-9a-z]", "", text.lower())
    return re.sub(r"([a-z])\1{2,}", r"\1\1", text)


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
