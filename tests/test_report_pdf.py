"""The printed report laporan.pdf: its pages, maps, figures and sources, read back from the PDF."""

import json
import math
import re
import sqlite3
import tomllib
from contextlib import closing

import geopandas as gpd
import numpy as np
import pandas as pd
import pypdf
import pytest
import shapely
from conftest import PROJECT, square_desa
from reportlab.pdfbase.pdfmetrics import stringWidth

from jangkau import pipeline
from jangkau.config.catalogue import distance_services, load_catalogue
from jangkau.publish.report_legend import scale_bar_km
from jangkau.publish.report_maps import coverage_colours, map_base
from jangkau.publish.report_pdf import ReportContext, write_report_pdf

REGION_FILE = PROJECT / "regions" / "maros.toml"
STANDARDS = PROJECT / "jangkau" / "config" / "data" / "layanan.toml"


def flat(text):
    """Text with every run of white space as one space (lines are wrapped in the PDF)."""
    return re.sub(r"\s+", " ", text).strip()


def pages_text(path):
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


@pytest.fixture(scope="module")
def maros(maros_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("laporan")
    region = pipeline.prepare_region(region_file=REGION_FILE)
    pipeline.run_all(region, pipeline.OutputPaths.under(root, "maros"))
    processed = root / "data" / "processed" / "maros"
    return processed, json.loads((root / "maps" / "maros" / "info.json").read_text())


@pytest.fixture(scope="module")
def distance_standards():
    """Services with a distance standard, in the standards file's order (read as plain TOML)."""
    services = tomllib.loads(STANDARDS.read_text(encoding="utf-8"))["layanan"]
    return [s for s in services if "radius_desa_m" in s or "radius_kelurahan_m" in s]


@pytest.fixture(scope="module")
def region_toml():
    return tomllib.loads(REGION_FILE.read_text(encoding="utf-8"))


def test_every_run_publishes_the_report_through_the_pointer(maros):
    processed, info = maros
    report = processed / "laporan.pdf"
    assert report.is_symlink() and str(report.readlink()) == "terkini/laporan.pdf"
    assert (processed / "riwayat" / info["proses"] / "laporan.pdf").is_file()


def test_pages_are_title_summary_one_map_per_service_then_method(
    maros, distance_standards, region_toml, maros_dir
):
    processed, info = maros
    pages = pages_text(processed / "laporan.pdf")
    kecamatan = gpd.read_file(maros_dir / region_toml["kecamatan"]["file"])
    assert len(kecamatan) == 14
    names = [service["nama"] for service in distance_standards]
    assert len(names) == 10
    # Title page: the region, the date of the data, the run.
    assert "Kabupaten Maros" in pages[0]
    assert info["proses"] in pages[0] and info["tanggal"] in pages[0]
    # One summary page holds 14 kecamatan.
    assert pages[1].lstrip().startswith("Ringkasan")
    # Then one map page per distance service, in the standards file's order.
    for name, text in zip(names, pages[2 : 2 + len(names)], strict=True):
        assert f"Cakupan {name}" in text
        assert re.search(r"Skala \d+(,\d+)? km", text), name
        assert re.search(r"^U$", text, flags=re.M), "north arrow label"
        # The legend wraps long names before the table: read it as one line.
        assert "0–20 %" in text and "80–100 %" in text and f"Fasilitas {name}" in flat(text)
    # The rest: the method, standards and sources, then the facilities without coordinates
    # (sekolah.csv holds one SMP of Camba and one of Tompobulu with zero coordinates).
    rest = pages[2 + len(names) : -1]
    assert rest and all(p.lstrip().startswith("Cara menghitung") for p in rest)
    last = pages[-1].splitlines()
    assert last[0] == "Fasilitas tanpa koordinat"
    assert {"Camba", "Tompobulu", "Sekolah Menengah Pertama"} <= set(last)
    assert len(pages) == 2 + len(names) + len(rest) + 1


def texts_left_of(page, share):
    """Return the texts drawn left of ``share`` of the page's width (the map, not the table)."""
    width = float(page.mediabox.width)
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip() and tm[4] * cm[0] + cm[4] < share * width:
            found.append(text.strip())

    page.extract_text(visitor_text=visit)
    return found


def test_map_pages_name_every_kecamatan_on_the_map(maros):
    processed, _ = maros
    pages = pypdf.PdfReader(processed / "laporan.pdf").pages
    with closing(sqlite3.connect(processed / "coverage.gpkg")) as db:
        names = [row[0] for row in db.execute("SELECT kecamatan FROM kecamatan")]
    assert len(names) == 14
    for page in pages[2:12]:
        # The map takes the left 55 % of the page; the ranked table stands right of 70 %.
        assert set(names) <= set(texts_left_of(page, 0.56))


def test_the_legend_ends_before_the_ranked_table_begins(maros):
    # Long service names ("Fasilitas Perpustakaan dan Taman Bacaan") once ran into the table.
    processed, _ = maros
    pages = pypdf.PdfReader(processed / "laporan.pdf").pages
    checked = 0
    for page in pages[2:-2]:
        width = float(page.mediabox.width)
        ends = []

        def visit(text, cm, tm, font, size, ends=ends, width=width):
            x = tm[4] * cm[0] + cm[4]
            if not text.strip() or not 0.55 * width < x < 0.69 * width:
                return
            name = str(font["/BaseFont"]).lstrip("/") if font else ""
            if name.startswith("Helvetica"):
                # Helvetica's own metrics (the PDF core font), not the report's code.
                ends.append((x + stringWidth(text.rstrip(), name, size * tm[0]), text))

        page.extract_text(visitor_text=visit)
        if ends:
            checked += 1
            assert max(ends)[0] <= 0.70 * width, max(ends)[1]
    assert checked >= 10


def test_summary_and_service_tables_show_the_published_figures(maros, distance_standards):
    processed, _ = maros
    pages = pages_text(processed / "laporan.pdf")
    with closing(sqlite3.connect(processed / "coverage.gpkg")) as db:
        urgency = db.execute(
            "SELECT kecamatan, indeks_kesenjangan FROM kecamatan "
            "ORDER BY indeks_kesenjangan DESC, kode_kec"
        ).fetchall()
        sd = db.execute(
            "SELECT kecamatan, cakupan, jumlah_fasilitas, kekurangan FROM kesenjangan "
            "WHERE layanan = 'sd' ORDER BY peringkat"
        ).fetchall()
        whole = db.execute(
            "SELECT cakupan, penduduk FROM kesenjangan_kabupaten WHERE layanan = 'sd'"
        ).fetchall()
    # The whole kabupaten's SD coverage, from the kabupaten table.
    assert len(whole) == 1
    coverage, people = whole[0]
    expected = f"{100 * coverage:.1f} %".replace(".", ",")
    people_text = f"{people:,.0f}".replace(",", ".")
    assert f"Cakupan seluruh wilayah: {expected} dari {people_text} penduduk" in flat(pages[2])
    summary = pages[1].splitlines()
    # Most urgent first, ranked "1 dari 14", its index with a decimal comma.
    assert summary.index("1 dari 14") < summary.index("14 dari 14")
    order = [line for line in summary if line in {name for name, _ in urgency}]
    assert order == [name for name, _ in urgency]
    assert f"{urgency[0][1]:.1f}".replace(".", ",") in summary
    sd_page = pages[2]
    assert distance_standards[0]["kode"] == "sd"
    lines = sd_page.splitlines()

    def column(values):
        """Assert the values stand on consecutive lines: one column of the table, in rank order."""
        values = [str(v) for v in values]
        starts = [i for i in range(len(lines)) if lines[i : i + len(values)] == values]
        assert starts, values

    column(f"{rank} dari 14" for rank in range(1, 15))
    column(name for name, *_ in sd)
    column(f"{100 * coverage:.1f} %".replace(".", ",") for _, coverage, *_ in sd)
    column(count for *_, count, _ in sd)
    column(shortfall for *_, shortfall in sd)


def test_method_pages_state_the_standards_sources_and_input_files(
    maros, distance_standards, region_toml
):
    processed, _ = maros
    pages = pages_text(processed / "laporan.pdf")
    # Text runs on across pages: drop each page's footer and continuation heading.
    method = flat(
        " ".join(
            re.sub(
                r"\nKabupaten Maros · .* Halaman \d+.*",
                "",
                re.sub(r"^\s*Cara menghitung[^\n]*\(lanjutan\)\n", "", p),
                flags=re.S,
            )
            for p in pages
            if p.lstrip().startswith("Cara menghitung")
        )
    )
    for service in tomllib.loads(STANDARDS.read_text(encoding="utf-8"))["layanan"]:
        assert flat(service["nama"]) in method
        # Each source as written in the data file (the text runs on across pages).
        source = flat(service["sumber_standar"])
        assert source in method, service["kode"]
        target = flat(service.get("sumber_target_cakupan", ""))
        assert target in method, service["kode"]
    for entry in [region_toml["desa"], region_toml["penduduk"], *region_toml["aset"]]:
        assert entry["file"].split("/")[-1] in method
    assert "EPSG:32750" in method


def _layers(processed):
    gpkg = processed / "coverage.gpkg"
    return {
        layer: gpd.read_file(gpkg, layer=layer)
        for layer in ("kecamatan", "desa", "aset", "usulan_lokasi", "kesenjangan")
    }


def _write(tmp_path, layers, gaps):
    catalogue = load_catalogue()
    return write_report_pdf(
        tmp_path / "laporan.pdf",
        kecamatan=layers["kecamatan"],
        desa=layers["desa"],
        assets=layers["aset"],
        proposals=layers["usulan_lokasi"],
        gaps=gaps,
        catalogue=catalogue,
        services=distance_services(catalogue),
        context=ReportContext(
            title="Kabupaten Maros",
            data_date="2026-12-06",
            run_id="uji",
            metric_crs="EPSG:32750",
            sources=pd.DataFrame({"berkas": ["a.csv"], "peran": ["daftar aset"], "baris": [3]}),
        ),
        metric_crs="EPSG:32750",
    )


def test_facilities_without_coordinates_get_a_page_when_the_data_has_them(maros, tmp_path):
    processed, _ = maros
    layers = _layers(processed)
    gaps = pd.DataFrame(layers["kesenjangan"]).drop(columns="tanpa_koordinat")
    (tmp_path / "tanpa").mkdir()
    (tmp_path / "dengan").mkdir()
    plain = pages_text(_write(tmp_path / "tanpa", layers, gaps))
    assert not any("Fasilitas tanpa koordinat" in p for p in plain)
    counted = gaps.assign(tanpa_koordinat=0)
    camba_smp = (counted["kecamatan"] == "Camba") & (counted["layanan"] == "smp")
    counted.loc[camba_smp, "tanpa_koordinat"] = 2
    pages = pages_text(_write(tmp_path / "dengan", layers, counted))
    assert len(pages) == len(plain) + 1
    last = pages[-1].splitlines()
    assert last[0] == "Fasilitas tanpa koordinat"
    assert {"Camba", "Sekolah Menengah Pertama", "2"} <= set(last)
    assert "Fasilitas tanpa koordinat" in pages[0]


def test_coverage_colours_follow_the_map_page_classes():
    # The page's rule: the first class whose bound (20, 40, 60, 80 %) the coverage is below.
    shares = pd.Series([0.0, 0.1999, 0.2, 0.5, 0.8, 0.995, 1.0, float("nan")])
    assert coverage_colours(shares) == [
        "#d7191c",
        "#d7191c",
        "#fdae61",
        "#ffffbf",
        "#1a9641",
        "#1a9641",
        "#1a9641",
        "#bdbdbd",
    ]


def test_maps_are_drawn_in_metres_and_the_scale_bar_is_a_round_fifth():
    # Two 10 km desa side by side in UTM 50S: the map is 20 km wide, in metres.
    desa = square_desa(
        [
            ("73.09.01.2001", "73.09.01", "desa", 780000, 9450000, 10000),
            ("73.09.01.2002", "73.09.01", "desa", 790000, 9450000, 10000),
        ]
    )
    kecamatan = desa.dissolve("kode_kec").reset_index()[["kode_kec", "kecamatan", "geometry"]]
    base = map_base(desa.to_crs(4326), kecamatan.to_crs(4326), metric_crs="EPSG:32750")
    width = base.bounds[2] - base.bounds[0]
    assert math.isclose(width, 20000, abs_tol=1)
    assert scale_bar_km(width) == 2
    assert scale_bar_km(600_000) == 100
    assert shapely.Point(785000, 9455000).within(shapely.Polygon(base.desa_rings[0][0]))


def test_a_full_table_keeps_its_rows_evenly_spaced_on_the_page(tmp_path):
    from jangkau.publish.report_layout import A4_LANDSCAPE, TABLE_ROWS, ReportPages, draw_table

    rows = [[f"{i} dari {TABLE_ROWS}", f"Kecamatan {i}"] for i in range(1, TABLE_ROWS + 1)]
    with ReportPages(tmp_path / "t.pdf", footer="uji") as pages:
        sheet = pages.new()
        draw_table(sheet, ["Peringkat", "Kecamatan"], rows, widths=[1, 2], top=0.84)
        pages.save(sheet)
    heights = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            heights[text.strip()] = tm[5] * cm[3] + cm[5]

    pypdf.PdfReader(tmp_path / "t.pdf").pages[0].extract_text(visitor_text=visit)
    page_height = A4_LANDSCAPE[1] * 72
    # The rows share the height between the header at 84 % and the footer margin at 7 %.
    step = (0.84 - 0.07) / (TABLE_ROWS + 1) * page_height
    first, last = heights[f"1 dari {TABLE_ROWS}"], heights[f"{TABLE_ROWS} dari {TABLE_ROWS}"]
    assert math.isclose(first - last, (TABLE_ROWS - 1) * step, rel_tol=0.02)
    assert last > 0.05 * page_height
    # Both columns of a row stand on one line.
    assert math.isclose(heights[f"Kecamatan {TABLE_ROWS}"], last, abs_tol=1.0)


def _three_desa_map(tmp_path, coverage, desa=None):
    """Draw one map of three 10 km desa in a row, west to east; return the PDF's first page.

    ``desa``: other desa to draw instead.
    """
    from jangkau.publish.report_layout import ReportPages
    from jangkau.publish.report_maps import draw_map
    from jangkau.publish.report_service import MAP_BOX

    # Listed out of their west-to-east order, so a colour given to the wrong desa shows.
    desa = (
        desa
        if desa is not None
        else square_desa(
            [
                ("73.09.01.2003", "73.09.01", "desa", 800000, 9450000, 10000),
                ("73.09.01.2001", "73.09.01", "desa", 780000, 9450000, 10000),
                ("73.09.01.2002", "73.09.01", "desa", 790000, 9450000, 10000),
            ]
        )
    )
    kecamatan = desa.dissolve("kode_kec").reset_index()[["kode_kec", "kecamatan", "geometry"]]
    base = map_base(desa, kecamatan, metric_crs="EPSG:32750")
    with ReportPages(tmp_path / "peta.pdf", footer="uji") as pages:
        sheet = pages.new()
        draw_map(
            sheet,
            base,
            box=MAP_BOX,
            desa_coverage=pd.Series(coverage),
            facilities=np.zeros((0, 2)),
            proposals=np.zeros((0, 2)),
            colour="#1f77b4",
            service_name="Sekolah Dasar",
        )
        pages.save(sheet)
    return pypdf.PdfReader(tmp_path / "peta.pdf").pages[0]


# West to east: 10 % (first class, red), 50 % (third, pale yellow), no figure (grey).
COVERAGE = {"73.09.01.2001": 0.1, "73.09.01.2002": 0.5, "73.09.01.2003": float("nan")}
EXPECTED = [(0xD7, 0x19, 0x1C), (0xFF, 0xFF, 0xBF), (0xBD, 0xBD, 0xBD)]


def test_map_fills_each_desa_in_the_colour_of_its_class_as_vector_paths(tmp_path):
    page = _three_desa_map(tmp_path, COVERAGE)
    fills, colour, xs, straight = [], None, [], True
    for operands, operator in pypdf.generic.ContentStream(page.get_contents(), page.pdf).operations:
        if operator == b"rg":
            colour = tuple(round(float(v) * 255) for v in operands)
        elif operator in (b"m", b"l"):
            xs.append(float(operands[0]))
        elif operator in (b"c", b"re"):
            # Curves (the legend's dot) and rectangles (legend, scale bar) are not desa.
            straight = False
        elif operator in (b"B*", b"S", b"B", b"f", b"f*", b"n"):
            if operator == b"B*" and xs and straight:
                fills.append((min(xs), colour))
            xs, straight = [], True
    # One filled path per desa (holes would be rings of the same path), west to east.
    assert [colour for _, colour in sorted(fills)] == EXPECTED


def test_map_fills_each_desa_in_the_colour_of_its_class_when_painted(tmp_path, monkeypatch):
    import jangkau.publish.report_maps as maps

    # A province's desa (over 1,000) are painted into an image: force it for three.
    monkeypatch.setattr(maps, "_VECTOR_DESA", 2)
    page = _three_desa_map(tmp_path, COVERAGE)
    images = page.images
    assert len(images) == 1
    image = images[0].image.convert("RGB")
    # The image spans the region and its 3 % margin (of the 30 km side): 31.8 × 11.8 km.
    for index, expected in enumerate(EXPECTED):
        x = (900 + 5000 + 10000 * index) / 31800 * image.width
        pixel = image.getpixel((int(x), image.height // 2))
        assert all(abs(a - b) <= 3 for a, b in zip(pixel, expected, strict=True)), index


# Characters the PDF core fonts (Windows-1252) lack: a macron, Lontara (Buginese) script, an emoji.
UNUSUAL = "Tāmalanrea ᨆᨑᨚ Baru 🏥"


def test_names_outside_windows_1252_print_as_written_in_an_embedded_subset(maros, tmp_path):
    processed, _ = maros
    layers = _layers(processed)
    gaps = pd.DataFrame(layers["kesenjangan"])
    (tmp_path / "biasa").mkdir()
    (tmp_path / "khusus").mkdir()
    plain = _write(tmp_path / "biasa", layers, gaps)
    renamed = {"Camba": UNUSUAL, "Mandai": "Mandai’s"}
    for name in ("kecamatan", "desa"):
        layers[name] = layers[name].assign(kecamatan=layers[name]["kecamatan"].replace(renamed))
    special = _write(
        tmp_path / "khusus", layers, gaps.assign(kecamatan=gaps["kecamatan"].replace(renamed))
    )
    text = "\n".join(pages_text(special))
    # Before: "Tamalanrea ?? Baru ?" (accent dropped, script and emoji lost) and "Mandai's".
    assert "Tāmalanrea" in text and "🏥" in text and "Mandai’s" in text
    assert "ᨆ" in text and "ᨑ" in text
    assert "Tamalanrea" not in text and "?" not in text.split("Tāmalanrea")[1][:12]
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in pypdf.PdfReader(special).pages
        for font in page["/Resources"]["/Font"].values()
    }
    # Only the texts that need it are embedded, as a subset ("ABCDEF+DejaVuSans").
    assert "/Helvetica" in fonts
    assert any(re.fullmatch(r"/[A-Z]{6}\+DejaVuSans", f) for f in fonts)
    assert special.stat().st_size < plain.stat().st_size + 150_000


def test_last_resort_glyphs_take_their_own_width(tmp_path):
    # Each Last Resort glyph past its font's first two had half its width: boxes piled up.
    from fontTools.ttLib import TTFont
    from reportlab.pdfgen.canvas import Canvas

    from jangkau.publish.report_fonts import font_folder
    from jangkau.publish.report_layout import Sheet

    canvas = Canvas(str(tmp_path / "lr.pdf"))
    Sheet(canvas).text(100, 400, "ᨆᨑ 🏥 XYZ", size=20, points=True)
    canvas.save()
    fonts = {
        str(font.get_object()["/BaseFont"]).split("+")[-1]: font.get_object()
        for font in pypdf.PdfReader(tmp_path / "lr.pdf").pages[0]["/Resources"]["/Font"].values()
    }
    subset = fonts["LastResortHE-Regular"]
    # The font's own advance widths, read with fontTools (not reportlab).
    font = TTFont(font_folder() / "LastResortHE-Regular.ttf")
    cmap, per_em = font.getBestCmap(), font["head"].unitsPerEm
    expected = [font["hmtx"][cmap[ord(c)]][0] * 1000 / per_em for c in "ᨆᨑ🏥"]
    # The subset numbers its characters in the order they were first drawn, from 1.
    widths = [float(w) for w in subset["/Widths"]][1:4]
    assert widths == pytest.approx(expected, abs=0.01)


def test_an_enclave_larger_than_the_ring_around_it_keeps_its_colour_when_painted(
    tmp_path, monkeypatch
):
    import jangkau.publish.report_maps as maps

    monkeypatch.setattr(maps, "_VECTOR_DESA", 1)
    # A: a 1 km wide ring (36 km², 10 %: red) around B (64 km², 50 %: pale yellow).
    desa = square_desa(
        [
            ("73.09.01.2001", "73.09.01", "desa", 780000, 9450000, 10000),
            ("73.09.01.2002", "73.09.01", "desa", 781000, 9451000, 8000),
        ]
    )
    desa.loc[0, "geometry"] = desa.geometry[0].difference(desa.geometry[1])
    assert desa.area.tolist() == [36e6, 64e6]
    coverage = {"73.09.01.2001": 0.1, "73.09.01.2002": 0.5}
    image = _three_desa_map(tmp_path, coverage, desa).images[0].image.convert("RGB")
    # The image spans the 10 km region and its 3 % margin: 10.6 km across.
    for metres, expected in ((800, EXPECTED[0]), (5300, EXPECTED[1])):
        x, y = metres / 10600 * image.width, image.height // 2
        pixel = image.getpixel((int(x), int(y)))
        assert all(abs(a - b) <= 3 for a, b in zip(pixel, expected, strict=True)), metres


def test_a_report_written_twice_is_the_same_file_and_leaves_reportlab_as_found(tmp_path):
    from reportlab import rl_config

    from jangkau.publish.report_layout import ReportPages

    before = rl_config.useA85
    for name in ("a.pdf", "b.pdf"):
        with ReportPages(tmp_path / name, footer="uji", metadata={"Title": "Laporan"}) as pages:
            sheet = pages.new()
            sheet.text(0.1, 0.5, "Kabupaten Maros", size=12)
            pages.save(sheet)
        assert rl_config.useA85 == before
    # No creation date nor random id: the same drawing gives the same bytes.
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
