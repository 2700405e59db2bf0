"""The residents' report form ``/lapor``: one small page, Bahasa Indonesia, fit for a phone."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from jangkau.pantau.vocabulary import Vocabulary

_ENVIRONMENT = Environment(
    loader=PackageLoader("jangkau.pantau", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
)


def render_form(
    *,
    region: str,
    vocabulary: Vocabulary,
    error: str | None = None,
    done: int | None = None,
    fields: dict[str, str] | None = None,
) -> str:
    """Return the form page; with ``error`` it says why the report was refused, with ``done`` its number."""
    statuses = {k: v["label"] for k, v in vocabulary.statuses.items()}
    return _ENVIRONMENT.get_template("lapor.html").render(
        region=region,
        statuses=statuses,
        events=vocabulary.events,
        error=error,
        done=done,
        fields=fields or {},
    )
