import pytest

from qamqor.transport.dispatch.cordeau import InstanceError, parse, read

from .conftest import darp_instance

TINY_2003 = """\
1 4 480 3 30
0   0.0   0.0  0  0    0  480
1   1.0   0.0  3  1    0 1440
2   0.0   2.0  3  1   10   40
3   5.0   0.0  3 -1    0 1440
4   0.0   6.0  3 -1    0 1440
"""


def test_it_reads_the_2006_format():
    inst = read(darp_instance("a2-16"))
    assert (inst.fmt, inst.m, inst.n, inst.T, inst.Q, inst.L, inst.end_depot) == (2006, 2, 16, 480, 3, 30, 33)
    assert len(inst.problem.requests) == 16 and len(inst.problem.vehicles) == 2


def test_it_reads_the_2003_format_with_node_0_as_end_depot():
    inst = parse(TINY_2003, name="tiny")
    assert (inst.fmt, inst.n, inst.end_depot) == (2003, 2, 0)
    second = inst.problem.requests[1]
    assert second.pickup.window == (10, 40) and second.dropoff.location == 4
    assert inst.problem.vehicles[0].end == 0


def test_it_explains_a_wrong_node_count():
    with pytest.raises(InstanceError, match="node lines"):
        parse("1 4 480 3 30\n0 0 0 0 0 0 480\n")


def test_it_explains_a_bad_header():
    with pytest.raises(InstanceError, match="header"):
        parse("vehicles requests\n")
