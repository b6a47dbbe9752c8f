import pytest

from qamqor.accounts.models import Role, RoleAssignment
from qamqor.core.models import AuditLog
from qamqor.lib.iin import make_bin
from qamqor.organizations.models import Organization


def valid_bin(serial=7):
    while True:
        number = make_bin(2019, 5, 4, serial)
        if number:
            return number
        serial += 1


def register(client, almaty, **overrides):
    data = {"name": "«Жарық» қоғамдық бірлестігі", "kind": "public_association", "bin": valid_bin(),
            "region": almaty.pk, "address": "Almaty, Abai 10", "phone": "", "email": "", "website": "",
            "description": "Help for families."}
    data.update(overrides)
    return client.post("/organizations/register/", data, HTTP_ACCEPT_LANGUAGE="en")


def test_a_signed_in_person_registers_an_organisation_and_becomes_its_admin(client_for, people, almaty):
    user = people["volunteer"]
    response = register(client_for(user), almaty)
    org = Organization.objects.get(bin=valid_bin())
    assert response.status_code == 302 and response.url == f"/organizations/{org.pk}/"
    assert org.status == Organization.Status.PENDING
    assert RoleAssignment.objects.filter(user=user, organization=org, role=Role.ORG_ADMIN).exists()
    assert AuditLog.objects.filter(action="organization.register", object_id=str(org.pk), actor=user).exists()


def test_a_new_org_admin_is_asked_to_set_up_two_step_verification(client_for, people, almaty):
    client = client_for(people["volunteer"])
    register(client, almaty)
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response.url.startswith("/accounts/2fa/setup/")


@pytest.mark.parametrize("bad_bin,reason", [
    ("12345", "exactly 12 digits"),
    ("1803400000AB", "digits only"),
    ("180340000016", "check digit"),
])
def test_it_refuses_an_invalid_bin_with_the_reason_and_saves_nothing(client_for, people, almaty, bad_bin, reason):
    before = Organization.objects.count()
    response = register(client_for(people["volunteer"]), almaty, bin=bad_bin)
    assert response.status_code == 400
    html = response.content.decode()
    assert reason in html and 'href="#id_bin"' in html
    assert Organization.objects.count() == before


def test_the_bin_reason_is_given_in_the_users_language(client_for, people, almaty):
    client = client_for(people["volunteer"])
    en = register(client, almaty, bin="12345").content.decode()
    client.post("/i18n/setlang/", {"language": "ru"})
    ru = register(client, almaty, bin="12345").content.decode()
    assert 'lang="ru"' in ru
    assert "exactly 12 digits" in en


def test_it_refuses_a_bin_that_is_already_registered(client_for, people, almaty, org):
    response = register(client_for(people["volunteer"]), almaty, bin=org.bin)
    assert response.status_code == 400
    assert "already registered" in response.content.decode()


def test_a_pending_organisation_is_hidden_from_the_public(client, client_for, people, almaty):
    register(client_for(people["volunteer"]), almaty)
    org = Organization.objects.get(bin=valid_bin())
    assert client.get(f"/organizations/{org.pk}/").status_code == 404
    assert org.name not in client.get("/organizations/").content.decode()
    assert client_for(people["coordinator"]).get(f"/organizations/{org.pk}/").status_code == 200


def test_the_regions_coordinator_verifies_and_the_organisation_becomes_public(client, client_for, people, almaty):
    register(client_for(people["volunteer"]), almaty)
    org = Organization.objects.get(bin=valid_bin())
    coordinator = client_for(people["coordinator"])
    assert org.name in coordinator.get("/organizations/review/").content.decode()
    response = coordinator.post(f"/organizations/{org.pk}/verify/")
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.status == Organization.Status.VERIFIED and org.verified_by == people["coordinator"]
    assert client.get(f"/organizations/{org.pk}/").status_code == 200
    audit = AuditLog.objects.get(action="organization.verify", object_id=str(org.pk))
    assert audit.before["status"] == "pending" and audit.after["status"] == "verified"


def test_a_coordinator_of_another_region_cannot_verify(client_for, make_user, people, almaty, astana):
    register(client_for(people["volunteer"]), almaty)
    org = Organization.objects.get(bin=valid_bin())
    other = make_user("astana-coord@test.kz", Role.COORDINATOR, region=astana)
    response = client_for(other).post(f"/organizations/{org.pk}/verify/")
    assert response.status_code == 404  # not even visible to them
    org.refresh_from_db()
    assert org.status == Organization.Status.PENDING


