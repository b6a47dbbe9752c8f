"""`qamqor allocate INSTANCE.json --out RESULT.json` on files written here."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

INSTANCE = {
    "needs": [
        {"id": "n1", "household": "h1", "item": "meat", "quantity": 2, "region": "ALA", "priority": 4.5,
         "categories": ["large_family"]},
        {"id": "n2", "household": "h1", "item": "meat", "quantity": 1, "region": "ALA", "priority": 3,
         "categories": ["large_family"]},
        {"id": "n3", "household": "h2", "item": "meat", "quantity": 1, "region": "ALA", "priority": 0.1,
         "categories": ["health_worker_family"]},
        {"id": 4, "household": 7, "item": "meat", "quantity": 1, "region": "AST", "priority": 2, "categories": []},
    ],
    "lots": [
        {"id": "l1", "item": "meat", "quantity": 2, "region": "ALA", "restricted_to": []},
        {"id": "l2", "item": "meat", "quantity": 5, "region": "ALA", "restricted_to": ["health_worker_family"]},
    ],
    "cross_region": False,
}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def write(tmp_path, data, name="instance.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_it_writes_the_result_format(tmp_path):
    out = tmp_path / "result.json"
    call_command("allocate", str(write(tmp_path, INSTANCE)), "--out", str(out))
    result = json.loads(out.read_text(encoding="utf-8"))
    assert set(result) == {"objective", "optimal", "assignments"}
    assert result["optimal"] is True
    # h1 may receive 2 units (its largest need): one to n2 (3 a unit), one to n1 (2.25 a unit); n3 takes one of
    # l2, which is restricted to its category.
    assert result["objective"] == pytest.approx(3 + 2.25 + 0.1)
    assert sorted(result["assignments"], key=str) == sorted(
        [{"need": "n2", "lot": "l1", "quantity": 1}, {"need": "n1", "lot": "l1", "quantity": 1},
         {"need": "n3", "lot": "l2", "quantity": 1}], key=str)


def test_locks_and_exclusions_come_from_the_file(tmp_path):
    out = tmp_path / "result.json"
    data = {**INSTANCE, "locks": [{"need": "n1", "lot": "l1", "quantity": 2}], "excluded_lots": ["l2"]}
    call_command("allocate", str(write(tmp_path, data)), "--out", str(out))
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["assignments"] == [{"need": "n1", "lot": "l1", "quantity": 2}]
    assert result["objective"] == pytest.approx(4.5)


@pytest.mark.parametrize("change, message", [
    (lambda d: d["needs"][2].update(quantity=-3), "needs[2].quantity: must be a whole number ≥ 0"),
    (lambda d: d["needs"][2].update(quantity=1.5), "needs[2].quantity: must be a whole number ≥ 0"),
    (lambda d: d["lots"][1].update(quantity="5"), "lots[1].quantity: must be a whole number ≥ 0"),
    (lambda d: d["lots"][1].update(id="l1"), "lots[1].id: 'l1' is used by an earlier lot; ids must be unique"),
    (lambda d: d["needs"][0].pop("household"), "needs[0].household: is required"),
    (lambda d: d["needs"][3].update(priority=-1), "needs[3].priority: must be a finite number ≥ 0"),
    (lambda d: d.update(cross_region="yes"), "cross_region: must be true or false"),
    (lambda d: d.update(locks=[{"need": "n1", "lot": "l9", "quantity": 1}]),
     "locks[0].lot: 'l9' is not the id of any lot"),
])
def test_bad_input_names_the_record_and_writes_nothing(tmp_path, change, message):
    data = json.loads(json.dumps(INSTANCE))
    change(data)
    out = tmp_path / "result.json"
    with pytest.raises(CommandError) as caught:
        call_command("allocate", str(write(tmp_path, data)), "--out", str(out))
    assert message in str(caught.value)
    assert "nothing was allocated" in str(caught.value)
    assert list(tmp_path.iterdir()) == [tmp_path / "instance.json"]


def test_a_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "instance.json"
    path.write_text('{"needs": [', encoding="utf-8")
    with pytest.raises(CommandError, match="is not valid JSON"):
        call_command("allocate", str(path), "--out", str(tmp_path / "result.json"))
    with pytest.raises(CommandError, match="no such file"):
        call_command("allocate", str(tmp_path / "missing.json"), "--out", str(tmp_path / "result.json"))
    with pytest.raises(CommandError, match="Give --out"):
        call_command("allocate", str(path))
    assert list(tmp_path.iterdir()) == [path]
