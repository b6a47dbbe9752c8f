"""The OSRM provider against a fake OSRM server that serves the table service from a known matrix."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from qamqor.transport.dispatch.travel import OsrmError, OsrmProvider

# Eight points in Almaty as (lat, lon); the fake road network's seconds and metres between them.
POINTS = [(43.20 + 0.01 * i, 76.85 + 0.02 * i) for i in range(8)]
RNG = np.random.default_rng(3)
SECONDS = np.round(RNG.uniform(60, 1800, (8, 8)), 1)
METRES = np.round(RNG.uniform(500, 20000, (8, 8)), 1)
np.fill_diagonal(SECONDS, 0)
np.fill_diagonal(METRES, 0)


class FakeOsrm(BaseHTTPRequestHandler):
    """GET /table/v1/{profile}/{lon,lat;...}: like osrm-routed, refuses more than max² cells (400 TooBig)."""

    server_version = "FakeOSRM"

    def log_message(self, *args):
        pass

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        srv = self.server
        url = urlsplit(self.path)  # not urlparse: it would cut the path at the first ";"
        parts = url.path.split("/")
        srv.calls.append(url)
        if srv.fail:
            return self._answer(500, {"code": "InternalError", "message": "the server is down"})
        if parts[1:4] != ["table", "v1", "driving"]:
            return self._answer(400, {"code": "InvalidUrl", "message": "URL string malformed."})
        index = {(round(lat, 6), round(lon, 6)): i for i, (lat, lon) in enumerate(POINTS)}
        coords = []
        for pair in parts[4].split(";"):
            lon, lat = map(float, pair.split(","))
            coords.append(index[(round(lat, 6), round(lon, 6))])
        query = parse_qs(url.query)
        sources = [int(x) for x in query["sources"][0].split(";")] if "sources" in query else range(len(coords))
        dests = [int(x) for x in query["destinations"][0].split(";")] if "destinations" in query else range(len(coords))
        if len(sources) * len(dests) > srv.max_table_size ** 2:
            return self._answer(400, {"code": "TooBig", "message": "Too many table coordinates"})
        annotations = query.get("annotations", ["duration"])[0].split(",")
        body = {"code": "Ok"}
        for name, matrix in (("duration", SECONDS), ("distance", METRES)):
            if name in annotations:
                body[name + "s"] = [[None if (coords[s], coords[d]) in srv.unreachable else matrix[coords[s], coords[d]]
                                     for d in dests] for s in sources]
        self._answer(200, body)


@pytest.fixture
def osrm():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOsrm)
    server.calls, server.fail, server.unreachable, server.max_table_size = [], False, set(), 3
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _provider(server, **kw):
    return OsrmProvider(f"http://127.0.0.1:{server.server_address[1]}", **kw)


def test_it_assembles_the_whole_matrix_from_blocks_the_server_accepts(osrm):
    times, km = _provider(osrm, max_table_size=3).matrices(POINTS)
    assert times == pytest.approx(SECONDS / 60)
    assert km == pytest.approx(METRES / 1000)
    assert len(osrm.calls) == 9  # 8 points in blocks of 3: 3 × 3 blocks, each within the server's 3² cells


def test_a_table_too_big_for_the_server_is_a_clear_error(osrm):
    with pytest.raises(OsrmError, match="HTTP 400: TooBig"):
        _provider(osrm, max_table_size=4).matrices(POINTS)


def test_it_gives_a_rectangular_block_for_new_points(osrm):
    times, km = _provider(osrm, max_table_size=3).between(POINTS[6:], POINTS[:5])
    assert times == pytest.approx(SECONDS[6:, :5] / 60)
    assert km == pytest.approx(METRES[6:, :5] / 1000)


def test_a_failing_server_is_a_clear_error(osrm):
    osrm.fail = True
    with pytest.raises(OsrmError, match="answered HTTP 500: InternalError the server is down"):
        _provider(osrm).matrices(POINTS[:2])


def test_an_unreachable_pair_is_an_error_that_names_the_points(osrm):
    osrm.unreachable = {(2, 5)}
    with pytest.raises(OsrmError, match="no road route for 1 pair") as caught:
        _provider(osrm, max_table_size=3).matrices(POINTS)
    assert caught.value.pairs == [(2, 5)]


def test_a_server_that_cannot_be_reached_is_a_clear_error():
    with pytest.raises(OsrmError, match="could not be reached"):
        OsrmProvider("http://127.0.0.1:9", timeout=2).matrices(POINTS[:2])
