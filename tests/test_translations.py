"""No string is left untranslated in Kazakh or Russian, and the compiled catalogues are what pages use."""

import re
from pathlib import Path

import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "qamqor" / "locale"


def entries(po_text):
    """(msgid, [msgstr...], fuzzy) for each entry but the header."""
    for block in po_text.split("\n\n"):
        if "msgid" not in block or block.startswith("#~"):
            continue
        def joined(key):
            parts = re.findall(rf'^{key} "(.*)"\n((?:".*"\n?)*)', block + "\n", re.M)
            return ["".join([first] + re.findall(r'"(.*)"', rest)) for first, rest in parts]
        msgid = (joined("msgid") or [""])[0]
        if not msgid:
            continue
        strs = joined("msgstr") + joined(r"msgstr\[\d\]")
        yield msgid, strs, "#, fuzzy" in block


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_string_is_translated(lang):
    text = (LOCALE / lang / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    missing = [msgid for msgid, strs, fuzzy in entries(text) if fuzzy or not strs or not all(strs)]
    assert not missing, f"{lang}: {len(missing)} untranslated, e.g. {missing[:5]}"
    for msgid, strs, _ in entries(text):
        for placeholder in set(re.findall(r"%\(\w+\)[sd]", msgid)):
            assert all(placeholder in s for s in strs), f"{lang}: {placeholder} lost in {msgid!r}"


@pytest.mark.parametrize("lang,expected", [("kk", "Кіру"), ("ru", "Войти"), ("en", "Log in")])
def test_the_compiled_catalogue_is_used(lang, expected):
    with translation.override(lang):
        assert translation.gettext("Log in") == expected


@pytest.mark.standalone
def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    """A string wrapped in gettext but missing from the catalogue would show in English to everyone: extract the
    strings afresh (as `make messages` does) into a copy and compare with the catalogue in the repository."""
    import os
    import shutil
    import subprocess
    import sys

    source = LOCALE.parent
    copy = tmp_path / "qamqor"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("static", "*.mo", "__pycache__", "tests"))
    env = {**os.environ, "QAMQOR_DEMO": "true", "DJANGO_SETTINGS_MODULE": "qamqor.settings"}
    qamqor = Path(sys.executable).with_name("qamqor")
    subprocess.run([str(qamqor), "makemessages", "-l", "kk", "--no-obsolete", "--no-location", "--ignore=tests/*"],
                   cwd=copy, env=env, check=True, capture_output=True)
    fresh = {msgid for msgid, _strs, _fuzzy in entries((copy / "locale/kk/LC_MESSAGES/django.po").read_text("utf-8"))}
    kept = {msgid for msgid, _strs, _fuzzy in entries((LOCALE / "kk/LC_MESSAGES/django.po").read_text("utf-8"))}
    missing = sorted(fresh - kept)
    assert not missing, f"{len(missing)} strings are not in the catalogue (run `make messages`), e.g. {missing[:5]}"
