"""Record counts per input file, kept with each run and compared with the previous run.

A file cut cleanly at a line end is a valid, shorter file: no integrity check
(:mod:`jangkau.io.integrity`) can see it. What shows it is the count: a
school list that gave 893 records last week and gives 661 today. Each
published run keeps ``jumlah_baris.json`` (records read per file: the desa
layer and every asset list) in its run folder; after the asset stage a run
compares its counts with the previous run's and stops, before anything is
published, when a file lost more than :data:`MAX_DROP` of its records. A
drop that is real (a list cleaned of duplicates, a file removed on purpose)
is accepted with ``--terima-penurunan`` or ``[masukan] terima_penurunan =
true`` in the region file; the run folder then records which drops were
accepted.

The counts come from the work folder (``aset_dibaca.parquet`` and
``desa.parquet``), whether the stages were computed or reused from the
cache, so the comparison is never skipped by a cache hit and never enters a
cache key.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from jangkau.config.region import Region
from jangkau.errors import InputError
from jangkau.io.atomic import write_text
from jangkau.pipeline.context import OutputPaths
from jangkau.pipeline.history import previous_run

COUNTS_FILE = "jumlah_baris.json"
# Share of a file's records that may disappear between two runs without a word.
# Asset lists are corrected and de-duplicated between deliveries (a few percent),
# while a copy or download cut short loses a large, arbitrary part of the file;
# 10 % separates the two for lists of a few dozen records and more. Below about
# ten records any lost record is more than 10 %, so small lists are fully guarded.
MAX_DROP = 0.10
DESA = "desa"
ASSET = "aset"


def record_counts(work: Path, region: Region) -> dict[str, dict[str, object]]:
    """Return, per input file, its role and the records the run read from it.

    Parameters
    ----------
    work
        The run's work folder after the asset stage.
    region
        The region being run.

    Returns
    -------
    dict
        File name to ``{"peran": "desa" | "aset", "baris": int}``.
    """
    read = pd.read_parquet(work / "aset_dibaca.parquet").set_index("sumber")["dibaca"]
    counts: dict[str, dict[str, object]] = {
        region.desa.name: {
            "peran": DESA,
            "baris": int(pq.read_metadata(work / "desa.parquet").num_rows),
        }
    }
    for spec in region.aset:
        counts[spec.name] = {"peran": ASSET, "baris": int(read.get(spec.name, 0))}
    return counts


def _drops(
    before: dict[str, dict[str, object]], now: dict[str, dict[str, object]]
) -> list[tuple[str, int, int]]:
    """Return ``(file, before, now)`` for every file that lost more than :data:`MAX_DROP`.

    The desa layer is compared by role (it may be renamed or change format);
    asset lists by name, a list no longer read counting as zero records.
    """
    desa_now = next((name for name, c in now.items() if c["peran"] == DESA), None)
    drops = []
    for name, entry in before.items():
        old = int(entry["baris"])
        if entry.get("peran") == DESA and desa_now is not None:
            name = desa_now  # noqa: PLW2901 - report the file read now
        new = int(now[name]["baris"]) if name in now else 0
        if old > 0 and (old - new) / old > MAX_DROP:
            drops.append((name, old, new))
    return drops


def check_record_counts(
    region: Region, work: Path, outputs: OutputPaths, *, accept_drop: bool = False
) -> dict[str, dict[str, object]]:
    """Compare this run's record counts with the previous run's; stop on a large drop.

    Writes the counts to the work folder (``jumlah_baris.json``), where
    publishing takes them into the run folder.

    Parameters
    ----------
    region
        The region being run (``terima_penurunan`` accepts drops too).
    work
        The work folder after the asset stage.
    outputs
        The region's output folders, holding the previous runs.
    accept_drop
        Accept drops (``--terima-penurunan``); they are recorded, not stopped.

    Raises
    ------
    InputError
        Naming the first file that lost more than :data:`MAX_DROP` of its records.
    """
    counts = record_counts(work, region)
    previous = previous_run(outputs)
    before_file = previous / COUNTS_FILE if previous is not None else None
    before = (
        json.loads(before_file.read_text(encoding="utf-8"))["berkas"]
        if before_file is not None and before_file.exists()
        else {}
    )
    drops = _drops(before, counts)
    accepted = accept_drop or region.terima_penurunan
    if drops and not accepted:
        name, old, new = drops[0]
        raise InputError(
            Path(region.data_dir) / name,
            f"jumlah baris turun dari {old} ke {new} (lebih dari {MAX_DROP * 100:.0f} %); "
            "jika memang benar, jalankan dengan --terima-penurunan atau tulis [masukan]"
            " terima_penurunan = true di berkas wilayah",
        )
    _write(work, counts, previous=previous, accepted=drops)
    return counts


def _write(
    folder: Path,
    counts: dict[str, dict[str, object]],
    *,
    previous: Path | None,
    accepted: list[tuple[str, int, int]],
) -> Path:
    record = {
        "berkas": counts,
        "proses_sebelumnya": previous.name if previous is not None else None,
        "penurunan_diterima": [
            {"berkas": n, "sebelumnya": o, "sekarang": m} for n, o, m in accepted
        ],
    }
    return write_text(folder / COUNTS_FILE, json.dumps(record, ensure_ascii=False, indent=1))


def keep_record_counts(work: Path, region: Region, run_dir: Path) -> Path:
    """Write the run's counts into its run folder, for the next run to compare with.

    Takes what :func:`check_record_counts` wrote into the work folder; a run
    whose caller did not compare (stages called one by one) still records its
    counts.
    """
    checked = work / COUNTS_FILE
    if checked.exists():
        return write_text(run_dir / COUNTS_FILE, checked.read_text(encoding="utf-8"))
    return _write(run_dir, record_counts(work, region), previous=None, accepted=[])
