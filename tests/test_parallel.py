"""Work shared with forked processes: same answers, errors raised here, threads where a fork is unsafe."""

import os
import threading
import time
from pathlib import Path

import pytest
from fresh_process import in_fresh_process

from jangkau.analysis.threads import fork_is_safe, map_processes
from jangkau.pipeline.beside import Beside


@pytest.fixture
def two_workers(monkeypatch):
    monkeypatch.setenv("JANGKAU_THREADS", "2")


def square_and_pid(value):
    time.sleep(0.02)  # long enough that the child, once started, takes items too
    return value * value, os.getpid()


def test_map_processes_answers_in_order_and_shares_the_items():
    answer = in_fresh_process(
        "import json, os; from test_parallel import square_and_pid; "
        "from jangkau.analysis.threads import fork_is_safe, map_processes; "
        "print(json.dumps([fork_is_safe(), os.getpid(), map_processes(square_and_pid, range(40))]))"
    )
    safe, parent, results = answer
    assert safe
    assert [square for square, _ in results] == [value * value for value in range(40)]
    # Both the parent and a forked child took items.
    pids = {pid for _, pid in results}
    assert parent in pids and len(pids) == 2


def note_start_then_sleep(item):
    log, size = item
    with open(log, "a", encoding="utf-8") as file:  # one append per item: whole lines
        file.write(f"{size}\n")
    time.sleep(0.02 * size)
    return size, os.getpid()


def test_map_processes_starts_the_largest_items_first(tmp_path):
    log = tmp_path / "mulai.txt"
    sizes = [1, 2, 1, 1, 9, 1]
    answer = in_fresh_process(
        "import json; from test_parallel import note_start_then_sleep; "
        "from jangkau.analysis.threads import map_processes; "
        f"items = [({str(log)!r}, size) for size in {sizes}]; "
        f"print(json.dumps(map_processes(note_start_then_sleep, items, sizes={sizes})))"
    )
    # Answers in the items' order, from both processes.
    assert [size for size, _ in answer] == sizes
    assert len({pid for _, pid in answer}) == 2
    started = [int(line) for line in log.read_text(encoding="utf-8").split()]
    assert sorted(started) == sorted(sizes)
    # The two workers start at once: the largest item is among the first two taken
    # (in the items' own order it would be the fifth).
    assert 9 in started[:2]


def fail_on_seven(value):
    time.sleep(0.02)
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


def test_beside_runs_in_a_child_and_its_files_are_there_when_it_returns(tmp_path):
    target = tmp_path / "laporan.txt"
    parent, path, pid = in_fresh_process(
        "import json, os; from pathlib import Path; from test_parallel import write_file; "
        "from jangkau.pipeline.beside import Beside; "
        f"path, pid = Beside(write_file, Path({str(target)!r}), 'isi').result(); "
        "print(json.dumps([os.getpid(), str(path), pid]))"
    )
    assert pid != parent
    assert Path(path).read_text(encoding="utf-8") == "isi"


def priority_and_pid():
    return os.getpriority(os.PRIO_PROCESS, 0), os.getpid()


def test_beside_yields_the_cores_to_the_run_that_waits_for_it():
    # The publishing process is the longer path: its children run at a lower priority.
    parent_priority, parent, (priority, pid) = in_fresh_process(
        "import json, os; from test_parallel import priority_and_pid; "
        "from jangkau.pipeline.beside import Beside; "
        "print(json.dumps([os.getpriority(os.PRIO_PROCESS, 0), os.getpid(), "
        "Beside(priority_and_pid).result()]))"
    )
    assert pid != parent
    assert priority == min(parent_priority + 10, 19)


def raise_error(message):
    raise RuntimeError(message)


def test_beside_raises_the_childs_error_here(two_workers):
    job = Beside(raise_error, "lembar kerja gagal ditulis")
    with pytest.raises(RuntimeError, match="lembar kerja gagal ditulis"):
        job.result()


def test_a_childs_error_reaches_the_parent_with_its_message():
    safe, message = in_fresh_process(
        "import json; from test_parallel import fail_on_seven; "
        "from jangkau.analysis.threads import fork_is_safe, map_processes\n"
        "try:\n    map_processes(fail_on_seven, range(20)); message = None\n"
        "except ValueError as error:\n    message = str(error)\n"
        "print(json.dumps([fork_is_safe(), message]))"
    )
    assert safe and message == "baris 7 rusak"


def sleep_then_write(path, text):
    time.sleep(0.5)
    return write_file(path, text)


def test_results_come_back_in_order_from_children():
    parent, answers = in_fresh_process(
        "import json, os; from test_parallel import square_and_pid; "
        "from jangkau.pipeline.beside import Beside, results; "
        "jobs = [Beside(square_and_pid, 3), Beside(square_and_pid, 4)]; "
        "print(json.dumps([os.getpid(), results(*jobs)]))"
    )
    assert [square for square, _ in answers] == [9, 16]
    assert parent not in {pid for _, pid in answers}


def test_results_wait_for_every_job_before_raising_the_first_error(tmp_path):
    # The publish stops on the error; no child may still be writing into the work folder.
    target = tmp_path / "laporan.txt"
    message, written = in_fresh_process(
        "import json; from pathlib import Path; "
        "from test_parallel import raise_error, sleep_then_write; "
        "from jangkau.pipeline.beside import Beside, results\n"
        f"target = Path({str(target)!r})\n"
        "jobs = [Beside(raise_error, 'lembar kerja gagal ditulis'), "
        "Beside(sleep_then_write, target, 'isi')]\n"
        "try:\n    results(*jobs); message = None\n"
        "except RuntimeError as error:\n    message = str(error)\n"
        "print(json.dumps([message, target.exists()]))"
    )
    assert message == "lembar kerja gagal ditulis"
    assert written


@pytest.mark.parametrize("error", ["ValueError", "KeyboardInterrupt"])
def test_a_block_left_by_an_error_waits_for_the_jobs_it_started(tmp_path, error):
    # The step's own work fails (or the user presses Ctrl-C) while a child still writes.
    target = tmp_path / "peringkat.txt"
    caught, written = in_fresh_process(
        "import json; from pathlib import Path; from test_parallel import sleep_then_write; "
        "from jangkau.pipeline.beside import Started\n"
        f"target = Path({str(target)!r})\n"
        "try:\n"
        "    with Started() as started:\n"
        "        started.start(sleep_then_write, target, 'isi')\n"
        f"        raise {error}('gagal')\n"
        "except BaseException as error:\n"
        "    caught = type(error).__name__\n"
        "print(json.dumps([caught, target.exists()]))"
    )
    assert caught == error
    assert written
