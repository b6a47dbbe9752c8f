"""Bulk import of persons from CSV and XLSX: read, check every row, stage the result, commit all-or-nothing.

A file is read as a stream, row by row; each row is checked by the registry's own rules
(services.clean_person_data), then against the rest of the file and the registry. The outcome is staged in a small
SQLite file under VAR_DIR/imports named by a random token (ImportBatch): the preview pages read it a page at a
time, and the commit reads it back in file order. Nothing from the browser is trusted between check and commit: it
only names the token, which must also be in the user's session.

Why a staging file and not the session or the database: a 100,000-row file does not fit in a session, and the
registry has no model for half-imported rows (nor should it: they are not registry records). SQLite gives indexed
look-ups for the in-file duplicate checks and paging for the preview while memory stays bounded. The worker that
commits a large file must see the same VAR_DIR (one machine, or a shared volume).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import secrets
import sqlite3
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.models import DisabilityCategory, Region
from qamqor.core.services import audit_record
from qamqor.lib.iin import make_iin
from qamqor.lib.names import full_name_key

from . import access, services
from .models import Person

LANGUAGES = ("kk", "ru", "en")
# Above this many rows the commit runs as a background task with a progress bar (DESIGN.md section 7).
BACKGROUND_ABOVE = 500
MAX_ROWS = 200_000
MAX_BYTES = 50 * 1024 * 1024
# Staged files hold personal data: they go once imported or discarded, and in any case after a working day.
STAGED_FOR_SECONDS = 8 * 60 * 60
CLAIMED_FOR_SECONDS = 24 * 60 * 60
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")
PREVIEW_ROWS = 10
UNDATED_IN_MEMORY = 200_000


# --- The file format -------------------------------------------------------------------------------------------
#
# Column names, their explanations and the example row are written here in all three languages, as data, rather
# than through the translation catalogue: they are a file format. A file made from the Russian template must be
# read when its uploader's pages are in Kazakh, and a template must keep being read after a translator rewords a
# page string. Messages about a file's rows are page text and go through gettext.

@dataclass(frozen=True)
class Column:
    code: str
    kind: str
    headers: dict
    help: dict
    example: dict = field(default_factory=dict)
    required: bool = False


def _same(text):
    return {"kk": text, "ru": text, "en": text}


_FLAG_HELP = {"kk": "иә немесе жоқ (бос болса — жоқ).", "ru": "да или нет (пусто — нет).",
              "en": "yes or no (empty means no)."}
_NO = {"kk": "жоқ", "ru": "нет", "en": "no"}
_YES = {"kk": "иә", "ru": "да", "en": "yes"}


def _example_iin():
    serial = 1
    while not make_iin(dt.date(1985, 7, 14), "F", serial):
        serial += 1
    return make_iin(dt.date(1985, 7, 14), "F", serial)


COLUMNS = [
    Column("iin", "iin", {"kk": "ЖСН", "ru": "ИИН", "en": "IIN"},
           {"kk": "12 цифр. Құжаты жоқ адамдар үшін бос қалдырыңыз. Туған күні мен жынысы ЖСН-нан алынады.",
            "ru": "12 цифр. Для людей без документов оставьте пустым. Дата рождения и пол берутся из ИИН.",
            "en": "12 digits. Leave empty for people without documents. The birth date and sex are read from it."},
           _same(_example_iin())),
    Column("surname", "text", {"kk": "Тегі", "ru": "Фамилия", "en": "Surname"},
           {"kk": "Міндетті. Жеке басын куәландыратын құжаттағыдай, кез келген әліпбимен.",
            "ru": "Обязательно. Как в документе, удостоверяющем личность, любым алфавитом.",
            "en": "Required. As in the identity document, in any script."},
           {"kk": "Кусаинова", "ru": "Кусаинова", "en": "Kussainova"}, required=True),
    Column("given_name", "text", {"kk": "Аты", "ru": "Имя", "en": "Given name"},
           {"kk": "Міндетті. Жеке басын куәландыратын құжаттағыдай, кез келген әліпбимен.",
            "ru": "Обязательно. Как в документе, удостоверяющем личность, любым алфавитом.",
            "en": "Required. As in the identity document, in any script."},
           {"kk": "Ляззат", "ru": "Ляззат", "en": "Lyazzat"}, required=True),
    Column("patronymic", "text", {"kk": "Әкесінің аты", "ru": "Отчество", "en": "Patronymic"},
           {"kk": "Болса.", "ru": "Если есть.", "en": "If the person has one."},
           {"kk": "Серікқызы", "ru": "Сериковна", "en": ""}),
    Column("birth_date", "date", {"kk": "Туған күні", "ru": "Дата рождения", "en": "Birth date"},
           {"kk": "КК.АА.ЖЖЖЖ немесе ЖЖЖЖ-АА-КК. ЖСН-мен сәйкес келуі керек.",
            "ru": "ДД.ММ.ГГГГ или ГГГГ-ММ-ДД. Должна совпадать с ИИН.",
            "en": "DD.MM.YYYY or YYYY-MM-DD. Must agree with the IIN."},
           _same("14.07.1985")),
    Column("sex", "sex", {"kk": "Жынысы", "ru": "Пол", "en": "Sex"},
           {"kk": "ер немесе әйел (Е / Ә, М / Ж, M / F да болады). ЖСН-мен сәйкес келуі керек.",
            "ru": "мужской или женский (также М / Ж, M / F). Должен совпадать с ИИН.",
            "en": "male or female (also M / F). Must agree with the IIN."},
           {"kk": "әйел", "ru": "женский", "en": "female"}),
    Column("citizenship", "citizenship", {"kk": "Азаматтығы", "ru": "Гражданство", "en": "Citizenship"},
           {"kk": "Мыналардың бірі: citizen (ҚР азаматы), kandas (қандас), resident (ықтиярхаты бар шетел азаматы), "
                  "stateless (азаматтығы жоқ адам), unknown (белгісіз). Бос болса — ҚР азаматы.",
            "ru": "Одно из: citizen (гражданин РК), kandas (кандас), resident (иностранец с видом на жительство), "
                  "stateless (лицо без гражданства), unknown (неизвестно). Пусто — гражданин РК.",
            "en": "One of: citizen (citizen of Kazakhstan), kandas (ethnic Kazakh repatriate), resident (foreign "
                  "resident), stateless, unknown. Empty means citizen."},
           _same("citizen")),
    Column("phone", "text", {"kk": "Телефон", "ru": "Телефон", "en": "Phone"},
           {"kk": "Кез келген форматта, мысалы +7 701 123 45 67.", "ru": "В любом формате, например +7 701 123 45 67.",
            "en": "Any format, for example +7 701 123 45 67."},
           _same("+7 701 123 45 67")),
    Column("email", "email", {"kk": "Электрондық пошта", "ru": "Электронная почта", "en": "E-mail"},
           {"kk": "Электрондық пошта мекенжайы немесе бос.", "ru": "Адрес электронной почты или пусто.",
            "en": "An e-mail address, or empty."}),
    Column("region", "region", {"kk": "Өңір", "ru": "Регион", "en": "Region"},
           {"kk": "Міндетті. ӘАОЖ коды (мысалы, 750000000) немесе өңірдің қазақша, орысша не ағылшынша атауы "
                  "(тізімі төменде).",
            "ru": "Обязательно. Код КАТО (например, 750000000) или название региона на казахском, русском или "
                  "английском (список ниже).",
            "en": "Required. The KATO code (for example 750000000) or the region's name in Kazakh, Russian or English "
                  "(list below)."},
           required=True),
    Column("district", "text", {"kk": "Аудан", "ru": "Район", "en": "District"},
           {"kk": "Аудан, белгілі болса.", "ru": "Район, если известен.", "en": "The district, if known."},
           {"kk": "Алмалы ауданы", "ru": "Алмалинский район", "en": "Almaly district"}),
    Column("locality", "text", {"kk": "Елді мекен", "ru": "Населённый пункт", "en": "Locality"},
           {"kk": "Қала, кент немесе ауыл.", "ru": "Город, посёлок или село.", "en": "City, town or village."},
           {"kk": "Алматы", "ru": "Алматы", "en": "Almaty"}),
    Column("address", "text", {"kk": "Мекенжай", "ru": "Адрес", "en": "Address"},
           {"kk": "Көше, үй, пәтер.", "ru": "Улица, дом, квартира.", "en": "Street, house, flat."},
           {"kk": "Абай даңғылы, 10, 5-пәтер", "ru": "проспект Абая, 10, кв. 5", "en": "10 Abai Avenue, flat 5"}),
    Column("disability", "disability", {"kk": "Мүгедектік", "ru": "Инвалидность", "en": "Disability"},
           {"kk": "Болмаса бос; әйтпесе төмендегі тізімнен код (мысалы, group_2) немесе I–III топтар үшін 1, 2, 3.",
            "ru": "Пусто, если нет; иначе код из списка ниже (например, group_2) или 1, 2, 3 для групп I–III.",
            "en": "Empty if none; otherwise a code from the list below (for example group_2), or 1, 2, 3 for "
                  "groups I–III."},
           _same("group_2")),
    Column("disability_cause", "cause", {"kk": "Мүгедектік себебі", "ru": "Причина инвалидности",
                                         "en": "Cause of disability"},
           {"kk": "Мыналардың бірі: general (жалпы ауру), childhood (бала кезден), work_injury (еңбек жарақаты), "
                  "occupational (кәсіптік ауру), military (әскери қызмет), disaster (апат немесе жазатайым оқиға), "
                  "other (басқа).",
            "ru": "Одно из: general (общее заболевание), childhood (с детства), work_injury (трудовое увечье), "
                  "occupational (профессиональное заболевание), military (военная служба), disaster (катастрофа "
                  "или несчастный случай), other (другое).",
            "en": "One of: general (general illness), childhood (from childhood), work_injury, occupational "
                  "(occupational disease), military (military service), disaster (disaster or accident), other."},
           _same("general")),
    Column("disability_set_on", "date", {"kk": "Мүгедектік белгіленген күн", "ru": "Дата установления инвалидности",
                                         "en": "Disability set on"},
           {"kk": "КК.АА.ЖЖЖЖ.", "ru": "ДД.ММ.ГГГГ.", "en": "DD.MM.YYYY."}, _same("01.03.2020")),
    Column("disability_review_on", "date", {"kk": "Қайта куәландыру күні", "ru": "Дата переосвидетельствования",
                                            "en": "Re-examination date"},
           {"kk": "Келесі қайта куәландыру күні; мерзімсіз белгіленсе бос.",
            "ru": "Дата следующего переосвидетельствования; пусто, если установлена бессрочно.",
            "en": "The date of the next re-examination; empty if set indefinitely."},
           _same("01.03.2027")),
    Column("disability_indefinite", "flag", {"kk": "Мерзімсіз белгіленген", "ru": "Установлена бессрочно",
                                             "en": "Set indefinitely"},
           {"kk": "иә — қайта куәландыру мерзімінсіз белгіленсе, әйтпесе жоқ.",
            "ru": "да — если установлена без срока переосвидетельствования, иначе нет.",
            "en": "yes if set without a re-examination date, otherwise no."}, _NO),
    Column("uses_wheelchair", "flag", {"kk": "Мүгедектер арбасын пайдаланады", "ru": "Передвигается на коляске",
                                       "en": "Uses a wheelchair"}, _FLAG_HELP, _YES),
    Column("needs_escort", "flag", {"kk": "Алып жүрушіні қажет етеді", "ru": "Нуждается в сопровождении",
                                    "en": "Needs an escort"}, _FLAG_HELP, _NO),
    Column("has_guide_dog", "flag", {"kk": "Жетекші иті бар", "ru": "Есть собака-проводник", "en": "Has a guide dog"},
           _FLAG_HELP, _NO),
    Column("deaf_sign_language", "flag", {"kk": "Саңырау не нашар еститін (ым тілі)",
                                          "ru": "Глухой или слабослышащий (жестовый язык)",
                                          "en": "Deaf or hard of hearing (sign language)"}, _FLAG_HELP, _NO),
    Column("blind_low_vision", "flag", {"kk": "Соқыр не нашар көретін", "ru": "Незрячий или слабовидящий",
                                        "en": "Blind or low vision"}, _FLAG_HELP, _NO),
]
COLUMN_BY_CODE = {c.code: c for c in COLUMNS}

TEMPLATE_TEXT = {
    "sheet": {"kk": "Адамдар", "ru": "Люди", "en": "Persons"},
    "help_sheet": {"kk": "Бағандар", "ru": "Столбцы", "en": "Columns"},
    "intro": {"kk": "Бір жол — бір адам. Бірінші жол — бағандардың атаулары: бағандардың ретін өзгертуге болады, "
                    "атаулары қазақша, орысша не ағылшынша қабылданады. Мысал жолын өз деректеріңізбен ауыстырыңыз. "
                    "Файлды CSV UTF-8 немесе .xlsx ретінде сақтаңыз.",
              "ru": "Одна строка — один человек. Первая строка — названия столбцов: столбцы можно менять местами, "
                    "названия принимаются на казахском, русском или английском. Замените строку-пример своими "
                    "данными. Сохраните файл как CSV UTF-8 или .xlsx.",
              "en": "One person per row. The first row names the columns: they may be in any order, and names in "
                    "Kazakh, Russian or English are all accepted. Replace the example row with your data. Save the "
                    "file as CSV UTF-8 or .xlsx."},
    "column": {"kk": "Баған", "ru": "Столбец", "en": "Column"},
    "code": {"kk": "Коды", "ru": "Код", "en": "Code"},
    "required": {"kk": "Міндетті", "ru": "Обязательно", "en": "Required"},
    "what": {"kk": "Не жазу керек", "ru": "Что писать", "en": "What to write"},
    "regions": {"kk": "Өңірлер", "ru": "Регионы", "en": "Regions"},
    "kato": {"kk": "ӘАОЖ коды", "ru": "Код КАТО", "en": "KATO code"},
    "name": {"kk": "Атауы", "ru": "Название", "en": "Name"},
    "disabilities": {"kk": "Мүгедектік санаттары", "ru": "Категории инвалидности", "en": "Disability categories"},
    "yes": _YES, "no": _NO,
}


def _norm(text) -> str:
    """A header or a word as compared: case, ё/е, spacing, underscores and a trailing * or : do not matter."""
    text = unicodedata.normalize("NFC", str(text or "")).casefold().replace("ё", "е").replace("_", " ")
    return " ".join(text.strip().rstrip("*:").split())


HEADER_INDEX = {}
for _column in COLUMNS:
    for _header in (_column.code, *_column.headers.values()):
        assert HEADER_INDEX.setdefault(_norm(_header), _column.code) == _column.code, _header

_YES_WORDS = {"yes", "y", "true", "1", "+", "иә", "ия", "иа", "да", "д"}
_NO_WORDS = {"no", "n", "false", "0", "-", "жоқ", "жок", "нет", "н"}
_SEX_WORDS = {
    "M": {"m", "male", "man", "м", "муж", "мужской", "мужчина", "е", "ер", "еркек", "ер адам"},
    "F": {"f", "female", "woman", "ж", "жен", "женский", "женщина", "ә", "әйел", "әйел адам"},
}


# --- Errors and results ----------------------------------------------------------------------------------------

class ImportFileError(ServiceError):
    """The file as a whole cannot be read (type, encoding, columns); nothing was checked row by row."""

    def __init__(self, message):
        super().__init__(message, field="file", code="import_file")


class ImportRowError(ServiceError):
    """A row failed while writing: the whole import was rolled back."""

    def __init__(self, row: int, message: str, field: str | None = None):
        super().__init__(message, field=field, code="import_row")
        self.row = row


class _CellError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class Problem:
    row: int
    field: str
    column: str
    value: str
    message: str
    level: str  # "error" blocks the import; "warning" blocks it until the user confirms
    candidates: list = field(default_factory=list)


# --- Reading files ---------------------------------------------------------------------------------------------

def _is_blank(cells) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _read_csv(file) -> Iterator[tuple[int, list]]:
    file.seek(0)
    head = file.read(65536)
    if b"\x00" in head:
        raise ImportFileError(_("This is not a CSV file. Qamqor reads CSV (UTF-8) and Excel .xlsx files: save the "
                                "list in one of these formats and upload it again."))
    lines = head.decode("utf-8", errors="ignore").lstrip("\ufeff").splitlines()
    first_line = next((line for line in lines if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=first_line.count)
    file.seek(0)
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, delimiter=delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells
    except UnicodeDecodeError:
        raise ImportFileError(_("The file is not in UTF-8, so letters would be lost (near row %(row)s). In Excel "
                                "choose “Save as” and “CSV UTF-8”, or upload the .xlsx file.")
                              % {"row": number + 1}) from None
    except csv.Error as exc:
        raise ImportFileError(_("Row %(row)s of the file cannot be read as CSV (%(reason)s). Check the quotes in "
                                "that row, or upload the .xlsx file.") % {"row": number + 1, "reason": exc}) from None
    finally:
        text.detach()


def _read_xlsx(file) -> Iterator[tuple[int, list]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    # What a damaged or foreign zip file raises in openpyxl (ElementTree's ParseError is a SyntaxError).
    unreadable = (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError, TypeError, SyntaxError)
    message = _("This file is not a readable Excel workbook (.xlsx). Open it in Excel and save it again as .xlsx, or "
                "upload a CSV file.")
    file.seek(0)
    try:
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except unreadable:
        raise ImportFileError(message) from None
    try:
        if not book.worksheets:
            return
        # Only the first sheet holds persons; the template's second sheet explains the columns.
        for number, cells in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            yield number, list(cells)
    except unreadable:
        raise ImportFileError(message) from None
    finally:
        book.close()


def _rows_of(upload, name: str) -> Iterator[tuple[int, list]]:
    size = getattr(upload, "size", None)
    if size == 0:
        raise ImportFileError(_("The file is empty. Fill in the template: one person per row under the column "
                                "names."))
    if size is not None and size > MAX_BYTES:
        raise ImportFileError(_("The file is larger than %(size)s MB. Split it into smaller files and import them "
                                "one by one.") % {"size": MAX_BYTES // (1024 * 1024)})
    upload.seek(0)
    magic = upload.read(8)
    upload.seek(0)
    extension = Path(name or "").suffix.lower()
    # The file object under Django's wrapper: in memory for small uploads, a temporary file on disk for large ones.
    raw = getattr(upload, "file", upload)
    if magic.startswith(b"PK\x03\x04"):
        return _read_xlsx(raw)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("This is an old Excel file (.xls). Open it in Excel and save it as an Excel workbook "
                                "(.xlsx) or as CSV UTF-8, then upload it again."))
    if extension == ".xlsx":
        raise ImportFileError(_("This file is not a readable Excel workbook (.xlsx). Open it in Excel and save it "
                                "again as .xlsx, or upload a CSV file."))
    if extension in (".csv", ".txt"):
        return _read_csv(raw)
    raise ImportFileError(_("Qamqor reads CSV (UTF-8) and Excel .xlsx files. Save the list in one of these formats "
                            "and upload it again."))


# --- Reading cells ---------------------------------------------------------------------------------------------

def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _YES["en"] if value else _NO["en"]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y") if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return str(value).strip()


_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def _date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _as_text(value)
    if not text:
        return None
    text = re.sub(r"[ T]00:00(:00)?$", "", text)  # a date cell written out with a midnight time
    if m := _DOTTED.match(text):
        day, month, year = (int(g) for g in m.groups())
    elif m := _ISO.match(text):
        year, month, day = (int(g) for g in m.groups())
    else:
        raise _CellError(_("This is not a date. Write it as DD.MM.YYYY, for example 14.07.1985."))
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise _CellError(_("This date does not exist: check the day and the month. Write it as DD.MM.YYYY, for "
                           "example 14.07.1985.")) from None


def _iin(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        # A number cell drops an IIN's leading zero (people born 2000-2009): put it back.
        text = str(value)
        return text.zfill(12) if len(text) == 11 else text
    return _as_text(value)


def _flag(value) -> bool:
    if isinstance(value, bool):
        return value
    word = _norm(_as_text(value))
    if not word or word in _NO_WORDS:
        return False
    if word in _YES_WORDS:
        return True
    raise _CellError(_("Write yes or no (иә or жоқ, да or нет), or leave the cell empty for no."))


def _sex(value) -> str:
    word = _norm(_as_text(value))
    if not word:
        return ""
    for code, words in _SEX_WORDS.items():
        if word in words:
            return code
    raise _CellError(_("This is not a sex Qamqor knows. Write male or female (M or F), or leave the cell empty when "
                       "the IIN is given."))


class _Lookups:
    """Reference data for one import, read once: regions, disability categories, choice labels."""

    def __init__(self):
        self.regions = {r.pk: r for r in Region.objects.all()}
        self.region_by_word = {}
        for r in self.regions.values():
            for word in (r.kato_code, r.iso_code, r.name_kk, r.name_ru, r.name_en):
                if word:
                    self.region_by_word[_norm(word)] = r
        self.disabilities = {d.pk: d for d in DisabilityCategory.objects.all()}
        self.disability_by_word = {}
        for d in self.disabilities.values():
            for word in (d.code, d.name_kk, d.name_ru, d.name_en):
                if word:
                    self.disability_by_word.setdefault(_norm(word), d)
        for number, roman in ((1, "i"), (2, "ii"), (3, "iii")):
            group = self.disability_by_word.get(f"group {number}")
            if group is not None:
                self.disability_by_word.setdefault(str(number), group)
                self.disability_by_word.setdefault(roman, group)
        self.citizenship = self._choices(Person.Citizenship.choices)
        self.causes = self._choices(Person.DisabilityCause.choices)

    @staticmethod
    def _choices(choices):
        words = {}
        for code, label in choices:
            words[_norm(code)] = code
            for lang in LANGUAGES:
                with translation.override(lang):
                    words.setdefault(_norm(str(label)), code)
        return words

    def region(self, value):
        text = _as_text(value)
        if not text:
            raise _CellError(_("Write the region: its KATO code (for example 750000000) or its name."))
        region = self.region_by_word.get(_norm(text))
        if region is None:
            raise _CellError(_("This region is not known. Write its KATO code (for example 750000000) or its name as "
                               "in the template's list."))
        return region

    def disability(self, value):
        text = _as_text(value)
        if not text:
            return None
        category = self.disability_by_word.get(_norm(text))
        if category is None:
            raise _CellError(_("This is not a disability category Qamqor knows. Write a code from the template's "
                               "list, for example group_2, or leave the cell empty."))
        return category

    def choice(self, words, value, default):
        text = _as_text(value)
        if not text:
            return default
        code = words.get(_norm(text))
        if code is None:
            raise _CellError(_("This is not one of the values the column takes: %(values)s.")
                             % {"values": ", ".join(sorted(set(words.values())))})
        return code


def _parse_cell(column: Column, value, lookups: _Lookups):
    kind = column.kind
    if kind == "iin":
        return _iin(value)
    if kind == "date":
        return _date(value)
    if kind == "sex":
        return _sex(value)
    if kind == "flag":
        return _flag(value)
    if kind == "region":
        return lookups.region(value)
    if kind == "disability":
        return lookups.disability(value)
    if kind == "citizenship":
        return lookups.choice(lookups.citizenship, value, Person.Citizenship.CITIZEN)
    if kind == "cause":
        return lookups.choice(lookups.causes, value, "")
    text = " ".join(_as_text(value).split())
    limit = Person._meta.get_field(column.code).max_length
    if limit and len(text) > limit:
        raise _CellError(_("This is longer than %(max)s characters. Shorten it.") % {"max": limit})
    if kind == "email" and text:
        try:
            validate_email(text)
        except ValidationError:
            raise _CellError(_("This is not an e-mail address. Check it, or leave the cell empty.")) from None
    return text


# What clean_person_data is given in place of a refused value, so that it goes on to find the row's next problem.
_STAND_INS = {"surname": "-", "given_name": "-", "iin": "", "birth_date": None, "sex": ""}


def _check_row(cells: dict, lookups: _Lookups, today: dt.date):
    """(cleaned data or None, [(field, message)]) for one row: every problem in it, not only the first."""
    data, problems = {}, []
    for code, value in cells.items():
        try:
            data[code] = _parse_cell(COLUMN_BY_CODE[code], value, lookups)
        except _CellError as exc:
            problems.append((code, exc.message))
    for name in ("surname", "given_name"):
        data.setdefault(name, "")
    refused = {code for code, _m in problems}
    trial = {k: v for k, v in data.items() if k not in refused}
    cleaned = None
    for _attempt in range(len(_STAND_INS) + 1):
        try:
            cleaned = services.clean_person_data(trial, today=today)
            break
        except ServiceError as exc:
            if exc.field not in refused:
                problems.append((exc.field or "", exc.message))
                refused.add(exc.field)
            if exc.field not in _STAND_INS or trial.get(exc.field) == _STAND_INS[exc.field]:
                break
            trial[exc.field] = _STAND_INS[exc.field]
    return (cleaned if not problems else None), problems


# --- The staged result -----------------------------------------------------------------------------------------

def _imports_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def sweep_stale(now: float | None = None) -> int:
    """Delete staged files nobody came back for (they hold personal data)."""
    now = now or time.time()
    gone = 0
    for path in _imports_dir().glob("*.sqlite3"):
        limit = CLAIMED_FOR_SECONDS if ".claimed" in path.name else STAGED_FOR_SECONDS
        try:
            if now - path.stat().st_mtime > limit:
                path.unlink()
                gone += 1
        except FileNotFoundError:
            pass
    return gone


def _encode(data: dict) -> str:
    out = {}
    for key, value in data.items():
        if isinstance(value, (dt.date,)):
            value = value.isoformat()
        elif isinstance(value, (Region, DisabilityCategory)):
            value = value.pk
        out[key] = value
    return json.dumps(out, ensure_ascii=False)


class ImportBatch:
    """A checked file, staged under its token: counts, every problem, the rows to write."""

    SCHEMA = """
        CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
        CREATE TABLE rows (row_no INTEGER PRIMARY KEY, data TEXT, shown TEXT, iin TEXT, name_key TEXT, dkey TEXT,
                           birth TEXT, bad INTEGER NOT NULL DEFAULT 0, warned INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE problems (id INTEGER PRIMARY KEY, row_no INTEGER NOT NULL, pos INTEGER NOT NULL,
                               field TEXT NOT NULL, col TEXT NOT NULL, value TEXT NOT NULL, message TEXT NOT NULL,
                               level TEXT NOT NULL, extra TEXT);
    """

    def __init__(self, token: str, path: Path, db: sqlite3.Connection):
        self.token, self.path, self.db = token, path, db
        self.meta = {k: json.loads(v) for k, v in db.execute("SELECT k, v FROM meta")}

    # Opening and closing
    @classmethod
    def _create(cls, meta: dict) -> ImportBatch:
        token = secrets.token_urlsafe(24)
        path = _imports_dir() / f"{token}.sqlite3"
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        db = sqlite3.connect(path)
        db.executescript("PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;" + cls.SCHEMA)
        batch = cls(token, path, db)
        batch.save_meta(meta)
        return batch

    @classmethod
    def open(cls, token: str, *, claimed: bool = False) -> ImportBatch | None:
        """The staged batch for a token, or None when it is gone (imported, discarded or expired)."""
        if not TOKEN_RE.match(token or ""):
            return None
        path = _imports_dir() / (f"{token}.claimed.sqlite3" if claimed else f"{token}.sqlite3")
        if not path.exists():
            return None
        return cls(token, path, sqlite3.connect(path))

    def claim(self) -> None:
        """Take the batch for writing, once: a second click or a second tab finds it gone."""
        target = self.path.with_name(f"{self.token}.claimed.sqlite3")
        self.db.close()
        try:
            os.rename(self.path, target)
        except FileNotFoundError:
            raise ServiceError(_("This file is already being imported, or was imported. Find the persons in the "
                                 "registry, or upload the file again."), code="conflict") from None
        self.path, self.db = target, sqlite3.connect(target)

    def close(self) -> None:
        self.db.close()

    def delete(self) -> None:
        self.db.close()
        self.path.unlink(missing_ok=True)

    def save_meta(self, values: dict) -> None:
        self.meta.update(values)
        self.db.executemany("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)",
                            [(k, json.dumps(v, ensure_ascii=False)) for k, v in values.items()])
        self.db.commit()

    # What the pages read
    user_id = property(lambda self: self.meta["user_id"])
    owner_id = property(lambda self: self.meta["owner_id"])
    filename = property(lambda self: self.meta["filename"])
    total_rows = property(lambda self: self.meta.get("total_rows", 0))
    error_rows = property(lambda self: self.meta.get("error_rows", 0))
    error_count = property(lambda self: self.meta.get("error_count", 0))
    warning_rows = property(lambda self: self.meta.get("warning_rows", 0))
    warning_count = property(lambda self: self.meta.get("warning_count", 0))

    @property
    def valid(self) -> bool:
        return self.total_rows > 0 and self.error_count == 0

    @property
    def in_background(self) -> bool:
        return self.total_rows > BACKGROUND_ABOVE

    def problems(self, level: str = "error", *, offset: int = 0, limit: int | None = None) -> list[Problem]:
        """Problems in file order; without a limit, every one (read as a stream by iter_problems)."""
        return list(self.iter_problems(level, offset=offset, limit=limit))

    def iter_problems(self, level: str = "error", *, offset: int = 0, limit: int | None = None) -> Iterator[Problem]:
        cursor = self.db.execute(
            "SELECT row_no, field, col, value, message, level, extra FROM problems WHERE level = ? "
            "ORDER BY row_no, pos, id LIMIT ? OFFSET ?", (level, -1 if limit is None else limit, offset))
        for row_no, field_, col, value, message, lvl, extra in cursor:
            yield Problem(row_no, field_, col, value, message, lvl, json.loads(extra) if extra else [])

    def first_rows(self, n: int = PREVIEW_ROWS) -> list[dict]:
        return [dict(json.loads(shown), row=row_no) for row_no, shown in
                self.db.execute("SELECT row_no, shown FROM rows ORDER BY row_no LIMIT ?", (n,))]

    def rows_for_commit(self) -> Iterator[tuple[int, dict, bool]]:
        for row_no, data, warned in self.db.execute("SELECT row_no, data, warned FROM rows ORDER BY row_no"):
            yield row_no, json.loads(data), bool(warned)

    # Writing the staged result
    def _add_problem(self, row: int, field_: str, message: str, value="", level: str = "error", extra=None):
        column = self.meta["headers"].get(field_) or (COLUMN_BY_CODE[field_].headers.get(self.meta["language"], field_)
                                                      if field_ in COLUMN_BY_CODE else "")
        if level == "warning" and not value:
            # A warning is about the whole person: show who, as written in the file.
            shown = json.loads(self.db.execute("SELECT shown FROM rows WHERE row_no = ?", (row,)).fetchone()[0])
            name = " ".join(shown.get(k) or "" for k in ("surname", "given_name", "patronymic")).strip()
            value = ", ".join(v for v in (name, shown.get("birth_date") or "") if v)
        # Problems of a row are listed in the order of the file's columns.
        pos = self.meta["positions"].get(field_, 10_000)
        self.db.execute("INSERT INTO problems (row_no, pos, field, col, value, message, level, extra) "
                        "VALUES (?,?,?,?,?,?,?,?)",
                        (row, pos, field_ or "", column, _as_text(value)[:200], str(message), level,
                         json.dumps(extra) if extra else None))
        self.db.execute(f"UPDATE rows SET {'bad' if level == 'error' else 'warned'} = 1 WHERE row_no = ?", (row,))


# --- Checking a file -------------------------------------------------------------------------------------------

def _map_headers(number: int, cells: list) -> tuple[dict[int, str], dict[str, str]]:
    """Column positions → field codes, and field codes → the header as written (for messages)."""
    positions, written, unknown = {}, {}, []
    for index, header in enumerate(cells):
        text = _as_text(header)
        if not text:
            continue
        code = HEADER_INDEX.get(_norm(text))
        if code is None:
            unknown.append(text)
            continue
        if code in written:
            raise ImportFileError(_("Two columns of the file are both “%(column)s”. Keep one of them.")
                                  % {"column": written[code]})
        positions[index], written[code] = code, text
    if unknown:
        names = ", ".join(f"“{u}”" for u in unknown[:5])
        raise ImportFileError(ngettext(
            "The column %(names)s in row %(row)s is not one Qamqor knows. Name it as in the template, or delete it.",
            "The columns %(names)s in row %(row)s are not ones Qamqor knows. Name them as in the template, or delete "
            "them.", len(unknown)) % {"names": names, "row": number})
    missing = [c for c in COLUMNS if c.required and c.code not in written]
    if missing:
        lang = (translation.get_language() or "kk")[:2]
        lang = lang if lang in LANGUAGES else "en"
        raise ImportFileError(_("The file has no column for %(columns)s. The first row must name the columns as in the "
                                "template.") % {"columns": ", ".join(f"“{c.headers[lang]}”" for c in missing)})
    return positions, written


def import_check(*, actor, owner, upload, filename: str | None = None, today: dt.date | None = None) -> ImportBatch:
    """Read and check every row of an uploaded file for `owner`; the result is staged under a new token.

    Raises ImportFileError when the file cannot be read at all, PermissionDenied for an owner not the actor's.
    """
    if owner is None or not access.owners_for(actor).filter(pk=owner.pk).exists():
        raise PermissionDenied(_("You may register persons only for your own verified organisation."))
    filename = filename or getattr(upload, "name", "") or "import"
    today = today or timezone.localdate()
    lang = (translation.get_language() or "kk")[:2]
    rows = _rows_of(upload, filename)
    lookups = _Lookups()
    digest = hashlib.sha256()
    for piece in upload.chunks():
        digest.update(piece)
    batch = None
    try:
        positions = written = None
        total = 0
        pending = []
        for number, cells in rows:
            if _is_blank(cells):
                continue
            if _as_text(cells[0]).startswith("#"):
                continue  # a comment row: the CSV template explains its columns in such rows
            if positions is None:
                positions, written = _map_headers(number, cells)
                batch = ImportBatch._create({"user_id": actor.pk, "owner_id": owner.pk, "filename": filename[:200],
                                             "language": lang, "headers": written,
                                             "positions": {code: index for index, code in positions.items()},
                                             "created": timezone.now().isoformat()})
                continue
            total += 1
            if total > MAX_ROWS:
                raise ImportFileError(_("The file has more than %(max)s rows. Split it into smaller files and import "
                                        "them one by one.") % {"max": MAX_ROWS})
            pending.append(_stage_row(number, cells, positions, lookups, today))
            if len(pending) >= 1000:
                _flush(batch, pending)
        if positions is None:
            raise ImportFileError(_("The file is empty. Fill in the template: one person per row under the column "
                                    "names."))
        _flush(batch, pending)
        if total == 0:
            raise ImportFileError(_("The file has the column names but no rows of persons. Add one person per row "
                                    "under them."))
        batch.db.execute("CREATE INDEX rows_iin ON rows (iin)")
        batch.db.execute("CREATE INDEX rows_name ON rows (name_key)")
        batch.db.execute("CREATE INDEX rows_birth_name ON rows (birth, name_key)")
        _check_inside_file(batch)
        _check_against_registry(batch, actor)
        batch.db.execute("CREATE INDEX problems_in_order ON problems (level, row_no, pos, id)")
        counts = batch.db.execute(
            "SELECT SUM(level = 'error'), COUNT(DISTINCT CASE WHEN level = 'error' THEN row_no END), "
            "SUM(level = 'warning'), COUNT(DISTINCT CASE WHEN level = 'warning' THEN row_no END) "
            "FROM problems").fetchone()
        batch.save_meta({"total_rows": total, "error_count": counts[0] or 0, "error_rows": counts[1] or 0,
                         "warning_count": counts[2] or 0, "warning_rows": counts[3] or 0,
                         "sha256": digest.hexdigest()})
        return batch
    except BaseException:
        if batch is not None:
            batch.delete()
        raise


def _stage_row(number: int, cells: list, positions: dict, lookups: _Lookups, today: dt.date):
    values = {}
    extra = [c for i, c in enumerate(cells) if i not in positions and _as_text(c)]
    for index, code in positions.items():
        values[code] = cells[index] if index < len(cells) else None
    cleaned, problems = _check_row(values, lookups, today)
    if extra:
        problems.append(("", _("This row has more cells than the file has columns: check for a stray comma or "
                               "semicolon, for example inside an address (put such a value in quotes).")))
    shown = {name: values.get(name) for name in ("surname", "given_name", "patronymic", "iin")}
    shown = {k: _as_text(v) for k, v in shown.items()}
    if cleaned is not None:
        shown.update(iin=cleaned["iin"] or "", surname=cleaned["surname"], given_name=cleaned["given_name"],
                     patronymic=cleaned.get("patronymic", ""),
                     birth_date=cleaned["birth_date"].strftime("%d.%m.%Y") if cleaned.get("birth_date") else "",
                     sex=cleaned.get("sex") or "", region=cleaned["region"].pk,
                     disability=cleaned["disability"].pk if cleaned.get("disability") else None)
    iin = dkey = name_key = birth = None
    iin_ok = not any(f == "iin" for f, _m in problems)
    if iin_ok and values.get("iin") not in (None, ""):
        iin = "".join(ch for ch in _iin(values["iin"]) if not ch.isspace()) or None
    if cleaned is not None:
        dkey = full_name_key(cleaned["surname"], cleaned["given_name"], "")
        # full_name_key joins the non-empty keys of its parts: the whole name's key extends this one's.
        name_key = " ".join(k for k in (dkey, full_name_key("", "", cleaned.get("patronymic", ""))) if k)
        birth = cleaned["birth_date"].isoformat() if cleaned.get("birth_date") else None
    data = _encode(cleaned) if cleaned is not None else None
    return (number, data, json.dumps(shown, ensure_ascii=False), iin, name_key, dkey, birth,
            [(f, m, values.get(f, "")) for f, m in problems])


def _flush(batch: ImportBatch, pending: list) -> None:
    batch.db.executemany("INSERT INTO rows (row_no, data, shown, iin, name_key, dkey, birth) VALUES (?,?,?,?,?,?,?)",
                         [p[:7] for p in pending])
    for p in pending:
        for field_, message, value in p[7]:
            batch._add_problem(p[0], field_, message, value)
    batch.db.commit()
    pending.clear()


def _row_list(numbers) -> str:
    numbers = sorted(numbers)
    shown = ", ".join(str(n) for n in numbers[:5])
    return shown + (" …" if len(numbers) > 5 else "")


def _check_inside_file(batch: ImportBatch) -> None:
    """The same IIN twice is an error; the same person by name and birth date (as likely_duplicates matches them)
    is a warning, since two people may share both."""
    db = batch.db
    groups = db.execute("SELECT iin, group_concat(row_no) FROM rows WHERE iin IS NOT NULL GROUP BY iin "
                        "HAVING COUNT(*) > 1").fetchall()
    for iin, numbers in groups:
        numbers = [int(n) for n in numbers.split(",")]
        for number in numbers:
            others = [n for n in numbers if n != number]
            batch._add_problem(number, "iin", ngettext(
                "The same IIN is also in row %(rows)s. Each person must be in the file only once: keep one row.",
                "The same IIN is also in rows %(rows)s. Each person must be in the file only once: keep one row.",
                len(others)) % {"rows": _row_list(others)}, iin)
    # A later row is written after an earlier one, so person_create would find the earlier one as a likely
    # duplicate: an earlier row whose folded name starts with this row's surname and given name, with the same
    # birth date or none on either side. Name keys are plain a-z and spaces, so '{' bounds the prefix range.
    # Three narrow joins rather than one with OR, so that each uses the (birth, name_key) or name_key index: a
    # common name shared by thousands of rows must not make the check quadratic.
    prefix = "a.name_key >= b.dkey AND a.name_key < b.dkey || '{' AND a.row_no < b.row_no AND a.dkey IS NOT NULL"
    earliest = {}
    for condition in ("b.birth IS NOT NULL AND a.birth = b.birth", "b.birth IS NOT NULL AND a.birth IS NULL",
                      "b.birth IS NULL"):
        for later, earlier in db.execute(f"SELECT b.row_no, MIN(a.row_no) FROM rows b JOIN rows a ON {condition} AND "
                                         f"{prefix} WHERE b.dkey IS NOT NULL GROUP BY b.row_no"):
            earliest[later] = min(earlier, earliest.get(later, earlier))
    for later, earlier in sorted(earliest.items()):
        batch._add_problem(later, "surname", _(
            "Row %(row)s has the same name and birth date. If these are different people, tick “Import them "
            "anyway”; if it is the same person, delete one of the rows.") % {"row": earlier}, level="warning")
    db.commit()


def _check_against_registry(batch: ImportBatch, actor, chunk: int = 500) -> None:
    """IINs already registered (errors) and likely duplicates of registered persons (warnings), a chunk at a time.

    The likely-duplicate test is services.likely_duplicates; a batched query first finds the rows it could match, so
    that a large file costs a few queries per chunk rather than one per row.
    """
    db = batch.db
    last = 0
    undated = Person.objects.filter(status=Person.Status.ACTIVE, birth_date__isnull=True)
    # Few registered persons lack a birth date: their folded names, sorted, answer prefix look-ups in memory. Past
    # the limit the database is asked instead, a hundred prefixes per query.
    undated_keys = (sorted(undated.values_list("name_key", flat=True).iterator())
                    if undated.count() <= UNDATED_IN_MEMORY else None)
    while True:
        rows = db.execute("SELECT row_no, iin, dkey, birth, data FROM rows WHERE row_no > ? AND (iin IS NOT NULL OR "
                          "dkey IS NOT NULL) ORDER BY row_no LIMIT ?", (last, chunk)).fetchall()
        if not rows:
            break
        last = rows[-1][0]
        iins = {r[1]: r[0] for r in rows if r[1]}
        for iin in Person.objects.filter(iin__in=list(iins)).values_list("iin", flat=True):
            batch._add_problem(iins[iin], "iin", _("A person with this IIN is already registered. Delete this row: "
                                                    "find the person in the registry by IIN instead."), iin)
        keyed = [r for r in rows if r[2] is not None]
        maybe = set()
        by_birth = {}
        for r in keyed:
            if r[3]:
                by_birth.setdefault(dt.date.fromisoformat(r[3]), []).append(r)
        if by_birth:
            for name_key, born in Person.objects.filter(status=Person.Status.ACTIVE, birth_date__in=list(by_birth)
                                                        ).values_list("name_key", "birth_date").iterator():
                maybe.update(r[0] for r in by_birth[born] if name_key.startswith(r[2]))
        # Registered persons with no birth date match a row by name alone; a row with no birth date (neither a date
        # nor an IIN: rare) matches anyone by name.
        dated = [r for r in keyed if r[3]]
        if undated_keys is not None:
            for r in dated:
                i = bisect.bisect_left(undated_keys, r[2])
                if i < len(undated_keys) and undated_keys[i].startswith(r[2]):
                    maybe.add(r[0])
        else:
            maybe.update(_prefix_hits(dated, undated_only=True))
        maybe.update(_prefix_hits([r for r in keyed if not r[3]], undated_only=False))
        for r in keyed:
            if r[0] not in maybe:
                continue
            data = json.loads(r[4])
            data["birth_date"] = dt.date.fromisoformat(data["birth_date"]) if data.get("birth_date") else None
            candidates = services.likely_duplicates(data)
            if candidates:
                owners = sorted({c.owner.name for c in candidates})
                batch._add_problem(r[0], "surname", ngettext(
                    "A person with the same name and birth date is already registered by %(owners)s. If this is a "
                    "different person, tick “Import them anyway”; if not, delete this row.",
                    "Persons with the same name and birth date are already registered by %(owners)s. If this is a "
                    "different person, tick “Import them anyway”; if not, delete this row.", len(candidates))
                    % {"owners": ", ".join(owners[:3])}, level="warning", extra=[c.pk for c in candidates])
        db.commit()


def _prefix_hits(rows, *, undated_only: bool) -> set[int]:
    """Rows whose folded surname and given name begin an active registered person's name (without a birth date,
    when undated_only)."""
    hits = set()
    for part in range(0, len(rows), 100):
        group = rows[part:part + 100]
        by_prefix = Q()
        for prefix in {r[2] for r in group}:
            by_prefix |= Q(name_key__startswith=prefix)
        qs = Person.objects.filter(by_prefix, status=Person.Status.ACTIVE)
        if undated_only:
            qs = qs.filter(birth_date__isnull=True)
        for name_key in qs.values_list("name_key", flat=True).iterator():
            hits.update(r[0] for r in group if name_key.startswith(r[2]))
    return hits


# --- Writing ---------------------------------------------------------------------------------------------------

def _decode(data: dict, lookups: _Lookups) -> dict:
    data = dict(data)
    for name in ("birth_date", "disability_set_on", "disability_review_on"):
        if data.get(name):
            data[name] = dt.date.fromisoformat(data[name])
    data["region"] = lookups.regions[data["region"]]
    data["disability"] = lookups.disabilities[data["disability"]] if data.get("disability") else None
    return data


def import_commit(*, actor, batch: ImportBatch, confirmed: bool = False,
                  report: Callable[[int, int], None] | None = None) -> int:
    """Register every row of a checked batch in ONE transaction through services.person_create, with an audit row
    per person and one for the import; any failure rolls back everything and raises ImportRowError."""
    if not batch.valid:
        raise ServiceError(_("This file has rows with problems. Correct them and upload the file again: nothing was "
                             "imported."), code="invalid")
    if batch.warning_rows and not confirmed:
        raise ServiceError(_("Some rows may be persons already registered. Tick “Import them anyway” if they are "
                             "different people."), field="confirm_duplicates", code="possible_duplicate")
    owner = access.owners_for(actor).filter(pk=batch.owner_id).first()
    if owner is None:
        raise PermissionDenied(_("You may register persons only for your own verified organisation."))
    lookups = _Lookups()
    total, done = batch.total_rows, 0
    with transaction.atomic():
        first_id = last_id = None
        for row_no, data, warned in batch.rows_for_commit():
            try:
                person = services.person_create(actor=actor, owner=owner, data=_decode(data, lookups),
                                                confirmed_new=confirmed and warned)
            except services.PossibleDuplicates:
                raise ImportRowError(row_no, _(
                    "Row %(row)s: this person may already be registered — the registry changed after the file was "
                    "checked. Nothing was imported. Upload the file again to check it.") % {"row": row_no},
                    field="surname") from None
            except PermissionDenied:
                raise
            except ServiceError as exc:
                raise ImportRowError(row_no, _("Row %(row)s: %(reason)s Nothing was imported.")
                                     % {"row": row_no, "reason": exc.message}, field=exc.field) from None
            first_id = first_id or person.pk
            last_id = person.pk
            done += 1
            if report is not None and (done % 250 == 0 or done == total):
                report(done, total)
        audit_record(actor=actor, action="person.import", obj=owner, after={
            "file": batch.filename, "sha256": batch.meta.get("sha256", ""), "persons": done,
            "confirmed_possible_duplicates": batch.warning_rows if confirmed else 0,
            "first_person_id": first_id, "last_person_id": last_id})
    return done


# --- Templates -------------------------------------------------------------------------------------------------

def _template_example(lang: str) -> list[str]:
    region = Region.objects.filter(kato_code="750000000").first() or Region.objects.first()
    row = []
    for column in COLUMNS:
        if column.code == "region":
            row.append(getattr(region, f"name_{lang}") if region else "750000000")
        else:
            row.append(column.example.get(lang, ""))
    return row


def _template_help(lang: str) -> list[list[str]]:
    t = {k: v[lang] for k, v in TEMPLATE_TEXT.items()}
    rows = [[t["column"], t["code"], t["required"], t["what"]]]
    rows += [[c.headers[lang], c.code, t["yes"] if c.required else t["no"], c.help[lang]] for c in COLUMNS]
    rows += [[], [t["regions"]], [t["kato"], t["name"]]]
    rows += [[r.kato_code, getattr(r, f"name_{lang}")] for r in Region.objects.order_by("kato_code")]
    rows += [[], [t["disabilities"]], [t["code"], t["name"]]]
    rows += [[d.code, getattr(d, f"name_{lang}")] for d in DisabilityCategory.objects.filter(legacy=False)]
    return rows


def template_csv(lang: str) -> bytes:
    """The CSV template: column names, one valid example row, then the explanation as comment rows ('#')."""
    out = io.StringIO()
    # Excel in Kazakh and Russian settings separates by semicolon; in English by comma.
    writer = csv.writer(out, delimiter=";" if lang in ("kk", "ru") else ",", lineterminator="\r\n")
    writer.writerow([c.headers[lang] for c in COLUMNS])
    writer.writerow(_template_example(lang))
    writer.writerow([])
    writer.writerow(["# " + TEMPLATE_TEXT["intro"][lang]])
    for row in _template_help(lang):
        writer.writerow(["# " + row[0], *row[1:]] if row else [])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(lang: str) -> bytes:
    """The XLSX template: a sheet of persons (header and one valid example row) and a sheet explaining each column."""
    import openpyxl
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = TEMPLATE_TEXT["sheet"][lang]
    sheet.append([c.headers[lang] for c in COLUMNS])
    sheet.append(_template_example(lang))
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(14, min(40, len(column.headers[lang]) + 4))
        if column.kind in ("iin", "date"):
            # Text, so that Excel keeps an IIN's leading zero and does not rewrite dates.
            sheet.column_dimensions[letter].number_format = "@"
            sheet.cell(row=2, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    notes = book.create_sheet(TEMPLATE_TEXT["help_sheet"][lang])
    notes.append([TEMPLATE_TEXT["intro"][lang]])
    notes.append([])
    first = notes.max_row + 1
    for row in _template_help(lang):
        notes.append(row)
    notes.cell(row=first, column=1).font = notes.cell(row=first, column=2).font = Font(bold=True)
    notes.cell(row=first, column=3).font = notes.cell(row=first, column=4).font = Font(bold=True)
    for letter, width in (("A", 42), ("B", 28), ("C", 14), ("D", 90)):
        notes.column_dimensions[letter].width = width
    for cells in notes.iter_rows():
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def column_help(lang: str) -> list[dict]:
    """The columns explained in a language, for the upload page."""
    lang = lang if lang in LANGUAGES else "en"
    return [{"header": c.headers[lang], "code": c.code, "required": c.required, "help": c.help[lang]}
            for c in COLUMNS]
