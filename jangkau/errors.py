"""Errors a user can act on: each names the file (and row) or the source and the problem.

Every module raises these instead of library errors for problems in the
inputs, so the command line can print one line and never a traceback.
"""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """A problem with an input file that the person who supplied it must fix.

    The message names the file (and the row where there is one) and the problem.
    """

    def __init__(self, path: str | Path, problem: str, *, row: int | None = None) -> None:
        self.file = Path(path).name
        self.row = row
        self.problem = problem
        where = f"{self.file}, baris {row}" if row is not None else self.file
        super().__init__(f"{where}: {problem}")

    def __reduce__(self) -> tuple:
        # Raised in a forked worker, it is pickled back to the parent whole.
        return _input_error, (self.file, self.problem, self.row)


def _input_error(file: str, problem: str, row: int | None) -> InputError:
    return InputError(file, problem, row=row)


class NetworkError(RuntimeError):
    """A public source could not be reached (offline, blocked, or refused)."""


class RegionBusyError(RuntimeError):
    """Another run of the same region is under way and the caller chose not to wait for it."""
