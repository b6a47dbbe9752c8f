"""The monthly act of services rendered as documents for payment: PDF (fpdf2 with PT Sans) and XLSX (openpyxl), in
Kazakh, Russian or English, whatever the language of the page that asks.

What an act says about the people served: only the booking number of each line. An act for payment (the "act of
completed works (services rendered)" of the Ministry of Finance's primary-document rules) names the parties with
their BIN, the contract, and each service with its date, unit, quantity, price and amount; nothing in it needs a
name, initials or an IIN of the person who received the service, and the act goes to people (the customer's
accountants, the treasury) who have no other reason to learn who is disabled and served. The booking number is a
pseudonym: the provider resolves it to the delivery record with the person's confirmation when the customer checks a
line, inside Qamqor and under its access checks. Because the provider can resolve it, it is still personal data, and
every download writes an access-log row for each person behind the lines (`subjects` of the Document).

An issued act never changes, and neither do its documents: everything printed comes from the act, its lines and the
reconciliation as it stood when the act was issued, and the files carry the time of issue as their creation time, so
the same language gives the same bytes every time. PT Sans has every Kazakh letter but no tenge sign (₸), so money
is labelled with the word, as the ledger's receipts do.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.dates import MONTHS
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.writer.excel import ExcelWriter

from qamqor.ledger.receipts import format_amount
from qamqor.lib.pdf import new_document

from . import selectors
from .models import Act

LANGUAGES = ("kk", "ru", "en")
FORMATS = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MONEY_FORMAT = "#,##0.00"
# Why the access log records a download.
PURPOSE = "act of services rendered (document)"
DATE_FORMAT = "DD.MM.YYYY"


@dataclass
class Document:
    content: bytes
    content_type: str
    filename: str
    subjects: list  # the registry persons behind the lines, for the access log

    def response(self) -> HttpResponse:
        """The document as a download (for a page or the API)."""
        response = HttpResponse(self.content, content_type=self.content_type)
        response["Content-Disposition"] = content_disposition_header(True, self.filename)
        response["Content-Length"] = str(len(self.content))
        # It holds personal data (pseudonymous): never kept by a shared cache.
        response["Cache-Control"] = "private, no-store"
        return response


@dataclass
class _Data:
    act: Act
    lines: list
    reconciliation: dict


def language(raw: str | None) -> str:
    """The language asked for if it is one of ours, else the active one (else Kazakh, the site's default)."""
    if raw in LANGUAGES:
        return raw
    active = (translation.get_language() or "kk")[:2]
    return active if active in LANGUAGES else "kk"


# What a document weighs, measured on acts of 1 to 10,000 lines: the PDF is mostly its subset of PT Sans (two faces,
# fewer letters in English), then about 70 bytes a line; the XLSX about 7 KB, then about 26 bytes a line.
SIZE = {"pdf": ({"kk": 56_500, "ru": 56_500, "en": 48_500}, 70), "xlsx": ({"kk": 7_200, "ru": 7_200, "en": 7_100}, 26)}


def size_hint(fmt: str, lines: int, lang: str | None = None) -> str:
    """The approximate size of a document, for the text of its link ("about 60 KB")."""
    bases, per_line = SIZE[fmt]
    kb = (bases[language(lang)] + per_line * lines) / 1000
    if kb >= 1000:
        return _("about %(size)s MB") % {"size": f"{kb / 1000:.1f}"}
    step = 10 if kb >= 10 else 1
    return _("about %(size)s KB") % {"size": max(step, int(kb / step + 0.5) * step)}


def _load(act: Act) -> _Data:
    lines = list(selectors.act_lines(act))
    # An issued act shows the reconciliation as it was when it was issued: what happened later in that month
    # (a late delivery record, a cancellation) belongs to the next reconciliation, not to a document already paid.
    as_of = act.issued_at if act.status == Act.Status.ISSUED else None
    return _Data(act=act, lines=lines, reconciliation=selectors.reconciliation(act.contract, act.month, as_of=as_of))


def render(act: Act, fmt: str, lang: str) -> Document:
    """The act as a PDF or XLSX document in the language given (kk, ru or en)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    lang = language(lang)
    data = _load(act)
    with translation.override(lang):
        content = _pdf(data, lang) if fmt == "pdf" else _xlsx(data, lang)
    month = act.month.strftime("%Y-%m")
    number = re.sub(r"[^\w.-]+", "-", act.contract.number).strip("-") or str(act.contract_id)
    return Document(content=content, content_type=FORMATS[fmt],
                    filename=f"qamqor-act-{number}-{month}-{lang}.{fmt}",
                    subjects=[line.delivery.booking.person for line in data.lines])


# --- Words and figures -----------------------------------------------------------------------------------------------

def _units(value: Decimal, lang: str) -> str:
    """Units as the language writes them, without trailing zeros: 1 234,5 in Kazakh and Russian, 1,234.5 in English."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    if lang in ("kk", "ru"):
        text = text.replace(",", "\u00a0").replace(".", ",")
    return text


def _money(value: Decimal, lang: str) -> str:
    return format_amount(value, lang)


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M")


def _month(day: dt.date) -> str:
    return f"{MONTHS[day.month]} {day.year}"


def _person_name(user) -> str:
    return (user.full_name or user.email) if user is not None else ""


def _last_day(month: dt.date) -> dt.date:
    return selectors.next_month(month) - dt.timedelta(days=1)


def _status_text(act: Act) -> str:
    if act.status == Act.Status.ISSUED:
        return _("Issued for payment by %(name)s on %(moment)s.") % {"name": _person_name(act.issued_by),
                                                                     "moment": _when(act.issued_at)}
    return _("DRAFT, not for payment: drawn up by %(name)s on %(moment)s; it may still change.") % {
        "name": _person_name(act.generated_by), "moment": _when(act.generated_at)}


def _details(data: _Data, lang: str) -> list[tuple[str, str]]:
    act, contract = data.act, data.act.contract
    service = contract.service_type
    return [
        (_("Contract"), contract.number),
        (_("Customer"), contract.customer.name),
        (_("Customer's BIN"), contract.customer.bin or "-"),
        (_("Provider"), contract.provider.name),
        (_("Provider's BIN"), contract.provider.bin or "-"),
        (_("Service"), service.name),
        (_("Unit"), service.get_unit_display()),
        (_("Month"), f"{_month(act.month)} ({act.month:%d.%m.%Y}–{_last_day(act.month):%d.%m.%Y})"),
        (_("Status"), _status_text(act)),
    ]


def _headings() -> list[str]:
    return [_("No."), _("Date"), _("Booking no."), _("Units"), _("Unit price, tenge"), _("Amount, tenge")]


def _reconciliation_rows(data: _Data) -> list[tuple[str, Decimal]]:
    rec = data.reconciliation
    booked = (_("Booked, started by the issue and not cancelled") if data.act.status == Act.Status.ISSUED
              else _("Booked (not cancelled)"))
    return [
        (booked, rec["booked"]),
        (_("Delivered (delivery records)"), rec["delivered"]),
        (_("Billed in this act"), data.act.total_units),
        (_("Booked but not delivered"), rec["not_delivered"]),
        (_("Delivered but not billed"), rec["not_billed"]),
    ]


def _reconciliation_title(data: _Data) -> str:
    if data.act.status == Act.Status.ISSUED:
        return _("Reconciliation for the month, in units, as at the issue of the act (%(moment)s)") % {
            "moment": _when(data.act.issued_at)}
    return _("Reconciliation for the month, in units, as of now")


def _reference_note() -> str:
    return _("People served are referred to by booking number only. The provider keeps each delivery record with "
             "the person's confirmation and shows it to the customer on request.")


def _title(act: Act) -> str:
    return _("Act of services rendered No. %(number)s") % {"number": act.pk}


def _moment(act: Act) -> dt.datetime:
    """The document's own creation time: the issue (or, for a draft, the drawing up) of the act, never "now"."""
    return act.issued_at if act.status == Act.Status.ISSUED else act.generated_at


# --- PDF -------------------------------------------------------------------------------------------------------------

def _pdf_text(text: str) -> str:
    # PT Sans has no tenge sign; a service name or a translation may still carry one.
    return str(text).replace("₸", _("tenge"))


COLUMNS = (10, 24, 30, 22, 44, 44)  # mm: No., date, booking, units, unit price, amount (174 = A4 less margins)
ALIGN = ("R", "L", "L", "R", "R", "R")


def _pdf_table(pdf: FPDF, headings: list[str], rows: list[tuple], total: tuple) -> None:
    """The lines of the act, its headings repeated on every page. Drawn cell by cell: an act of a busy InvaTaxi
    contract has thousands of lines, and fpdf2's table(), which lays every cell out as a paragraph twice, takes
    seconds for a thousand of them."""
    height = 6

    def heading():
        pdf.set_font("PTSans", "B", 9)
        # Headings may wrap (Kazakh and Russian words are long): lay them out first to learn the row's height.
        lines = max(len(pdf.multi_cell(w, 4.5, text, dry_run=True, output="LINES"))
                    for w, text in zip(COLUMNS, headings))
        row_height = lines * 4.5 + 1.5
        x, y = pdf.get_x(), pdf.get_y()
        for w, text in zip(COLUMNS, headings):
            pdf.rect(x, y, w, row_height)
            pdf.set_xy(x, y + 0.75)
            pdf.multi_cell(w, 4.5, text, align="C", new_x="RIGHT", new_y="TOP")
            x += w
        pdf.set_xy(pdf.l_margin, y + row_height)
        pdf.set_font("PTSans", "", 10)

    if pdf.will_page_break(height * 4):
        pdf.add_page()
    heading()
    for row in rows:
        if pdf.will_page_break(height):
            pdf.add_page()
            heading()
        for w, align, text in zip(COLUMNS, ALIGN, row):
            pdf.cell(w, height, text, border=1, align=align, new_x="RIGHT", new_y="TOP")
        pdf.ln(height)
    if pdf.will_page_break(height):
        pdf.add_page()
        heading()
    pdf.set_font("PTSans", "B", 10)
    label_width = sum(COLUMNS[:3])
    pdf.cell(label_width, height, total[0], border=1, new_x="RIGHT", new_y="TOP")
    for w, align, text in zip(COLUMNS[3:], ALIGN[3:], total[3:]):
        pdf.cell(w, height, text, border=1, align=align, new_x="RIGHT", new_y="TOP")
    pdf.ln(height)
    pdf.set_font("PTSans", "", 10)


class _ActPDF(FPDF):
    """Every page says which act it belongs to and where it stands, so that a page taken out is still placed."""

    footer_text = ""

    def footer(self):
        self.set_y(-13)
        self.set_font("PTSans", "", 8)
        page = _("Page %(page)s of %(pages)s") % {"page": self.page_no(), "pages": "{nb}"}
        self.cell(0, 5, f"{self.footer_text} · {page}", align="C")


def _pdf(data: _Data, lang: str) -> bytes:
    act = data.act
    pdf = new_document(title=_pdf_text(f"{_title(act)}: {act.contract.number}, {_month(act.month)}"),
                       author=_pdf_text(act.contract.provider.name), lang=lang, margin=18, page_break=18,
                       cls=_ActPDF, created=_moment(act))
    pdf.footer_text = _pdf_text(f"{_title(act)}, {act.contract.number}, {_month(act.month)}")
    pdf.add_page()

    def paragraph(text, *, size=11, bold=False, height=6):
        pdf.set_font("PTSans", "B" if bold else "", size)
        pdf.multi_cell(0, height, _pdf_text(text), new_x="LMARGIN", new_y="NEXT", align="L")

    if act.status == Act.Status.DRAFT:
        pdf.set_text_color(170, 0, 0)
        paragraph(_("DRAFT: NOT FOR PAYMENT"), size=14, bold=True, height=8)
        pdf.set_text_color(0, 0, 0)
    paragraph(_title(act), size=16, bold=True, height=9)
    paragraph(_("for %(month)s under contract %(number)s") % {"month": _month(act.month),
                                                               "number": act.contract.number}, size=12, height=7)
    pdf.ln(3)

    label_width = 48
    for label, value in _details(data, lang):
        y = pdf.get_y()
        pdf.set_font("PTSans", "B", 10)
        pdf.multi_cell(label_width, 5.5, _pdf_text(label), new_x="RIGHT", new_y="TOP", align="L")
        pdf.set_font("PTSans", "", 10)
        pdf.multi_cell(0, 5.5, _pdf_text(value), new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.set_y(max(pdf.get_y(), y + 5.5) + 0.8)
    pdf.ln(3)

    paragraph(_("Services rendered"), size=12, bold=True, height=7)
    cells = [(str(i), f"{line.date:%d.%m.%Y}", str(line.delivery.booking_id), _units(line.units, lang),
              _money(line.unit_price, lang), _money(line.amount, lang)) for i, line in enumerate(data.lines, start=1)]
    total = (_pdf_text(_("Total")), "", "", _units(act.total_units, lang), "", _money(act.total_amount, lang))
    _pdf_table(pdf, [_pdf_text(h) for h in _headings()], cells, total)
    pdf.ln(2)
    paragraph(_("Total to pay: %(amount)s tenge. Units rendered: %(units)s (unit: %(unit)s).") % {
        "amount": _money(act.total_amount, lang), "units": _units(act.total_units, lang),
        "unit": act.contract.service_type.get_unit_display()}, bold=True)
    pdf.set_font("PTSans", "", 9)
    paragraph(_reference_note(), size=9, height=5)
    pdf.ln(4)

    if pdf.will_page_break(14 + 6 * 5):  # the reconciliation stays on one page with its title
        pdf.add_page()
    paragraph(_reconciliation_title(data), size=12, bold=True, height=7)
    pdf.set_font("PTSans", "", 10)
    for label, value in _reconciliation_rows(data):
        pdf.cell(120, 6, _pdf_text(label), border=1, new_x="RIGHT", new_y="TOP")
        pdf.cell(40, 6, _units(value, lang), border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)

    for label in (_("For the provider"), _("For the customer")):
        paragraph(f"{label}: ______________________________", size=10, height=8)
    return bytes(pdf.output())


# --- XLSX ------------------------------------------------------------------------------------------------------------

class _FixedTimeZip(zipfile.ZipFile):
    """A zip archive whose entries all carry one time (the act's), so that the workbook's bytes do not depend on
    when it was written. openpyxl writes its parts with writestr(name, data) and each sheet with write(file, name)
    from a temporary file."""

    def __init__(self, *args, moment: dt.datetime, **kwargs):
        self._date_time = timezone.localtime(moment).timetuple()[:6]
        super().__init__(*args, **kwargs)

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=self._date_time)
            zinfo_or_arcname.compress_type = self.compression
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, compress_type=compress_type, compresslevel=compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        with open(filename, "rb") as f:
            self.writestr(arcname or os.path.basename(filename), f.read(), compress_type=compress_type,
                          compresslevel=compresslevel)


def _xlsx(data: _Data, lang: str) -> bytes:
    act = data.act
    wb = Workbook()
    ws = wb.active
    ws.title = _("Act")[:31]
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    rows = 0

    def put(*values, font=None):
        # Cells made one by one: ws[row] would scan the whole sheet for its width each time.
        nonlocal rows
        rows += 1
        cells = [ws.cell(row=rows, column=column, value=value) for column, value in enumerate(values, start=1)]
        if font is not None:
            for cell in cells:
                cell.font = font
        return cells

    if act.status == Act.Status.DRAFT:
        put(_("DRAFT: NOT FOR PAYMENT"), font=Font(bold=True, color="AA0000", size=14))
    put(_title(act), font=Font(bold=True, size=14))
    put(_("for %(month)s under contract %(number)s") % {"month": _month(act.month), "number": act.contract.number})
    put()
    for label, value in _details(data, lang):
        row = put(label, value)
        row[0].font = bold
        row[1].alignment = wrap
        ws.merge_cells(start_row=rows, start_column=2, end_row=rows, end_column=6)
    put()
    put(_("Services rendered"), font=bold)
    header = rows + 1
    put(*_headings(), font=bold)
    for i, line in enumerate(data.lines, start=1):
        row = put(i, line.date, line.delivery.booking_id, line.units, line.unit_price, line.amount)
        row[1].number_format = DATE_FORMAT
        row[3].number_format = "0.##"
        row[4].number_format = row[5].number_format = MONEY_FORMAT
    last = rows
    # An Excel table: screen readers announce its column headings in every cell, and filters come for free.
    table = Table(displayName="ActLines", ref=f"A{header}:F{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
    ws.add_table(table)
    row = put(_("Total"), None, None, act.total_units, None, act.total_amount, font=bold)
    row[3].number_format = "0.##"
    row[5].number_format = MONEY_FORMAT
    put(_("Total to pay: %(amount)s tenge. Units rendered: %(units)s (unit: %(unit)s).") % {
        "amount": _money(act.total_amount, lang), "units": _units(act.total_units, lang),
        "unit": act.contract.service_type.get_unit_display()}, font=bold)
    put(_reference_note())
    put()
    put(_reconciliation_title(data), font=bold)
    for label, value in _reconciliation_rows(data):
        row = put(label, None, None, value)
        row[3].number_format = "0.##"

    for column, width in zip(range(1, 7), (28, 14, 14, 12, 18, 18)):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header}:{header}"

    moment = _moment(act).astimezone(dt.timezone.utc).replace(tzinfo=None)
    wb.properties.title = f"{_title(act)}: {act.contract.number}, {_month(act.month)}"
    wb.properties.creator = "Qamqor"
    wb.properties.language = lang
    wb.properties.created = wb.properties.modified = moment
    buffer = io.BytesIO()
    # Not Workbook.save: it stamps the file with the time of writing.
    archive = _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED, moment=_moment(act))
    ExcelWriter(wb, archive).save()
    return buffer.getvalue()
