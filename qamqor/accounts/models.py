"""Users (log in by e-mail), their roles with scope, and personal access tokens for the API."""

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")
    COORDINATOR = "coordinator", _("Coordinator")
    ORG_ADMIN = "org_admin", _("Organisation administrator")
    ORG_STAFF = "org_staff", _("Organisation staff")
    DISPATCHER = "dispatcher", _("Dispatcher")
    DRIVER = "driver", _("Driver")
    VOLUNTEER = "volunteer", _("Volunteer")
    DONOR = "donor", _("Donor")
    BENEFICIARY = "beneficiary", _("Person receiving help")
    JURY = "jury", _("Jury member")


# Roles that see other people's personal data: their users must confirm a second factor (TOTP).
PERSONAL_DATA_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.ORG_ADMIN, Role.ORG_STAFF,
                                 Role.DISPATCHER, Role.DRIVER})
# Roles held within an organisation (a membership); a coordinator is held within a region.
ORGANISATION_ROLES = frozenset({Role.ORG_ADMIN, Role.ORG_STAFF, Role.DISPATCHER, Role.DRIVER})
# Sorted, so that migrations see the same list on every run (set order changes with hash seeds).
ORGANISATION_ROLE_VALUES = sorted(r.value for r in ORGANISATION_ROLES)
# Roles a person may give themselves when signing up.
SELF_SERVICE_ROLES = (Role.VOLUNTEER, Role.DONOR, Role.BENEFICIARY)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("may use the admin site"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(models.functions.Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    # Role helpers read the prefetched active assignments when a selector prefetched them.
    def active_roles(self):
        cache = getattr(self, "_active_roles", None)
        if cache is None:
            cache = list(self.role_assignments.filter(revoked_at__isnull=True).select_related("organization", "region"))
            self._active_roles = cache
        return cache

    def role_set(self):
        roles = {a.role for a in self.active_roles()}
        if self.is_superuser:
            roles.add(Role.PLATFORM_ADMIN)
        return roles

    def has_role(self, role):
        return role in self.role_set()

    @property
    def needs_two_factor(self):
        return bool(self.role_set() & PERSONAL_DATA_ROLES)


class RoleAssignment(models.Model):
    """A role held by a user: within an organisation (membership), within a region (coordinator), or alone."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    organization = models.ForeignKey("organizations.Organization", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="memberships", verbose_name=_("organisation"))
    region = models.ForeignKey("core.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("region"))
    granted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            # Organisation roles need an organisation; a coordinator needs a region; other roles neither.
            models.CheckConstraint(
                name="role_scope_matches_role",
                condition=(
                    Q(role__in=ORGANISATION_ROLE_VALUES, organization__isnull=False, region__isnull=True)
                    | Q(role=Role.COORDINATOR, organization__isnull=True, region__isnull=False)
                    | (~Q(role__in=ORGANISATION_ROLE_VALUES + [Role.COORDINATOR.value])
                       & Q(organization__isnull=True, region__isnull=True))
                ),
            ),
            # One active copy of a role in a scope. Empty scopes count as equal (0), on SQLite as on PostgreSQL.
            models.UniqueConstraint(models.F("user"), models.F("role"), Coalesce("organization", 0),
                                    Coalesce("region", 0), condition=Q(revoked_at__isnull=True),
                                    name="role_unique_active"),
        ]

    def __str__(self):
        scope = self.organization or self.region
        return f"{self.get_role_display()} ({scope})" if scope else str(self.get_role_display())


class ApiToken(models.Model):
    """A personal access token for the API. Only a SHA-256 of the token is stored; the token is shown once."""

    PREFIX = "qmq_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    # The first characters after the prefix, kept in clear so a user can tell tokens apart.
    lookup = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    @staticmethod
    def hash(raw: str) -> str:
        # Tokens carry 256 random bits, so a fast hash is enough (no need for a slow password hash).
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def active(self):
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
