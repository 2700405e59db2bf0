"""Browser libraries for the offline map page, read from the npm packages `make install` installs.

The page must render with no internet, so Leaflet, the folium plugins' own
libraries and the page's code are inlined into it. The libraries come from
the registry at setup (``package.json``), never from copies in this
repository; folium names each resource it links (``leaflet``,
``markerclusterjs``...) and :class:`jangkau.publish.offline.OfflineFigure`
replaces each link with the file this table names.

These stylesheets and scripts are the only text the page inserts unescaped:
they are marked ``markupsafe.Markup`` here, when they are read, because they
are code the project chose (pinned npm packages and its own ``peta.css``,
``peta.js``, ``peta_waktu.js``), never text from an input file.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from markupsafe import Markup

# Resource name (as folium's elements call it) -> file under node_modules.
NPM_FILES = {
    "leaflet": "leaflet/dist/leaflet.js",
    "leaflet_css": "leaflet/dist/leaflet.css",
    "markerclusterjs": "leaflet.markercluster/dist/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster/dist/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/dist/MarkerCluster.Default.css",
    "Control.Fullscreen.js": "leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "leaflet.fullscreen/Control.FullScreen.css",
    "Control_locate_min_js": "leaflet.locatecontrol/dist/L.Control.Locate.min.js",
    "Control_locate_min_css": "leaflet.locatecontrol/dist/L.Control.Locate.min.css",
    "fuse_js": "fuse.js/dist/fuse.min.js",
}
# The page's own code, from jangkau/publish/templates.
OWN_FILES = {
    "jangkau_peta_css": "peta.css",
    "jangkau_peta_js": "peta.js",
    "jangkau_waktu_js": "peta_waktu.js",
    # "Status terkini" from the live status service (jangkau pantau, issue 17).
    "jangkau_status_js": "peta_status.js",
    # Every asset class coloured by condition (issue 16).
    "jangkau_aset_js": "peta_aset.js",
}


@dataclass(frozen=True)
class WebAssets:
    """Every stylesheet and script the page may inline, by resource name, trusted as markup."""

    code: dict[str, Markup] = field(default_factory=dict)

    @property
    def js(self) -> Markup:
        """All scripts, joined (for size checks)."""
        return Markup("\n".join(v for k, v in self.code.items() if not _is_css(k)))

    @property
    def css(self) -> Markup:
        """All stylesheets, joined (for size checks)."""
        return Markup("\n".join(v for k, v in self.code.items() if _is_css(k)))


def _is_css(name: str) -> bool:
    return name.lower().endswith("css")


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
        if all((candidate / path).exists() for path in NPM_FILES.values()):
            return candidate
    raise FileNotFoundError(
        "The libraries of the offline map page are not installed: run `make install` "
        "(npm ci), or set JANGKAU_NODE_MODULES to a node_modules folder holding "
        + ", ".join(sorted({path.split("/")[0] for path in NPM_FILES.values()}))
    )


# The stylesheets' images, typed without ``mimetypes``: its first use reads the system's
# type files (~20 ms of every run), and these are the only types the page embeds.
IMAGE_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif"}


def _inline_urls(css: str, folder: Path) -> str:
    """Replace relative image URLs in a stylesheet with data URIs, so nothing is fetched."""

    def embed(match: re.Match[str]) -> str:
        target = match.group(1).strip("'\"")
        if target.startswith(("data:", "#", "http")):
            return match.group(0)
        mime = (
            IMAGE_TYPES.get(Path(target).suffix.lower())
            or mimetypes.guess_type(target)[0]
            or "application/octet-stream"
        )
        data = base64.b64encode((folder / target).read_bytes()).decode("ascii")
        return f"url(data:{mime};base64,{data})"

    return re.sub(r"url\(([^)]+)\)", embed, css)


def _strip_source_maps(text: str) -> str:
    return re.sub(r"/[/*]# sourceMappingURL=\S+(\s*\*/)?", "", text)


def _inlinable(text: str, closing_tag: str, what: str) -> Markup:
    """Trust ``text`` as markup once sure it cannot close its ``<style>``/``<script>`` block early."""
    if closing_tag in text.lower():
        raise ValueError(f"{what} holds {closing_tag!r}: it cannot be inlined into the map page")
    return Markup(text)


def _prepared(name: str, text: str, folder: Path) -> Markup:
    if _is_css(name):
        text = _strip_source_maps(_inline_urls(text, folder))
        return _inlinable(text, "</style", f"a stylesheet of the map page ({name})")
    return _inlinable(_strip_source_maps(text), "</script", f"a script of the map page ({name})")


def load_web_assets(node_modules: Path | None = None) -> WebAssets:
    """Read the npm libraries and jangkau's own page code, ready to inline."""
    root = node_modules or node_modules_dir()
    code = {}
    for name, path in NPM_FILES.items():
        file = root / path
        code[name] = _prepared(name, file.read_text(encoding="utf-8"), file.parent)
    own = resources.files("jangkau.publish").joinpath("templates")
    for name, path in OWN_FILES.items():
        code[name] = _prepared(name, own.joinpath(path).read_text(encoding="utf-8"), Path("."))
    return WebAssets(code=code)
