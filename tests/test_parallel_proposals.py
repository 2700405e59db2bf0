"""The proposals step on two cores: the same tables as on one.

The kabupaten table, the urgency index and its sensitivity are written by a
forked process while the sites are planned (and the sites themselves on
forked processes); one thread asked for means all of it runs here, in turn.
Every table the step writes must be the same either way.
"""

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from fresh_process import in_fresh_process

TESTS = Path(__file__).resolve().parent
PROJECT = TESTS.parent
WRITTEN = [
    "usulan_lokasi.parquet",
    "usulan_laporan.parquet",
    "kesenjangan.parquet",
    "kesenjangan_kabupaten.parquet",
    "urgensi.parquet",
    "kepekaan_bobot.parquet",
]


def maros_until_coverage(folder: str) -> None:
    """Run Maros's boundary, asset and coverage stages into ``folder``."""
    from jangkau import pipeline
    from jangkau.pipeline.stages import measure_coverage

    region = pipeline.prepare_region(region_file=PROJECT / "regions" / "maros.toml")
    work = Path(folder)
    work.mkdir()
    pipeline.run_boundaries(region, work)
    pipeline.run_assets(region, work)
    measure_coverage(region, work)


def propose_recording(folder: str) -> list[int]:
    """Run the proposals step on ``folder``; return this pid and the pid that wrote the rankings."""
    import jangkau.pipeline.proposal_step as step
    from jangkau import pipeline

    original = step._write_rankings
    record = Path(folder) / "peringkat.pid"

    def recording(*args, **kwargs):
        record.write_text(str(os.getpid()), encoding="utf-8")
        return original(*args, **kwargs)

    step._write_rankings = recording
    region = pipeline.prepare_region(region_file=PROJECT / "regions" / "maros.toml")
    step.propose_and_rank(region, Path(folder))
    return [os.getpid(), int(record.read_text(encoding="utf-8"))]


def propose_ranking_last(folder: str) -> None:
    """Run the proposals step with the rankings made last, from the gap table with the proposals.

    The order before they moved to a second process: they must not depend on it.
    """
    import jangkau.pipeline.proposal_step as step
    from jangkau import pipeline

    class Deferred:
        def __init__(self, call):
            self.result = call

    class RankingLast:
        def __enter__(self):
            return self

        def __exit__(self, *error):
            return None

        def start(self, function, work, gaps, *args, **kwargs):
            # The gap table as the step leaves it, proposals included.
            return Deferred(
                lambda: function(
                    work, pd.read_parquet(work / "kesenjangan.parquet"), *args, **kwargs
                )
            )

    step.Started = RankingLast
    region = pipeline.prepare_region(region_file=PROJECT / "regions" / "maros.toml")
    step.propose_and_rank(region, Path(folder))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("usulan_paralel")
    base = root / "dasar"
    in_fresh_process(
        "import json; from test_parallel_proposals import maros_until_coverage; "
        f"maros_until_coverage({str(base)!r}); print(json.dumps(None))",
        "1",
    )
    folders = {}
    for threads in ("1", "2"):
        folder = root / f"utas{threads}"
        shutil.copytree(base, folder)
        pids = in_fresh_process(
            "import json; from test_parallel_proposals import propose_recording; "
            f"print(json.dumps(propose_recording({str(folder)!r})))",
            threads,
        )
        folders[threads] = (folder, pids)
    last = root / "peringkat_terakhir"
    shutil.copytree(base, last)
    in_fresh_process(
        "import json; from test_parallel_proposals import propose_ranking_last; "
        f"propose_ranking_last({str(last)!r}); print(json.dumps(None))",
        "1",
    )
    folders["terakhir"] = (last, None)
    return folders


def test_rankings_are_written_by_a_second_process_on_two_cores(runs):
    _, (parent, writer) = runs["2"]
    assert writer != parent
    _, (parent, writer) = runs["1"]
    assert writer == parent


@pytest.mark.parametrize("name", WRITTEN)
def test_two_cores_write_the_same_tables_as_one(runs, name):
    one, _ = runs["1"]
    two, _ = runs["2"]
    expected = pd.read_parquet(one / name)
    assert len(expected) > 0
    pd.testing.assert_frame_equal(pd.read_parquet(two / name), expected, check_exact=True)


@pytest.mark.parametrize("name", WRITTEN)
def test_rankings_made_from_the_gaps_with_proposals_are_the_same(runs, name):
    # Rankings made while the sites are planned read the gap table before the proposals.
    early, _ = runs["2"]
    last, _ = runs["terakhir"]
    pd.testing.assert_frame_equal(
        pd.read_parquet(last / name), pd.read_parquet(early / name), check_exact=True
    )
