"""Network services (line assets): the reach distance and kinds of each, from ``layanan.toml``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from jangkau.config.catalogue import _package_toml
from jangkau.errors import InputError

NETWORK_COLUMNS = ["layanan", "nama", "jenis_aset", "jarak_jaringan_m", "sumber_jarak_jaringan"]


def load_networks(overrides: dict[str, dict[str, Any]] | None = None) -> pd.DataFrame:
    """Return the network services, one row each (``NETWORK_COLUMNS``).

    Parameters
    ----------
    overrides
        Per network code, ``jarak_jaringan_m`` (and optionally
        ``sumber_jarak_jaringan``) replacing the packaged figure.

    Raises
    ------
    InputError
        An unknown network code or figure, or a distance that is not positive.
    """
    entries = {e["kode"]: dict(e) for e in _package_toml("layanan.toml")["jaringan"]}
    for code, figures in (overrides or {}).items():
        if code not in entries:
            raise InputError(
                "berkas wilayah",
                f"[jaringan.{code}] tidak dikenal (pilih: {', '.join(sorted(entries))})",
            )
        unknown = sorted(set(figures) - {"jarak_jaringan_m", "sumber_jarak_jaringan"})
        if unknown:
            raise InputError("berkas wilayah", f"[jaringan.{code}]: '{unknown[0]}' tidak dikenal")
        distance = figures.get("jarak_jaringan_m")
        if distance is not None and not (isinstance(distance, int | float) and distance > 0):
            raise InputError("berkas wilayah", f"[jaringan.{code}] jarak_jaringan_m harus > 0")
        entries[code].update(figures)
        if "sumber_jarak_jaringan" not in figures:
            entries[code]["sumber_jarak_jaringan"] = "berkas wilayah"
    return pd.DataFrame(
        [
            {
                "layanan": code,
                "nama": entry["nama"],
                "jenis_aset": list(entry.get("jenis_aset", [])),
                "jarak_jaringan_m": float(entry.get("jarak_jaringan_m", np.nan)),
                "sumber_jarak_jaringan": entry.get("sumber_jarak_jaringan", ""),
            }
            for code, entry in entries.items()
        ],
        columns=NETWORK_COLUMNS,
    )
