"""Planner-facing words, kept as data in ``data/label.toml``."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


@cache
def labels() -> dict[str, Any]:
    """Return the label tables (``peta`` for the map page, ``kolom`` for column headings)."""
    text = (
        resources.files("jangkau.config").joinpath("data", "label.toml").read_text(encoding="utf-8")
    )
    return tomllib.loads(text)
