"""InvaTaxi: fleet, drivers' shifts, ride requests and versioned day plans.

A provider (an InvaTaxi operator under a state social order contract) plans each service day separately. A day plan
is a sequence of immutable versions: solving, re-planning, inserting a same-day request and every manual change by a
dispatcher each write a new version whose stops are the whole plan. Only the newest version is current, and a
version is written only by a transaction that holds the day's row lock (`DayPlan`) and checks that the version it
started from is still the newest; a re-plan that finishes after a manual change replays that change onto its result
(see services.plan_apply_solution), so no manual change is lost.

Times of the day are stored as aware datetimes; the engine sees minutes since the day's local midnight.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _, pgettext_lazy


class Depot(models.Model):
    """Where a provider's vehicles start and end their shifts."""

    provider = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="depots",
                                 verbose_name=_("provider"))
    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=300)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="tr_depot_name_once"),
            models.CheckConstraint(condition=Q(latitude__gte=-90) & Q(latitude__lte=90)
                                   & Q(longitude__gte=-180) & Q(longitude__lte=180), name="tr_depot_point"),
        ]

    def __str__(self):
        return self.name


class Vehicle(models.Model):
    class Access(models.TextChoices):
        NONE = "none", _("No ramp or lift")
        RAMP = "ramp", _("Ramp")
        LIFT = "lift", _("Lift")

    provider = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="vehicles",
                                 verbose_name=_("provider"))
    plate = models.CharField(_("plate number"), max_length=20, unique=True)
    model_name = models.CharField(_("make and model"), max_length=100, blank=True)
    seats = models.PositiveSmallIntegerField(_("passenger seats"))
    wheelchair_places = models.PositiveSmallIntegerField(_("wheelchair places"), default=0)
    access = models.CharField(_("ramp or lift"), max_length=5, choices=Access.choices, default=Access.NONE)
    depot = models.ForeignKey(Depot, on_delete=models.PROTECT, related_name="vehicles", verbose_name=_("depot"))
    active = models.BooleanField(_("in service"), default=True)

    class Meta:
        ordering = ["plate"]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1) & Q(seats__lte=20), name="tr_vehicle_seats"),
            models.CheckConstraint(condition=Q(wheelchair_places__lte=6), name="tr_vehicle_wheelchairs"),
            # A wheelchair place needs a way in.
            models.CheckConstraint(condition=Q(wheelchair_places=0) | ~Q(access="none"), name="tr_vehicle_access"),
        ]

    def __str__(self):
        return self.plate


