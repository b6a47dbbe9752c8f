import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_read_from_the_environment_is_documented_in_the_readme():
    sources = [ROOT / "qamqor" / "settings.py", *(ROOT / "qamqor" / "core" / "management" / "commands").glob("*.py")]
    names = set()
    for path in sources:
        names |= set(re.findall(r'(?:env_(?:str|bool|int|list)|environ\.get)\("([A-Z][A-Z_0-9]+)"', path.read_text()))
    readme = (ROOT / "README.md").read_text()
    missing = sorted(n for n in names if f"`{n}`" not in readme)
    assert names and not missing, f"settings missing from the README table: {missing}"
