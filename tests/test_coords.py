import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from jangkau.clean.coords import parse_coordinate, parse_pair

latitudes = st.floats(min_value=-11.0, max_value=6.0, allow_nan=False).map(lambda v: round(v, 6))
longitudes = st.floats(min_value=94.0, max_value=141.0, allow_nan=False).map(lambda v: round(v, 6))


def dms(value: float, negative: str, positive: str, *, style: int = 0) -> str:
    hemisphere = negative if value < 0 else positive
    # Whole seconds first, so float error never writes 59.99999" or a negative second.
    total = round(abs(value) * 3600, 4)
    degrees, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    degrees, minutes = int(degrees), int(minutes)
    if style == 0:
        return f"{degrees}°{minutes:02d}'{seconds:.5f}\"{hemisphere}"
    return f"{degrees} {minutes} {seconds:.4f} {hemisphere}".replace(".", ",")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-5,068076", -5.068076),
        ("119.837391", 119.837391),
        (" -5.0 ", -5.0),
        ("5°07'02.1\"S", -(5 + 7 / 60 + 2.1 / 3600)),
        ("119°39'26.0\"E", 119 + 39 / 60 + 26 / 3600),
        ("5 3 12,5 LS", -(5 + 3 / 60 + 12.5 / 3600)),
        ("119°39'26\"BT", 119 + 39 / 60 + 26 / 3600),
        ("5°03.5'S", -(5 + 3.5 / 60)),
        ("S 5°03'00\"", -(5 + 3 / 60)),
        ("4°03'60.0\"S", -(4 + 4 / 60)),
        (7.25, 7.25),
    ],
)
def test_parse_coordinate_known_forms(text, expected):
    assert parse_coordinate(text) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    "text", ["", None, "   ", "-", "abc", "5°75'00\"S", "5°03'61\"S", float("nan")]
)
def test_parse_coordinate_unreadable_is_nan(text):
    assert math.isnan(parse_coordinate(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-5.057650, 119.563398", (-5.05765, 119.563398)),
        ("-4.900402 119.842128", (-4.900402, 119.842128)),
        ("-5.054897,119.558140", (-5.054897, 119.55814)),
        ("-5,0123; 119,5432", (-5.0123, 119.5432)),
        ("-5,0123, 119,5432", (-5.0123, 119.5432)),
        ("5°03'12.5\"S, 119°39'26.0\"E", (-(5 + 3 / 60 + 12.5 / 3600), 119 + 39 / 60 + 26 / 3600)),
    ],
)
def test_parse_pair_known_forms(text, expected):
    assert parse_pair(text) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("text", ["", None, "-5.1", "1, 2, 3", "lokasi belum disurvei"])
def test_parse_pair_without_two_values_is_nan(text):
    assert all(math.isnan(v) for v in parse_pair(text))


@given(latitudes, longitudes)
@example(1.9, 94.0)
def test_every_format_parses_back(lat, lon):
    written = {
        "decimal point": (f"{lat:.6f}", f"{lon:.6f}"),
        "decimal comma": (f"{lat:.6f}".replace(".", ","), f"{lon:.6f}".replace(".", ",")),
        "dms": (dms(lat, "S", "N"), dms(lon, "W", "E")),
        "dms indonesian": (dms(lat, "LS", "LU", style=1), dms(lon, "BB", "BT", style=1)),
    }
    for form, (lat_text, lon_text) in written.items():
        assert parse_coordinate(lat_text) == pytest.approx(lat, abs=1e-6), form
        assert parse_coordinate(lon_text) == pytest.approx(lon, abs=1e-6), form
    pairs = [
        f"{lat:.6f}, {lon:.6f}",
        f"{lat:.6f},{lon:.6f}",
        f"{lat:.6f} {lon:.6f}",
        f"{lat:.6f}; {lon:.6f}".replace(".", ","),
        f"{dms(lat, 'S', 'N')} {dms(lon, 'W', 'E')}",
    ]
    for text in pairs:
        assert parse_pair(text) == pytest.approx((lat, lon), abs=1e-6), text
