"""A folium figure that writes one self-contained page: every library inlined, none linked.

folium's elements name the libraries they need (``leaflet``,
``markerclusterjs``...) and link them from CDNs; branca renders a link as the
library's code when rendered with ``embedded=True``. This figure hands each
link the code of the npm package :mod:`jangkau.publish.webassets` maps its
name to, and refuses a link it has no file for, so the page can never ask the
network for anything.
"""

from __future__ import annotations

import html
import json
import uuid

from branca.element import CssLink, Element, Figure, JavascriptLink, Link
from folium import GeoJson
from folium.plugins import FastMarkerCluster
from folium.template import Template as FoliumTemplate
from jinja2 import Template
from jinja2.utils import htmlsafe_json_dumps

from jangkau.publish.webassets import WebAssets


class RawText(Element):
    """Text placed into the page as it is, never read as a template (data may hold ``{{``)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: object) -> str:
        """Return the text unchanged."""
        return self.text


def json_block(element_id: str, data: object) -> RawText:
    r"""Return a ``<script type="application/json">`` block no value in ``data`` can close.

    ``<``, ``>``, ``&`` and ``'`` become ``\u`` escapes (as jinja2's ``tojson``
    does); other non-ASCII text stays readable; NaN is refused, because
    ``JSON.parse`` would refuse it with a blank map.
    """
    return RawText(f'<script type="application/json" id="{element_id}">{json_text(data)}</script>')


def json_text(data: object) -> str:
    """Return ``data`` as compact JSON safe inside a ``<script>`` block (see :func:`json_block`)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for character in "<>&'":
        text = text.replace(character, f"\\u{ord(character):04x}")
    return text


class OfflineFigure(Figure):
    """The page around a folium map: Indonesian, titled, every resource inlined."""

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="id">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="generator" content="jangkau">\n'
        "<title>{{ this.title }}</title>\n"
        "{{ this.header.render(**kwargs) }}\n</head>\n<body>\n"
        "{{ this.html.render(**kwargs) }}\n"
        "<script>\n{{ this.script.render(**kwargs) }}\n</script>\n</body>\n</html>\n"
    )

    def __init__(self, *, title: str, assets: WebAssets) -> None:
        super().__init__()
        # The template does not autoescape: the title is escaped here, once.
        self.title = html.escape(title, quote=True)
        self.assets = assets
        # folium adds its own <meta charset> beside ours.
        self.header._children.pop("meta_http", None)

    def render(self, **kwargs: object) -> str:
        """Render the page with each library's code in place of its link.

        While it renders, folium's ``tojson`` writes compact JSON (no spaces
        after separators): the province page's data shrink by about a tenth.
        """
        policies = FoliumTemplate("").environment.policies
        saved = policies["json.dumps_kwargs"]
        policies["json.dumps_kwargs"] = {"sort_keys": True, "separators": (",", ":")}
        aside = _set_data_aside(self)
        try:
            page = self._render(**kwargs)
            for _, data, placeholder in aside:
                quoted = json.dumps(placeholder)
                if page.count(quoted) != 1:
                    raise ValueError(f"the map page holds {page.count(quoted)} copies of {quoted}")
                code = htmlsafe_json_dumps(
                    data, dumps=policies["json.dumps_function"], **policies["json.dumps_kwargs"]
                )
                page = page.replace(quoted, str(code), 1)
            return page
        finally:
            policies["json.dumps_kwargs"] = saved
            for element, data, _ in aside:
                element.data = data

    def _render(self, **kwargs: object) -> str:
        for child in list(self._children.values()):
            child.render(**kwargs)
        for name, child in self.header._children.items():
            if isinstance(child, (JavascriptLink, CssLink, Link)):
                if name not in self.assets.code:
                    raise ValueError(
                        f"the map page would fetch {name!r} from {child.url}: "
                        "add its npm file to jangkau.publish.webassets.NPM_FILES"
                    )
                child.code = self.assets.code[name]
        return self._template.render(this=self, kwargs={**kwargs, "embedded": True})


def _set_data_aside(root: Element) -> list[tuple[Element, object, str]]:
    """Give the layers that carry the page's bulk data a placeholder; return what was set aside.

    branca turns each element's rendered script into a jinja2 template and
    renders it again, so megabytes of polygons and facility rows were read
    by the template lexer (half the province page's time). A placeholder
    passes through instead, and :meth:`OfflineFigure.render` writes the data
    in its place as ``tojson`` would have (the texts in them are escaped for
    that second reading anyway, see :mod:`jangkau.publish.webtext`, so it
    left them as they were).
    """
    aside = []
    stack = [root]
    tag = uuid.uuid4().hex
    while stack:
        element = stack.pop()
        stack.extend(element._children.values())
        plain_geojson = (
            isinstance(element, GeoJson)
            and element.embed
            and not (element.style or element.highlight)
        )
        if plain_geojson or isinstance(element, FastMarkerCluster):
            placeholder = f"jangkau-data-{tag}-{len(aside)}"
            aside.append((element, element.data, placeholder))
            element.data = placeholder
    return aside