def test_rejection_needs_a_reason_and_the_admin_sees_it_and_resubmits(client_for, people, almaty):
    admin_client = client_for(people["org_admin"])
    register(admin_client, almaty)
    org = Organization.objects.get(bin=valid_bin())
    coordinator = client_for(people["coordinator"])
    empty = coordinator.post(f"/organizations/{org.pk}/reject/", {"reason": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert empty.status_code == 400
    org.refresh_from_db()
    assert org.status == Organization.Status.PENDING
    coordinator.post(f"/organizations/{org.pk}/reject/", {"reason": "The BIN belongs to another organisation."})
    org.refresh_from_db()
    assert org.status == Organization.Status.REJECTED
    page = admin_client.get(f"/organizations/{org.pk}/").content.decode()
    assert "The BIN belongs to another organisation." in page
    admin_client.post(f"/organizations/{org.pk}/resubmit/")
    org.refresh_from_db()
    assert org.status == Organization.Status.PENDING and org.rejection_reason == ""


def test_an_org_admin_cannot_verify_their_own_organisation(client_for, people, org):
    org.status = Organization.Status.PENDING
    org.save()
    people["org_admin"]._active_roles = None
    response = client_for(people["org_admin"]).post(f"/organizations/{org.pk}/verify/")
    assert response.status_code == 403
    org.refresh_from_db()
    assert org.status == Organization.Status.PENDING


def test_the_org_admin_adds_and_removes_members(client_for, people, org):
    client = client_for(people["org_admin"])
    target = people["donor"]
    response = client.post(f"/organizations/{org.pk}/members/", {"email": target.email.upper(), "role": "org_staff"})
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=target, organization=org, revoked_at__isnull=True)
    assert assignment.role == Role.ORG_STAFF
    client.post(f"/organizations/{org.pk}/members/{assignment.pk}/remove/")
    assignment.refresh_from_db()
    assert assignment.revoked_at is not None  # kept for the record, not deleted
    assert AuditLog.objects.filter(action="role.revoke", object_id=str(assignment.pk)).exists()


def test_adding_a_member_without_an_account_says_what_to_do(client_for, people, org):
    response = client_for(people["org_admin"]).post(f"/organizations/{org.pk}/members/",
                                                     {"email": "nobody@example.kz", "role": "org_staff"},
                                                     HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Ask the person to sign up first" in response.content.decode()


def test_the_last_admin_cannot_be_removed(client_for, people, org):
    assignment = RoleAssignment.objects.get(user=people["org_admin"], organization=org)
    response = client_for(people["org_admin"]).post(f"/organizations/{org.pk}/members/{assignment.pk}/remove/",
                                                    follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "at least one administrator" in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.revoked_at is None


def test_the_list_filters_by_region_kind_and_name(client, db, regions, org):
    other = Organization.objects.create(name="Astana Helpers", kind="volunteer_group", bin=valid_bin(99),
                                        region=regions["710000000"], status="verified")
    html = client.get("/organizations/", {"region": other.region_id}).content.decode()
    assert "Astana Helpers" in html and org.name not in html
    html = client.get("/organizations/", {"kind": "ngo"}).content.decode()
    assert org.name in html and "Astana Helpers" not in html
    html = client.get("/organizations/", {"q": "astana"}).content.decode()
    assert "Astana Helpers" in html and org.name not in html


def test_bad_filter_values_are_ignored_not_a_crash(client, db):
    response = client.get("/organizations/", {"region": "not-a-number", "kind": "nonsense", "page": "x"})
    assert response.status_code == 200


def test_the_list_page_runs_a_fixed_number_of_queries(client, db, regions, django_assert_max_num_queries):
    for i in range(30):
        Organization.objects.create(name=f"Org {i}", kind="ngo", bin=valid_bin(1000 + i * 7), region=regions["750000000"],
                                    status="verified")
    # session-less visitor: count + page + regions for the filter select; stays flat however many rows.
    with django_assert_max_num_queries(4):
        assert client.get("/organizations/").status_code == 200


def test_the_members_and_review_pages_run_a_fixed_number_of_queries(client_for, people, make_user, org, almaty,
                                                                      django_assert_max_num_queries):
    for i in range(20):
        make_user(f"member{i}@test.kz", Role.ORG_STAFF, organization=org)
        Organization.objects.create(name=f"Pending {i}", kind="ngo", bin=valid_bin(5000 + i * 13), region=almaty)
    admin = client_for(people["org_admin"])
    with django_assert_max_num_queries(8):
        assert admin.get(f"/organizations/{org.pk}/members/").status_code == 200
    coordinator = client_for(people["coordinator"])
    with django_assert_max_num_queries(7):
        assert coordinator.get("/organizations/review/").status_code == 200


def test_the_regions_page_counts_organisations_in_one_query(client, db, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        assert client.get("/regions/").status_code == 200
