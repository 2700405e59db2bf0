"""Alerts sent out: a webhook (POST JSON) and/or e-mail (SMTP), once per new alert.

The live update records an alert (``status.json``, ``peringatan``) when a
kecamatan's coverage of a service falls below its target because of a report.
:class:`Notifier` tells the people the region names (``[pantau.pemberitahuan]``
in the region file) about each alert once: a ledger beside the region's
outputs (``peringatan_terkirim.json``) remembers, per channel, the alerts
already sent. An alert that is no longer there (the asset was restored)
leaves the ledger, so the same kecamatan falling again is sent again.

A channel that fails is logged in one line and tried again at the next
update; it never stops the update, and reports are already stored by then.
Plain ``httpx`` and ``smtplib``: this works with or without Prefect (the
Prefect flow may add a notification block as one more channel).
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

from jangkau.errors import InputError
from jangkau.io.atomic import write_text

LOG = logging.getLogger("jangkau.pantau")
LEDGER = "peringatan_terkirim.json"
# Seconds a webhook or mail server may take: a hanging receiver must not hold the next alert.
TIMEOUT_S = 10.0

# A channel receives the region's name and the new alerts; it raises when sending fails.
Channel = Callable[[str, list[dict[str, Any]]], None]


@dataclass(frozen=True)
class Email:
    """SMTP settings: server, sender, recipients; login optional (password from the environment)."""

    host: str
    port: int
    dari: str
    kepada: tuple[str, ...]
    starttls: bool = False
    pengguna: str | None = None
    sandi_env: str | None = None


@dataclass(frozen=True)
class Settings:
    """Where alerts go: ``webhook`` URL, ``surel`` (e-mail), ``blok_prefect`` (block slug)."""

    webhook: str | None = None
    surel: Email | None = None
    blok_prefect: str | None = None

    @property
    def any(self) -> bool:
        """True when at least one channel is configured."""
        return bool(self.webhook or self.surel or self.blok_prefect)


@dataclass
class Result:
    """One round: ``baru`` alerts sent, ``gagal`` channels that failed, ``selesai`` alerts over."""

    baru: list[dict[str, Any]] = field(default_factory=list)
    gagal: list[str] = field(default_factory=list)
    selesai: list[str] = field(default_factory=list)


def settings_from_region(region: Mapping[str, Any], *, source: Path | str) -> Settings:
    """Read ``[pantau.pemberitahuan]`` of a region file's settings (none: nothing is sent).

    Raises :class:`jangkau.errors.InputError` naming the file and the key when
    a setting is malformed: an alert silently not sent is worse than a stop.
    """
    section = region.get("pantau", {}).get("pemberitahuan", {})
    where = "[pantau.pemberitahuan]"
    webhook = section.get("webhook")
    if webhook is not None and not str(webhook).startswith(("http://", "https://")):
        raise InputError(source, f"{where} webhook harus alamat http:// atau https://")
    mail = section.get("surel")
    email = None
    if mail is not None:
        missing = [k for k in ("host", "dari", "kepada") if not mail.get(k)]
        if missing:
            raise InputError(source, f"{where} surel tanpa {', '.join(missing)}")
        recipients = mail["kepada"]
        if isinstance(recipients, str):
            recipients = [recipients]
        try:
            port = int(mail.get("port", 25))
        except (TypeError, ValueError):
            raise InputError(source, f"{where} surel.port bukan bilangan") from None
        email = Email(
            host=str(mail["host"]),
            port=port,
            dari=str(mail["dari"]),
            kepada=tuple(str(r) for r in recipients),
            starttls=bool(mail.get("starttls", False)),
            pengguna=mail.get("pengguna"),
            sandi_env=mail.get("sandi_env"),
        )
    block = section.get("blok_prefect")
    return Settings(webhook=webhook, surel=email, blok_prefect=block)


def alert_key(alert: Mapping[str, Any]) -> str:
    """Return an alert's identity: its kecamatan and service."""
    return f"{alert['kode_kec']}|{alert['layanan']}"


def subject(region: str, alerts: list[dict[str, Any]]) -> str:
    """Return the e-mail subject (Bahasa Indonesia)."""
    places = ", ".join(sorted({f"Kec. {a['kecamatan']}" for a in alerts}))
    return f"[jangkau {region}] Peringatan cakupan di bawah target: {places}"


def body_text(region: str, alerts: list[dict[str, Any]]) -> str:
    """Return the plain-text message: one line per alert, then where to look."""
    lines = [f"Wilayah {region}: cakupan layanan turun di bawah target karena laporan terbaru.", ""]
    lines += [f"- {a['pesan']}" for a in alerts]
    lines += ["", "Rincian: status.json dan peta 'Status terkini' layanan jangkau pantau."]
    return "\n".join(lines)


