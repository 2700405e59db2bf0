"""The coverage flow: boundaries, assets, coverage and publishing as Prefect tasks.

Tasks wrap :mod:`jangkau.pipeline` and pass each other the region as JSON and
the work folder's path, never frames.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from prefect import flow, task, unmapped
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

from jangkau import pipeline
from jangkau.config.region import Region
from jangkau.errors import InputError


def _worth_retrying(_task: object, _task_run: object, state: object) -> bool:
    """Retry reading only where a retry can help: not for a file that is simply wrong."""
    try:
        state.result()
    except InputError:
        return False
    except Exception:  # noqa: BLE001 - any other failure may be a transient one
        return True
    return True


@task(name="wilayah")
def resolve_region_task(region_file: str | None, data_dir: str | None, name: str | None) -> str:
    """Resolve the region's files; return it as JSON."""
    return pipeline.prepare_region(region_file=region_file, data_dir=data_dir, name=name).to_json()


@task(
    name="batas-dan-penduduk", retries=2, retry_delay_seconds=5, retry_condition_fn=_worth_retrying
)
def boundaries_task(region_json: str, work: str, cache_dir: str) -> str:
    """Read and reconcile boundaries and population (reused when the inputs are unchanged)."""
    return str(
        pipeline.run_boundaries(
            Region.from_json(region_json), Path(work), cache_dir=Path(cache_dir)
        )
    )


@task(name="aset", retries=2, retry_delay_seconds=5, retry_condition_fn=_worth_retrying)
def assets_task(region_json: str, work: str, cache_dir: str) -> str:
    """Read, clean and place every asset record (reused when the inputs are unchanged)."""
    return str(
        pipeline.run_assets(Region.from_json(region_json), Path(work), cache_dir=Path(cache_dir))
    )


@task(name="cakupan")
def coverage_task(region_json: str, work: str, cache_dir: str) -> str:
    """Compute coverage, the gap table and proposed sites (reused when the inputs are unchanged)."""
    return str(
        pipeline.run_coverage(Region.from_json(region_json), Path(work), cache_dir=Path(cache_dir))
    )


@task(name="terbitkan")
def publish_task(region_json: str, work: str, processed: str, maps: str) -> dict[str, str]:
    """Write the GeoPackage, CSV and map page."""
    outputs = pipeline.OutputPaths(processed=Path(processed), maps=Path(maps))
    return pipeline.run_publish(Region.from_json(region_json), Path(work), outputs)


@flow(name="jangkau-cakupan")
def coverage_flow(
    region_file: str | None = None,
    data_dir: str | None = None,
    name: str | None = None,
    out_root: str = ".",
) -> dict[str, object]:
    """Run one region from raw files to published outputs.

    Parameters
    ----------
    region_file
        Path of ``regions/<name>.toml``; or give ``data_dir`` and ``name``.
    data_dir, name
        A folder of input files and the region name to publish it under.
    out_root
        Outputs go to ``out_root/data/processed/<name>`` and ``out_root/maps/<name>``.
    """
    region_json = resolve_region_task(region_file, data_dir, name)
    region = Region.from_json(region_json)
    outputs = pipeline.OutputPaths.under(out_root, region.name)
    work = pipeline.new_work_dir(outputs)
    try:
        # Submitted, so that a Dask task runner runs them on its workers; each waits for the one before.
        cache = str(outputs.processed / ".cache")
        boundaries = boundaries_task.submit(region_json, str(work), cache)
        assets = assets_task.submit(region_json, str(work), cache, wait_for=[boundaries])
        covered = coverage_task.submit(region_json, str(work), cache, wait_for=[assets])
        written = publish_task.submit(
            region_json, str(work), str(outputs.processed), str(outputs.maps), wait_for=[covered]
        ).result()
        summary = pipeline.run_summary(work, region)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    create_markdown_artifact(markdown=summary["markdown"], key=f"ringkasan-{_key(region.name)}")
    create_table_artifact(table=summary["kesenjangan"], key=f"kesenjangan-{_key(region.name)}")
    create_link_artifact(
        link=Path(written["peta"]).resolve().as_uri(),
        link_text=f"Peta cakupan {region.title}",
        key=f"peta-{_key(region.name)}",
    )
    return {"keluaran": written, "ringkasan": summary}


@task(name="wilayah-lengkap", retries=1, retry_delay_seconds=5, retry_condition_fn=_worth_retrying)
def region_task(region_file: str, out_root: str) -> dict[str, object]:
    """Run one whole region with the library's stages (one kabupaten per task)."""
    region = pipeline.prepare_region(region_file=region_file)
    result = pipeline.run_all(region, pipeline.OutputPaths.under(out_root, region.name))
    return {
        "wilayah": region.name,
        "keluaran": result["keluaran"],
        "teks": result["ringkasan"]["teks"],
    }


@flow(name="jangkau-semua-wilayah")
def all_regions_flow(region_files: list[str], out_root: str = ".") -> list[dict[str, object]]:
    """Run every region file, one task each, so a Dask task runner spreads them over workers."""
    futures = region_task.map(region_files, out_root=unmapped(out_root))
    results = [future.result() for future in futures]
    # Regions finishing together on different workers may each have listed the index first.
    pipeline.publish_index(Path(out_root) / "maps")
    return results


def with_runner(
    chosen_flow: object, runner: str, dask_address: str | None = None, *, workers: int | None = None
) -> object:
    """Return the flow set to run its tasks on threads (``prefect``) or on a Dask cluster (``dask``).

    With ``dask`` and no scheduler address, a local cluster of ``workers``
    single-threaded worker processes (default 2) is started for the run.
    """
    if runner != "dask":
        return chosen_flow
    from prefect_dask import DaskTaskRunner

    if dask_address:
        return chosen_flow.with_options(task_runner=DaskTaskRunner(address=dask_address))
    cluster = {"n_workers": workers or 2, "threads_per_worker": 1, "dashboard_address": None}
    return chosen_flow.with_options(task_runner=DaskTaskRunner(cluster_kwargs=cluster))


def _key(name: str) -> str:
    """Prefect artifact keys allow lower-case letters, digits and dashes only."""
    return "".join(c if c.isalnum() else "-" for c in name.lower())
