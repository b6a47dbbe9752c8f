"""The monthly act of services rendered as documents for payment, PDF and XLSX in Kazakh, Russian and English: their
totals are the sums of the delivery records, a draft says it is not for payment, an issued act's document is the same
file every time, the people served appear by booking number only, and the documents are for those who may see the
act, each download logged."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.dates import MONTHS
from openpyxl import load_workbook
from pypdf import PdfReader

from qamqor.accounts.models import Role
from qamqor.accounts.services import token_create
from qamqor.core.models import AccessLog
from qamqor.social_services import act_documents, services

pytestmark = pytest.mark.django_db
SIGN = "sign_language_specialist"
PRICE = Decimal("4500.00")
KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


@pytest.fixture
def yesterday():
    return timezone.localdate() - dt.timedelta(days=1)


@pytest.fixture
def month_of_work(people, deaf_person, types, make_contract, interpreter, yesterday, at):
    """Yesterday: three interpreter bookings delivered (1 h, 1.5 h, 2 h) and one that was not; the act drawn up."""
    contract = make_contract(types[SIGN], volume=10, unit_price=str(PRICE))
    booked_on = at(yesterday, 7) - dt.timedelta(days=1)
    records = []
    for hour, minutes in ((9, 60), (11, 90), (14, 120), (17, 60)):
        start = at(yesterday, hour)
        booking = services.booking_create(actor=people["org_staff"], person=deaf_person, service_type=types[SIGN],
                                          starts_at=start, ends_at=start + dt.timedelta(minutes=minutes),
                                          staff=interpreter, now=booked_on)
        if hour != 17:
            records.append(services.delivery_record(actor=interpreter.user, booking=booking, started_at=start,
                                                    ended_at=start + dt.timedelta(minutes=minutes), signature=True))
    act = services.act_generate(actor=people["org_admin"], contract=contract, month=yesterday)
    return act, records, booking


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).replace("\u00a0", " ")


def xlsx_rows(content: bytes) -> list[list]:
    return [list(row) for row in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]


def xlsx_lines(rows):
    """The table of lines: from the row after its headings to the row before "Total"."""
    start = next(i for i, row in enumerate(rows) if row[0] == "No.") + 1
    end = next(i for i in range(start, len(rows)) if rows[i][0] == "Total")
    return rows[start:end], rows[end]


def test_the_totals_of_both_documents_equal_the_sum_of_the_delivery_records(month_of_work):
    act, records, _pending = month_of_work
    units = sum(r.units for r in records)
    amount = sum((r.units * PRICE).quantize(Decimal("0.01")) for r in records)
    assert (units, amount) == (Decimal("4.50"), Decimal("20250.00"))

    text = pdf_text(act_documents.render(act, "pdf", "en").content)
    lines = re.findall(r"^(\d+) (\d\d\.\d\d\.\d{4}) (\d+) ([\d.]+) ([\d,]+\.\d\d) ([\d,]+\.\d\d)$", text, re.M)
    assert sorted(int(line[2]) for line in lines) == sorted(r.booking_id for r in records)
    assert sum(Decimal(line[5].replace(",", "")) for line in lines) == amount
    assert f"Total {units.normalize()} {amount:,.2f}" in text
    assert f"Total to pay: {amount:,.2f} tenge" in text

    rows = xlsx_rows(act_documents.render(act, "xlsx", "en").content)
    body, total = xlsx_lines(rows)
    assert sorted(row[2] for row in body) == sorted(r.booking_id for r in records)
    assert sum(Decimal(str(row[5])) for row in body) == amount == Decimal(str(total[5]))
    assert sum(Decimal(str(row[3])) for row in body) == units == Decimal(str(total[3]))
    assert all(row[1].date() == timezone.localtime(r.started_at).date() for row, r in zip(body, records))


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_each_document_is_in_the_language_asked_for(month_of_work, lang):
    act, _records, _pending = month_of_work
    contract = act.contract
    with translation.override(lang):
        month = str(MONTHS[act.month.month])  # Django's own catalogue has the months in the three languages
        unit = str(contract.service_type.get_unit_display())
    service = getattr(contract.service_type, f"name_{lang}")
    amount = "20,250.00" if lang == "en" else "20 250,00"

    content = act_documents.render(act, "pdf", lang).content
    text = pdf_text(content)
    for expected in (service, contract.customer.name, contract.provider.name, contract.customer.bin,
                     contract.provider.bin, f"{month} {act.month.year}", contract.number, amount, unit):
        assert expected in text, expected
    assert PdfReader(io.BytesIO(content)).trailer["/Root"]["/Lang"] == lang
    if lang == "kk":
        # Kazakh letters are in the font and come back out of the PDF as text (for search and screen readers).
        assert KAZAKH_LETTERS & set(text) >= set("қәұғ")
    assert "₸" not in text  # PT Sans has no tenge sign: money is labelled with the word

    workbook = load_workbook(io.BytesIO(act_documents.render(act, "xlsx", lang).content))
    cells = {str(v) for row in workbook.active.iter_rows(values_only=True) for v in row if v is not None}
    assert {service, contract.customer.name, contract.customer.bin} <= cells
    assert any(f"{month} {act.month.year}" in c for c in cells)
    assert workbook.properties.language == lang


def test_a_draft_is_marked_not_for_payment_and_an_issued_act_names_who_issued_it(month_of_work, customer_staff):
    act, _records, _pending = month_of_work
    assert "DRAFT: NOT FOR PAYMENT" in pdf_text(act_documents.render(act, "pdf", "en").content)
    assert xlsx_rows(act_documents.render(act, "xlsx", "en").content)[0][0] == "DRAFT: NOT FOR PAYMENT"

    issued = services.act_issue(actor=customer_staff, act=act)
    when = timezone.localtime(issued.issued_at).strftime("%d.%m.%Y %H:%M")
    text = pdf_text(act_documents.render(issued, "pdf", "en").content)
    assert "DRAFT" not in text
    assert f"Issued for payment by {customer_staff.full_name} on {when}." in text
    cells = [v for row in xlsx_rows(act_documents.render(issued, "xlsx", "en").content) for v in row]
    assert "DRAFT: NOT FOR PAYMENT" not in cells
    assert f"Issued for payment by {customer_staff.full_name} on {when}." in cells


def test_the_reconciliation_shows_booked_delivered_and_billed(month_of_work):
    act, _records, _pending = month_of_work
    text = pdf_text(act_documents.render(act, "pdf", "en").content)
    for label, value in (("Booked (not cancelled)", "5.5"), ("Delivered (delivery records)", "4.5"),
                         ("Billed in this act", "4.5"), ("Booked but not delivered", "1"),
                         ("Delivered but not billed", "0")):
        assert f"{label} {value}\n" in text + "\n", label


def test_an_issued_acts_documents_are_the_same_file_every_time(month_of_work, customer_staff, client_for,
                                                               interpreter):
    act, _records, pending = month_of_work
    issued = services.act_issue(actor=customer_staff, act=act)
    client = client_for(customer_staff)
    first = {(fmt, lang): client.get(f"/services/acts/{act.pk}/act.{fmt}?lang={lang}").content
             for fmt in ("pdf", "xlsx") for lang in ("kk", "ru", "en")}
    assert len(set(first.values())) == 6

    # Later in the month's life: the pending booking is delivered after the act was issued. The issued act's
    # documents (its reconciliation too) stay as they were at the issue.
    services.delivery_record(actor=interpreter.user, booking=pending, started_at=pending.starts_at,
                             ended_at=pending.ends_at, signature=True)
    again = {key: client.get(f"/services/acts/{act.pk}/act.{key[0]}?lang={key[1]}").content for key in first}
    assert again == first

    reader = PdfReader(io.BytesIO(first["pdf", "ru"]))
    assert reader.metadata.creation_date == issued.issued_at.replace(microsecond=0)
    modified = load_workbook(io.BytesIO(first["xlsx", "ru"])).properties.modified
    assert modified == issued.issued_at.astimezone(dt.UTC).replace(microsecond=0, tzinfo=None)


def test_the_documents_name_nobody_but_the_signatories(month_of_work, deaf_person, interpreter):
    act, _records, _pending = month_of_work
    text = pdf_text(act_documents.render(act, "pdf", "ru").content)
    cells = " ".join(str(v) for row in xlsx_rows(act_documents.render(act, "xlsx", "ru").content) for v in row)
    for private in (deaf_person.surname, deaf_person.given_name, interpreter.user.full_name):
        assert private not in text and private not in cells


@pytest.fixture
def other_provider_staff(make_user, almaty):
    from qamqor.organizations.models import Organization

    other = Organization.objects.create(name="Басқа қор", kind="ngo", bin="190440000017", region=almaty,
                                        status="verified")
    return make_user("other@test.kz", Role.ORG_ADMIN, organization=other)


@pytest.mark.parametrize("who, status", [
    ("org_admin", 200), ("org_staff", 200), ("customer", 200), ("coordinator", 200), ("platform_admin", 200),
    ("other_provider", 404), ("beneficiary", 404), ("volunteer", 404), ("anonymous", 302)])
@pytest.mark.parametrize("fmt", ["pdf", "xlsx"])
def test_who_may_download_an_act(month_of_work, people, customer_staff, other_provider_staff, client_for, who,
                                 status, fmt):
    act, records, _pending = month_of_work
    others = {"customer": customer_staff, "other_provider": other_provider_staff, "anonymous": None}
    user = others[who] if who in others else people[who]
    response = client_for(user).get(f"/services/acts/{act.pk}/act.{fmt}?lang=kk")
    assert response.status_code == status
    logged = AccessLog.objects.filter(purpose=act_documents.PURPOSE)
    if status == 200:
        assert response["Content-Type"] == act_documents.FORMATS[fmt]
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Content-Disposition"].endswith(f"-kk.{fmt}")
        assert response["Cache-Control"] == "private, no-store"
        assert sorted(int(row.subject_id) for row in logged) == sorted(r.booking.person_id for r in records)
        assert {row.actor_id for row in logged} == {user.pk}
    else:
        assert not logged.exists()
        if status == 302:
            assert "login" in response["Location"]


def test_the_act_page_links_to_its_documents_with_their_type_and_size(month_of_work, people, client_for):
    act, _records, _pending = month_of_work
    page = client_for(people["org_admin"]).get(f"/services/acts/{act.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    links = dict(re.findall(r'<a href="/services/acts/\d+/(act\.(?:pdf|xlsx))\?lang=en" download>([^<]+)</a>', html))
    assert re.fullmatch(r"The act as PDF \(about \d+ KB\)", links["act.pdf"])
    assert re.fullmatch(r"The act as an Excel spreadsheet, XLSX \(about \d+ KB\)", links["act.xlsx"])
    for lang in ("kk", "ru"):
        assert f'href="/services/acts/{act.pk}/act.pdf?lang={lang}" hreflang="{lang}" download' in html
        assert f'href="/services/acts/{act.pk}/act.xlsx?lang={lang}" hreflang="{lang}" download' in html


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_size_in_a_links_text_is_close_to_the_documents(month_of_work, lang):
    act, _records, _pending = month_of_work
    for fmt in ("pdf", "xlsx"):
        with translation.override("en"):
            hint = act_documents.size_hint(fmt, act.lines.count(), lang)
        said = int(re.fullmatch(r"about (\d+) KB", hint).group(1))
        size = len(act_documents.render(act, fmt, lang).content) / 1000
        assert abs(size - said) / size < 0.25, (fmt, size, hint)


# The API.

class Api:
    def __init__(self, user, language="en"):
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, name='test')[1]}",
                        "HTTP_ACCEPT_LANGUAGE": language}

    def get(self, path, query=None):
        return Client().get("/api/v1/services" + path, query or {}, **self.headers)


def test_the_api_gives_the_act_as_pdf_or_xlsx(month_of_work, people, customer_staff, other_provider_staff):
    act, records, _pending = month_of_work
    api = Api(customer_staff, language="ru")
    pdf = api.get(f"/acts/{act.pk}/document", {"format": "pdf"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert PdfReader(io.BytesIO(pdf.content)).trailer["/Root"]["/Lang"] == "ru"  # the request's language
    xlsx = api.get(f"/acts/{act.pk}/document", {"format": "xlsx", "lang": "kk"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"] == act_documents.FORMATS["xlsx"]
    assert load_workbook(io.BytesIO(xlsx.content)).properties.language == "kk"
    logged = AccessLog.objects.filter(purpose=act_documents.PURPOSE, channel="api", actor=customer_staff)
    assert logged.count() == 2 * len(records)

    for query, field in (({"format": "docx"}, "format"), ({}, "format"), ({"format": "pdf", "lang": "de"}, "lang")):
        refused = Api(customer_staff).get(f"/acts/{act.pk}/document", query)
        assert refused.status_code == 422
        assert [f["field"] for f in refused.json()["error"]["fields"]] == [field]
    assert Api(customer_staff).get(f"/acts/{act.pk}/document", {"format": "docx"}).json()["error"]["fields"][0][
        "message"] == "Choose the document's format: pdf or xlsx."
    assert Api(other_provider_staff).get(f"/acts/{act.pk}/document", {"format": "pdf"}).status_code == 404
    assert Api(people["beneficiary"]).get(f"/acts/{act.pk}/document", {"format": "pdf"}).status_code == 404
    assert AccessLog.objects.filter(purpose=act_documents.PURPOSE).count() == 2 * len(records)


def test_the_openapi_document_describes_the_files(client):
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/services/acts/{act_id}/document"]["get"]
    content = operation["responses"]["200"]["content"]
    assert set(content) == {"application/pdf", act_documents.FORMATS["xlsx"]}
    assert all(c["schema"] == {"type": "string", "format": "binary"} for c in content.values())
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["format"]["required"] and params["format"]["schema"]["enum"] == ["pdf", "xlsx"]
    assert not params["lang"].get("required") and params["lang"]["schema"]["enum"] == ["kk", "ru", "en"]