def payload(region: str, alerts: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the webhook's JSON body."""
    keys = [
        "kode_kec",
        "kecamatan",
        "layanan",
        "cakupan_sebelum",
        "cakupan_sesudah",
        "target_cakupan",
        "sudah_di_bawah_target",
        "pesan",
    ]
    return {
        "wilayah": region,
        "jenis": "peringatan_cakupan",
        "peringatan": [{k: a.get(k) for k in keys} for a in alerts],
    }


def webhook_channel(url: str) -> Channel:
    """Return a channel that POSTs :func:`payload` as JSON to ``url``."""

    def send(region: str, alerts: list[dict[str, Any]]) -> None:
        response = httpx.post(url, json=payload(region, alerts), timeout=TIMEOUT_S)
        response.raise_for_status()

    return send


def email_channel(settings: Email) -> Channel:
    """Return a channel that sends one plain-text e-mail over SMTP."""

    def send(region: str, alerts: list[dict[str, Any]]) -> None:
        message = EmailMessage()
        message["Subject"] = subject(region, alerts)
        message["From"] = settings.dari
        message["To"] = ", ".join(settings.kepada)
        message.set_content(body_text(region, alerts))
        with smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_S) as smtp:
            if settings.starttls:
                smtp.starttls()
            if settings.pengguna:
                smtp.login(settings.pengguna, os.environ.get(settings.sandi_env or "", ""))
            smtp.send_message(message)

    return send


class Notifier:
    """Send each new alert of a live state once per channel; remember what was sent.

    Parameters
    ----------
    region
        The region's name (in messages).
    ledger
        The ledger file (``data/processed/NAME/peringatan_terkirim.json``).
    channels
        Channel name → sender. :func:`channels_for` builds them from settings.
    """

    def __init__(self, region: str, ledger: Path, channels: Mapping[str, Channel]) -> None:
        self.region = region
        self.ledger = ledger
        self.channels = dict(channels)

    def __call__(self, document: Mapping[str, Any]) -> Result:
        """Send the alerts of ``document`` (a ``status.json``) not yet sent; never raises."""
        result = Result()
        try:
            self._send(document, result)
        except Exception as error:  # a notification must never break the update
            LOG.warning("pemberitahuan peringatan gagal: %s", _one_line(error))
            result.gagal.append("buku catatan")
        return result

    def _send(self, document: Mapping[str, Any], result: Result) -> None:
        alerts = list(document.get("peringatan", []))
        current = {alert_key(a): a for a in alerts}
        sent = self._read()
        before = {k: list(v) for k, v in sent.items()}
        for name, channel in self.channels.items():
            done = [k for k in sent.get(name, []) if k in current]
            result.selesai += [
                k for k in sent.get(name, []) if k not in current and k not in result.selesai
            ]
            new = [current[k] for k in current if k not in done]
            if new:
                try:
                    channel(self.region, new)
                except Exception as error:
                    LOG.warning(
                        "peringatan tidak terkirim lewat %s (dicoba lagi pada pembaruan berikut): %s",
                        name,
                        _one_line(error),
                    )
                    result.gagal.append(name)
                else:
                    done += [alert_key(a) for a in new]
                    result.baru += [a for a in new if a not in result.baru]
            sent[name] = done
        if sent != before:
            self._write(sent)

    def _read(self) -> dict[str, list[str]]:
        if not self.ledger.exists():
            return {}
        try:
            data = json.loads(self.ledger.read_text(encoding="utf-8"))
        except ValueError:
            # An unreadable ledger sends the current alerts again: better twice than never.
            LOG.warning("%s: catatan peringatan terkirim tidak terbaca; dikirim ulang", self.ledger)
            return {}
        return {str(k): [str(x) for x in v] for k, v in data.get("terkirim", {}).items()}

    def _write(self, sent: dict[str, list[str]]) -> None:
        text = json.dumps({"terkirim": sent}, ensure_ascii=False, indent=1)
        write_text(self.ledger, text)


def channels_for(settings: Settings) -> dict[str, Channel]:
    """Return the webhook and e-mail channels the settings name (the Prefect block is the flow's)."""
    channels: dict[str, Channel] = {}
    if settings.webhook:
        channels["webhook"] = webhook_channel(settings.webhook)
    if settings.surel is not None:
        channels["surel"] = email_channel(settings.surel)
    return channels


def notifier_for(
    region: str, processed: Path, settings: Settings, *, extra: Mapping[str, Channel] | None = None
) -> Notifier | None:
    """Return the region's notifier, or None when no channel is configured."""
    channels = {**channels_for(settings), **(extra or {})}
    if not channels:
        return None
    return Notifier(region, processed / LEDGER, channels)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:300]
