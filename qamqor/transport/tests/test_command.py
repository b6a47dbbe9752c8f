import json

import pytest
from django.core.management import CommandError, call_command

from qamqor.transport.dispatch.check import check_files

from .test_cordeau import TINY_2003


def test_it_writes_every_field_of_the_solution(tmp_path):
    instance = tmp_path / "tiny.txt"
    instance.write_text(TINY_2003)
    out = tmp_path / "solution.json"
    call_command("dispatch", "solve", str(instance), "--time-limit", "2", "--seed", "1", "--workers", "1",
                 "--iterations", "20", "--out", str(out))
    solution = json.loads(out.read_text())
    assert solution["instance"] == "tiny"
    assert isinstance(solution["cost"], float)
    stops = solution["routes"][0]["stops"]
    assert solution["routes"][0]["vehicle"] == 0
    assert stops[0]["node"] == 0 and stops[-1]["node"] == 0  # 2003 format: node 0 is both depots
    assert sorted(s["node"] for s in stops[1:-1]) == [1, 2, 3, 4]
    assert all(set(s) == {"node", "start"} for s in stops)
    errors, cost = check_files(instance, out)
    assert errors == [] and cost == pytest.approx(solution["cost"])


def test_it_refuses_a_bad_file_with_a_clear_message(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("2 16 480\n")
    with pytest.raises(CommandError, match="header"):
        call_command("dispatch", "solve", str(bad), "--time-limit", "1")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("dispatch", "solve", str(tmp_path / "missing.txt"), "--time-limit", "1")
