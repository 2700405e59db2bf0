"""The packaged data files are parsed once per process, and no caller can change them for the next."""

import tomllib
from pathlib import Path

from jangkau.config import catalogue
from jangkau.config.catalogue import index_weights, load_catalogue, walking_speed
from jangkau.config.networks import load_networks

DATA = Path(__file__).resolve().parent.parent / "jangkau" / "config" / "data"


def _file(name):
    return tomllib.loads((DATA / name).read_text(encoding="utf-8"))


def test_a_caller_editing_a_data_file_does_not_change_the_next_read():
    first = catalogue._package_toml("layanan.toml")
    first["layanan"][0]["nama"] = "diubah"
    first["layanan"][0]["jenis_aset"].append("diubah")
    first["indeks_kesenjangan"].clear()
    first["jaringan"].clear()
    speed = catalogue._package_toml("kecepatan_jalan.toml")
    speed["jalan_kaki"]["km_per_jam"] = 99.0

    again = _file("layanan.toml")
    assert catalogue._package_toml("layanan.toml") == again
    assert load_catalogue()["nama"].iloc[0] == again["layanan"][0]["nama"]
    assert load_catalogue()["jenis_aset"].iloc[0] == again["layanan"][0]["jenis_aset"]
    assert index_weights() == again["indeks_kesenjangan"]
    assert sorted(load_networks()["layanan"]) == sorted(e["kode"] for e in again["jaringan"])
    walking = _file("kecepatan_jalan.toml")["jalan_kaki"]
    assert walking_speed() == (float(walking["km_per_jam"]), walking["sumber"])


def test_a_catalogue_edited_by_its_caller_leaves_the_next_one_alone():
    edited = load_catalogue()
    edited.loc[0, "radius_desa_m"] = -1.0
    edited["jenis_aset"].iloc[0].append("diubah")
    fresh = load_catalogue()
    service = _file("layanan.toml")["layanan"][0]
    assert fresh["radius_desa_m"].iloc[0] == float(service["radius_desa_m"])
    assert fresh["jenis_aset"].iloc[0] == service["jenis_aset"]


def test_each_data_file_is_parsed_once(monkeypatch):
    calls = []
    real = tomllib.loads
    monkeypatch.setattr(catalogue.tomllib, "loads", lambda text: calls.append(1) or real(text))
    catalogue._parsed_toml.cache_clear()
    catalogue.walking_speed.cache_clear()
    for _ in range(3):
        load_catalogue()
        load_networks()
        index_weights()
    assert len(calls) == 2  # layanan.toml and kecepatan_jalan.toml
