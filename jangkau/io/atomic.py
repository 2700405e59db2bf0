"""Atomic file writing: every file is written beside its final name, then renamed over it."""

from __future__ import annotations

import os
import shutil
import tempfile
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


def copy_into_place(source: Path, target: Path) -> Path:
    """Publish a finished file: copy it beside ``target``, then rename it over ``target``."""
    with replacing(target) as temporary:
        shutil.copyfile(source, temporary)
    return target


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
