"""Map page benchmark (issue 18): the province page's size, first paint and service switch.

``python -m benchmarks.peta`` runs Sulawesi Selatan (3,056 desa, ~43k assets)
with the local runner into a temporary folder (``--page FILE`` measures a page
already written instead), then opens the page in headless Chromium with every
http(s) request sent to a closed port, ``--repeats`` times in a fresh tab:

- size of ``index.html`` (target: under 8 MB);
- first paint: the browser's ``first-contentful-paint`` and the moment the
  page is ready (coverage drawn, the first service's markers clustered, the
  next frame painted), both from navigation start (target: under 2 s);
- service switch: for every distance service, from the call to the next
  frame painted after its markers are clustered (target: under 0.5 s).

Figures are kept in ``benchmarks/results_peta.json`` and written into
``benchmarks/results.md`` as a section of its own (``benchmarks.run`` keeps
that section when it rewrites the file).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results_peta.json"
HEADING = "## Map page (`python -m benchmarks.peta`)"

SWITCH = """
const done = arguments[arguments.length - 1], p = window.jangkauPeta, kode = arguments[0];
const start = performance.now();
p.pilihLayanan(kode).then(() => requestAnimationFrame(() => setTimeout(() =>
    done(performance.now() - start), 0)));
"""


def build_province(out: Path) -> Path:
    """Run Sulawesi Selatan into ``out``; return its map page."""
    from jangkau import pipeline

    region = pipeline.prepare_region(data_dir=SHARED / "sulsel", name="sulsel")
    pipeline.run_all(region, pipeline.OutputPaths.under(out, "sulsel"))
    return (out / "maps" / "sulsel" / "index.html").resolve()


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--window-size=1366,768",
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(
        options=options, service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    )


def measure(page: Path, *, repeats: int = 3) -> dict:
    """Open ``page`` ``repeats`` times; return its size, paint and switch times (ms)."""
    driver = _browser()
    driver.set_script_timeout(60)
    paint, ready, background, switches = [], [], [], {}
    errors: list[str] = []
    try:
        for _ in range(repeats):
            driver.get("about:blank")
            driver.get(page.as_uri())
            for _ in range(600):
                if driver.execute_script("return !!(window.jangkauPeta && jangkauPeta.waktuSiap)"):
                    break
                time.sleep(0.05)
            timing = driver.execute_script(
                """
                const fcp = performance.getEntriesByType('paint')
                    .find(e => e.name === 'first-contentful-paint');
                return {fcp: fcp ? fcp.startTime : null, siap: window.jangkauPeta.waktuSiap,
                        layanan: window.jangkauPeta.layananJarak, aktif: jangkauPeta.layananAktif()};
                """
            )
            # Switching is measured once every service has been clustered in the background.
            for _ in range(1200):
                if driver.execute_script("return !!jangkauPeta.semuaSiap"):
                    break
                time.sleep(0.05)
            background.append(driver.execute_script("return jangkauPeta.semuaSiap"))
            paint.append(timing["fcp"])
            ready.append(timing["siap"])
            order = [s for s in timing["layanan"] if s != timing["aktif"]] + [timing["aktif"]]
            for service in order:
                elapsed = driver.execute_async_script(SWITCH, service)
                switches.setdefault(service, []).append(elapsed)
            errors += [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        driver.quit()
    per_service = {s: round(statistics.median(v)) for s, v in switches.items()}
    return {
        "ukuran_mb": round(page.stat().st_size / 1e6, 2),
        "cat_pertama_ms": round(statistics.median(paint)),
        "siap_ms": round(statistics.median(ready)),
        "semua_dikelompokkan_ms": round(statistics.median(background)),
        "ganti_layanan_ms": per_service,
        "ganti_terlama_ms": max(per_service.values()),
        "ulangan": repeats,
        "galat_konsol": errors,
        "tanggal": dt.date.today().isoformat(),
    }


def section(result: dict) -> list[str]:
    """Return the results.md section of a measurement."""
    slowest = max(result["ganti_layanan_ms"], key=result["ganti_layanan_ms"].get)
    switches = ", ".join(f"{s} {ms}" for s, ms in result["ganti_layanan_ms"].items())
    return [
        HEADING,
        "",
        "Sulawesi Selatan (3,056 desa, ~43k assets) in headless Chromium with the network "
        f"unreachable, median of {result['ulangan']} loads (targets: page under 8 MB, first "
        "paint under 2 s, service switch under 0.5 s). Polygons simplified for the page "
        f"with a tolerance of {result.get('toleransi_m', '–')} m (figures are not recomputed).",
        "",
        "| ukuran (MB) | cat pertama (ms) | siap (ms) | ganti layanan terlama (ms) | diukur |",
        "|---:|---:|---:|---:|---|",
        f"| {result['ukuran_mb']} | {result['cat_pertama_ms']} | {result['siap_ms']} | "
        f"{result['ganti_terlama_ms']} ({slowest}) | {result['tanggal']} |",
        "",
        f"- Service switch per service (ms): {switches}; measured once every service's "
        "markers were clustered in the background, "
        f"{result.get('semua_dikelompokkan_ms', '–')} ms after navigation (before that, "
        "choosing a service not yet clustered shows the busy sign while its markers are "
        "clustered in 100 ms chunks; the colours change at once).",
        "- *Cat pertama*: the browser's first contentful paint; *siap*: coverage drawn and the "
        "first service's markers clustered, next frame painted.",
        f"- Console errors: {len(result['galat_konsol'])}.",
        "",
    ]


def write_section(result: dict, results_md: Path) -> None:
    """Put the section into ``results_md``, replacing the previous one."""
    text = (
        results_md.read_text(encoding="utf-8") if results_md.exists() else "# Benchmark results\n"
    )
    lines = text.rstrip("\n").split("\n")
    if HEADING in lines:
        start = lines.index(HEADING)
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        lines = lines[:start] + section(result)[:-1] + [""] + lines[end:]
    else:
        lines += ["", *section(result)[:-1]]
    results_md.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--page", type=Path, help="measure this page instead of running sulsel")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jangkau-peta-") as folder:
        page = args.page.resolve() if args.page else build_province(Path(folder))
        data = page.read_text(encoding="utf-8")
        marker = '"toleransi_m":'
        tolerance = (
            data[data.index(marker) + len(marker) :].split(",")[0] if marker in data else "–"
        )
        result = measure(page, repeats=args.repeats) | {"toleransi_m": tolerance}
    print(json.dumps(result, indent=1))
    if args.page is None:
        RESULTS.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        write_section(result, ROOT / "benchmarks" / "results.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
