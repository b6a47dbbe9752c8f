"""Matching keys for personal names written in Kazakh Cyrillic, Russian Cyrillic or Latin.

"Кусаинова", "Kussainova" and "Kusainova" are one surname; so are "Ляззат", "Lyazzat" and "Liazzat". A name's key
folds these spellings together: Cyrillic is transliterated, the Kazakh Latin alphabets (2017-2021) and passport
spellings are reduced to one form, and doubled letters are collapsed. Keys are for finding and comparing, never
for showing: the name is always shown as written.
"""

from __future__ import annotations

import re
import unicodedata

# Cyrillic (Kazakh and Russian) to a plain Latin form. Kazakh-specific letters fold into their nearest
# Russian-passport spelling, since the same person is written both ways.
_CYRILLIC = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "қ": "k", "л": "l", "м": "m", "н": "n", "ң": "n", "о": "o",
    "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "h",
    "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "i", "і": "i", "ь": "", "э": "e",
    "ю": "iu", "я": "ia",
}
# Latin letters of the Kazakh Latin alphabets and other passport conventions.
_LATIN = {
    "ä": "a", "á": "a", "ğ": "g", "ǵ": "g", "ı": "i", "ñ": "n", "ń": "n", "ö": "o", "ó": "o", "ū": "u", "ü": "u",
    "ú": "u", "ş": "sh", "ç": "ch", "q": "k", "w": "u", "x": "h", "ý": "i", "y": "i", "j": "zh", "c": "ts",
}
# Multi-letter spellings of one sound, applied in order after the letters above.
_DIGRAPHS = [("dzh", "zh"), ("dz", "z"), ("kh", "h"), ("tsh", "ch"), ("shch", "sh"), ("tch", "ch"), ("ie", "e")]
_NOT_LETTERS = re.compile(r"[^a-z ]+")
_SPACES = re.compile(r"\s+")
_REPEATS = re.compile(r"(.)\1+")


def name_key(text: str) -> str:
    """The matching key of one name or of several words (each word keyed, joined by single spaces)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).lower()
    out = []
    for ch in text:
        if ch in _CYRILLIC:
            out.append(_CYRILLIC[ch])
        elif ch in _LATIN:
            out.append(_LATIN[ch])
        elif "a" <= ch <= "z":
            out.append(ch)
        elif ch in "-'’`ʼ":
            continue  # Abdul-Ali, O'Neil: one word
        else:
            # Other accented Latin letters lose their accent; anything else separates words.
            base = unicodedata.normalize("NFKD", ch)[0]
            out.append(_LATIN.get(base, base) if "a" <= base <= "z" else " ")
    text = _NOT_LETTERS.sub(" ", "".join(out))
    # Fold spellings until nothing changes, so that a key is its own key.
    while True:
        folded = _REPEATS.sub(r"\1", text)
        for spelling, sound in _DIGRAPHS:
            folded = folded.replace(spelling, sound)
        if folded == text:
            break
        text = folded
    return _SPACES.sub(" ", text).strip()


def full_name_key(surname: str, given_name: str, patronymic: str = "") -> str:
    """The key of a whole name, surname first: the form stored for search (at most the column's 320 characters,
    which three names of 100 letters can pass once transliterated: "Жюя" gives "zhiuia")."""
    return " ".join(part for part in (name_key(surname), name_key(given_name), name_key(patronymic)) if part)[:320]


def query_terms(query: str) -> list[tuple[str, bool]]:
    """Words of a name search as (key, is_initial): "Kusainova L." gives [("kusainova", False), ("l", True)]."""
    terms = []
    for raw in re.split(r"[\s,]+", query or ""):
        initial = raw.endswith(".") and len(raw.rstrip(".")) <= 2
        key = name_key(raw)
        for part in key.split():
            terms.append((part, initial or len(part) == 1))
    return terms
