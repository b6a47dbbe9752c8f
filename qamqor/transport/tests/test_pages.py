"""The InvaTaxi pages as their users use them, through the test client: the dispatcher's board with the plan, the
rides not on a vehicle and why, route maps and the timeline, manual assignment (a refusal is named in the error
summary and changes nothing), holding back and releasing, planning with a progress bar, a request taken by phone;
the fleet and shifts; the driver's manifest and its PDF in three languages; the passenger's booking and their rides
with the expected pick-up. Bad input is a message or a 404, never a 500."""

import datetime as dt
import html
import io
import re

import pytest
from django.utils import timezone, translation
from pypdf import PdfReader

from qamqor.core.models import AccessLog
from qamqor.transport.models import DayPlan, Depot, PlanVersion, ReplanRun, RideRequest, Shift, Vehicle

from .page_data import (CLINIC, CLINIC_ADDRESS, HOME, HOME_ADDRESS, PASSENGER, as_user, at,  # noqa: F401
                        make_today, world)

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
KAZAKH_LETTERS = "әғқңөұүһі"
NAME = " ".join(PASSENGER)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def text_of(response):
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def errors_of(response):
    """The error summary's lines and their links: [(href, text)]."""
    page = response.content.decode()
    summary = re.search(r'<div class="error-summary".*?</ul>', page, re.S)
    if not summary:
        return []
    return [(href, html.unescape(re.sub(r"<[^>]+>", "", text)).strip())
            for href, text in re.findall(r'<li>(?:<a href="([^"]*)">)?(.*?)</li>', summary.group(0), re.S)]


def board_url(world, day=None):
    return f"/transport/board/?org={world.org.pk}&day={(day or world.day).isoformat()}"


def current_number(world):
    return DayPlan.objects.get(provider=world.org, day=world.day).version


# --- The board ------------------------------------------------------------------------------------------------------

def test_the_board_shows_the_plan_the_ride_left_over_with_its_reason_and_each_route(as_user, world):
    response = as_user("dispatcher").get(board_url(world), **EN)
    assert response.status_code == 200
    page = response.content.decode()
    text = text_of(response)
    version = PlanVersion.objects.get(day_plan__provider=world.org, number=current_number(world))
    assert f"Version {version.number}: Assigned by a dispatcher" in text
    # The ride on no vehicle, with the reason and a choice of the day's shifts.
    unassigned = page[page.index('id="unassigned"'):page.index('id="vehicles"')]
    assert f'id="ride-{world.waiting.pk}"' in unassigned and f'id="ride-{world.planned.pk}"' not in unassigned
    assert "guide dog" in unassigned and f'id="id_r{world.waiting.pk}_shift"' in unassigned
    assert f'<option value="{world.shift.pk}">123ABC02 08:00–16:00' in unassigned
    # The van's route: an ordered list with planned times, and the map of the same stops, numbered, with a title.
    route = page[page.index(f'id="shift-{world.shift.pk}"'):page.index('id="requests"')]
    stops = re.findall(r"<li>\s*<strong>(\d\d:\d\d)</strong> (Pick-up|Drop-off): ([^,]+), ([^<]+?) <span", route)
    assert [(kind, name, address) for _t, kind, name, address in stops] == [
        ("Pick-up", NAME, HOME_ADDRESS), ("Drop-off", NAME, CLINIC_ADDRESS)]
    assert stops[0][0] <= stops[1][0] and "10:00" >= stops[0][0] >= "09:50"
    assert re.search(rf'<svg role="img" aria-labelledby="map-{world.shift.pk}-title map-{world.shift.pk}-desc"', route)
    assert '<title id="map-%d-title">Map of the route of 123ABC02</title>' % world.shift.pk in route
    assert route.count('class="map-pickup"') == 1 and route.count('class="map-dropoff"') == 1
    assert re.findall(r'class="map-number"[^>]*>(\d+)</text>', route) == ["1", "2"]
    # The timeline of the day draws the same shift with its break.
    assert "Timeline of " in text and 'class="timeline-break"' in page
    # Every passenger shown is written to the access log, once per view.
    assert AccessLog.objects.filter(purpose="dispatcher board", subject_id=str(world.passenger.pk)).count() == 1


