import pytest

from jangkau.clean.names import match_names, name_key, nearest_names
from jangkau.config.catalogue import distance_services, load_catalogue, load_kind_table

MAROS_KECAMATAN = [
    "Mandai",
    "Camba",
    "Bantimurung",
    "Maros Baru",
    "Bontoa",
    "Mallawa",
    "Tanralili",
    "Marusu",
    "Simbang",
    "Cenrana",
    "Tompobulu",
    "Lau",
    "Moncongloe",
    "Turikale",
]


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("KEC. MANDAI", "Mandai"),
        ("Banti murung", "Bantimurung"),
        ("turikale ", "Turikale"),
        ("Malllawa", "Mallawa"),
        ("Kecamatan Maros Baru", "Maros Baru"),
        ("Tanr alili", "Tanralili"),
        ("Monco ngloe", "Moncongloe"),
        ("kec lau", "Lau"),
    ],
)
def test_written_kecamatan_names_match(written, meant):
    assert match_names([written], MAROS_KECAMATAN)[written] == meant


def test_name_key_keeps_distinct_names_apart():
    assert name_key("Bontoa") != name_key("Bonto Mate'ne")
    assert name_key("Desa Lau") == name_key("LAU")


def test_unmatched_name_gives_nothing_and_nearest_candidates():
    assert match_names(["Makassar"], MAROS_KECAMATAN)["Makassar"] is None
    assert nearest_names("Tompobolu", MAROS_KECAMATAN)[0] == "Tompobulu"


@pytest.mark.parametrize(
    ("stated", "jenis", "layanan"),
    [
        ("SD", "SD", "sd"),
        ("sd negeri", "SD", "sd"),
        ("SEKOLAH DASAR", "SD", "sd"),
        ("SDN", "SD", "sd"),
        ("MI", "MI", "sd"),
        ("mi", "MI", "sd"),
        ("SMP", "SMP", "smp"),
        ("MTs", "MTs", "smp"),
        ("SMA", "SMA", "sma"),
        ("SMK", "SMK", "sma"),
        ("MA", "MA", "sma"),
        ("Puskesmas Rawat Inap", "Puskesmas Rawat Inap", "puskesmas"),
        ("PUSKESMAS NON RAWAT INAP", "Puskesmas Non Rawat Inap", "puskesmas"),
        ("Puskesmas", "Puskesmas Non Rawat Inap", "puskesmas"),
        ("Pustu", "Puskesmas Pembantu", "pustu"),
        ("PUSKESMAS PEMBANTU", "Puskesmas Pembantu", "pustu"),
        ("POSYANDU", "Posyandu", "posyandu"),
        ("Rumah Sakit", "Rumah Sakit", "rumah_sakit"),
        ("RSUD", "Rumah Sakit", "rumah_sakit"),
        ("KLINIK PRATAMA", "Klinik", "klinik"),
        ("Taman Bacaan Masyarakat", "Taman Bacaan Masyarakat", "perpustakaan"),
        ("Perpustakaan Daerah", "Perpustakaan Daerah", "perpustakaan"),
        ("Perpustakaan Desa", "Perpustakaan Desa", "perpustakaan"),
        ("Pemadam Kebakaran", "Pemadam Kebakaran", "pemadam"),
        ("TPS", "TPS", "tps"),
        ("TPA", "TPA", "tps"),
        ("Polsek", "Polsek", "polsek"),
        ("Instalasi Air Minum", "Instalasi Air Minum", "air_minum"),
        ("Kantor Desa", "Kantor Desa", "kantor_desa"),
        ("Kantor Lurah", "Kantor Lurah", "kantor_desa"),
        ("Kantor Camat", "Kantor Camat", "kantor_camat"),
        ("Gardu Induk Listrik", "Gardu Induk Listrik", "gardu_listrik"),
        ("sd negeri 5", "SD", "sd"),
    ],
)
def test_kind_table(stated, jenis, layanan):
    assert load_kind_table().classify(stated) == (jenis, layanan)


@pytest.mark.parametrize("stated", ["", None, "Gedung Serbaguna", "masjid"])
def test_unknown_kinds_are_not_guessed(stated):
    assert load_kind_table().classify(stated) is None


def test_region_aliases_extend_the_kind_table():
    kinds = load_kind_table({"sekolah rakyat": {"jenis": "SD", "layanan": "sd"}})
    assert kinds.classify("Sekolah Rakyat") == ("SD", "sd")


def test_catalogue_matches_the_standards_table():
    catalogue = load_catalogue().set_index("layanan")
    expected = {
        "sd": (1000, 3000, 1600),
        "smp": (1000, 6000, 4800),
        "sma": (3000, 3000, 4800),
        "puskesmas": (3000, 3000, 120000),
        "pustu": (1500, 1500, 30000),
        "posyandu": (500, 500, 1250),
        "perpustakaan": (1000, 1000, 2500),
    }
    for code, (kelurahan, desa, per) in expected.items():
        assert catalogue.loc[
            code, ["radius_kelurahan_m", "radius_desa_m", "penduduk_per_fasilitas"]
        ].tolist() == [kelurahan, desa, per]
    assert catalogue.loc["rumah_sakit", "radius_desa_m"] == 5000
    assert catalogue.loc["pemadam", "radius_desa_m"] == 7500
    assert catalogue.loc["tps", "radius_kelurahan_m"] == 750
    assert (catalogue["sumber_standar"].str.len() > 0).all()
    assert distance_services(catalogue.reset_index()) == [
        "sd",
        "smp",
        "sma",
        "puskesmas",
        "pustu",
        "posyandu",
        "rumah_sakit",
        "perpustakaan",
        "pemadam",
        "tps",
    ]


def test_every_catalogue_kind_is_in_the_kind_table():
    kinds = load_kind_table()
    for row in load_catalogue().itertuples():
        for jenis in row.jenis_aset:
            assert kinds.classify(jenis) == (jenis, row.layanan)


def test_region_override_replaces_a_figure_and_says_so():
    catalogue = load_catalogue({"sd": {"radius_desa_m": 2500}}).set_index("layanan")
    assert catalogue.loc["sd", "radius_desa_m"] == 2500
    assert "berkas wilayah" in catalogue.loc["sd", "sumber_standar"]
