"""The local runner: every stage in order, with no orchestration."""

from __future__ import annotations

import shutil
from collections.abc import Callable

from jangkau.config.region import Region
from jangkau.pantau.files import with_live_status
from jangkau.pipeline.context import OutputPaths, new_work_dir
from jangkau.pipeline.counts import check_record_counts
from jangkau.pipeline.lock import region_lock
from jangkau.pipeline.publishing import run_publish
from jangkau.pipeline.stages import run_assets, run_boundaries, run_coverage
from jangkau.pipeline.summary import run_summary


def run_all(
    region: Region,
    outputs: OutputPaths,
    *,
    keep_work: bool = False,
    progress: Callable[[str], None] | None = None,
    wait: bool = True,
    accept_drop: bool = False,
) -> dict[str, object]:
    """Run every stage in order with no orchestration (the ``local`` runner).

    The region's lock is held throughout: a second run of the same region
    waits for this one (or, with ``wait=False``, raises
    :class:`~jangkau.pipeline.lock.RegionBusyError`). After the asset stage,
    each file's record count is compared with the previous run's
    (:mod:`jangkau.pipeline.counts`); ``accept_drop`` lets a large drop through.

    Returns
    -------
    dict
        ``keluaran`` (paths written) and ``ringkasan`` (:func:`run_summary`).
    """
    with region_lock(outputs.processed, region=region.name, wait=wait):
        # Read under the lock: the statuses as this run starts (README "Live status").
        region = with_live_status(region, outputs.processed)
        return _run_stages(
            region, outputs, keep_work=keep_work, progress=progress, accept_drop=accept_drop
        )


def _run_stages(
    region: Region,
    outputs: OutputPaths,
    *,
    keep_work: bool,
    progress: Callable[[str], None] | None,
    accept_drop: bool,
) -> dict[str, object]:
    work = new_work_dir(outputs)
    try:
        for label, stage in (
            ("batas wilayah dan penduduk", run_boundaries),
            (f"aset ({len(region.aset)} berkas)", run_assets),
            ("cakupan, kesenjangan dan usulan lokasi", run_coverage),
        ):
            if progress:
                progress(f"{region.name}: {label}")
            stage(region, work, cache_dir=outputs.processed / ".cache")
            if stage is run_assets:
                # Outside the cached stage: a cache hit must not skip the comparison.
                check_record_counts(region, work, outputs, accept_drop=accept_drop)
        if progress:
            progress(f"{region.name}: menerbitkan")
        written = run_publish(region, work, outputs)
        return {"keluaran": written, "ringkasan": run_summary(work, region)}
    finally:
        if not keep_work:
            shutil.rmtree(work, ignore_errors=True)
