"""The one jinja2 environment every HTML page the project writes is rendered with.

Every template in ``jangkau/publish/templates`` is an HTML page, so every
``{{ value }}`` is HTML-escaped: text read from input files (names of desa,
kecamatan and facilities, file names, rejection reasons) can never become
markup or script. The only values that skip escaping are ``markupsafe.Markup``
objects: the stylesheets and scripts read from the project's npm packages and
templates (:mod:`jangkau.publish.webassets`). The map page is built with folium
instead (:mod:`jangkau.publish.foliummap`), with its own escaping.

A name that holds ``{{ 7*7 }}`` or ``@@JS@@`` is plain text here: jinja2
renders values, it never reads them as template source.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined


@cache
def environment() -> Environment:
    """Return the shared environment: autoescaped, strict about missing values.

    ``tojson`` (for data in ``<script>`` blocks) escapes ``<``, ``>``, ``&``
    and ``'``; it is set to keep non-ASCII text as it is, so names such as
    "Bontoa — Ñ" stay readable in the page source, and to refuse NaN, which
    ``JSON.parse`` in the browser would refuse with a blank map.
    """
    env = Environment(
        loader=PackageLoader("jangkau.publish", "templates"),
        # Every template is an HTML page: escape always, whatever the file name.
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["json.dumps_kwargs"] = {
        "ensure_ascii": False,
        "separators": (",", ":"),
        "allow_nan": False,
    }
    return env


def render(template: str, **values: object) -> str:
    """Render one template of ``jangkau/publish/templates`` with ``values``."""
    return environment().get_template(template).render(**values)