def test_the_board_reads_in_the_same_number_of_queries_however_many_rides_it_shows(as_user, world,
                                                                                   django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qamqor.transport import services

    client = as_user("dispatcher")
    client.get(board_url(world))  # the session and the roles are read once
    with CaptureQueriesContext(connection) as first:
        client.get(board_url(world))
    for hour in (9, 11, 13):
        services.ride_request_create(
            actor=world.users["passenger"], person=world.passenger, provider=world.org, source="portal",
            pickup_address=HOME_ADDRESS, pickup_latitude=HOME[0], pickup_longitude=HOME[1],
            dropoff_address=CLINIC_ADDRESS, dropoff_latitude=CLINIC[0], dropoff_longitude=CLINIC[1],
            pickup_at=at(world.day, hour))
    with django_assert_max_num_queries(len(first)):
        page = client.get(board_url(world))
    # The three new rides went into the running plan at once, and all five are listed with their actions.
    assert page.content.decode().count("/cancel/") == 5
    assert RideRequest.objects.filter(provider=world.org, status="planned").count() == 4


def test_the_map_puts_each_stop_where_it_is(world):
    """North is up and east is right: the clinic (south-west of home) is drawn left of and below home."""
    from qamqor.transport import selectors
    from qamqor.transport.templatetags.transport_map import day_box, route_map

    board = selectors.day_board(provider=world.org, day=world.day)
    entry = next(e for e in board["shifts"] if e["shift"] == world.shift)
    drawing = route_map(entry, day_box(board["shifts"]), ident="m")
    home, clinic = drawing["marks"]
    assert home["pickup"] and not clinic["pickup"]
    assert clinic["x"] < home["x"] and clinic["y"] > home["y"]
    for mark in drawing["marks"]:
        assert 0 <= mark["x"] <= drawing["width"] and 0 <= mark["y"] <= drawing["height"]


def test_a_bad_day_is_a_message_and_another_providers_board_is_not_found(as_user, world):
    client = as_user("dispatcher")
    response = client.get(f"/transport/board/?org={world.org.pk}&day=2026-02-31", **EN)
    assert response.status_code == 200 and "is not a day" in text_of(response)
    assert client.get(f"/transport/board/?org={world.org2.pk}", **EN).status_code == 404
    assert client.get("/transport/board/?org=abc", **EN).status_code == 404
    assert client.post("/transport/board/plan/", {"org": world.org.pk, "day": "nonsense"}).status_code == 404


def test_the_dispatcher_assigns_a_ride_and_it_appears_on_the_vans_route(as_user, world):
    client = as_user("dispatcher")
    before = current_number(world)
    response = client.post(f"/transport/rides/{world.waiting.pk}/assign/", {"shift": world.shift.pk}, **EN)
    assert response.status_code == 302, errors_of(response)
    assert current_number(world) == before + 1
    board = client.get(response.url, **EN)
    assert "is assigned to 123ABC02" in text_of(board)
    route = board.content.decode().split(f'id="shift-{world.shift.pk}"')[1]
    assert route.count('class="map-pickup"') == 2


def test_an_assignment_that_cannot_fit_is_refused_in_the_error_summary_and_changes_nothing(as_user, world):
    """The other van's shift ends before the appointment: the engine's feasibility check refuses it."""
    from qamqor.transport import services

    client = as_user("dispatcher")
    dispatcher = world.users["dispatcher"]
    van = services.vehicle_create(actor=dispatcher, provider=world.org, plate="555 NOW 02", seats=4,
                                  wheelchair_places=1, access="lift", depot=world.depot)
    late = services.shift_create(actor=dispatcher, vehicle=van, driver=world.driver, starts_at=at(world.day, 17),
                                 ends_at=at(world.day, 20))
    before = current_number(world)
    response = client.post(f"/transport/rides/{world.waiting.pk}/assign/", {"shift": late.pk}, **EN)
    assert response.status_code == 400
    [(href, line)] = errors_of(response)
    assert href == f"#id_r{world.waiting.pk}_shift" and line.startswith(f"Assign {NAME}: ")
    assert current_number(world) == before
    world.waiting.refresh_from_db()
    assert world.waiting.status != RideRequest.Status.PLANNED and world.waiting.pinned_shift_id is None
    # A shift of another provider, or none at all, is a field error too.
    response = client.post(f"/transport/rides/{world.waiting.pk}/assign/", {"shift": world.shift2.pk}, **EN)
    assert response.status_code == 400 and errors_of(response)[0][0] == f"#id_r{world.waiting.pk}_shift"


def test_a_ride_taken_off_the_van_is_held_back_until_released(as_user, world):
    client = as_user("dispatcher")
    response = client.post(f"/transport/rides/{world.planned.pk}/unassign/", {"next": board_url(world)}, **EN)
    assert response.status_code == 302
    world.planned.refresh_from_db()
    assert world.planned.held
    page = client.get(response.url, **EN)
    unassigned = page.content.decode().split('id="unassigned"')[1].split('id="vehicles"')[0]
    assert f'id="ride-{world.planned.pk}"' in unassigned and "Held back by a dispatcher." in text_of(page)
    assert client.post(f"/transport/rides/{world.planned.pk}/release/", **EN).status_code == 302
    world.planned.refresh_from_db()
    assert not world.planned.held


def test_planning_runs_in_the_background_with_a_progress_bar(as_user, world, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
    client = as_user("dispatcher")
    response = client.post("/transport/board/plan/", {"org": world.org.pk, "day": world.day.isoformat(),
                                                      "time_limit": "10"}, **EN)
    assert response.status_code == 302
    run = ReplanRun.objects.get(day_plan__provider=world.org)
    assert run.status == ReplanRun.Status.QUEUED and run.time_limit == 10
    ReplanRun.objects.filter(pk=run.pk).update(status=ReplanRun.Status.RUNNING, progress=40)
    page = client.get(board_url(world), **EN).content.decode()
    assert re.search(r'<progress id="plan-bar" max="100" value="40">40%</progress>', page)
    assert "Planning: 40%" in html.unescape(page)
    assert 'id="plan-announce" role="status" aria-live="polite"' in page
    assert 'hx-trigger="every 2s"' in page  # polled while it runs; a link refreshes it without a script
    assert "Refresh the page to see how far planning got" in page
    # The polled block: when the run is done it stops polling and announces the end once.
    ReplanRun.objects.filter(pk=run.pk).update(status=ReplanRun.Status.DONE, progress=100)
    partial = client.get(f"/transport/board/progress/?org={world.org.pk}&day={world.day.isoformat()}",
                         HTTP_HX_REQUEST="true", **EN).content.decode()
    assert "hx-trigger" not in partial and "<html" not in partial
    assert 'hx-swap-oob="true"' in partial and "Show the new plan" in partial
    # A bad time limit changes nothing.
    client.post("/transport/board/plan/", {"org": world.org.pk, "day": world.day.isoformat(), "time_limit": "9999"})
    assert ReplanRun.objects.count() == 1


# --- A request taken by phone ---------------------------------------------------------------------------------------

def ride_data(world, **changes):
    data = {"person": world.passenger.pk, "provider": world.org.pk, "date": world.day.isoformat(),
            "time_kind": "pickup", "time": "09:00", "pickup_address": HOME_ADDRESS, "pickup_latitude": "43,238949",
            "pickup_longitude": str(HOME[1]), "dropoff_address": CLINIC_ADDRESS,
            "dropoff_latitude": str(CLINIC[0]), "dropoff_longitude": str(CLINIC[1]), "escorts": "0",
            "needs_note": "", "return_time": "", "repeat_until": "", "wheelchair": "on"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_dispatcher_finds_the_caller_by_iin_and_never_by_name_alone(as_user, world):
    client = as_user("dispatcher")
    base = f"/transport/board/request/?org={world.org.pk}&day={world.day.isoformat()}"
    found = client.get(f"{base}&q={world.passenger.iin}", **EN)
    assert f"person={world.passenger.pk}" in found.content.decode()
    assert AccessLog.objects.filter(purpose="ride request by phone: search",
                                    subject_id=str(world.passenger.pk)).exists()
    # A dispatcher is not registry staff: a name alone shows nobody.
    by_name = client.get(f"{base}&q={PASSENGER[0]}", **EN)
    assert f"person={world.passenger.pk}" not in by_name.content.decode() and "Nobody found" in text_of(by_name)


def test_a_request_taken_by_phone_with_a_return_trip_goes_on_the_board(as_user, world):
    client = as_user("dispatcher")
    url = f"/transport/board/request/?org={world.org.pk}&day={world.day.isoformat()}&person={world.passenger.pk}"
    form = client.get(url, **EN)
    assert form.status_code == 200 and 'name="wheelchair" id="id_wheelchair" checked' in form.content.decode()
    response = client.post(url, ride_data(world, return_time="13:00"), **EN)
    assert response.status_code == 302, errors_of(response)
    out, back = RideRequest.objects.filter(source="phone").order_by("pk")
    assert out.pickup_latitude == HOME[0] and back.outbound == out and back.pickup_address == CLINIC_ADDRESS
    assert out.created_by == world.users["dispatcher"]
    assert "The request of" in text_of(client.get(response.url, **EN))


def test_bad_input_to_the_ride_form_is_named_in_the_error_summary_and_saves_nothing(as_user, world):
    client = as_user("dispatcher")
    url = f"/transport/board/request/?org={world.org.pk}&day={world.day.isoformat()}&person={world.passenger.pk}"
    count = RideRequest.objects.count()
    empty = client.post(url, {}, **EN)
    assert empty.status_code == 400
    hrefs = [href for href, _line in errors_of(empty)]
    assert {"#id_time", "#id_pickup_address", "#id_pickup_latitude", "#id_dropoff_longitude"} <= set(hrefs)
    bad = client.post(url, ride_data(world, pickup_latitude="north", dropoff_longitude="200",
                                     repeat_weekdays=["0", "2"]), **EN)
    lines = dict(errors_of(bad))
    assert lines["#id_pickup_latitude"] == ("Pick-up point: latitude: Enter the latitude in degrees, from -90 to 90, "
                                            "such as 43.238949.")
    assert lines["#id_dropoff_longitude"].endswith("from -180 to 180, such as 76.889709.")
    assert lines["#id_repeat_until"].startswith("Repeat until: Give the last day of the repetition")
    assert RideRequest.objects.count() == count
    assert client.get(url.replace(f"person={world.passenger.pk}", "person=999999")).status_code == 404
    assert client.get(url.replace(f"person={world.passenger.pk}", "person=x")).status_code == 404


# --- Fleet and shifts -----------------------------------------------------------------------------------------------

def test_the_fleet_page_lists_vehicles_and_the_days_shifts(as_user, world):
    text = text_of(as_user("dispatcher").get(f"/transport/fleet/?org={world.org.pk}&day={world.day}", **EN))
    assert "123ABC02 Ford Transit 4 1 Ramp Негізгі гараж" in text
    assert "08:00–16:00 12:00, 30 minutes" in text


def test_a_dispatcher_adds_a_depot_a_vehicle_and_a_shift_with_a_break_and_cancels_it(as_user, world):
    client = as_user("dispatcher")
    org = world.org.pk
    assert client.post(f"/transport/fleet/depots/new/?org={org}", {
        "name": "Солтүстік", "address": "Алматы, Рысқұлов 5", "latitude": "43,3", "longitude": "76.95"},
        **EN).status_code == 302
    depot = Depot.objects.get(name="Солтүстік")
    assert str(depot.latitude) == "43.300000"
    refused = client.post(f"/transport/fleet/vehicles/new/?org={org}", {
        "plate": "900 AAA 02", "seats": "3", "wheelchair_places": "2", "access": "none", "depot": depot.pk}, **EN)
    assert refused.status_code == 400 and errors_of(refused) == [
        ("#id_access_0", "Ramp or lift: A vehicle with wheelchair places needs a ramp or a lift.")]
    assert client.post(f"/transport/fleet/vehicles/new/?org={org}", {
        "plate": "900 AAA 02", "seats": "3", "wheelchair_places": "2", "access": "lift", "depot": depot.pk},
        **EN).status_code == 302
    vehicle = Vehicle.objects.get(plate="900AAA02")
    bad = client.post(f"/transport/fleet/shifts/new/?org={org}", {
        "vehicle": vehicle.pk, "driver": world.driver.pk, "date": world.day.isoformat(), "start": "17:00",
        "end": "21:00", "break_start": "19:00", "break_minutes": "half an hour"}, **EN)
    assert bad.status_code == 400 and errors_of(bad)[0][0] == "#id_break_minutes"
    response = client.post(f"/transport/fleet/shifts/new/?org={org}", {
        "vehicle": vehicle.pk, "driver": world.driver.pk, "date": world.day.isoformat(), "start": "17:00",
        "end": "21:00", "break_start": "19:00", "break_minutes": "20"}, **EN)
    assert response.status_code == 302, errors_of(response)
    shift = Shift.objects.get(vehicle=vehicle)
    assert shift.break_minutes == 20 and shift.ends_at - shift.starts_at == dt.timedelta(hours=4)
    assert client.post(f"/transport/shifts/{shift.pk}/cancel/", **EN).status_code == 302
    shift.refresh_from_db()
    assert shift.cancelled_at is not None


# --- The driver's manifest ------------------------------------------------------------------------------------------

@pytest.fixture
def today(world):
    return make_today(world)


def test_the_driver_reads_the_manifest_and_marks_the_ride_as_it_goes(as_user, world, today):
    shift, ride = today
    client = as_user("driver")
    url = f"/transport/shifts/{shift.pk}/manifest/"
    page = client.get(url, **EN)
    text = text_of(page)
    assert page.status_code == 200
    assert f"Pick up : {NAME}" in text and HOME_ADDRESS in text and "+7 701 555 12 34" in text
    assert "wheelchair" in text and "1 escort" in text and "3-қабаттан түсіруге көмектесу" in text
    assert AccessLog.objects.filter(purpose="driver's manifest", subject_id=str(world.passenger.pk)).exists()
    # Only the pick-up can be marked now: "Picked up" and "Did not come", each a POST button.
    assert page.content.decode().count('name="event" value="picked_up"') == 1
    assert 'name="event" value="dropped_off"' not in page.content.decode()
    response = client.post(f"/transport/rides/{ride.pk}/mark/",
                           {"event": "picked_up", "next": url + "#stop-1"}, **EN)
    assert response.status_code == 302 and response.url == url + "#stop-1"
    ride.refresh_from_db()
    assert ride.status == RideRequest.Status.PICKED_UP
    after = client.get(url, **EN)
    assert f"Recorded: {NAME} picked up at" in text_of(after)
    assert 'name="event" value="dropped_off"' in after.content.decode()
    assert client.post(f"/transport/rides/{ride.pk}/mark/", {"event": "teleported"},
                       **EN).status_code == 302
    ride.refresh_from_db()
    assert ride.status == RideRequest.Status.PICKED_UP


def test_another_providers_shift_and_a_missing_one_are_not_found(as_user, world):
    client = as_user("driver")
    assert client.get(f"/transport/shifts/{world.shift2.pk}/manifest/").status_code == 404
    assert client.get("/transport/shifts/999999/manifest.pdf").status_code == 404
    assert client.post(f"/transport/rides/{world.waiting.pk}/mark/", {"event": "no_show"}).status_code == 404


def pdf_text(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages), reader


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_manifest_pdf_has_every_stop_in_the_users_language_with_kazakh_letters(as_user, world, lang):
    text, reader = pdf_text(as_user("driver").get(f"/transport/shifts/{world.shift.pk}/manifest.pdf?lang={lang}"))
    for word in [NAME, HOME_ADDRESS.split(",")[0], CLINIC_ADDRESS.split(",")[1].strip(), "+7 701 555 12 34",
                 "123ABC02", world.day.strftime("%d.%m.%Y"), "3-қабаттан түсіруге көмектесу"]:
        assert word in text.replace("\n", " "), (word, text)
    assert set(KAZAKH_LETTERS) <= set(text.lower())
    assert reader.trailer["/Root"]["/Lang"] == lang
    if lang == "en":
        assert "1. " in text and "Pick up" in text and "Drop off" in text and "Needs" in text
        # Paper needs room for the actual times and, at each drop-off, the passenger's signature.
        assert text.count("Picked up at") == text.count("Pick up:") >= 1
        assert text.count("Passenger's signature") == text.count("Drop off:") >= 1


def test_the_pdf_follows_the_page_language_when_none_is_asked_for(as_user, world):
    response = as_user("driver").get(f"/transport/shifts/{world.shift.pk}/manifest.pdf", HTTP_ACCEPT_LANGUAGE="ru")
    _text, reader = pdf_text(response)
    assert reader.trailer["/Root"]["/Lang"] == "ru"


# --- The passenger --------------------------------------------------------------------------------------------------

def test_the_passenger_books_a_ride_with_a_return_trip_and_sees_it_in_my_rides(as_user, world):
    client = as_user("passenger")
    form = client.get("/transport/book/", **EN)
    page = form.content.decode()
    # Only oneself to book for: not asked; two services work in Almaty under a contract: the passenger chooses.
    assert 'type="hidden" name="person"' in page
    assert f'<option value="{world.org.pk}"' in page and f'<option value="{world.org2.pk}"' in page
    response = client.post("/transport/book/", ride_data(world, time="15:00", return_time="17:30"), **EN)
    assert response.status_code == 302, errors_of(response)
    out = RideRequest.objects.get(source="portal", pickup_at=at(world.day, 15))
    assert out.return_trip.pickup_at == at(world.day, 17, 30) and out.booking is not None
    mine = client.get(response.url, **EN)
    text = text_of(mine)
    assert "Your ride on" in text and text.count(world.day.strftime("%d.%m.%Y")) >= 4


def test_my_rides_show_the_expected_pick_up_and_vehicle_from_the_current_plan(as_user, world):
    from qamqor.transport import selectors

    eta = selectors.ride_eta(ride=world.planned)
    client = as_user("passenger")
    text = text_of(client.get("/transport/rides/", **EN))
    expected = timezone.localtime(eta["pickup_at"]).strftime("%H:%M")
    assert re.search(rf"Planned {expected} ?, arriving about \d\d:\d\d 123ABC02", text), text
    assert "not planned yet" in text  # the ride on no vehicle
    assert not AccessLog.objects.filter(purpose="my rides").exists()  # one's own rides are not logged


def test_the_passenger_cancels_a_ride_and_another_beneficiary_cannot(as_user, world):
    assert as_user("other_beneficiary").post(f"/transport/rides/{world.waiting.pk}/cancel/").status_code == 404
    client = as_user("passenger")
    response = client.post(f"/transport/rides/{world.waiting.pk}/cancel/", {"reason": "Ауырып қалдым"}, **EN)
    assert response.status_code == 302 and response.url == "/transport/rides/"
    world.waiting.refresh_from_db()
    assert world.waiting.status == RideRequest.Status.CANCELLED
    assert "is cancelled" in text_of(client.get(response.url, **EN))


def test_an_empty_booking_is_refused_with_every_missing_field_linked(as_user, world):
    response = as_user("passenger").post("/transport/book/", {}, **EN)
    assert response.status_code == 400
    hrefs = {href for href, _line in errors_of(response)}
    assert {"#id_date", "#id_time", "#id_pickup_address", "#id_pickup_latitude", "#id_pickup_longitude",
            "#id_dropoff_address", "#id_dropoff_latitude", "#id_dropoff_longitude"} <= hrefs


def test_the_passenger_picks_a_place_they_rode_to_before_instead_of_typing_its_point(as_user, world):
    client = as_user("passenger")
    client.post("/transport/book/", ride_data(world, time="15:00"), **EN)
    first = RideRequest.objects.get(source="portal", pickup_at=at(world.day, 15))
    page = client.get("/transport/book/", **EN).content.decode()
    assert "Pick-up from a place you rode from or to before" in page and first.dropoff_address in page
    choices = re.findall(r'<option value="(\d+)">([^<]*)</option>', page.split('name="dropoff_place"')[1].split("</select>")[0])
    home = next(value for value, label in choices if label == first.pickup_address)
    clinic = next(value for value, label in choices if label == first.dropoff_address)
    data = ride_data(world, time="16:00")
    for name in ("address", "latitude", "longitude"):
        data.pop(f"pickup_{name}"), data.pop(f"dropoff_{name}")
    data.update(pickup_place=clinic, dropoff_place=home)
    response = client.post("/transport/book/", data, **EN)
    assert response.status_code == 302, errors_of(response)
    back = RideRequest.objects.get(source="portal", pickup_at=at(world.day, 16))
    assert (back.pickup_address, back.pickup_latitude, back.pickup_longitude) == (
        first.dropoff_address, first.dropoff_latitude, first.dropoff_longitude)
    assert (back.dropoff_address, back.dropoff_latitude) == (first.pickup_address, first.pickup_latitude)
    # Neither a place nor an address: the message says both ways.
    data.update(pickup_place="", dropoff_place="99")
    response = client.post("/transport/book/", data, **EN)
    assert response.status_code == 400
    messages = dict(errors_of(response))
    assert messages["#id_pickup_address"].endswith("Give the pick-up address, or choose a place from the list.")
    assert "#id_dropoff_place" in messages  # not one of the choices


def test_a_passenger_who_never_rode_is_not_asked_for_a_known_place(as_user, world):
    page = as_user("other_beneficiary").get("/transport/book/", **EN).content.decode()
    assert "pickup_place" not in page


def test_someone_without_a_registry_record_cannot_book_and_is_told_why(client_for, people):
    client = client_for(people["donor"])
    assert client.get("/transport/book/").status_code == 403
    assert "not linked to a record in the registry" in text_of(client.get("/transport/", **EN))


def test_the_menu_marks_only_invataxi_as_the_current_section(as_user, world):
    page = as_user("dispatcher").get("/transport/", **EN).content.decode()
    nav = page.split('class="main-nav"', 1)[1].split("</nav>", 1)[0]
    current = re.findall(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>', nav)
    assert current == [("/transport/", "InvaTaxi")]
