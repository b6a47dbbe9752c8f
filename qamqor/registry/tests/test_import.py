"""Bulk import of persons, through the pages: check every row, show every problem, save all or nothing."""

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qamqor.accounts.models import Role
from qamqor.core.models import AuditLog, TaskProgress
from qamqor.lib.iin import make_iin
from qamqor.organizations.models import Organization
from qamqor.registry import services
from qamqor.registry.models import Person

HEADER = ["IIN", "Surname", "Given name", "Patronymic", "Birth date", "Sex", "Region", "Disability",
          "Uses a wheelchair"]


def iin_for(born, sex="F", serial=1):
    while True:
        number = make_iin(born, sex, serial)
        if number:
            return number
        serial += 1


def csv_file(rows, header=HEADER, delimiter=",", bom=False, name="persons.csv"):
    lines = [delimiter.join(header)] + [delimiter.join(str(c) for c in row) for row in rows]
    text = "\r\n".join(lines) + "\r\n"
    return SimpleUploadedFile(name, (("\ufeff" if bom else "") + text).encode("utf-8"), content_type="text/csv")


def xlsx_file(rows, header=HEADER, name="persons.xlsx"):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def upload(client, org, file):
    return client.post("/registry/import/", {"file": file, "owner": org.pk}, HTTP_ACCEPT_LANGUAGE="en")


def preview(client, response):
    assert response.status_code == 302 and response.url.startswith("/registry/import/"), response.content[:2000]
    return response.url, client.get(response.url, HTTP_ACCEPT_LANGUAGE="en")


def many_rows(n, start=dt.date(1960, 1, 1)):
    """n valid rows, each with its own IIN and birth date, so none looks like another."""
    rows = []
    for i in range(n):
        born = start + dt.timedelta(days=i)
        rows.append([iin_for(born, "M" if i % 2 else "F"), "Ахметова" if i % 2 == 0 else "Ахметов",
                     "Айгүл" if i % 2 == 0 else "Ерлан", "", born.strftime("%d.%m.%Y"), "", "750000000", "", ""])
    return rows


def problem_rows(html):
    """(row, column, reason) of each row of the problems table."""
    body = html.split('<table id="problems">', 1)[1].split("</tbody>", 1)[0]
    found = re.findall(r'<th scope="row"[^>]*>(\d+)</th><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td>', body)
    return [(int(r), c, m) for r, c, m in found]


@pytest.fixture(autouse=True)
def _imports_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def staff(client_for, people):
    return client_for(people["org_staff"])


def staged(tmp_path):
    return sorted(p.name for p in (tmp_path / "imports").glob("*.sqlite3")) if (tmp_path / "imports").exists() else []


def test_a_valid_csv_in_mixed_scripts_imports_every_row_with_audit_rows(staff, people, org, tmp_path):
    header = ["ЖСН", "Фамилия", "Given name", "Әкесінің аты", "Дата рождения", "Жынысы", "region", "Мүгедектік",
              "Передвигается на коляске", "Адрес"]
    rows = [
        [iin_for(dt.date(1985, 7, 14)), "Кусаинова", "Ляззат", "Серікқызы", "14.07.1985", "әйел", "750000000", "2",
         "иә", '"Абай даңғылы; 10"'],
        ["", "Иванов", "Пётр", "Сергеевич", "1950-03-02", "м", "город Астана", "group_1", "да", "ул. Мира 5"],
        [iin_for(dt.date(2001, 12, 31), "M"), "Nurlanov", "Arman", "", "", "", "Almaty", "", "no", ""],
    ]
    response = upload(staff, org, csv_file(rows, header=header, delimiter=";", bom=True))
    url, page = preview(staff, response)
    html = page.content.decode()
    assert "All 3 rows are correct" in html and "Import 3 persons" in html
    assert "Кусаинова" in html and "Серікқызы" in html and "Nurlanov" in html

    done = staff.post(url, {}, HTTP_ACCEPT_LANGUAGE="en")
    assert done.status_code == 302 and done.url == "/registry/"
    persons = {p.surname: p for p in Person.objects.select_related("region", "disability")}
    assert set(persons) == {"Кусаинова", "Иванов", "Nurlanov"}
    assert all(p.owner == org and p.created_by == people["org_staff"] for p in persons.values())
    kus = persons["Кусаинова"]
    assert (kus.region.kato_code, kus.disability.code, kus.uses_wheelchair, kus.sex) == (
        "750000000", "group_2", True, "F")
    assert kus.address == "Абай даңғылы; 10"
    assert (persons["Иванов"].region.kato_code, persons["Иванов"].birth_date) == ("710000000", dt.date(1950, 3, 2))
    assert persons["Nurlanov"].birth_date == dt.date(2001, 12, 31)  # read from the IIN
    assert AuditLog.objects.filter(action="person.create").count() == 3
    summary = AuditLog.objects.get(action="person.import")
    assert summary.after["persons"] == 3 and summary.object_id == str(org.pk)
    assert staged(tmp_path) == []  # the staged personal data is gone once imported


