"""Every write to accounts: sign-up, roles, language, two-factor devices, API tokens. Each writes its audit row."""

from __future__ import annotations

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.services import audit_record, snapshot

from . import access
from .models import ORGANISATION_ROLES, SELF_SERVICE_ROLES, ApiToken, Role, RoleAssignment, User

USER_AUDIT_FIELDS = ("email", "full_name", "phone", "language", "is_active", "is_staff", "is_superuser")


def user_create(*, actor, email: str, full_name: str, password: str | None, language: str = "",
                phone: str = "", validate: bool = True) -> User:
    """Create an account; the e-mail is unique whatever its case."""
    email = (email or "").strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ServiceError(_("An account with this e-mail already exists. Log in, or reset the password."),
                           field="email", code="duplicate")
    if validate and password is not None:
        try:
            validate_password(password, User(email=email, full_name=full_name))
        except ValidationError as exc:
            raise ServiceError(" ".join(exc.messages), field="password") from None
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=password, full_name=full_name.strip(),
                                        language=language, phone=phone)
        audit_record(actor=actor or user, action="user.create", obj=user, after=snapshot(user, USER_AUDIT_FIELDS))
    return user


def user_sign_up(*, email: str, full_name: str, password: str, role: str, language: str = "") -> User:
    """A person opens their own account as a volunteer, donor or person receiving help."""
    if role not in SELF_SERVICE_ROLES:
        raise ServiceError(_("Choose one of the roles offered."), field="role")
    with transaction.atomic():
        user = user_create(actor=None, email=email, full_name=full_name, password=password, language=language)
        _grant(actor=user, user=user, role=role)
    return user


def user_update_profile(*, actor, user: User, full_name: str, phone: str, language: str) -> User:
    if actor.pk != user.pk and not access.is_platform_admin(actor):
        raise PermissionDenied(_("You may change only your own profile."))
    with transaction.atomic():
        before = snapshot(user, USER_AUDIT_FIELDS)
        user.full_name, user.phone, user.language = full_name.strip(), phone.strip(), language
        user.save(update_fields=["full_name", "phone", "language"])
        audit_record(actor=actor, action="user.update", obj=user, before=before, after=snapshot(user, USER_AUDIT_FIELDS))
    return user


def user_set_language(*, user: User, language: str) -> None:
    with transaction.atomic():
        before = {"language": user.language}
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
        audit_record(actor=user, action="user.language", obj=user, before=before, after={"language": language})


def _grant(*, actor, user, role, organization=None, region=None) -> RoleAssignment:
    try:
        with transaction.atomic():
            assignment = RoleAssignment.objects.create(user=user, role=role, organization=organization, region=region,
                                                       granted_by=actor if actor and actor.pk else None)
            audit_record(actor=actor, action="role.grant", obj=assignment, after=snapshot(assignment))
    except IntegrityError:
        raise ServiceError(_("This person already has this role."), field="role", code="duplicate") from None
    user._active_roles = None
    return assignment


def role_grant(*, actor, user: User, role: str, organization=None, region=None) -> RoleAssignment:
    """Give a role within its scope; only those allowed to (access.can_grant_role) may."""
    if role not in Role.values:
        raise ServiceError(_("Choose one of the roles offered."), field="role")
    if role in ORGANISATION_ROLES and organization is None:
        raise ServiceError(_("This role is held within an organisation: choose the organisation."), field="organization")
    if role == Role.COORDINATOR and region is None:
        raise ServiceError(_("A coordinator works within a region: choose the region."), field="region")
    if role not in ORGANISATION_ROLES:
        organization = None
    if role != Role.COORDINATOR:
        region = None
    if not access.can_grant_role(actor, role, organization=organization, region=region):
        raise PermissionDenied(_("You may not give this role."))
    return _grant(actor=actor, user=user, role=role, organization=organization, region=region)


def role_revoke(*, actor, assignment: RoleAssignment) -> None:
    if not access.can_grant_role(actor, assignment.role, organization=assignment.organization, region=assignment.region):
        raise PermissionDenied(_("You may not remove this role."))
    with transaction.atomic():
        locked = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.revoked_at is not None:
            return
        if locked.role == Role.ORG_ADMIN:
            others = RoleAssignment.objects.filter(organization_id=locked.organization_id, role=Role.ORG_ADMIN,
                                                   revoked_at__isnull=True).exclude(pk=locked.pk)
            if not others.exists():
                raise ServiceError(_("An organisation needs at least one administrator. Add another administrator first."))
        before = snapshot(locked)
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="role.revoke", obj=locked, before=before, after=snapshot(locked))


# Two-factor authentication (TOTP, RFC 6238) through django-otp.

def two_factor_begin(*, user: User) -> TOTPDevice:
    """An unconfirmed authenticator for the user to scan; replaces an earlier unconfirmed one."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def two_factor_confirm(*, user: User, device: TOTPDevice, code: str) -> None:
    """Confirm an authenticator with a code from it; older authenticators are replaced."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if device.user_id != user.pk or device.confirmed:
        raise ServiceError(_("Start the set-up again."), field="code")
    if not device.verify_token(code):
        raise ServiceError(_("The code is not right. Type the 6 digits your authenticator app shows now."), field="code")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(actor=user, action="user.2fa_confirm", obj=user)


# API tokens.

def token_create(*, user: User, name: str, expires_at=None) -> tuple[ApiToken, str]:
    """A new personal access token; returns the token and the raw value, which is shown once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Give the token a name, so that you can tell it apart later."), field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise ServiceError(_("The expiry date must be in the future."), field="expires_at")
    lookup = secrets.token_hex(4)
    raw = f"{ApiToken.PREFIX}{lookup}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name[:100], lookup=lookup, digest=ApiToken.hash(raw),
                                        expires_at=expires_at)
        audit_record(actor=user, action="token.create", obj=token, after={"name": token.name, "lookup": lookup})
    return token, raw


def token_revoke(*, actor, token: ApiToken) -> None:
    if token.user_id != actor.pk and not access.is_platform_admin(actor):
        raise PermissionDenied(_("You may revoke only your own tokens."))
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if updated:
            audit_record(actor=actor, action="token.revoke", obj=token)


def token_authenticate(raw: str) -> User | None:
    """The active user behind a raw token, or None; records when the token was last used."""
    if not raw or not raw.startswith(ApiToken.PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=ApiToken.hash(raw)).first()
    if token is None or not token.active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def two_factor_reset(*, actor, user: User) -> None:
    """A platform admin removes a user's authenticators (lost phone); the user sets up a new one at next log-in."""
    if not access.is_platform_admin(actor):
        raise PermissionDenied(_("Only platform administrators may reset two-step verification."))
    with transaction.atomic():
        count, _unused = TOTPDevice.objects.filter(user=user).delete()
        audit_record(actor=actor, action="user.2fa_reset", obj=user, after={"devices_removed": count})


def user_set_active(*, actor, user: User, active: bool) -> None:
    """Switch an account off (it can no longer log in; nothing is deleted) or on again."""
    if not access.is_platform_admin(actor):
        raise PermissionDenied(_("Only platform administrators may switch accounts off."))
    if user.pk == actor.pk and not active:
        raise ServiceError(_("You cannot switch off your own account."))
    with transaction.atomic():
        before = snapshot(user, USER_AUDIT_FIELDS)
        User.objects.filter(pk=user.pk).update(is_active=active)
        user.is_active = active
        audit_record(actor=actor, action="user.activate" if active else "user.deactivate", obj=user, before=before,
                     after=snapshot(user, USER_AUDIT_FIELDS))
