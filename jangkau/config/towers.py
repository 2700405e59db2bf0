"""Mobile signal reach of BTS towers by technology (``config/data/jangkauan_bts.toml``)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from jangkau.config.catalogue import normalise_kind_text

# The signal services the desa and kecamatan layers measure: terjangkau_<code>.
ALL_TOWERS = "sinyal_seluler"


@dataclass(frozen=True)
class TowerReach:
    """Which kinds are towers, how their technology is written, how far each reaches."""

    kinds: tuple[str, ...]
    columns: tuple[str, ...]
    radius_m: dict[str, float]
    sources: dict[str, str]
    aliases: dict[str, tuple[str, ...]]
    default_radius_m: float
    default_source: str

    def technologies(self, written: object) -> list[str]:
        """Return the technologies named in a cell (``2G/4G`` → ``["2G", "4G"]``), in table order."""
        text = normalise_kind_text(written)
        if not text:
            return []
        return [
            tech
            for tech, words in self.aliases.items()
            if any(re.search(rf"(?<![0-9a-z]){re.escape(w)}(?![0-9a-z])", text) for w in words)
        ]


def service_code(technology: str) -> str:
    """Return the service code of one technology's reach (``4G`` → ``sinyal_4g``)."""
    return f"sinyal_{technology.lower()}"


@cache
def tower_reach() -> TowerReach:
    """Return the packaged reach table."""
    text = (
        resources.files("jangkau.config")
        .joinpath("data", "jangkauan_bts.toml")
        .read_text(encoding="utf-8")
    )
    data = tomllib.loads(text)
    techs = data["teknologi"]
    return TowerReach(
        kinds=tuple(data["jenis_aset"]),
        columns=tuple(normalise_kind_text(c) for c in data["kolom_teknologi"]),
        radius_m={t: float(v["radius_m"]) for t, v in techs.items()},
        sources={t: v["sumber"] for t, v in techs.items()},
        aliases={
            t: tuple(normalise_kind_text(a) for a in [t, *v["alias"]]) for t, v in techs.items()
        },
        default_radius_m=float(data["radius_tanpa_teknologi_m"]),
        default_source=data["sumber_tanpa_teknologi"],
    )
