"""Run folders and the one pointer that publishes them: outputs change as one set.

Design
------
Every run writes all its files into a hidden folder ``riwayat/.baru-<run>/``,
which one rename turns into ``riwayat/<run>/`` once it is whole (a finished
run folder never changes again). ``data/processed/NAME/terkini`` is a relative
symlink to ``riwayat/<run>``, and every path users know is a stable relative
symlink through it: ``coverage.gpkg -> terkini/coverage.gpkg`` and, for the
map, ``maps/NAME/index.html -> ../../data/processed/NAME/terkini/index.html``.
Publishing a run is therefore ONE ``rename`` (a new ``terkini`` made under a
temporary name, then ``os.replace`` over the old one): before it every path
resolves into the old run, after it into the new one, for the data folder and
the map folder alike; a run killed at any moment leaves one whole set. The
stable links are only ever replaced by links that resolve to the same bytes,
so creating or repairing them is safe at any time. ``maps/NAME`` stays a real
folder (a symlinked folder could not replace an existing one in one rename).
An installation from before this design has plain files in place: the first
run copies them into a run folder of their own (``<date>-pindahan``), points
``terkini`` at it, and only then turns each plain file into a link with the
same content, so even that first switch happens in the one pointer rename.
Pruning never touches the run ``terkini`` names. The caller holds the region's
lock (:mod:`jangkau.pipeline.lock`), so no other run writes here meanwhile.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import time
import uuid
from pathlib import Path

from jangkau.io.atomic import replace_with_symlink
from jangkau.pipeline.context import OutputPaths

HISTORY = "riwayat"
POINTER = "terkini"
UNFINISHED = ".baru-"
MIGRATED = "pindahan"
# Seconds after which a temporary copy of the shared maps/index.html can only be a killed run's.
STALE_SECONDS = 600

# Files a run publishes: (label, file name in the run folder, destination folder).
PUBLISHED = [
    ("geopackage", "coverage.gpkg", "processed"),
    ("proyek_qgis", "coverage.qgz", "processed"),
    ("kesenjangan_csv", "kesenjangan_kecamatan.csv", "processed"),
    ("kesenjangan_xlsx", "kesenjangan_kecamatan.xlsx", "processed"),
    ("kesenjangan_csv_excel", "kesenjangan_kecamatan_excel.csv", "processed"),
    ("kesenjangan_desa_csv", "kesenjangan_desa.csv", "processed"),
    ("perubahan", "perubahan.csv", "processed"),
    ("kualitas_data", "kualitas_data.html", "processed"),
    ("baris_ditolak", "baris_ditolak.csv", "processed"),
    ("laporan", "laporan.pdf", "processed"),
    ("peta", "index.html", "maps"),
    ("info_peta", "info.json", "maps"),
]


def published_path(outputs: OutputPaths, name: str, folder: str) -> Path:
    """Return the path users know for a published file."""
    return (outputs.maps if folder == "maps" else outputs.processed) / name


def _link_target(outputs: OutputPaths, name: str, folder: str) -> str:
    """Return the relative link text that reaches ``name`` through the pointer."""
    place = published_path(outputs, name, folder).parent
    return os.path.relpath(outputs.processed / POINTER / name, place)


def current_run(outputs: OutputPaths) -> Path | None:
    """Return the run folder the pointer names, or ``None`` before the first publication."""
    pointer = outputs.processed / POINTER
    if not pointer.is_symlink():
        return None
    return outputs.processed / HISTORY / Path(os.readlink(pointer)).name


def _finished_runs(history: Path) -> list[Path]:
    if not history.is_dir():
        return []
    return sorted(
        p
        for p in history.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / "info.json").exists()
    )


def previous_run(outputs: OutputPaths) -> Path | None:
    """Return the published run (the pointer's), else the newest finished one."""
    pointed = current_run(outputs)
    if pointed is not None and pointed.is_dir():
        return pointed
    finished = _finished_runs(outputs.processed / HISTORY)
    return finished[-1] if finished else None


def new_run_dir(outputs: OutputPaths) -> Path:
    """Create this run's hidden folder ``riwayat/.baru-<run>``; its run id is the part after."""
    history = outputs.processed / HISTORY
    history.mkdir(parents=True, exist_ok=True)
    folder = history / f"{UNFINISHED}{_stamp_after(_finished_runs(history))}-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    return folder


def _stamp_after(finished: list[Path], *, longest_wait: float = 1.5) -> str:
    """Return a second-resolution stamp later than the newest finished run's.

    Run ids sort by name in history listings and in the fallback for a lost
    pointer, so two runs published within one second (a cached rerun takes
    less) must not be ordered by their random suffix. The wait is bounded: a
    stamp from a clock set back is not waited out.
    """
    newest = finished[-1].name[:15] if finished else ""
    deadline = time.monotonic() + longest_wait
    while (stamp := dt.datetime.now().strftime("%Y%m%dT%H%M%S")) <= newest:
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return stamp


def run_id(folder: Path) -> str:
    """Return the run id of a run folder, finished or not."""
    return folder.name.removeprefix(UNFINISHED)


def finish_run(folder: Path) -> Path:
    """Mark a run folder whole by renaming it to its run id; return the new path."""
    finished = folder.parent / run_id(folder)
    os.replace(folder, finished)
    return finished


def _plain_files(outputs: OutputPaths) -> list[tuple[str, str]]:
    """Return the published paths that are still plain files (an installation before the pointer)."""
    return [
        (name, folder)
        for _, name, folder in PUBLISHED
        if published_path(outputs, name, folder).is_file()
        and not published_path(outputs, name, folder).is_symlink()
    ]


def _migrate(outputs: OutputPaths) -> None:
    """Give plain published files a run folder of their own and point ``terkini`` at it."""
    plain = _plain_files(outputs)
    if not plain or current_run(outputs) is not None:
        return
    when = max(published_path(outputs, n, f).stat().st_mtime for n, f in plain)
    stamp = dt.datetime.fromtimestamp(when).strftime("%Y%m%dT%H%M%S")
    staging = new_run_dir(outputs)
    for name, folder in plain:
        shutil.copyfile(published_path(outputs, name, folder), staging / name)
    finished = outputs.processed / HISTORY / f"{stamp}-{MIGRATED}-{uuid.uuid4().hex[:6]}"
    os.replace(staging, finished)
    replace_with_symlink(outputs.processed / POINTER, f"{HISTORY}/{finished.name}")


def _link_all(outputs: OutputPaths, *, missing_too: bool) -> None:
    """Make every published path a link through the pointer.

    A plain file is replaced only while the pointer names a run holding the
    same file (what :func:`_migrate` guarantees), so its content never changes.
    """
    pointed = current_run(outputs)
    for _, name, folder in PUBLISHED:
        path = published_path(outputs, name, folder)
        wanted = _link_target(outputs, name, folder)
        if path.is_symlink() and os.readlink(path) == wanted:
            continue
        exists = path.is_symlink() or path.exists()
        if not exists and not missing_too:
            continue
        if exists and (pointed is None or not (pointed / name).exists()):
            continue
        replace_with_symlink(path, wanted)


def publish_run(finished: Path, outputs: OutputPaths) -> dict[str, str]:
    """Point ``terkini`` at a finished run folder: the one rename that publishes it.

    Returns
    -------
    dict
        Label to the stable published path.
    """
    outputs.maps.mkdir(parents=True, exist_ok=True)
    _migrate(outputs)
    _link_all(outputs, missing_too=False)
    replace_with_symlink(outputs.processed / POINTER, f"{HISTORY}/{finished.name}")
    # Names this installation never published before get their link only now, never dangling.
    _link_all(outputs, missing_too=True)
    return {
        label: str(published_path(outputs, name, folder))
        for label, name, folder in PUBLISHED
        if (finished / name).exists()
    }


def prepare_history(outputs: OutputPaths) -> None:
    """Bring an installation to the pointer layout before a run reads its previous run."""
    _migrate(outputs)


def prune_history(outputs: OutputPaths, *, keep: int, work: Path | None = None) -> None:
    """Keep the last ``keep`` finished runs and the pointer's run; drop the rest and leftovers.

    Leftovers of killed runs go too: unfinished run folders, temporary names in
    the region's folders, and work folders of this region other than ``work``
    (the lock guarantees no other run of the region is using them).
    """
    history = outputs.processed / HISTORY
    pointed = current_run(outputs)
    finished = _finished_runs(history)
    kept = set(finished[-keep:] if keep > 0 else [])
    if pointed is not None:
        kept.add(pointed)
    for folder in sorted(p for p in history.iterdir() if p.is_dir()):
        if folder not in kept:
            shutil.rmtree(folder, ignore_errors=True)
    for folder in (outputs.processed, outputs.maps):
        for stray in folder.glob(".*"):
            if stray.name.startswith(f".{POINTER}.") or any(
                stray.name.startswith(f".{name}.") for _, name, _ in PUBLISHED
            ):
                stray.unlink(missing_ok=True)
    region = re.escape(outputs.processed.name)
    own_work = re.compile(rf"\.kerja-{region}-\d{{8}}T\d{{6}}-[0-9a-f]{{6}}")
    for stray in outputs.processed.parent.glob(".kerja-*"):
        if own_work.fullmatch(stray.name) and (work is None or stray.resolve() != work.resolve()):
            shutil.rmtree(stray, ignore_errors=True)
    # The all-regions index is shared: only a temporary copy too old to be another run's goes.
    for stray in outputs.maps.parent.glob(".index.html.*"):
        with contextlib.suppress(FileNotFoundError):
            if time.time() - stray.lstat().st_mtime > STALE_SECONDS:
                stray.unlink()
