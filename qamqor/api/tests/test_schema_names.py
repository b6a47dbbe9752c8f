"""django-ninja names each OpenAPI component after its schema class: two classes of one name in two apps would make
one endpoint document the other's answer (it happened: the aid allocation run was documented as an InvaTaxi run)."""

import importlib
import inspect
from pathlib import Path

from ninja import Schema

APPS = sorted(p.parent.name for p in (Path(__file__).resolve().parents[2]).glob("*/apis.py"))


def test_no_two_api_schemas_share_a_name():
    defined: dict[str, list[str]] = {}
    for app in APPS:
        module = importlib.import_module(f"qamqor.{app}.apis")
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, Schema) and obj.__module__ == module.__name__:
                defined.setdefault(obj.__name__, []).append(module.__name__)
    assert len(APPS) >= 6
    shared = {name: modules for name, modules in defined.items() if len(modules) > 1}
    assert not shared, f"schema names used by more than one API module: {shared}"
