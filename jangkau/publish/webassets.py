"""Browser libraries for the offline map page, read from the npm packages `make install` installs.

The page must render with no internet, so Leaflet and its clustering plugin
are inlined into it. They come from the registry at setup (``package.json``),
never from copies in this repository.

These stylesheets and scripts are the only text the page templates insert
unescaped: they are marked ``markupsafe.Markup`` here, when they are read,
because they are code the project chose (pinned npm packages and its own
``peta.css``/``peta.js``), never text from an input file.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from markupsafe import Markup

LIBRARIES = [
    ("leaflet/dist/leaflet.css", "leaflet/dist/leaflet.js"),
    (
        "leaflet.markercluster/dist/MarkerCluster.css",
        "leaflet.markercluster/dist/leaflet.markercluster.js",
    ),
    ("leaflet.markercluster/dist/MarkerCluster.Default.css", None),
]


@dataclass(frozen=True)
class WebAssets:
    """Stylesheets and scripts to inline, in load order, trusted as markup."""

    css: Markup
    js: Markup


def node_modules_dir() -> Path:
    """Return the folder holding the npm packages.

    ``JANGKAU_NODE_MODULES`` wins; otherwise ``node_modules`` in the project
    root beside the package, then in the working directory.
    """
    candidates = []
    if os.environ.get("JANGKAU_NODE_MODULES"):
        candidates.append(Path(os.environ["JANGKAU_NODE_MODULES"]))
    candidates += [
        Path(__file__).resolve().parents[2] / "node_modules",
        Path.cwd() / "node_modules",
    ]
    for candidate in candidates:
        if (candidate / "leaflet" / "dist" / "leaflet.js").exists():
            return candidate
    raise FileNotFoundError(
        "Leaflet for the offline map page is not installed: run `make install` "
        "(npm ci), or set JANGKAU_NODE_MODULES to a node_modules folder holding leaflet"
    )


def _inline_urls(css: str, folder: Path) -> str:
    """Replace relative image URLs in a stylesheet with data URIs, so nothing is fetched."""

    def embed(match: re.Match[str]) -> str:
        target = match.group(1).strip("'\"")
        if target.startswith(("data:", "#", "http")):
            return match.group(0)
        data = base64.b64encode((folder / target).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\(([^)]+)\)", embed, css)


def _strip_source_maps(text: str) -> str:
    return re.sub(r"/[/*]# sourceMappingURL=\S+(\s*\*/)?", "", text)


def _inlinable(text: str, closing_tag: str, what: str) -> Markup:
    """Trust ``text`` as markup once sure it cannot close its ``<style>``/``<script>`` block early."""
    if closing_tag in text.lower():
        raise ValueError(f"{what} holds {closing_tag!r}: it cannot be inlined into the map page")
    return Markup(text)


def load_web_assets(node_modules: Path | None = None) -> WebAssets:
    """Read Leaflet, MarkerCluster and jangkau's own page code, ready to inline."""
    root = node_modules or node_modules_dir()
    css_parts, js_parts = [], []
    for css_path, js_path in LIBRARIES:
        css_file = root / css_path
        css_parts.append(
            _strip_source_maps(_inline_urls(css_file.read_text(encoding="utf-8"), css_file.parent))
        )
        if js_path:
            js_parts.append(_strip_source_maps((root / js_path).read_text(encoding="utf-8")))
    own = resources.files("jangkau.publish").joinpath("templates")
    css_parts.append(own.joinpath("peta.css").read_text(encoding="utf-8"))
    js_parts.append(own.joinpath("peta.js").read_text(encoding="utf-8"))
    js_parts.append(own.joinpath("peta_waktu.js").read_text(encoding="utf-8"))
    # "Status terkini" from the live status service (jangkau pantau, issue 17).
    js_parts.append(own.joinpath("peta_status.js").read_text(encoding="utf-8"))
    return WebAssets(
        css=_inlinable("\n".join(css_parts), "</style", "a stylesheet of the map page"),
        js=_inlinable("\n;\n".join(js_parts), "</script", "a script of the map page"),
    )
