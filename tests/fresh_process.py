"""Test code run in a new interpreter: it has one thread, so forking there is safe.

The suite's own process may hold threads (GEOS, Prefect, the API tests), and
the forked paths fall back to plain ones where a fork is unsafe; a test that
must see the forked path runs its code here.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def in_fresh_process(code: str, threads: str = "2", *, timeout: float = 600) -> object:
    """Run ``code`` (its last printed line is JSON) with ``JANGKAU_THREADS``; return that JSON."""
    env = {**os.environ, "JANGKAU_THREADS": threads}
    done = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(TESTS)!r}); {code}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    # Its own traceback, not only "exit status 1".
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
