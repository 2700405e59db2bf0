"""The words of the live status service and its limits, from ``config/data/pantau.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Vocabulary:
    """Status words (and whether each keeps an asset serving), event kinds, limits."""

    statuses: dict[str, dict[str, Any]]
    events: dict[str, str]
    limits: dict[str, float]

    def serves(self, status: str) -> bool:
        """Return whether an asset with this status counts for coverage."""
        return bool(self.statuses[status]["melayani"])

    def status_label(self, status: str) -> str:
        """Return the label residents and officers read for a status."""
        return str(self.statuses[status]["label"])


def load_vocabulary() -> Vocabulary:
    """Read ``pantau.toml``."""
    text = (
        resources.files("jangkau.config")
        .joinpath("data", "pantau.toml")
        .read_text(encoding="utf-8")
    )
    data = tomllib.loads(text)
    return Vocabulary(statuses=data["status"], events=data["kejadian"], limits=data["batas"])
