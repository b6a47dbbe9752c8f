"""The app's travel cache: a same-day insertion asks the travel provider only for the new place's row and column,
and the matrices it hands the planner are exactly the provider's."""

import numpy as np
import pytest

from qamqor.transport import planning
from qamqor.transport.dispatch.travel import HaversineProvider


class Counting(HaversineProvider):
    def __init__(self):
        super().__init__()
        self.asked = []

    def between(self, sources, destinations, depart=None):
        self.asked.append((len(sources), len(destinations)))
        return super().between(sources, destinations, depart)


def places(rng, n):
    return [(float(43.18 + 0.17 * a), float(76.78 + 0.27 * b)) for a, b in rng.random((n, 2))]


def test_the_cached_matrices_are_the_providers_and_grow_by_the_new_places_only():
    rng = np.random.default_rng(7)
    provider, direct = Counting(), HaversineProvider()
    cache = planning._TravelCache()
    day = places(rng, 300)
    times, costs = cache.matrices(provider, "k", day, 480)
    assert np.array_equal(times, direct.matrices(day, 480)[0]) and np.array_equal(costs, direct.matrices(day, 480)[1])
    assert provider.asked == [(300, 300)]
    # A new request: two new places among the day's, in another order, one place twice.
    new = places(rng, 2)
    later = [day[5], new[0], *day[100:150], new[1], day[5]]
    times, costs = cache.matrices(provider, "k", later, 480)
    expected_t, expected_c = direct.matrices(later, 480)
    assert np.allclose(times, expected_t, rtol=0, atol=1e-9) and np.allclose(costs, expected_c, rtol=0, atol=1e-9)
    assert provider.asked[1:] == [(2, 302), (300, 2)]
    # Nothing new: the provider is not asked at all.
    cache.matrices(provider, "k", day[:10], 480)
    assert len(provider.asked) == 3


def test_a_full_cache_starts_afresh(monkeypatch):
    rng = np.random.default_rng(8)
    monkeypatch.setattr(planning._TravelCache, "LIMIT", 50)
    provider = Counting()
    cache = planning._TravelCache()
    cache.matrices(provider, "k", places(rng, 40), None)
    times, _ = cache.matrices(provider, "k", places(rng, 20), None)
    assert times.shape == (20, 20) and provider.asked[-1] == (20, 20)


@pytest.mark.parametrize("depart", [None, 480])
def test_each_departure_band_and_travel_setting_has_its_own_cache(depart):
    rng = np.random.default_rng(9)
    cache = planning._TravelCache()
    day = places(rng, 5)
    peak = cache.matrices(HaversineProvider(), ("haversine", depart), day, depart)[0]
    night = cache.matrices(HaversineProvider(), ("haversine", 120), day, 120)[0]
    assert np.array_equal(peak, HaversineProvider().matrices(day, depart)[0])
    assert not np.array_equal(peak, night)
