"""The coverage flow: boundaries, assets, coverage and publishing as Prefect tasks.

Tasks wrap :mod:`jangkau.pipeline` and pass each other the region as JSON and
the work folder's path, never frames.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from prefect import flow, get_client, get_run_logger, task, unmapped
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

from jangkau import pipeline
from jangkau.config.region import Region
from jangkau.errors import InputError, RegionBusyError
from jangkau.pipeline.counts import check_record_counts
from jangkau.pipeline.lock import region_lock


def _progress(region: Region, stage: str) -> None:
    """Say in the terminal which stage starts: Prefect's own log lines are off unless --verbose."""
    print(f"  … {region.name}: {stage}", flush=True)


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
    region = Region.from_json(region_json)
    _progress(region, "batas wilayah dan penduduk")
    return str(pipeline.run_boundaries(region, Path(work), cache_dir=Path(cache_dir)))


@task(name="aset", retries=2, retry_delay_seconds=5, retry_condition_fn=_worth_retrying)
def assets_task(region_json: str, work: str, cache_dir: str) -> str:
    """Read, clean and place every asset record (reused when the inputs are unchanged)."""
    region = Region.from_json(region_json)
    _progress(region, f"aset ({len(region.aset)} berkas)")
    return str(pipeline.run_assets(region, Path(work), cache_dir=Path(cache_dir)))


@task(name="cakupan")
def coverage_task(region_json: str, work: str, cache_dir: str) -> str:
    """Compute coverage, the gap table and proposed sites (reused when the inputs are unchanged)."""
    region = Region.from_json(region_json)
    _progress(region, "cakupan, kesenjangan dan usulan lokasi")
    return str(pipeline.run_coverage(region, Path(work), cache_dir=Path(cache_dir)))


@task(name="terbitkan")
def publish_task(region_json: str, work: str, processed: str, maps: str) -> dict[str, str]:
    """Write the GeoPackage, CSV and map page."""
    outputs = pipeline.OutputPaths(processed=Path(processed), maps=Path(maps))
    region = Region.from_json(region_json)
    _progress(region, "menerbitkan")
    return pipeline.run_publish(region, Path(work), outputs)


@flow(name="jangkau-cakupan")
def coverage_flow(
    region_file: str | None = None,
    data_dir: str | None = None,
    name: str | None = None,
    out_root: str = ".",
    wait: bool = True,
    accept_drop: bool = False,
) -> dict[str, object]:
    """Run one region from raw files to published outputs.

    Two runs of one region never overlap: a Prefect global concurrency limit
    ``jangkau-<region>`` of one slot serialises flow runs sharing a Prefect
    server, and the region's file lock (:mod:`jangkau.pipeline.lock`) guards
    every case, with or without a server.

    Parameters
    ----------
    region_file
        Path of ``regions/<name>.toml``; or give ``data_dir`` and ``name``.
    data_dir, name
        A folder of input files and the region name to publish it under.
    out_root
        Outputs go to ``out_root/data/processed/<name>`` and ``out_root/maps/<name>``.
    wait
        Wait for a running run of the same region (default); else stop at once.
    accept_drop
        Publish even when a file has far fewer records than in the previous
        run (``--terima-penurunan``; see :mod:`jangkau.pipeline.counts`).
    """
    region_json = resolve_region_task(region_file, data_dir, name)
    region = Region.from_json(region_json)
    outputs = pipeline.OutputPaths.under(out_root, region.name)
    with (
        _one_flow_run_per_region(region.name, wait=wait),
        region_lock(
            outputs.processed, region=region.name, wait=wait, on_wait=get_run_logger().warning
        ),
    ):
        # Read under the lock: the statuses as this run starts (README "Live status").
        region = pipeline.with_live_status(region, outputs.processed)
        region_json = region.to_json()
        written, summary = _run_region(region_json, region, outputs, accept_drop=accept_drop)
    create_markdown_artifact(markdown=summary["markdown"], key=f"ringkasan-{_key(region.name)}")
    create_table_artifact(table=summary["kesenjangan"], key=f"kesenjangan-{_key(region.name)}")
    create_link_artifact(
        # The stable path, not the run folder it resolves to today (pruned some day).
        link=Path(os.path.abspath(written["peta"])).as_uri(),
        link_text=f"Peta cakupan {region.title}",
        key=f"peta-{_key(region.name)}",
    )
    return {"keluaran": written, "ringkasan": summary}


def _run_region(
    region_json: str, region: Region, outputs: pipeline.OutputPaths, *, accept_drop: bool
) -> tuple[dict[str, str], dict[str, object]]:
    """Run the stage tasks of one region, the caller holding its lock."""
    work = pipeline.new_work_dir(outputs)
    try:
        # Submitted, so that a Dask task runner runs them on its workers; each waits for the one before.
        cache = str(outputs.processed / ".cache")
        boundaries = boundaries_task.submit(region_json, str(work), cache)
        assets = assets_task.submit(region_json, str(work), cache, wait_for=[boundaries])
        assets.result()
        # In the flow, outside the cached task: a cache hit must not skip the comparison.
        check_record_counts(region, work, outputs, accept_drop=accept_drop)
        covered = coverage_task.submit(region_json, str(work), cache, wait_for=[assets])
        written = publish_task.submit(
            region_json, str(work), str(outputs.processed), str(outputs.maps), wait_for=[covered]
        ).result()
        summary = pipeline.run_summary(work, region)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return written, summary


@contextmanager
def _one_flow_run_per_region(region_name: str, *, wait: bool) -> Iterator[None]:
    """Hold the one slot of the region's global concurrency limit, creating the limit if missing.

    Without a running server Prefect starts a temporary API per process, so
    the limit then only orders flow runs of this process; the file lock is
    what makes every case safe.
    """
    limit = f"jangkau-{_key(region_name)}"
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(limit)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=limit, limit=1)
                )
            except ObjectAlreadyExists:
                pass  # another flow run of this region created it first
    held = ExitStack()
    try:
        held.enter_context(concurrency(limit, occupy=1, timeout_seconds=1, strict=True))
    except TimeoutError:
        busy = (
            f"wilayah {region_name} sedang diproses oleh flow run lain (batas konkurensi {limit})"
        )
        if not wait:
            raise RegionBusyError(f"{busy}; tidak menunggu (--tanpa-tunggu)") from None
        get_run_logger().warning(f"jangkau: {busy}; menunggu sampai selesai …")
        # A run killed while holding the slot frees it when its lease lapses (lease_duration).
        held.enter_context(concurrency(limit, occupy=1, strict=True))
    with held:
        yield


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
