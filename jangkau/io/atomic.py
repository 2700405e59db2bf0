"""Atomic file writing: every file or link is made beside its final name, then renamed over it.

``rename`` within one folder is atomic on POSIX file systems: a reader sees
the old file or the new one, never a mixture, and a process killed before the
rename leaves only a hidden temporary name behind (``.NAME.*``), which the next
run removes.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it over ``path`` only on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent
    )
    os.close(handle)
    os.unlink(temporary)
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def replace_with_symlink(link: Path, target: str) -> Path:
    """Make ``link`` a symlink to ``target`` (relative text) in one rename, whatever it was before.

    The new link is made under a temporary name beside ``link`` and renamed
    over it, so ``link`` always resolves: to its old target, or to the new one.
    """
    link.parent.mkdir(parents=True, exist_ok=True)
    while True:
        temporary = link.parent / f".{link.name}.{uuid.uuid4().hex[:8]}"
        try:
            os.symlink(target, temporary)
            break
        except FileExistsError:
            continue
    try:
        os.replace(temporary, link)
    finally:
        if os.path.lexists(temporary):
            os.unlink(temporary)
    return link


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """Write a table as UTF-8 CSV with a byte-order mark (Excel then shows the accents)."""
    with replacing(path) as temporary:
        frame.to_csv(temporary, index=False, encoding="utf-8-sig")
    return path


def write_text(path: Path, text: str) -> Path:
    """Write a text file (a map page, a report) in place of the previous one."""
    with replacing(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return path
