import datetime as dt

from qamqor.core.models import Holiday, Region


def test_the_twenty_regions_are_loaded_with_kato_codes_and_three_names(db):
    regions = list(Region.objects.all())
    assert len(regions) == 20
    almaty = Region.objects.get(kato_code="750000000")
    assert (almaty.iso_code, almaty.name_en) == ("KZ-75", "Almaty")
    assert all(len(r.kato_code) == 9 and r.name_kk and r.name_ru and r.name_en for r in regions)
    assert Region.objects.get(kato_code="100000000").name_ru == "область Абай"


def test_holidays_cover_2019_to_2030_with_announced_kurban_ait(db):
    years = {d.year for d in Holiday.objects.values_list("date", flat=True)}
    assert years == set(range(2019, 2031))
    kurban_2024 = Holiday.objects.get(kind="lunar", date__year=2024)
    assert kurban_2024.date == dt.date(2024, 6, 16)  # moved from 17 Jun after the moon sighting
    # Constitution Day: 30 Aug up to 2025, none in 2026, 15 Mar from 2027.
    assert Holiday.objects.filter(date=dt.date(2025, 8, 30)).exists()
    assert not Holiday.objects.filter(date__year=2026, name_en__icontains="Constitution").exists()
    assert Holiday.objects.filter(date=dt.date(2027, 3, 15)).exists()


def test_the_holidays_page_shows_a_year_in_the_users_language(client, db):
    html = client.get("/holidays/?year=2024", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "16.06.2024" in html and "Курбан" in html


def test_the_holidays_page_ignores_a_bad_year(client, db):
    assert client.get("/holidays/?year=abc").status_code == 200
    assert client.get("/holidays/?year=1900").status_code == 200
