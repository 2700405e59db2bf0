"""Work shared with forked processes: same answers, errors raised here, threads where a fork is unsafe."""

import os
import threading
import time

import pytest

from jangkau.analysis.threads import fork_is_safe, map_processes
from jangkau.pipeline.beside import Beside


@pytest.fixture
def two_workers(monkeypatch):
    monkeypatch.setenv("JANGKAU_THREADS", "2")


def square_and_pid(value):
    time.sleep(0.02)  # long enough that the child, once started, takes items too
    return value * value, os.getpid()


def test_map_processes_answers_in_order_and_shares_the_items(two_workers):
    assert fork_is_safe()
    results = map_processes(square_and_pid, range(40))
    assert [square for square, _ in results] == [value * value for value in range(40)]
    # Both this process and a forked child took items.
    pids = {pid for _, pid in results}
    assert os.getpid() in pids and len(pids) == 2


def fail_on_seven(value):
    if value == 7:
        raise ValueError("baris 7 rusak")
    return value


def test_an_items_error_is_raised_here_with_its_message(two_workers):
    with pytest.raises(ValueError, match="baris 7 rusak"):
        map_processes(fail_on_seven, range(20))


def test_one_thread_asked_for_means_no_child(monkeypatch):
    monkeypatch.setenv("JANGKAU_THREADS", "1")
    assert not fork_is_safe()
    assert {pid for _, pid in map_processes(square_and_pid, range(10))} == {os.getpid()}
    assert Beside(square_and_pid, 3).result() == (9, os.getpid())


def test_no_fork_while_another_thread_runs(two_workers):
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not fork_is_safe()
        assert Beside(square_and_pid, 4).result() == (16, os.getpid())
    finally:
        release.set()
        other.join()


def write_file(path, text):
    path.write_text(text, encoding="utf-8")
    return path, os.getpid()


def test_beside_runs_in_a_child_and_its_files_are_there_when_it_returns(two_workers, tmp_path):
    job = Beside(write_file, tmp_path / "laporan.txt", "isi")
    path, pid = job.result()
    assert pid != os.getpid()
    assert path.read_text(encoding="utf-8") == "isi"


def raise_error(message):
    raise RuntimeError(message)


def test_beside_raises_the_childs_error_here(two_workers):
    job = Beside(raise_error, "lembar kerja gagal ditulis")
    with pytest.raises(RuntimeError, match="lembar kerja gagal ditulis"):
        job.result()
