"""The run as stages from files to files: what the flows and the command line call."""

from jangkau.pantau.files import with_live_status
from jangkau.pipeline.context import OutputPaths, new_work_dir, prepare_region
from jangkau.pipeline.fetching import fetch_boundaries, fetch_osm_assets
from jangkau.pipeline.publishing import publish_index, run_publish
from jangkau.pipeline.runner import run_all
from jangkau.pipeline.stages import run_assets, run_boundaries, run_coverage
from jangkau.pipeline.summary import run_summary

__all__ = [
    "OutputPaths",
    "fetch_boundaries",
    "fetch_osm_assets",
    "new_work_dir",
    "prepare_region",
    "publish_index",
    "run_all",
    "with_live_status",
    "run_assets",
    "run_boundaries",
    "run_coverage",
    "run_publish",
    "run_summary",
]