class Shift(models.Model):
    """A driver with a vehicle for part of a day, with an optional break. On PostgreSQL an exclusion constraint
    (migration 0002) keeps a vehicle and a driver from holding two shifts that overlap."""

    provider = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="shifts",
                                 verbose_name=_("provider"))
    day = models.DateField(_("day"))
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="shifts", verbose_name=_("vehicle"))
    driver = models.ForeignKey("social_services.ProviderStaff", on_delete=models.PROTECT, related_name="shifts",
                               verbose_name=_("driver"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    break_starts_at = models.DateTimeField(_("break starts at"), null=True, blank=True)
    break_minutes = models.PositiveSmallIntegerField(_("break, minutes"), default=0)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["day", "starts_at", "vehicle__plate"]
        indexes = [models.Index(fields=["provider", "day"], name="tr_shift_day_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="tr_shift_end_after_start"),
            models.CheckConstraint(condition=Q(break_minutes__lte=240), name="tr_shift_break_length"),
            models.CheckConstraint(condition=Q(break_starts_at__isnull=True, break_minutes=0)
                                   | Q(break_starts_at__isnull=False, break_minutes__gt=0), name="tr_shift_break_pair"),
        ]

    def __str__(self):
        return f"{self.vehicle} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class RideRequest(models.Model):
    """One ride of one passenger (with an escort or a guide dog if they travel along). A return trip is a second
    request linked by `outbound`; a recurring ride (dialysis three times a week) is a series of requests."""

    class Status(models.TextChoices):
        REQUESTED = "requested", pgettext_lazy("ride", "Requested")
        PLANNED = "planned", pgettext_lazy("ride", "Planned")
        UNSERVED = "unserved", pgettext_lazy("ride", "Not planned")
        PICKED_UP = "picked_up", pgettext_lazy("ride", "On board")
        DROPPED_OFF = "dropped_off", pgettext_lazy("ride", "Arrived")
        NO_SHOW = "no_show", pgettext_lazy("ride", "Passenger did not come")
        CANCELLED = "cancelled", pgettext_lazy("ride", "Cancelled")

    class Source(models.TextChoices):
        PORTAL = "portal", _("Booked by the passenger")
        PHONE = "phone", _("Taken by phone")
        API = "api", _("Through the API")

    provider = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="ride_requests",
                                 verbose_name=_("provider"))
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="ride_requests",
                               verbose_name=_("passenger"))
    # The social-services booking that holds the contract volume, the quota and the eligibility decision.
    booking = models.OneToOneField("social_services.Booking", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="ride")
    day = models.DateField(_("day"))
    pickup_address = models.CharField(_("pick-up address"), max_length=300)
    pickup_latitude = models.DecimalField(max_digits=9, decimal_places=6)
    pickup_longitude = models.DecimalField(max_digits=9, decimal_places=6)
    dropoff_address = models.CharField(_("drop-off address"), max_length=300)
    dropoff_latitude = models.DecimalField(max_digits=9, decimal_places=6)
    dropoff_longitude = models.DecimalField(max_digits=9, decimal_places=6)
    # Exactly one of the two: when to be picked up, or when to arrive (an appointment).
    pickup_at = models.DateTimeField(_("pick-up time"), null=True, blank=True)
    arrive_by = models.DateTimeField(_("arrive by"), null=True, blank=True)
    wheelchair = models.BooleanField(_("travels in a wheelchair"), default=False)
    escorts = models.PositiveSmallIntegerField(_("escorts"), default=0)
    guide_dog = models.BooleanField(_("guide dog"), default=False)
    needs_note = models.CharField(_("what the driver should know"), max_length=300, blank=True)
    outbound = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="return_trip", verbose_name=_("return trip of"))
    series = models.CharField(max_length=36, blank=True, db_index=True)  # uuid shared by a recurring series
    source = models.CharField(max_length=6, choices=Source.choices, default=Source.PHONE)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED)
    unserved_reason = models.CharField(max_length=300, blank=True)
    # Held back by a dispatcher: no plan or re-plan may put it on a vehicle until released.
    held = models.BooleanField(default=False)
    # Put on this shift by a dispatcher: every re-plan keeps it there (until unassigned or released).
    pinned_shift = models.ForeignKey("Shift", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    picked_up_at = models.DateTimeField(null=True, blank=True)
    dropped_off_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    # Why the social-services side of a drop-off or no-show could not be recorded (empty when it was).
    delivery_note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    OPEN = (Status.REQUESTED, Status.PLANNED, Status.UNSERVED)

    class Meta:
        ordering = ["day", "pickup_at", "arrive_by", "pk"]
        indexes = [models.Index(fields=["provider", "day", "status"], name="tr_request_day_idx"),
                   models.Index(fields=["person", "day"], name="tr_request_person_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(pickup_at__isnull=True) ^ Q(arrive_by__isnull=True),
                                   name="tr_request_one_time"),
            models.CheckConstraint(condition=Q(escorts__lte=3), name="tr_request_escorts"),
            models.CheckConstraint(condition=Q(picked_up_at__isnull=True) | Q(status__in=["picked_up", "dropped_off"]),
                                   name="tr_request_pickup_status"),
            models.CheckConstraint(condition=Q(dropped_off_at__isnull=True) | Q(status="dropped_off"),
                                   name="tr_request_dropoff_status"),
            models.CheckConstraint(condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                                   name="tr_request_cancelled_at"),
            models.CheckConstraint(condition=Q(held=False) | Q(pinned_shift__isnull=True), name="tr_request_held_or_pinned"),
        ]

    def __str__(self):
        return f"{self.pickup_address} → {self.dropoff_address}"

    @property
    def seats(self) -> int:
        """Seats taken: the passenger (unless in a wheelchair place) and each escort."""
        return (0 if self.wheelchair else 1) + self.escorts


class DayPlan(models.Model):
    """The lock and the pointer for one provider's day: `version` is the newest PlanVersion's number."""

    provider = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="day_plans")
    day = models.DateField()
    version = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "day"], name="tr_dayplan_once")]


class PlanVersion(models.Model):
    class Kind(models.TextChoices):
        SOLVE = "solve", _("Planned")
        REPLAN = "replan", _("Re-planned")
        INSERT = "insert", _("Same-day request inserted")
        ASSIGN = "assign", _("Assigned by a dispatcher")
        UNASSIGN = "unassign", _("Taken off a vehicle by a dispatcher")
        EVENT = "event", _("Updated from the road")

    day_plan = models.ForeignKey(DayPlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    based_on = models.PositiveIntegerField(null=True, blank=True)  # the version this one was computed from
    # For manual changes: the request and the shift (None for unassign), replayed onto a re-plan that finishes later.
    request = models.ForeignKey(RideRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    shift = models.ForeignKey(Shift, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    cost_minutes = models.FloatField(default=0)
    served = models.PositiveIntegerField(default=0)
    unserved = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["day_plan", "number"]
        constraints = [models.UniqueConstraint(fields=["day_plan", "number"], name="tr_version_once")]


class PlannedStop(models.Model):
    class Kind(models.TextChoices):
        PICKUP = "pickup", _("Pick-up")
        DROPOFF = "dropoff", _("Drop-off")

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="stops")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveSmallIntegerField()
    request = models.ForeignKey(RideRequest, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=7, choices=Kind.choices)
    planned_at = models.DateTimeField()  # start of service
    fixed = models.BooleanField(default=False)  # started or finished when this version was made

    class Meta:
        ordering = ["version", "shift", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["version", "shift", "sequence"], name="tr_stop_sequence_once"),
            models.UniqueConstraint(fields=["version", "request", "kind"], name="tr_stop_once_per_version"),
        ]


class ReplanRun(models.Model):
    """A background plan or re-plan of a day, with its progress for the board's progress bar."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Planning")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    day_plan = models.ForeignKey(DayPlan, on_delete=models.CASCADE, related_name="runs")
    based_on = models.PositiveIntegerField()
    time_limit = models.PositiveSmallIntegerField(default=30)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    result_version = models.PositiveIntegerField(null=True, blank=True)
    message = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="tr_run_progress")]
