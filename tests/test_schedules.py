"""Deployments: one per region, weekly in Asia/Makassar time, registered against a real local server."""

import json
import subprocess
import sys
import urllib.request

import pytest
from conftest import PROJECT

from flows.serve import local_server, prefect_yaml, region_schedules


def test_prefect_yaml_has_a_scheduled_deployment_for_every_region():
    text = (PROJECT / "prefect.yaml").read_text(encoding="utf-8")
    assert text == prefect_yaml(), "prefect.yaml is stale: run python -m flows.serve --write-yaml"
    names = sorted(p.stem for p in (PROJECT / "regions").glob("*.toml"))
    assert [s["name"] for s in region_schedules()] == names
    for name in names:
        assert f"- name: cakupan-{name}" in text and f"region_file: regions/{name}.toml" in text
    assert text.count("timezone: Asia/Makassar") == len(names)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with local_server(tmp_path_factory.mktemp("prefect-home")) as env:
        yield env["PREFECT_API_URL"], env


def test_deployments_register_with_their_schedules(server):
    api, env = server
    result = subprocess.run(
        [sys.executable, "-m", "flows.serve", "--register-only"],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    request = urllib.request.Request(
        f"{api}/deployments/filter",
        data=b"{}",
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        registered = {d["name"]: d for d in json.load(response)}
    expected = {f"cakupan-{s['name']}" for s in region_schedules()}
    assert expected <= set(registered)
    for name in expected:
        schedules = registered[name]["schedules"]
        assert len(schedules) == 1
        assert schedules[0]["schedule"]["cron"] == "0 6 * * 1"
        assert schedules[0]["schedule"]["timezone"] == "Asia/Makassar"
        assert registered[name]["parameters"]["region_file"].endswith(
            f"regions/{name.removeprefix('cakupan-')}.toml"
        )
