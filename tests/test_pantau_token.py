"""Listing and revoking reporting tokens (``jangkau pantau token --daftar / --cabut``)."""

from __future__ import annotations

import asyncio
import time

import sqlalchemy as sa
from conftest import PROJECT
from test_pantau import (  # noqa: F401 - fixtures: published, postgres, db_url, service
    CAMBA,
    _asset_id,
    _bearer,
    db_url,
    postgres,
    published,
    service,
)

from flows.cli import main
from jangkau.pantau.store import TOKEN_RECHECK_S, Store


def _token_cli(root, db: str, *args: str) -> list[str]:
    return [
        "pantau",
        "token",
        "maros",
        *args,
        "--root",
        str(PROJECT),
        "--out",
        str(root),
        "--db",
        db,
    ]


def test_a_revoked_token_is_refused_and_the_list_shows_no_secret(
    service,  # noqa: F811
    published,  # noqa: F811
    capsys,
):
    client, place, tokens, db = service
    root, _place = published
    body = {"id_aset": _asset_id(place, CAMBA), "status": "rusak ringan"}
    health, schools = _bearer(tokens["kesehatan"]), _bearer(tokens["pendidikan"])
    assert client.post("/api/laporan/status", json=body, headers=health).status_code == 201

    assert main(_token_cli(root, db, "--daftar")) == 0
    listing = capsys.readouterr().out
    lines = listing.strip().splitlines()
    assert lines[0].split("\t") == [
        "nomor",
        "awalan",
        "instansi",
        "kelas",
        "dibuat (UTC)",
        "dicabut (UTC)",
    ]
    rows = [line.split("\t") for line in lines[1:]]
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in rows] == [
        ("1", tokens["kesehatan"][:8], "Dinas Kesehatan", "puskesmas,pustu", "-"),
        ("2", tokens["pendidikan"][:8], "Dinas Pendidikan", "sd,smp", "-"),
    ]
    for secret in tokens.values():
        assert secret not in listing

    # Revoked by its first characters, from another command while the service runs.
    assert main(_token_cli(root, db, "--cabut", tokens["kesehatan"][:7])) == 0
    assert "Token nomor 1 (Dinas Kesehatan) dicabut" in capsys.readouterr().out
    time.sleep(TOKEN_RECHECK_S + 0.2)
    refused = client.post("/api/laporan/status", json=body, headers=health)
    assert refused.status_code == 401 and "sudah dicabut" in refused.json()["galat"]
    assert client.get("/api/laporan", headers=health).status_code == 401
    # The other agency's token still works (and is still refused outside its classes).
    assert client.get("/api/laporan", headers=schools).status_code == 200
    assert client.post("/api/laporan/status", json=body, headers=schools).status_code == 403

    # Revoking again keeps the first time; by number; the list shows both revoked.
    assert main(_token_cli(root, db, "--cabut", "1")) == 0
    again = capsys.readouterr().out
    assert main(_token_cli(root, db, "--cabut", "2", "--daftar")) == 0
    out = capsys.readouterr().out
    first_time = again.split("sejak ")[1][:19]
    listed = [line.split("\t") for line in out.strip().splitlines()[2:]]
    assert [r[5] != "-" for r in listed] == [True, True]
    assert listed[0][5] == first_time
    time.sleep(TOKEN_RECHECK_S + 0.2)
    assert client.get("/api/laporan", headers=schools).status_code == 401


def test_revoking_nothing_or_an_ambiguous_prefix_is_one_line(published, tmp_path, capsys):  # noqa: F811
    root, _place = published
    db = f"sqlite:///{tmp_path / 'token.sqlite'}"
    make = ["--instansi", "Dinas Kesehatan", "--kelas", "puskesmas"]
    assert main(_token_cli(root, db, *make)) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    cases = [
        (["--cabut", "zzzzzzzz"], "tidak ada token"),
        (["--cabut", "abc"], "terlalu pendek"),
        (["--cabut", "7"], "tidak ada token"),
        (["--cabut", token[:8], *make], "jangan dipakai bersama"),
        ([], "memerlukan --instansi dan --kelas"),
    ]
    for args, words in cases:
        assert main(_token_cli(root, db, *args)) == 2, args
        error = capsys.readouterr().err
        assert words in error and "Traceback" not in error, (args, error)
        assert len(error.strip().splitlines()) == 1

    # Two tokens sharing their first characters: a prefix naming both is refused.
    async def twin() -> None:
        store = Store(db)
        async with store.engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO token (hash, instansi, kelas, dibuat, awalan) "
                    "VALUES ('x', 'Dinas Sosial', 'semua', '2026-01-01 00:00:00', :awalan)"
                ),
                {"awalan": token[:6] + "zz"},
            )
        await store.close()

    asyncio.run(twin())
    assert main(_token_cli(root, db, "--cabut", token[:6])) == 2
    assert "beberapa token (nomor 1, 2)" in capsys.readouterr().err
    assert main(_token_cli(root, db, "--cabut", token[:8])) == 0
    assert "Token nomor 1" in capsys.readouterr().out


def test_a_database_from_before_revocation_gets_the_new_columns(db_url):  # noqa: F811
    """Tokens made before ``awalan``/``dicabut`` existed keep working and can be revoked."""

    async def scenario() -> tuple:
        store = Store(db_url)
        async with store.engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "CREATE TABLE token (id INTEGER PRIMARY KEY, hash VARCHAR(64) NOT NULL "
                    "UNIQUE, instansi TEXT NOT NULL, kelas TEXT NOT NULL, "
                    "dibuat TIMESTAMP WITH TIME ZONE NOT NULL)"
                )
            )
        old = "lama-token-dari-versi-sebelumnya-0123456789abcdef"
        from jangkau.pantau.store import hash_token

        async with store.engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO token (id, hash, instansi, kelas, dibuat) "
                    "VALUES (1, :hash, 'Dinas Lama', 'sd', CURRENT_TIMESTAMP)"
                ),
                {"hash": hash_token(old)},
            )
        await store.create()
        before = await store.token_owner(old)
        listed = await store.tokens()
        revoked = await store.revoke("1")
        after = await store.token_owner(old)
        await store.close()
        return before, listed, revoked, after

    before, listed, revoked, after = asyncio.run(scenario())
    assert before["instansi"] == "Dinas Lama" and before["dicabut"] is None
    assert [(t["id"], t["awalan"], t["dicabut"]) for t in listed] == [(1, None, None)]
    assert revoked["dicabut"] is not None
    assert after["dicabut"] == revoked["dicabut"]


def test_a_new_token_never_starts_with_a_dash(tmp_path, monkeypatch):
    # "--cabut -x12…" reads the prefix as an option: one token in 64 started with "-".
    import secrets

    made = iter(["-dimulai-strip-0123456789", "_boleh-0123456789abcdef"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda _n: next(made))

    async def scenario() -> str:
        store = Store(f"sqlite:///{tmp_path / 'token.sqlite'}")
        await store.create()
        try:
            return await store.new_token(instansi="Dinas Kesehatan", kelas=["puskesmas"])
        finally:
            await store.close()

    assert asyncio.run(scenario()) == "_boleh-0123456789abcdef"
