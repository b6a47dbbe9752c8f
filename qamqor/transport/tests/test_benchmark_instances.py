"""On small Cordeau instances a short run is feasible (by the checker) and close to the best-known value.

The run is bounded by iterations (1,000 per worker, about a second on an idle core) rather than by time, so that
a loaded machine makes it slower but not worse.
"""

import pytest

from qamqor.transport.dispatch.check import check
from qamqor.transport.dispatch.cordeau import read, solution_json
from qamqor.transport.dispatch.search import solve

from .conftest import bks, darp_instance


@pytest.mark.parametrize("name", ["a2-16", "b2-16"])
def test_it_comes_within_a_few_percent_of_the_best_known(name):
    path = darp_instance(name)
    inst = read(path)
    sol = solve(inst.problem, iterations=1000, seed=1, workers=2)
    errors, cost = check(path.read_text(), solution_json(inst, sol))
    assert errors == []
    assert cost <= bks()[name] * 1.03
