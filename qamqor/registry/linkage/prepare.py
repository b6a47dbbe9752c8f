"""Turn records as people wrote them into the columns the linkage model compares.

Every value is reduced to a matching form: names to their key (qamqor.lib.names, so Cyrillic and Latin
spellings meet), dates to YYYYMMDD, numbers to their digits. An IIN that validates also gives a birth date
and sex; an IIN that does not validate gives nothing but its digits, which are still compared, since a
one-digit typo is the commonest way an IIN goes wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache

import pyarrow as pa

from qamqor.lib.iin import InvalidNumber, parse_iin, validate_checksum
from qamqor.lib.names import name_key

ROLES = (
    "given_name", "surname", "patronymic", "full_name", "birth_date", "iin", "id_number", "sex",
    "address", "locality", "postcode", "phone",
)

# The prepared table: one row per record, every column a string or null except the two ids.
COLUMNS = ("unique_id", "source_dataset", "sn", "gn", "pn", "dob", "dob_y", "sex", "iin", "idn", "addr",
           "addr_words", "loc", "pc", "phone")

_DIGITS = re.compile(r"\d+")
_NOT_DIGITS = re.compile(r"\D+")
_WORDS = re.compile(r"[^\W_]+")
_NOT_ALNUM = re.compile(r"[\W_]+")
# Patronymic endings in Russian, Kazakh and their Latin spellings: "Серикович", "Serikovna", "Серікұлы".
_PATRONYMIC = re.compile(r"(ovich|evich|ovna|evna|ichna|inichna|uli|kizi)$")
_SEX = {
    "m": "M", "male": "M", "man": "M", "м": "M", "муж": "M", "мужской": "M", "ер": "M", "еркек": "M", "1": "M",
    "f": "F", "female": "F", "woman": "F", "w": "F", "ж": "F", "жен": "F", "женский": "F", "әйел": "F", "2": "F",
}


class PrepareError(ValueError):
    """Raised when the records or the role mapping cannot be used; the message says what to fix."""


key = lru_cache(maxsize=1 << 18)(name_key)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from spreadsheets
        return ""
    return str(value).strip()


def birth_date(value) -> str | None:
    """YYYYMMDD from 19850314, 1985-03-14, 14.03.1985 or 14/03/1985, a date object, or None.

    Impossible days and months are kept (31.02 is most likely a typo of a real date, still worth comparing);
    only the shape is checked.
    """
    if value is None:
        return None
    if hasattr(value, "strftime"):
        return value.strftime("%Y%m%d")
    text = _text(value)
    parts = _DIGITS.findall(text)
    if len(parts) == 1 and len(parts[0]) == 8:
        return parts[0]
    if len(parts) == 3:
        if len(parts[0]) == 4:
            year, month, day = parts
        elif len(parts[2]) == 4:
            day, month, year = parts
        else:
            return None
        if 1 <= len(month) <= 2 and 1 <= len(day) <= 2:
            return f"{year}{int(month):02d}{int(day):02d}"
    return None


def iin_digits(value) -> str | None:
    """The 12 digits of an IIN as written, or None when it is not 12 digits.

    A spreadsheet that read IINs as numbers writes 50314412340.0 for 050314412340: the float is read as a
    whole number, and a leading zero it dropped is put back when the number then validates.
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    digits = _NOT_DIGITS.sub("", _text(value))
    if len(digits) == 11:
        try:
            return validate_checksum("0" + digits)
        except InvalidNumber:
            return None
    return digits if len(digits) == 12 else None


def split_full_name(text: str) -> tuple[str, str, str]:
    """Surname, given name and patronymic keys from one full name, read in the official order.

    "Кусаинова Ляззат Сериковна" is surname, given name, patronymic; a patronymic is recognised by its ending
    wherever it stands. "Ляззат Кусаинова" is read the wrong way round, which the model's given name/surname
    swap level forgives.
    """
    words = key(text).split()
    patronymic = ""
    if len(words) >= 3 and _PATRONYMIC.search(words[-1]):
        patronymic = words.pop()
    elif len(words) >= 3 and _PATRONYMIC.search(words[1]):  # "Ляззат Сериковна Кусаинова"
        patronymic = words.pop(1)
        words = [words[-1], *words[:-1]]
    if not words:
        return "", "", patronymic
    surname, given = words[0], " ".join(words[1:])
    return surname, given, patronymic


