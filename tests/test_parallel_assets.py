"""The asset stage reads its files in forked processes: the same tables as reading them one by one."""

import os
import pickle
import time
from pathlib import Path

import pandas as pd
from fresh_process import in_fresh_process

from jangkau.errors import InputError

TESTS = Path(__file__).resolve().parent
PROJECT = TESTS.parent


def run_assets_into(folder: str, record: str) -> bool:
    """Run the boundary and asset stages of Maros into ``folder``; note each file reader's pid."""
    import jangkau.pipeline.stages as stages
    from jangkau import pipeline
    from jangkau.analysis.threads import fork_is_safe

    original = stages.read_asset_file

    def recording(spec, **options):
        with open(record, "a", encoding="utf-8") as out:
            out.write(f"{os.getpid()}\n")
        return original(spec, **options)

    stages.read_asset_file = recording
    stages.FORK_READING_FROM_BYTES = 0  # Maros's files are small: fork all the same
    safe = fork_is_safe()
    region = pipeline.prepare_region(region_file=PROJECT / "regions" / "maros.toml")
    work = Path(folder)
    work.mkdir()
    pipeline.run_boundaries(region, work)
    pipeline.run_assets(region, work)
    return safe


def stage_run(tmp_path: Path, name: str, threads: str) -> tuple[bool, set[str], Path]:
    folder, record = tmp_path / name, tmp_path / f"{name}.pid"
    safe = in_fresh_process(
        "import json; from test_parallel_assets import run_assets_into; "
        f"print(json.dumps(run_assets_into({str(folder)!r}, {str(record)!r})))",
        threads,
    )
    return safe, set(record.read_text(encoding="utf-8").split()), folder


def test_forked_file_reading_gives_the_tables_of_reading_one_by_one(maros_dir, tmp_path):
    forked, forked_pids, forked_work = stage_run(tmp_path, "bercabang", "2")
    plain, plain_pids, plain_work = stage_run(tmp_path, "biasa", "1")
    # Maros has four asset files: with two workers a child read some of them.
    assert forked and len(forked_pids) == 2
    assert not plain and len(plain_pids) == 1
    outputs = sorted(p.name for p in plain_work.glob("*.parquet"))
    assert "aset.parquet" in outputs and "aset_ditolak.parquet" in outputs
    assert sorted(p.name for p in forked_work.glob("*.parquet")) == outputs
    for name in outputs:
        pd.testing.assert_frame_equal(
            pd.read_parquet(forked_work / name), pd.read_parquet(plain_work / name)
        )


def test_an_input_error_crosses_a_process_boundary_whole():
    error = pickle.loads(pickle.dumps(InputError("data/sekolah.csv", "kolom kosong", row=12)))
    assert isinstance(error, InputError)
    assert str(error) == "sekolah.csv, baris 12: kolom kosong"
    assert (error.file, error.row, error.problem) == ("sekolah.csv", 12, "kolom kosong")


FIRST_PROCESS = os.getpid()


def fail_with_input_error(value: int) -> int:
    """Fail in a forked child only, so that its error must travel to the parent."""
    time.sleep(0.02)
    if os.getpid() != FIRST_PROCESS:
        raise InputError("/data/fasilitas_kesehatan.xlsx", "tidak dapat dibaca", row=4)
    return value


def test_an_input_error_in_a_child_is_raised_here_as_one():
    answer = in_fresh_process(
        "import json; from test_parallel_assets import fail_with_input_error; "
        "from jangkau.analysis.threads import fork_is_safe, map_processes; "
        "from jangkau.errors import InputError\n"
        "try:\n    map_processes(fail_with_input_error, range(20)); found = None\n"
        "except InputError as error:\n    found = [str(error), error.row]\n"
        "print(json.dumps([fork_is_safe(), found]))",
        "2",
    )
    assert answer == [True, ["fasilitas_kesehatan.xlsx, baris 4: tidak dapat dibaca", 4]]
