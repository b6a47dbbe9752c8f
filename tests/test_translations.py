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
