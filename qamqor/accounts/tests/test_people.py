from django_otp.plugins.otp_totp.models import TOTPDevice

from qamqor.accounts.models import Role, RoleAssignment
from qamqor.core.models import AuditLog


def test_a_platform_admin_finds_people_and_sees_their_roles(client_for, people):
    html = client_for(people["platform_admin"]).get("/accounts/people/", {"q": "coordinator"}).content.decode()
    assert "coordinator@test.kz" in html and "volunteer@test.kz" not in html
    html = client_for(people["platform_admin"]).get("/accounts/people/", {"role": "driver"}).content.decode()
    assert "driver@test.kz" in html and "donor@test.kz" not in html


def test_the_people_page_runs_a_fixed_number_of_queries(client_for, people, make_user, django_assert_max_num_queries):
    for i in range(30):
        make_user(f"many{i}@test.kz", Role.VOLUNTEER)
    client = client_for(people["platform_admin"])
    # session, user, roles of the admin, OTP device, count, page, roles of the page's people
    with django_assert_max_num_queries(9):
        assert client.get("/accounts/people/").status_code == 200


def test_a_platform_admin_makes_someone_a_coordinator_of_a_region(client_for, people, astana):
    target = people["volunteer"]
    response = client_for(people["platform_admin"]).post(f"/accounts/people/{target.pk}/", {
        "action": "grant", "role": "coordinator", "region": astana.pk, "organization_bin": ""})
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=target, role=Role.COORDINATOR, region=astana).exists()
    assert AuditLog.objects.filter(action="role.grant", actor=people["platform_admin"]).exists()


def test_a_coordinator_role_without_a_region_is_refused_with_the_reason(client_for, people):
    target = people["volunteer"]
    response = client_for(people["platform_admin"]).post(f"/accounts/people/{target.pk}/", {
        "action": "grant", "role": "coordinator", "region": "", "organization_bin": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "choose the region" in response.content.decode()
    assert not RoleAssignment.objects.filter(user=target, role=Role.COORDINATOR).exists()


def test_an_unknown_bin_is_refused(client_for, people):
    response = client_for(people["platform_admin"]).post(f"/accounts/people/{people['donor'].pk}/", {
        "action": "grant", "role": "org_staff", "organization_bin": "000000000000"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "No organisation has this BIN" in response.content.decode()


def test_a_lost_phone_is_handled_by_resetting_two_step_verification(client_for, people):
    target = people["org_staff"]
    client_for(people["platform_admin"]).post(f"/accounts/people/{target.pk}/", {"action": "reset_2fa"})
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert AuditLog.objects.filter(action="user.2fa_reset", object_id=str(target.pk)).exists()


def test_a_switched_off_account_cannot_log_in_and_nothing_is_deleted(client, client_for, people):
    from conftest import PASSWORD

    target = people["donor"]
    client_for(people["platform_admin"]).post(f"/accounts/people/{target.pk}/", {"action": "deactivate"})
    target.refresh_from_db()
    assert not target.is_active
    response = client.post("/accounts/login/", {"username": target.email, "password": PASSWORD})
    assert response.status_code == 200  # the form again, not a redirect
    assert RoleAssignment.objects.filter(user=target).exists()


def test_every_view_of_people_s_details_is_logged(client_for, people, org):
    from qamqor.core.models import AccessLog

    admin = people["platform_admin"]
    client_for(admin).get(f"/accounts/people/{people['donor'].pk}/")
    assert AccessLog.objects.filter(actor=admin, subject_type="accounts.user", subject_id=str(people["donor"].pk)).exists()
    client_for(admin).get("/accounts/people/", {"q": "volunteer"})
    assert AccessLog.objects.filter(actor=admin, subject_id=str(people["volunteer"].pk), purpose__contains="list").exists()
    org_admin = people["org_admin"]
    client_for(org_admin).get(f"/organizations/{org.pk}/members/")
    logged = set(AccessLog.objects.filter(actor=org_admin).values_list("subject_id", flat=True))
    assert str(people["org_staff"].pk) in logged and str(people["driver"].pk) in logged
