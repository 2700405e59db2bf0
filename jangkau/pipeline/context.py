"""What a run knows about itself: its region, where its outputs go, its work folder, its metric CRS."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from jangkau.analysis.crs import metric_crs_for
from jangkau.config.region import Region, load_region_file, region_from_folder, resolve_region


@dataclass(frozen=True)
class OutputPaths:
    """Where a region's published outputs go."""

    processed: Path
    maps: Path

    @classmethod
    def under(cls, root: str | Path, name: str) -> OutputPaths:
        """Return the standard layout ``ROOT/data/processed/NAME`` and ``ROOT/maps/NAME``."""
        root = Path(root)
        return cls(processed=root / "data" / "processed" / name, maps=root / "maps" / name)


def prepare_region(
    *,
    region_file: str | Path | None = None,
    data_dir: str | Path | None = None,
    name: str | None = None,
) -> Region:
    """Resolve a region from its region file, or from a bare folder of files.

    A region file with ``generator = "demo"`` gets its inputs generated into
    its ``data_dir`` when that folder holds none yet; one with ``batas = {
    kode, sumber }`` gets its boundaries built when they are missing.
    """
    if region_file is not None:
        settings = load_region_file(region_file)
        from jangkau.pipeline.travel_step import ensure_boundaries

        settings = ensure_boundaries(settings, Path(region_file).resolve().parent.parent)
        if data_dir is not None:
            settings["data_dir"] = str(Path(data_dir).resolve())
        if settings.get("generator") == "demo":
            from jangkau.sources.demo import write_demo

            folder = Path(settings["data_dir"])
            if not folder.is_dir() or not any(folder.iterdir()):
                write_demo(folder)
        if name is not None:
            settings["name"] = name
        return resolve_region(settings)
    if data_dir is None or name is None:
        raise ValueError("give a region file, or both data_dir and name")
    return region_from_folder(data_dir, name)


def new_work_dir(outputs: OutputPaths) -> Path:
    """Create a fresh folder for one run's intermediate files."""
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    work = (
        outputs.processed.parent / f".kerja-{outputs.processed.name}-{stamp}-{uuid.uuid4().hex[:6]}"
    )
    work.mkdir(parents=True, exist_ok=False)
    return work


def metric_crs(region: Region, desa: gpd.GeoDataFrame) -> object:
    """Return the metric CRS of a run: the region's own, else one chosen from the desa."""
    return region.crs if region.crs else metric_crs_for(desa)
