"""What a run knows about itself: its region, where its outputs go, its work folder, its metric CRS.

The metric CRS is decided once per run, by the boundary stage, and kept as
``konteks.json`` in the run's work folder (:class:`RunContext`); every later
stage and publishing read it from there. Flows hand tasks only paths and
small values, so the same file serves the local, Prefect and Dask runners.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyproj

from jangkau.analysis.crs import metric_crs_for
from jangkau.config.region import Region, load_region_file, region_from_folder, resolve_region
from jangkau.errors import InputError

CONTEXT_FILE = "konteks.json"


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


@dataclass(frozen=True)
class RunContext:
    """What every stage of one run must agree on: the CRS distances and areas are measured in.

    Attributes
    ----------
    metric_crs
        ``EPSG:NNNN`` or a PROJ string, as ``GeoDataFrame.to_crs`` takes it.
    crs_basis
        Why that CRS (Bahasa Indonesia, shown to the GIS officer).
    max_scale_error
        Largest scale error |k − 1| of that CRS over the region (None if unknown).
    """

    metric_crs: str
    crs_basis: str
    max_scale_error: float | None

    def write(self, work: Path) -> Path:
        """Write the context into a run's work folder."""
        path = Path(work) / CONTEXT_FILE
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    @classmethod
    def read(cls, work: Path) -> RunContext:
        """Read the context the boundary stage wrote into a run's work folder."""
        path = Path(work) / CONTEXT_FILE
        if not path.exists():
            raise FileNotFoundError(
                f"{path}: no run context; the boundary stage writes it and must run first"
            )
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    def table(self) -> pd.DataFrame:
        """Return the one-row ``crs_metrik`` table the GeoPackage carries (CRS, why, worst scale error, WKT)."""
        return pd.DataFrame(
            [
                {
                    "crs": self.metric_crs,
                    "dasar_pilihan": self.crs_basis,
                    "galat_skala_maks": (
                        float("nan") if self.max_scale_error is None else self.max_scale_error
                    ),
                    "wkt": pyproj.CRS(self.metric_crs).to_wkt(),
                }
            ]
        )

    def describe(self) -> str:
        """Return one line for the run summary, in Bahasa Indonesia."""
        error = (
            "tidak diketahui"
            if self.max_scale_error is None
            else f"{100 * self.max_scale_error:.3f} %".replace(".", ",")
        )
        return f"CRS ukur: {self.metric_crs} ({self.crs_basis}; galat skala maks. {error})"


def decide_run_context(region: Region, desa: gpd.GeoDataFrame) -> RunContext:
    """Decide a run's context from its desa: the region file's ``crs``, else the rule of ``analysis.crs``.

    Raises
    ------
    InputError
        Naming the desa file, when the region is too wide for one metric CRS.
    """
    try:
        choice = metric_crs_for(desa, explicit=region.crs)
    except ValueError as error:
        raise InputError(region.desa.path, str(error)) from error
    return RunContext(
        metric_crs=choice.crs, crs_basis=choice.basis, max_scale_error=choice.max_scale_error
    )
