"""Texts from input files, escaped for the map page."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd


def page_text(value: object) -> str:
    """Escape a value from an input file for the page (names may hold HTML).

    Braces become character references too: folium reads the code it writes
    as a jinja2 template once more, where ``{{`` in a name would run.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value), quote=True).replace("{", "&#123;").replace("}", "&#125;")
