"""Travel time and cost providers: each turns a list of points into a time matrix and a cost matrix.

A provider is anything with `matrices(points, depart=None) -> (times, costs)`, both square float arrays over the
points (minutes, and cost units). The engine only ever sees the matrices, so a road-network provider (an OSRM HTTP
`table` call) can be added beside these without touching the search.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol, Sequence

import numpy as np


class TravelProvider(Protocol):
    def matrices(self, points: Sequence[tuple[float, float]], depart: float | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Return (times, costs) between every pair of points, for a departure at minute `depart` of the day."""


@dataclass(frozen=True)
class EuclideanProvider:
    """Straight-line distance on the plane; time = cost = distance (the Cordeau benchmark convention)."""

    speed: float = 1.0

    def matrices(self, points, depart=None):
        xy = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        diff = xy[:, None, :] - xy[None, :, :]
        dist = np.sqrt((diff ** 2).sum(axis=2))
        return dist / self.speed, dist


# Average door-to-door speed (km/h) by hour of day: slow in the morning and evening peaks.
CITY_SPEEDS = {hour: 30.0 for hour in range(24)} | {7: 20.0, 8: 18.0, 9: 22.0, 17: 18.0, 18: 18.0, 19: 22.0} | {
    hour: 40.0 for hour in (0, 1, 2, 3, 4, 5, 22, 23)}


@dataclass(frozen=True)
class HaversineProvider:
    """Great-circle distance × a detour factor, at a speed that depends on the hour of departure.

    Points are (latitude, longitude) in degrees; times are minutes and costs kilometres.
    """

    detour: float = 1.35
    speeds_kmh: dict = field(default_factory=lambda: dict(CITY_SPEEDS))
    earth_radius_km: float = 6371.0

    def speed_at(self, minute: float | None) -> float:
        """Speed in km/h for a departure at `minute` after midnight (the daily average when None)."""
        if minute is None:
            return sum(self.speeds_kmh.values()) / len(self.speeds_kmh)
        return self.speeds_kmh[int(minute // 60) % 24]

    def matrices(self, points, depart=None):
        pts = np.radians(np.asarray(points, dtype=np.float64).reshape(-1, 2))
        lat, lon = pts[:, 0], pts[:, 1]
        dlat = lat[:, None] - lat[None, :]
        dlon = lon[:, None] - lon[None, :]
        a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
        km = 2 * self.earth_radius_km * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))) * self.detour
        return km / self.speed_at(depart) * 60.0, km


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lat, lon) points."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))
