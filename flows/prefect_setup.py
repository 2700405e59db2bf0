"""Prefect for the command line: quiet unless asked, on a running server when there is one.

Imported by :mod:`flows.cli` before Prefect itself: the settings and logging
set here are read from the environment when Prefect is imported.
"""

from __future__ import annotations

import logging
import os
import socket
from urllib.parse import urlsplit

PREFECT_DEFAULT_PORT = 4200
# Seconds the temporary API may take to start. Prefect's 20 s default is too short on a
# busy office PC (seen on a 2-core machine under load), and the run then fails for nothing.
EPHEMERAL_STARTUP_SECONDS = "120"
# How Prefect says its temporary API did not start in time (prefect.server.api.server).
EPHEMERAL_TIMEOUT_TEXT = "Timed out while attempting to connect to ephemeral Prefect API server"


class PrefectServerUnreachableError(Exception):
    """The configured Prefect server does not answer (one line for the user)."""


def _server_answers(host: str, port: int, *, timeout_s: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def _require_server(url: str) -> None:
    """Stop in one line when the configured Prefect server does not answer."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if parts.hostname and not _server_answers(parts.hostname, port, timeout_s=3.0):
        raise PrefectServerUnreachableError(
            f"server Prefect di {url} tidak menjawab; jalankan 'prefect server start', "
            "kosongkan PREFECT_API_URL, atau pakai --runner local"
        )


def ephemeral_start_failed(error: BaseException) -> str | None:
    """Return one line when ``error`` is Prefect's temporary API not starting in time, else None."""
    if isinstance(error, RuntimeError) and str(error).startswith(EPHEMERAL_TIMEOUT_TEXT):
        seconds = os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "20")
        return (
            f"API Prefect sementara tidak siap dalam {seconds} detik (komputer sibuk?); "
            "coba lagi, jalankan 'prefect server start', atau pakai --runner local"
        )
    return None


def prepare_prefect(*, verbose: bool) -> None:
    """Quiet Prefect unless ``--verbose``, pick its API, and say which one is used.

    Must run before Prefect is imported: its settings and logging read the
    environment then. Without ``--verbose`` only Prefect's warnings reach the
    terminal, and none of its errors: the command line reports a failure
    itself, in one line (full logs stay with the flow run in the Prefect API).
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        # The temporary API's own server logs (uvicorn, migrations).
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    url = os.environ.get("PREFECT_API_URL")
    if not url and _server_answers("127.0.0.1", PREFECT_DEFAULT_PORT):
        url = f"http://127.0.0.1:{PREFECT_DEFAULT_PORT}/api"
        os.environ["PREFECT_API_URL"] = url
    if not url:
        from prefect.settings import get_current_settings

        url = get_current_settings().api.url  # a profile may name a server
    if url:
        _require_server(url)
        print(f"jangkau: memakai server Prefect di {url}", flush=True)
    else:
        os.environ.setdefault(
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", EPHEMERAL_STARTUP_SECONDS
        )
        print(
            "jangkau: menjalankan API Prefect sementara (tidak ada server Prefect: "
            f"PREFECT_API_URL kosong dan port {PREFECT_DEFAULT_PORT} tidak menjawab)",
            flush=True,
        )
    if not verbose:
        import prefect.logging.configuration as prefect_logging

        prefect_logging.setup_logging()
        for handler in logging.getLogger().handlers:
            handler.addFilter(_no_prefect_errors)


def _no_prefect_errors(record: logging.LogRecord) -> bool:
    """Drop Prefect's error records (with their tracebacks): the CLI prints its own line."""
    return not (record.name.startswith("prefect") and record.levelno >= logging.ERROR)
