"""Every write to organisations: registration, changes, verification, members. Each writes its audit row."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qamqor.accounts.models import ORGANISATION_ROLES, Role, RoleAssignment, User
from qamqor.accounts.services import role_grant, role_revoke
from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.services import audit_record, snapshot
from qamqor.lib.iin import InvalidNumber, validate_bin
from qamqor.lib.validators import BIN_MESSAGES

from . import access
from .models import Organization

EDITABLE = ("name", "kind", "region", "address", "phone", "email", "website", "description")


def _clean_bin(value: str) -> str:
    try:
        return validate_bin(value)
    except InvalidNumber as exc:
        raise ServiceError(BIN_MESSAGES[exc.code], field="bin", code=f"bin_{exc.code}") from None


def organization_register(*, actor, name: str, kind: str, bin: str, region, address: str = "", phone: str = "",
                          email: str = "", website: str = "", description: str = "", verified: bool = False) -> Organization:
    """Register an organisation, pending verification; the person registering it becomes its administrator."""
    if not access.can_register_organization(actor):
        raise PermissionDenied(_("Log in to register an organisation."))
    number = _clean_bin(bin)
    if kind not in Organization.Kind.values:
        raise ServiceError(_("Choose the type of organisation."), field="kind")
    if Organization.objects.filter(bin=number).exists():
        raise ServiceError(_("An organisation with this BIN is already registered. Ask its administrator to add you "
                             "as a member."), field="bin", code="duplicate")
    try:
        with transaction.atomic():
            org = Organization.objects.create(
                name=name.strip(), kind=kind, bin=number, region=region, address=address, phone=phone, email=email,
                website=website, description=description, created_by=actor,
                status=Organization.Status.VERIFIED if verified else Organization.Status.PENDING,
                verified_at=timezone.now() if verified else None,
            )
            audit_record(actor=actor, action="organization.register", obj=org, after=snapshot(org))
            RoleAssignment.objects.create(user=actor, role=Role.ORG_ADMIN, organization=org, granted_by=actor)
            actor._active_roles = None
    except IntegrityError:
        raise ServiceError(_("An organisation with this BIN is already registered. Ask its administrator to add you "
                             "as a member."), field="bin", code="duplicate") from None
    return org


def organization_update(*, actor, org: Organization, **changes) -> Organization:
    if not access.can_edit_organization(actor, org):
        raise PermissionDenied(_("Only the organisation's administrators may change it."))
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ServiceError(_("These details cannot be changed here."))
    if "kind" in changes and changes["kind"] not in Organization.Kind.values:
        raise ServiceError(_("Choose the type of organisation."), field="kind")
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=org.pk)
        before = snapshot(locked)
        for name, value in changes.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        locked.save()
        audit_record(actor=actor, action="organization.update", obj=locked, before=before, after=snapshot(locked))
    return locked


def organization_verify(*, actor, org: Organization) -> Organization:
    """A coordinator of the region confirms the organisation is real."""
    if not access.can_verify_organization(actor, org):
        raise PermissionDenied(_("Only a coordinator of the organisation's region may verify it."))
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=org.pk)
        if locked.status == Organization.Status.VERIFIED:
            raise ServiceError(_("This organisation is already verified."), code="conflict")
        before = snapshot(locked)
        locked.status, locked.rejection_reason = Organization.Status.VERIFIED, ""
        locked.verified_by, locked.verified_at = actor, timezone.now()
        locked.save(update_fields=["status", "rejection_reason", "verified_by", "verified_at"])
        audit_record(actor=actor, action="organization.verify", obj=locked, before=before, after=snapshot(locked))
    return locked


def organization_reject(*, actor, org: Organization, reason: str) -> Organization:
    """A coordinator refuses the registration and says why, so that the organisation can correct it."""
    if not access.can_verify_organization(actor, org):
        raise PermissionDenied(_("Only a coordinator of the organisation's region may reject it."))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why the registration is rejected, so that the organisation can correct it."),
                           field="reason")
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=org.pk)
        before = snapshot(locked)
        locked.status, locked.rejection_reason = Organization.Status.REJECTED, reason
        locked.verified_by, locked.verified_at = actor, timezone.now()
        locked.save(update_fields=["status", "rejection_reason", "verified_by", "verified_at"])
        audit_record(actor=actor, action="organization.reject", obj=locked, before=before, after=snapshot(locked),
                     reason=reason)
    return locked


def organization_resubmit(*, actor, org: Organization) -> Organization:
    """After a rejection, the organisation's administrator asks for verification again."""
    if not access.can_edit_organization(actor, org):
        raise PermissionDenied(_("Only the organisation's administrators may do this."))
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=org.pk)
        if locked.status != Organization.Status.REJECTED:
            raise ServiceError(_("Only a rejected registration can be sent again."), code="conflict")
        before = snapshot(locked)
        locked.status, locked.rejection_reason = Organization.Status.PENDING, ""
        locked.save(update_fields=["status", "rejection_reason"])
        audit_record(actor=actor, action="organization.resubmit", obj=locked, before=before, after=snapshot(locked))
    return locked


def member_add(*, actor, org: Organization, email: str, role: str) -> RoleAssignment:
    """Add a person with an account to the organisation in an organisation role."""
    if not access.can_manage_members(actor, org):
        raise PermissionDenied(_("Only the organisation's administrators may add members."))
    if role not in ORGANISATION_ROLES:
        raise ServiceError(_("Choose one of the roles offered."), field="role")
    user = User.objects.filter(email__iexact=(email or "").strip()).first()
    if user is None:
        raise ServiceError(_("Nobody has an account with this e-mail. Ask the person to sign up first, then add them."),
                           field="email", code="not_found")
    return role_grant(actor=actor, user=user, role=role, organization=org)


def member_remove(*, actor, org: Organization, assignment: RoleAssignment) -> None:
    if assignment.organization_id != org.pk:
        raise ServiceError(_("This person is not a member of the organisation."), code="not_found")
    if not access.can_manage_members(actor, org):
        raise PermissionDenied(_("Only the organisation's administrators may remove members."))
    role_revoke(actor=actor, assignment=assignment)
