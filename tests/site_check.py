"""Independent checks of proposed sites: gap tables and gains from plain shapely discs."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from coverage_check import covered_people


def gaps_by_hand(desa, facilities, catalogue, shortfall=None):
    """Coverage per kecamatan × distance service from plain discs; shortfalls as given."""
    rows = []
    for service in catalogue[catalogue["radius_desa_m"].notna()].itertuples():
        points = facilities.geometry[facilities["layanan"] == service.layanan]
        for kode_kec, members in desa.groupby("kode_kec"):
            radii = service.radius_kelurahan_m, service.radius_desa_m
            covered = covered_people(members, points, *radii)
            rows.append(
                {
                    "kode_kec": kode_kec,
                    "layanan": service.layanan,
                    "penduduk": members["penduduk"].sum(),
                    "penduduk_terlayani": covered,
                    "jumlah_fasilitas": int((facilities["layanan"] == service.layanan).sum()),
                    "kekurangan": (shortfall or {}).get((kode_kec, service.layanan), 0),
                }
            )
    return pd.DataFrame(rows)


def assert_gains_recompute(desa, facilities, sites, catalogue):
    """Every site's gain over the whole kabupaten, in reported order, within 1 %."""
    standards = catalogue.set_index("layanan")
    for service, chain in sites.groupby("layanan"):
        radii = standards.at[service, "radius_kelurahan_m"], standards.at[service, "radius_desa_m"]
        points = facilities.geometry[facilities["layanan"] == service]
        assert chain["urutan"].tolist() == list(range(1, len(chain) + 1))
        before = covered_people(desa, points, *radii)
        for site in chain.itertuples():
            points = gpd.GeoSeries([*points, site.geometry], crs=desa.crs)
            after = covered_people(desa, points, *radii)
            assert site.tambahan_penduduk_terlayani == pytest.approx(
                after - before, rel=0.01, abs=0.5
            ), (service, site.urutan)
            mine = desa[desa["kode_kec"] == site.kode_kec]
            assert site.cakupan_setelah == pytest.approx(
                covered_people(mine, points, *radii) / mine["penduduk"].sum(), abs=1e-3
            )
            before = after
