"""Getting public data from outside: wilayah_boundaries dumps and OpenStreetMap (I/O module).

Every network failure becomes a :class:`NetworkError` with one line that says
what could not be reached, so the command line can report it and exit.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from jangkau.errors import NetworkError

WILAYAH_BOUNDARIES_RAW = "https://raw.githubusercontent.com/cahyadsn/wilayah_boundaries/main/"
OVERPASS_URL = "https://overpass-api.de/api/interpreter"
USER_AGENT = "jangkau/0.1 (perencanaan layanan publik kabupaten)"


def _download(url: str, *, data: bytes | None = None, timeout: float = 60.0) -> bytes:
    request = urllib.request.Request(url, data=data, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - fixed public sources
            return response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise NetworkError(
            f"tidak dapat menghubungi {urllib.parse.urlsplit(url).netloc}: {reason}"
        ) from error


def read_boundary_dumps(paths: dict[str, str], source: str | None) -> tuple[dict[str, str], str]:
    """Read the dumps named in ``paths`` from a local folder, a base URL, or the data set's repository.

    A local folder may hold the data set's tree (``db/kel/73/...``) or the dump
    files side by side. Returns the texts and a description of the source
    (including ``SOURCE_COMMIT`` when the folder has one).
    """
    if source is not None and not source.startswith(("http://", "https://")):
        folder = Path(source)
        if not folder.is_dir():
            raise FileNotFoundError(f"{source}: folder sumber tidak ditemukan")
        texts = {}
        for role, relative in paths.items():
            candidates = [folder / relative, folder / Path(relative).name]
            found = next((c for c in candidates if c.exists()), None)
            if found is None:
                raise FileNotFoundError(f"{Path(relative).name}: tidak ada di {source}")
            texts[role] = found.read_text(encoding="utf-8")
        commit = folder / "SOURCE_COMMIT"
        described = f"wilayah_boundaries (berkas lokal {folder.name}"
        described += f", commit {commit.read_text().split()[0]})" if commit.exists() else ")"
        return texts, described
    base = source or WILAYAH_BOUNDARIES_RAW
    base = base if base.endswith("/") else base + "/"
    texts = {role: _download(base + relative).decode("utf-8") for role, relative in paths.items()}
    return texts, f"wilayah_boundaries ({base})"


def overpass(
    query: str, *, cache_dir: Path, url: str = OVERPASS_URL, min_interval_s: float = 2.0
) -> dict:
    """Run an Overpass query, answering from the cache when the same query ran before.

    Requests are spaced at least ``min_interval_s`` apart (the public server's
    fair-use rule), and each answer is cached by the query's hash.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached = cache_dir / f"{hashlib.sha256((url + query).encode()).hexdigest()[:24]}.json"
    if cached.exists():
        return json.loads(cached.read_text(encoding="utf-8"))
    stamp = cache_dir / ".terakhir"
    if stamp.exists():
        wait = min_interval_s - (time.time() - stamp.stat().st_mtime)
        if wait > 0:
            time.sleep(wait)
    stamp.touch()
    body = _download(url, data=urllib.parse.urlencode({"data": query}).encode(), timeout=180)
    answer = json.loads(body)
    cached.write_text(json.dumps(answer), encoding="utf-8")
    return answer