def test_one_bad_row_among_a_thousand_imports_nothing_and_the_preview_names_each(staff, org, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10_000  # a large upload arrives as a temporary file on disk
    rows = many_rows(1000)
    good = rows[499][0]
    rows[499][0] = good[:11] + str((int(good[11]) + 1) % 10)  # file row 501: a typo in the check digit
    rows[799][4] = "01.01.1999"  # file row 801: a birth date the IIN contradicts
    url, page = preview(staff, upload(staff, org, csv_file(rows)))
    html = page.content.decode()
    assert 'class="error-summary" role="alert"' in html
    assert "2 rows of 1000 have problems (2 in all). Nothing has been imported." in html
    found = problem_rows(html)
    assert [(r, c) for r, c, _ in found] == [(501, "IIN"), (801, "Birth date")]
    assert "check digit" in found[0][2] and "does not agree with the IIN" in found[1][2]
    assert 'href="#problem-1"' in html and "Import 1000 persons" not in html
    assert staff.post(url, {}, HTTP_ACCEPT_LANGUAGE="en").status_code == 400  # no way round the preview
    assert not Person.objects.exists()
    listed = staff.get(url + "problems.csv", HTTP_ACCEPT_LANGUAGE="en").content.decode("utf-8-sig").splitlines()
    assert listed[0].startswith("Row,Column") and [line.split(",")[:2] for line in listed[1:]] == [
        ["501", "IIN"], ["801", "Birth date"]]


def test_every_problem_of_a_row_is_listed_with_its_column(staff, org):
    header = HEADER + ["E-mail"]
    rows = [["12345", "", "Ляззат", "", "31.02.1985", "x", "Атлантида", "group_9", "maybe", "not-an-email"]]
    url, page = preview(staff, upload(staff, org, csv_file(rows, header=header)))
    found = problem_rows(page.content.decode())
    assert {c for _, c, _ in found} == {"IIN", "Surname", "Birth date", "Sex", "Region", "Disability",
                                        "Uses a wheelchair", "E-mail"}
    reasons = " ".join(m for _, _, m in found)
    assert "exactly 12 digits" in reasons and "Write the surname" in reasons and "does not exist" in reasons


def test_the_same_iin_twice_in_the_file_is_reported_on_both_rows(staff, org):
    rows = many_rows(3)
    rows[2][0] = rows[0][0]
    rows[2][4] = rows[0][4]
    rows[2][1:3] = ["Serikova", "Dana"]
    url, page = preview(staff, upload(staff, org, csv_file(rows)))
    found = problem_rows(page.content.decode())
    assert [(r, c) for r, c, _ in found] == [(2, "IIN"), (4, "IIN")]
    assert "also in row 4" in found[0][2] and "also in row 2" in found[1][2]


def test_an_iin_already_in_the_registry_is_reported(staff, people, org, almaty):
    rows = many_rows(2)
    services.person_create(actor=people["org_staff"], owner=org, data={
        "iin": rows[1][0], "surname": "Бекова", "given_name": "Сауле", "region": almaty})
    url, page = preview(staff, upload(staff, org, csv_file(rows)))
    found = problem_rows(page.content.decode())
    assert found == [(3, "IIN", found[0][2])] and "already registered" in found[0][2]


def test_likely_duplicates_warn_and_block_until_confirmed(staff, people, org, almaty):
    services.person_create(actor=people["org_staff"], owner=org, data={
        "surname": "Кусаинова", "given_name": "Ляззат", "birth_date": dt.date(1985, 7, 14), "region": almaty})
    rows = [["", "Kussainova", "Lyazzat", "", "14.07.1985", "F", "750000000", "", ""],
            ["", "Бекова", "Сауле", "", "01.01.1960", "F", "750000000", "", ""],
            ["", "Bekova", "Saule", "", "01.01.1960", "F", "750000000", "", ""]]
    url, page = preview(staff, upload(staff, org, csv_file(rows)))
    html = page.content.decode()
    assert "Some rows may be persons already registered" in html
    assert "already registered by «Мейірім» қоғамдық қоры" in html and "Row 3 has the same name and birth date" in html
    refused = staff.post(url, {}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400 and 'href="#id_confirm_duplicates"' in refused.content.decode()
    assert Person.objects.count() == 1
    done = staff.post(url, {"confirm_duplicates": "on"}, HTTP_ACCEPT_LANGUAGE="en")
    assert done.status_code == 302 and Person.objects.count() == 4


def test_nothing_is_saved_when_a_late_row_fails_while_writing(staff, people, org, almaty, tmp_path):
    rows = many_rows(20)
    url, page = preview(staff, upload(staff, org, csv_file(rows)))
    assert "All 20 rows are correct" in page.content.decode()
    # Someone registers the last row's person between the check and the commit.
    services.person_create(actor=people["org_admin"], owner=org, data={
        "iin": rows[-1][0], "surname": "Другая", "given_name": "Запись", "region": almaty})
    response = staff.post(url, {}, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 409 and "Row 21:" in html and "Nothing was imported" in html
    assert Person.objects.count() == 1 and not AuditLog.objects.filter(action="person.import").exists()
    assert staged(tmp_path) == []
    again = staff.post(url, {}, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 404  # the stale check is gone, not reusable


def test_xlsx_works_with_number_and_date_cells(staff, org):
    born = dt.date(2005, 3, 9)  # an IIN starting with 0: a number cell loses the zero
    iin = iin_for(born, "M")
    assert iin.startswith("0")
    rows = [[int(iin), "Серіков", "Нұрлан", None, dt.datetime(2005, 3, 9), "M", 750000000, None, True],
            [None, "Oralova", "Dina", "", "1990-05-06", "female", "Almaty", 1, "no"]]
    url, page = preview(staff, upload(staff, org, xlsx_file(rows)))
    assert "All 2 rows are correct" in page.content.decode()
    assert staff.post(url, {}, HTTP_ACCEPT_LANGUAGE="en").status_code == 302
    person = Person.objects.get(iin=iin)
    assert (person.birth_date, person.uses_wheelchair) == (born, True)
    assert Person.objects.get(surname="Oralova").disability.code == "group_1"


@pytest.mark.parametrize("lang,iin_header,surname_header", [("kk", "ЖСН", "Тегі"), ("ru", "ИИН", "Фамилия"),
                                                            ("en", "IIN", "Surname")])
def test_templates_download_in_three_languages_and_import_cleanly(staff, org, lang, iin_header, surname_header):
    csv_response = staff.get(f"/registry/import/template.csv?lang={lang}")
    assert csv_response.status_code == 200 and "attachment" in csv_response["Content-Disposition"]
    text = csv_response.content.decode("utf-8-sig")
    assert text.startswith(f"{iin_header}") and surname_header in text.splitlines()[0]
    url, page = preview(staff, upload(staff, org, SimpleUploadedFile(f"t-{lang}.csv", csv_response.content)))
    assert "The row is correct" in page.content.decode() and "Import 1 person" in page.content.decode()

    xlsx_response = staff.get(f"/registry/import/template.xlsx?lang={lang}")
    book = openpyxl.load_workbook(io.BytesIO(xlsx_response.content))
    assert [c.value for c in book.worksheets[0][1]][:2] == [iin_header, surname_header]
    assert len(book.worksheets) == 2 and book.worksheets[1].max_row > 30  # the columns explained
    url, page = preview(staff, upload(staff, org, SimpleUploadedFile(f"t-{lang}.xlsx", xlsx_response.content)))
    assert "The row is correct" in page.content.decode()
    assert staff.post(url, {}, HTTP_ACCEPT_LANGUAGE="en").status_code == 302
    assert Person.objects.count() == 1


def test_only_staff_registering_for_their_own_organisation_may_import(client_for, make_user, people, org, regions,
                                                                     tmp_path):
    other_org = Organization.objects.create(name="Astana Fund", kind="charity_fund", bin="190540000054",
                                            region=regions["710000000"], status="verified")
    other_staff = client_for(make_user("other@test.kz", Role.ORG_STAFF, organization=other_org))
    for role in ("volunteer", "coordinator", "donor"):
        client = client_for(people[role])
        assert client.get("/registry/import/").status_code == 403
        assert client.get("/registry/import/template.csv?lang=kk").status_code == 403
        assert upload(client, org, csv_file(many_rows(1))).status_code == 403
    assert other_staff.get("/registry/import/").status_code == 200
    assert upload(other_staff, org, csv_file(many_rows(1))).status_code == 403  # another organisation's owner
    assert staged(tmp_path) == []
    # Someone else's checked file is not theirs to see or import.
    staff = client_for(people["org_staff"])
    url, _page = preview(staff, upload(staff, org, csv_file(many_rows(1))))
    assert other_staff.get(url).status_code == 404 and other_staff.post(url, {}).status_code == 404
    assert not Person.objects.exists()
    assert client_for(None).get("/registry/import/").status_code == 302


@pytest.mark.parametrize("name,content,reason", [
    ("persons.pdf", b"%PDF-1.4 not a list", "Qamqor reads CSV (UTF-8) and Excel .xlsx files"),
    ("persons.csv", b"", "The file is empty"),
    ("persons.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel file (.xls)"),
    ("persons.xlsx", b"IIN,Surname\n", "not a readable Excel workbook"),
    ("persons.csv", "ИИН;Фамилия;Имя;Регион\n1;Иванов;Пётр;Алматы\n".encode("cp1251"), "not in UTF-8"),
    ("persons.csv", b"IIN,Surname,Given name,Region\n", "no rows of persons"),
    ("persons.csv", b"IIN,Surname,Given name,Region,Shoe size\n,A,B,750000000,42\n", "“Shoe size”"),
    ("persons.csv", b"IIN,Surname,Region\n,A,750000000\n", "no column for “Given name”"),
])
def test_a_file_that_cannot_be_read_gets_a_clear_message(staff, org, name, content, reason, tmp_path):
    response = upload(staff, org, SimpleUploadedFile(name, content))
    html = response.content.decode()
    assert response.status_code == 400 and reason in html, html[html.find("error-summary"):][:600]
    assert 'href="#id_file"' in html and staged(tmp_path) == []


def test_a_large_import_runs_as_a_task_and_its_progress_reaches_100(staff, people, org, tmp_path):
    rows = many_rows(501)
    url, page = preview(staff, upload(staff, org, csv_file(rows)))
    assert "imported in the background" in page.content.decode()
    response = staff.post(url, {}, HTTP_ACCEPT_LANGUAGE="en")  # the immediate task backend runs it now
    progress = TaskProgress.objects.get(kind="registry_import")
    assert response.status_code == 302 and response.url == f"/tasks/{progress.pk}/"
    assert progress.status == TaskProgress.Status.SUCCEEDED and progress.percent == 100
    assert progress.owner == people["org_staff"] and progress.done == progress.total == 501
    assert Person.objects.count() == 501 and AuditLog.objects.filter(action="person.create").count() == 501
    assert AuditLog.objects.get(action="person.import").after["persons"] == 501
    assert staff.get(response.url).status_code == 200
    assert staged(tmp_path) == []


def test_a_checked_file_can_be_discarded(staff, org, tmp_path):
    url, _page = preview(staff, upload(staff, org, csv_file(many_rows(2))))
    assert len(staged(tmp_path)) == 1
    response = staff.post(url + "discard/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response.url == "/registry/import/"
    assert staged(tmp_path) == [] and staff.get(url).status_code == 404 and not Person.objects.exists()
