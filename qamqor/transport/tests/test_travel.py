import numpy as np
import pytest

from qamqor.transport.dispatch.travel import EuclideanProvider, HaversineProvider, haversine_km

ALMATY_CENTRE = (43.2380, 76.9450)
AIRPORT = (43.3521, 77.0405)


def test_euclidean_times_equal_distances():
    times, costs = EuclideanProvider().matrices([(0, 0), (3, 4)])
    assert times[0, 1] == costs[0, 1] == 5.0


def test_haversine_applies_the_detour_factor_and_the_hour_of_day():
    provider = HaversineProvider(detour=1.4)
    night_t, km = provider.matrices([ALMATY_CENTRE, AIRPORT], depart=2 * 60)
    peak_t, _ = provider.matrices([ALMATY_CENTRE, AIRPORT], depart=8 * 60)
    assert km[0, 1] == pytest.approx(1.4 * haversine_km(ALMATY_CENTRE, AIRPORT))
    assert 14 < haversine_km(ALMATY_CENTRE, AIRPORT) < 16
    assert peak_t[0, 1] > night_t[0, 1] > 0
    assert np.allclose(km, km.T) and np.all(np.diag(km) == 0)
