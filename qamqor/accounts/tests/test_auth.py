import re

import pytest
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from qamqor.accounts.models import Role, RoleAssignment, User
from qamqor.core.models import AuditLog


def login(client, email, password=PASSWORD):
    return client.post("/accounts/login/", {"username": email, "password": password}, HTTP_ACCEPT_LANGUAGE="en")


def test_it_signs_up_a_volunteer_and_logs_them_in(client, db):
    response = client.post("/accounts/signup/", {"full_name": "Аружан Есенова", "email": "Aruzhan@Example.kz",
                                                 "password": "a-long-passphrase-7", "role": "volunteer"})
    assert response.status_code == 302 and response.url == "/dashboard/"
    user = User.objects.get(email="aruzhan@example.kz")
    assert user.has_role(Role.VOLUNTEER)
    assert AuditLog.objects.filter(action="user.create", object_id=str(user.pk)).exists()
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.parametrize("data,field", [
    ({"full_name": "A", "email": "a@example.kz", "password": "1234567890", "role": "volunteer"}, "password"),
    ({"full_name": "A", "email": "not-an-email", "password": "a-long-passphrase-7", "role": "volunteer"}, "email"),
    ({"full_name": "A", "email": "a@example.kz", "password": "a-long-passphrase-7", "role": "coordinator"}, "role"),
])
def test_it_refuses_bad_sign_up_with_an_error_summary_and_creates_nothing(client, db, data, field):
    response = client.post("/accounts/signup/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html and f'href="#id_{field}{"_0" if field == "role" else ""}"' in html
    assert 'aria-invalid="true"' in html
    assert not User.objects.exists()


def test_it_refuses_a_second_account_with_the_same_email_in_any_case(client, make_user):
    make_user("taken@example.kz", Role.DONOR)
    response = client.post("/accounts/signup/", {"full_name": "B", "email": "TAKEN@example.kz",
                                                 "password": "a-long-passphrase-7", "role": "donor"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert User.objects.count() == 1


def test_a_volunteer_logs_in_without_a_second_factor(client, make_user):
    make_user("v@example.kz", Role.VOLUNTEER)
    response = login(client, "v@example.kz")
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_staff_must_confirm_a_totp_code_before_seeing_anything(client, people):
    staff = people["org_staff"]
    assert login(client, staff.email).status_code == 302
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response.url.startswith("/accounts/2fa/verify/")
    wrong = client.post("/accounts/2fa/verify/", {"code": "000000"})
    assert wrong.status_code == 400
    device = TOTPDevice.objects.get(user=staff)
    assert device.throttling_failure_count == 1  # guessing is slowed down; the wait is over in this test:
    device.throttle_reset()
    ok = client.post("/accounts/2fa/verify/?next=/organizations/", {"code": f"{totp(device.bin_key):06d}"})
    assert ok.status_code == 302 and ok.url == "/organizations/"
    assert client.get("/dashboard/").status_code == 200


def test_staff_without_an_authenticator_is_sent_to_set_one_up(client, make_user, org):
    user = make_user("new-staff@example.kz", Role.ORG_STAFF, organization=org, two_factor=False)
    login(client, user.email)
    response = client.get("/dashboard/")
    assert response.url.startswith("/accounts/2fa/setup/")
    page = client.get(response.url)
    assert page.status_code == 200 and b"<svg" in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    confirm = client.post("/accounts/2fa/setup/", {"code": f"{totp(device.bin_key):06d}"})
    assert confirm.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/dashboard/").status_code == 200


def test_it_pauses_log_in_after_repeated_failures(client, make_user, settings):
    make_user("d@example.kz", Role.DONOR)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "d@example.kz", "wrong-password").status_code == 200
    locked = login(client, "d@example.kz", "wrong-password")
    assert locked.status_code == 429
    assert "paused" in locked.content.decode()
    # Even the right password is refused during the cool-off.
    assert login(client, "d@example.kz").status_code == 429


def test_a_failed_log_in_says_what_to_do(client, make_user):
    make_user("d@example.kz", Role.DONOR)
    response = login(client, "d@example.kz", "wrong-password")
    assert response.status_code == 200
    assert "The e-mail or password is not right" in response.content.decode()


def test_password_reset_sends_a_link_that_sets_a_new_password(client, make_user):
    make_user("r@example.kz", Role.DONOR)
    response = client.post("/accounts/password-reset/", {"email": "r@example.kz"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "another-passphrase-8",
                                                     "new_password2": "another-passphrase-8"})
    assert done.status_code == 302
    assert User.objects.get(email="r@example.kz").check_password("another-passphrase-8")


def test_password_reset_does_not_reveal_whether_an_account_exists(client, db):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.kz"})
    assert response.status_code == 302 and len(mail.outbox) == 0


def test_the_language_follows_the_users_choice_then_the_browser(client_for, make_user):
    user = make_user("lang@example.kz", Role.DONOR)
    client = client_for(user)
    assert 'lang="en"' in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    response = client.post("/i18n/setlang/", {"language": "ru", "next": "/organizations/"})
    assert response.status_code == 302 and response.url == "/organizations/"
    user.refresh_from_db()
    assert user.language == "ru"
    assert 'lang="ru"' in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_set_language_refuses_a_redirect_to_another_site(client, db):
    response = client.post("/i18n/setlang/", {"language": "kk", "next": "https://evil.example/"})
    assert response.url == "/"


def test_tokens_page_shows_a_new_token_once(client_for, make_user):
    user = make_user("t@example.kz", Role.DONOR)
    client = client_for(user)
    response = client.post("/accounts/tokens/", {"name": "reporting script"})
    raw = re.search(r"qmq_[0-9a-f]{8}_[A-Za-z0-9_\-]+", response.content.decode()).group(0)
    assert raw not in client.get("/accounts/tokens/").content.decode()
    token = user.api_tokens.get()
    revoke = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert revoke.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_only_an_org_admin_or_platform_admin_grants_roles(people, org):
    from qamqor.accounts.services import role_grant
    from qamqor.core.errors import PermissionDenied

    target = people["volunteer"]
    with pytest.raises(PermissionDenied):
        role_grant(actor=people["org_staff"], user=target, role=Role.ORG_STAFF, organization=org)
    with pytest.raises(PermissionDenied):
        role_grant(actor=people["org_admin"], user=target, role=Role.COORDINATOR, region=org.region)
    role_grant(actor=people["org_admin"], user=target, role=Role.ORG_STAFF, organization=org)
    assert RoleAssignment.objects.filter(user=target, role=Role.ORG_STAFF, organization=org).exists()


def test_the_database_refuses_a_coordinator_without_a_region(make_user):
    from django.db import IntegrityError, transaction

    user = make_user("c@example.kz")
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.COORDINATOR)


def test_the_database_refuses_the_same_active_role_twice(make_user, org):
    from django.db import IntegrityError, transaction

    user = make_user("twice@example.kz", Role.DONOR)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.DONOR)
    RoleAssignment.objects.create(user=user, role=Role.ORG_STAFF, organization=org)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.ORG_STAFF, organization=org)
