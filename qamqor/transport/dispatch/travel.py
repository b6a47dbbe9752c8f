"""Travel time and cost providers: each turns a list of points into a time matrix and a cost matrix.

A provider is anything with `matrices(points, depart=None) -> (times, costs)`, both square float arrays over the
points (minutes, and cost units). The engine only ever sees the matrices. `between(sources, destinations)` gives
the rectangular block, for adding a new point to a running day without recomputing the whole square.
Providers: `EuclideanProvider` (benchmark files), `HaversineProvider` (built in, no network), `OsrmProvider` (an OSRM
server's `table` service over the road network, for production).
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
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
        return self.between(points, points, depart)

    def between(self, sources, destinations, depart=None):
        """(times, costs) from each source (rows) to each destination (columns)."""
        a = np.asarray(sources, dtype=np.float64).reshape(-1, 2)
        b = np.asarray(destinations, dtype=np.float64).reshape(-1, 2)
        diff = a[:, None, :] - b[None, :, :]
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
        return self.between(points, points, depart)

    def between(self, sources, destinations, depart=None):
        """(times, costs) from each source (rows) to each destination (columns)."""
        src = np.radians(np.asarray(sources, dtype=np.float64).reshape(-1, 2))
        dst = np.radians(np.asarray(destinations, dtype=np.float64).reshape(-1, 2))
        dlat = src[:, 0][:, None] - dst[:, 0][None, :]
        dlon = src[:, 1][:, None] - dst[:, 1][None, :]
        a = np.sin(dlat / 2) ** 2 + np.cos(src[:, 0])[:, None] * np.cos(dst[:, 0])[None, :] * np.sin(dlon / 2) ** 2
        km = 2 * self.earth_radius_km * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))) * self.detour
        return km / self.speed_at(depart) * 60.0, km


class OsrmError(RuntimeError):
    """The OSRM server could not give the travel table: unreachable, an error answer, or a pair with no route.

    `pairs` lists (source, destination) point indices without a route, when that is the cause.
    """

    def __init__(self, message: str, pairs: Sequence[tuple[int, int]] = ()):
        super().__init__(message)
        self.pairs = list(pairs)


@dataclass(frozen=True)
class OsrmProvider:
    """Road-network travel from an OSRM server's table service: times in minutes, costs in kilometres.

    Points are (latitude, longitude); OSRM wants longitude first, which this class takes care of. osrm-routed
    refuses a table of more than max-table-size² cells (`--max-table-size`, 100 by default), so a large table is
    asked in blocks of at most `max_table_size` sources × `max_table_size` destinations, `workers` requests at a
    time, and assembled. OSRM's durations do not depend on the time of day; `depart` is accepted for the provider
    interface and ignored.

    A pair without a route (OSRM answers `null`, e.g. a point snapped to a road cut off from the rest) raises
    `OsrmError` naming the pairs, rather than standing in a large number: a finite stand-in is either small enough
    to be planned (a trip that cannot be driven) or so large that the request silently turns up as unserved for
    a wrong reason. The caller can show the dispatcher which address point to correct.
    """

    base_url: str
    profile: str = "driving"
    timeout: float = 30.0
    max_table_size: int = 100
    workers: int = 4

    def matrices(self, points, depart=None):
        return self.between(points, points, depart)

    def between(self, sources, destinations, depart=None):
        """(times, costs) from each source (rows) to each destination (columns), by blocks of table calls."""
        src = [tuple(map(float, p)) for p in sources]
        dst = [tuple(map(float, p)) for p in destinations]
        times = np.zeros((len(src), len(dst)))
        km = np.zeros((len(src), len(dst)))
        size = max(1, int(self.max_table_size))
        blocks = [(a, min(a + size, len(src)), b, min(b + size, len(dst)))
                  for a in range(0, len(src), size) for b in range(0, len(dst), size)]
        if not blocks:
            return times, km
        missing = []

        def fetch(block):
            a, a1, b, b1 = block
            durations, distances = self._table(src[a:a1], dst[b:b1])
            for i, row in enumerate(durations):
                for j, value in enumerate(row):
                    if value is None or distances[i][j] is None:
                        missing.append((a + i, b + j))
            return block, durations, distances

        with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(blocks)))) as pool:
            for (a, a1, b, b1), durations, distances in pool.map(fetch, blocks):
                times[a:a1, b:b1] = np.array([[np.nan if v is None else v for v in row] for row in durations])
                km[a:a1, b:b1] = np.array([[np.nan if v is None else v for v in row] for row in distances])
        if missing:
            missing.sort()
            shown = ", ".join(f"{i}→{j}" for i, j in missing[:10])
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            raise OsrmError(f"OSRM found no road route for {len(missing)} pair(s) of points (source→destination "
                            f"index: {shown}{more}); check that these address points are on a road reachable "
                            f"from the rest of the city.", pairs=missing)
        return times / 60.0, km / 1000.0

    def _table(self, sources, destinations):
        """One table call: durations (s) and distances (m) from `sources` to `destinations`, None where no route."""
        same = sources == destinations
        coords = sources if same else sources + destinations
        path = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in coords)
        query = "annotations=duration,distance"
        if not same:
            query += "&sources=" + ";".join(str(i) for i in range(len(sources)))
            query += "&destinations=" + ";".join(str(len(sources) + j) for j in range(len(destinations)))
        url = f"{self.base_url.rstrip('/')}/table/v1/{self.profile}/{path}?{query}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                body = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            detail = ""
            try:
                answer = json.loads(exc.read().decode("utf-8"))
                detail = f": {answer.get('code', '')} {answer.get('message', '')}".rstrip()
            except (ValueError, AttributeError):
                pass
            raise OsrmError(f"The OSRM server at {self.base_url} answered HTTP {exc.code}{detail}.") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise OsrmError(f"The OSRM server at {self.base_url} could not be reached: {exc}.") from exc
        except ValueError as exc:
            raise OsrmError(f"The OSRM server at {self.base_url} did not answer with JSON.") from exc
        if not isinstance(body, dict):
            raise OsrmError(f"The OSRM server at {self.base_url} did not answer with a table.")
        if body.get("code") != "Ok":
            message = f": {body['message']}" if body.get("message") else ""
            raise OsrmError(f"The OSRM server at {self.base_url} answered {body.get('code')}{message}.")
        durations, distances = body.get("durations"), body.get("distances")
        shape_ok = (isinstance(durations, list) and isinstance(distances, list) and len(durations) == len(sources)
                    and len(distances) == len(sources)
                    and all(isinstance(r, list) and len(r) == len(destinations) for r in durations + distances)
                    and all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0)
                            for r in durations + distances for v in r))
        if not shape_ok:
            raise OsrmError(f"The OSRM server at {self.base_url} returned a table of the wrong shape or with "
                            f"values that are not travel times and distances.")
        return durations, distances


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lat, lon) points."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))
