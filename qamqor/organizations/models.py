"""Organisations taking part in Qamqor: NGOs, funds, businesses, state bodies, providers, ..."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    class Kind(models.TextChoices):
        NGO = "ngo", _("Non-governmental organisation")
        PUBLIC_ASSOCIATION = "public_association", _("Public association")
        CHARITY_FUND = "charity_fund", _("Charity fund")
        BUSINESS = "business", _("Business")
        SOCIAL_ENTERPRISE = "social_enterprise", _("Social enterprise")
        STATE_BODY = "state_body", _("State body")
        ETHNO_CULTURAL = "ethno_cultural", _("Ethno-cultural association")
        VOLUNTEER_GROUP = "volunteer_group", _("Volunteer group")
        SERVICE_PROVIDER = "service_provider", _("Social service provider")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for verification")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    name = models.CharField(_("name"), max_length=250)
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    bin = models.CharField(_("BIN"), max_length=12, unique=True)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="organizations",
                               verbose_name=_("region"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("what the organisation does"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    verified_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [models.Index(fields=["status", "region"], name="org_status_region_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(bin__regex=r"^[0-9]{12}$"), name="org_bin_12_digits"),
            models.CheckConstraint(condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                                   name="org_rejection_has_reason"),
        ]

    def __str__(self):
        return self.name
