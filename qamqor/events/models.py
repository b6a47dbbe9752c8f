"""Charity events and the holiday calendar ("Caravan of Mercy"): organisers, date, place, region, campaign,
volunteers; outcomes are computed from the distributions linked to the event, never typed in."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        HELD = "held", _("held")
        CANCELLED = "cancelled", _("cancelled")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    organizer = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="events",
                                  verbose_name=_("organiser"))
    partners = models.ManyToManyField("organizations.Organization", blank=True, related_name="partner_events",
                                      verbose_name=_("partner organisations"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=300)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    campaign = models.ForeignKey("aid.Campaign", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="events", verbose_name=_("campaign"))
    holiday = models.ForeignKey("core.Holiday", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("holiday"))
    volunteers_needed = models.PositiveIntegerField(_("volunteers needed"), default=0)
    accessible_venue = models.BooleanField(_("step-free venue"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by every service that changes the event; the calendar feed gives it as DTSTAMP with SEQUENCE, so that
    # calendar programs replace their copy of an event that moved or was cancelled.
    updated_at = models.DateTimeField(null=True, blank=True)
    sequence = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("charity event")
        verbose_name_plural = _("charity events")
        indexes = [models.Index(fields=["starts_at", "region"], name="event_start_region_idx")]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gte=models.F("starts_at")),
                                              name="event_ends_after_start"),
                       models.CheckConstraint(condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                                              name="event_cancelled_has_reason")]

    def __str__(self):
        return self.title

    @property
    def is_past(self):
        from django.utils import timezone

        return self.starts_at <= timezone.now()


class EventVolunteer(models.Model):
    """A volunteer signed up for an event; hours are confirmed by the organiser afterwards."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="volunteers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="event_signups")
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, null=True, blank=True)
    signed_up_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    hours_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                           related_name="+")
    hours_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="event_volunteer_once"),
            models.CheckConstraint(condition=Q(hours__isnull=True) | (Q(hours__gte=0) & Q(hours__lte=24)),
                                   name="event_volunteer_hours_in_a_day"),
            # Hours are only ever recorded as confirmed by the organiser.
            models.CheckConstraint(condition=Q(hours__isnull=True) | Q(hours_confirmed_at__isnull=False),
                                   name="event_volunteer_hours_confirmed"),
        ]