def _address(text: str) -> tuple[str, str]:
    # Words are keyed like names, so "ул. Абая" and "ul. Abaya" meet; numbers are kept as written.
    tokens = []
    for word in _WORDS.findall(text.lower()):
        if word.isdigit():
            tokens.append(word.lstrip("0") or "0")
        else:
            folded = key(word).replace(" ", "")
            if folded:
                tokens.append(folded)
    # The words also sorted, so that lines written in another order still meet.
    return "".join(tokens), " ".join(sorted(set(tokens)))


def normalise_roles(roles: Mapping[str, str | Sequence[str]] | None, columns: Iterable[str]) -> dict[str, list[str]]:
    """Check a role mapping against the columns present; a role may join several columns ("address": [...])."""
    columns = list(columns)
    if roles is None:
        roles = {c: c for c in columns if c in ROLES}
    result = {}
    for role, cols in roles.items():
        if role not in ROLES:
            raise PrepareError(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.")
        cols = [cols] if isinstance(cols, str) else list(cols)
        for col in cols:
            if col not in columns:
                raise PrepareError(f"Column {col!r} (for role {role}) is not in the data; columns are: "
                                   f"{', '.join(columns)}.")
        result[role] = cols
    if not result:
        raise PrepareError("No column is mapped to a role: map at least one name, date or number.")
    names = {"given_name", "surname", "full_name", "iin", "id_number", "birth_date"}
    if not names & set(result):
        raise PrepareError("Map at least one of given_name, surname, full_name, birth_date, iin or id_number: "
                           "the other roles alone cannot tell people apart.")
    return result


def prepare(
    columns: Mapping[str, Sequence],
    roles: Mapping[str, list[str]],
    *,
    first_id: int = 0,
    source: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> pa.Table:
    """The prepared table for records given column-wise; unique_id is the row number counted from first_id."""
    n = len(next(iter(columns.values()))) if columns else 0

    def joined(role):
        cols = roles.get(role)
        if not cols:
            return None
        if len(cols) == 1:
            return [_text(v) for v in columns[cols[0]]]
        return [" ".join(t for t in (_text(columns[c][i]) for c in cols) if t) for i in range(n)]

    raw = {role: joined(role) for role in ROLES}
    out = {c: [None] * n for c in COLUMNS}
    out["unique_id"] = list(range(first_id, first_id + n))
    out["source_dataset"] = [source] * n
    step = max(1, n // 20)
    for i in range(n):
        if progress and i % step == 0:
            progress(i)
        sn = key(raw["surname"][i]) if raw["surname"] else ""
        gn = key(raw["given_name"][i]) if raw["given_name"] else ""
        pn = key(raw["patronymic"][i]) if raw["patronymic"] else ""
        if raw["full_name"] and not (sn or gn):
            sn, gn, full_pn = split_full_name(raw["full_name"][i])
            pn = pn or full_pn
        out["sn"][i] = sn or None
        out["gn"][i] = gn or None
        out["pn"][i] = pn or None

        dob = birth_date(raw["birth_date"][i]) if raw["birth_date"] else None
        sex = _SEX.get(raw["sex"][i].lower()) if raw["sex"] else None
        if raw["iin"]:
            iin = iin_digits(raw["iin"][i])
            out["iin"][i] = iin
            if iin and (dob is None or sex is None):
                try:
                    facts = parse_iin(iin)
                except InvalidNumber:
                    pass  # an invalid IIN tells nothing about the person but its digits
                else:
                    dob = dob or facts.birth_date.strftime("%Y%m%d")
                    sex = sex or facts.sex
        out["dob"][i] = dob
        out["dob_y"][i] = dob[:4] if dob else None
        out["sex"][i] = sex
        if raw["id_number"]:
            out["idn"][i] = _NOT_ALNUM.sub("", raw["id_number"][i]).upper() or None
        if raw["address"]:
            addr, words = _address(raw["address"][i])
            out["addr"][i] = addr or None
            out["addr_words"][i] = words or None
        if raw["locality"]:
            out["loc"][i] = key(raw["locality"][i]).replace(" ", "") or None
        if raw["postcode"]:
            out["pc"][i] = _NOT_ALNUM.sub("", raw["postcode"][i]).upper() or None
        if raw["phone"]:
            # The last ten digits: +7 701 ..., 8 701 ... and 701 ... are one number.
            out["phone"][i] = _NOT_DIGITS.sub("", raw["phone"][i])[-10:] or None
    schema = pa.schema([("unique_id", pa.int64()), ("source_dataset", pa.string()),
                        *[(c, pa.string()) for c in COLUMNS[2:]]])
    return pa.table(out, schema=schema)


def present(table: pa.Table) -> set[str]:
    """The prepared columns that hold at least one value."""
    return {c for c in COLUMNS[2:] if table.column(c).null_count < len(table)}
