"""Special social services under the state social order: the catalogue, eligibility rules as data, contracts with
providers and their amendments, provider staff and their hours, bookings (one row per occurrence of a series),
delivery records, monthly acts for payment, and representatives who book for a person.

Invariants live here as constraints. The one that cannot be written portably, "a staff member never holds two
exclusive bookings that overlap", is an exclusion constraint created on PostgreSQL by migrations 0003 and 0004
(btree_gist); on SQLite the booking service's check under a transaction is the guard. A driver's rides are not
exclusive: an InvaTaxi vehicle carries several passengers at once."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qamqor.core.models import TranslatedNameMixin


class StaffRole(models.TextChoices):
    INTERPRETER = "interpreter", _("Sign-language interpreter")
    ASSISTANT = "assistant", _("Individual assistant")
    CARER = "carer", _("Home carer")
    DRIVER = "driver", _("Driver")


class ServiceType(TranslatedNameMixin, models.Model):
    """A special social service. Rows from ../shared/reference/social_services.csv keep its columns (norm, who is
    eligible, how provided, legal basis, source keys, notes) so that each norm can be traced to its source."""

    class Unit(models.TextChoices):
        RIDE = "ride", _("ride")
        HOUR = "hour", _("hour")
        VISIT = "visit", _("visit")
        DAY = "day", _("day")
        COURSE = "course", _("course")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_kk = models.CharField(_("name in Kazakh"), max_length=250)
    name_ru = models.CharField(_("name in Russian"), max_length=250)
    name_en = models.CharField(_("name in English"), max_length=250)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    # Which provider staff deliver it; empty for services that are not scheduled with a staff member (sanatorium).
    staff_role = models.CharField(_("delivered by"), max_length=12, choices=StaffRole.choices, blank=True)
    tariff_kzt = models.DecimalField(_("tariff per unit, ₸"), max_digits=14, decimal_places=2, null=True, blank=True,
                                     help_text=_("Empty where no tariff is confirmed."))
    tariff_year = models.PositiveSmallIntegerField(_("tariff year"), null=True, blank=True)
    default_minutes = models.PositiveIntegerField(_("default duration, minutes"), default=60)
    cancel_notice_hours = models.PositiveSmallIntegerField(
        _("free cancellation until, hours before"), default=24,
        help_text=_("A person's cancellation later than this is recorded as late."))
    active = models.BooleanField(_("bookable"), default=True)
    # Columns of the reference file, verbatim.
    norm = models.TextField(_("norm"), blank=True)
    eligible_text = models.TextField(_("who is eligible (reference)"), blank=True)
    how_provided = models.TextField(_("how provided"), blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    @property
    def exclusive_staff(self) -> bool:
        """Whether a booking of this service holds its staff member's time alone. A driver carries several
        passengers at once (shared InvaTaxi rides) on a transport shift, which the transport app plans and checks:
        their rides neither exclude each other nor follow a staff member's weekly working hours."""
        return self.staff_role != StaffRole.DRIVER

    class Meta:
        ordering = ["code"]
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        constraints = [
            models.CheckConstraint(condition=Q(tariff_kzt__isnull=True) | Q(tariff_kzt__gte=0),
                                   name="ss_type_tariff_not_negative"),
            models.CheckConstraint(condition=Q(default_minutes__gt=0) & Q(default_minutes__lte=24 * 60),
                                   name="ss_type_duration_within_a_day"),
            models.CheckConstraint(condition=~Q(code=""), name="ss_type_has_code"),
        ]


class EligibilityRule(models.Model):
    """One way to be entitled to a service type. A person is eligible when any active rule of the type matches;
    a rule matches when all of its conditions hold (an empty condition holds for everyone). Lists of codes are
    any-of (the person's disability is one of them; the person has one of the categories); functional needs are
    all-of (the person has every flag listed)."""

    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="rules")
    name = models.CharField(_("name"), max_length=200)
    # core.DisabilityCategory codes, incl. child categories; checked against the table by the service.
    disability_codes = models.JSONField(_("disability categories"), default=list, blank=True)
    # Names of Person's functional-needs flags (uses_wheelchair, deaf_sign_language, ...).
    needs = models.JSONField(_("functional needs"), default=list, blank=True)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    regions = models.ManyToManyField("core.Region", blank=True, related_name="+", verbose_name=_("regions"),
                                     help_text=_("Empty: every region."))
    category_codes = models.JSONField(_("registry categories"), default=list, blank=True)
    units_per_day = models.DecimalField(_("units a day"), max_digits=8, decimal_places=2, null=True, blank=True)
    units_per_month = models.DecimalField(_("units a month"), max_digits=8, decimal_places=2, null=True, blank=True)
    units_per_year = models.DecimalField(_("units a year"), max_digits=8, decimal_places=2, null=True, blank=True)
    priority = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(default=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["service_type", "priority", "id"]
        verbose_name = _("eligibility rule")
        verbose_name_plural = _("eligibility rules")
        constraints = [
            models.CheckConstraint(condition=Q(min_age__isnull=True) | Q(max_age__isnull=True)
                                   | Q(min_age__lte=F("max_age")), name="ss_rule_age_range"),
            models.CheckConstraint(condition=Q(units_per_day__isnull=True) | Q(units_per_day__gt=0),
                                   name="ss_rule_day_quota_positive"),
            models.CheckConstraint(condition=Q(units_per_month__isnull=True) | Q(units_per_month__gt=0),
                                   name="ss_rule_month_quota_positive"),
            models.CheckConstraint(condition=Q(units_per_year__isnull=True) | Q(units_per_year__gt=0),
                                   name="ss_rule_year_quota_positive"),
        ]

    def __str__(self):
        return self.name


class Contract(models.Model):
    """A state social order contract: a customer (state body) buys a volume of a service from a provider in a region
    for a period. The original terms are kept as signed; the current_* fields are the original terms with every
    amendment applied, kept by contract_amend under a row lock (selectors.contract_terms recomputes them)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("In force")
        SUSPENDED = "suspended", _("Suspended")
        CLOSED = "closed", _("Closed")

    number = models.CharField(_("contract number"), max_length=60, unique=True)
    customer = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("customer"))
    provider = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT,
                                 related_name="social_contracts", verbose_name=_("provider"))
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="contracts",
                                     verbose_name=_("service"))
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on (as signed)"))
    volume = models.DecimalField(_("volume in units (as signed)"), max_digits=12, decimal_places=2)
    unit_price = models.DecimalField(_("unit price, ₸ (as signed)"), max_digits=14, decimal_places=2)
    budget = models.DecimalField(_("budget, ₸ (as signed)"), max_digits=14, decimal_places=2)
    current_ends_on = models.DateField(_("ends on"))
    current_volume = models.DecimalField(_("volume in units"), max_digits=12, decimal_places=2)
    current_unit_price = models.DecimalField(_("unit price, ₸"), max_digits=14, decimal_places=2)
    current_budget = models.DecimalField(_("budget, ₸"), max_digits=14, decimal_places=2)
    allows_overrun = models.BooleanField(_("bookings beyond the volume allowed"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "number"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        indexes = [models.Index(fields=["service_type", "region", "status"], name="ss_contract_lookup_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")) & Q(current_ends_on__gte=F("starts_on")),
                                   name="ss_contract_period"),
            models.CheckConstraint(condition=Q(volume__gt=0) & Q(current_volume__gt=0), name="ss_contract_volume"),
            models.CheckConstraint(condition=Q(unit_price__gte=0) & Q(current_unit_price__gte=0)
                                   & Q(budget__gte=0) & Q(current_budget__gte=0), name="ss_contract_money"),
            models.CheckConstraint(condition=~Q(customer=F("provider")), name="ss_contract_two_parties"),
        ]

    def __str__(self):
        return self.number


class ContractAmendment(models.Model):
    """A signed change of a contract's volume, price or end date; empty fields are unchanged."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="amendments")
    sequence = models.PositiveSmallIntegerField()
    signed_on = models.DateField(_("signed on"))
    reason = models.TextField(_("reason"))
    new_volume = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    new_unit_price = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    new_ends_on = models.DateField(null=True, blank=True)
    new_budget = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "sequence"], name="ss_amendment_sequence"),
            models.CheckConstraint(condition=Q(new_volume__isnull=False) | Q(new_unit_price__isnull=False)
                                   | Q(new_ends_on__isnull=False) | Q(new_budget__isnull=False),
                                   name="ss_amendment_changes_something"),
            models.CheckConstraint(condition=Q(new_volume__isnull=True) | Q(new_volume__gt=0),
                                   name="ss_amendment_volume"),
            models.CheckConstraint(condition=(Q(new_unit_price__isnull=True) | Q(new_unit_price__gte=0))
                                   & (Q(new_budget__isnull=True) | Q(new_budget__gte=0)), name="ss_amendment_money"),
            models.CheckConstraint(condition=~Q(reason=""), name="ss_amendment_has_reason"),
        ]


class ProviderStaff(models.Model):
    """A user working for a provider as an interpreter, assistant, carer or driver."""

    provider = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT,
                                 related_name="social_staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="social_staff")
    role = models.CharField(_("role"), max_length=12, choices=StaffRole.choices)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider", "user__full_name", "id"]
        verbose_name = _("provider staff member")
        verbose_name_plural = _("provider staff")
        # One row per user and provider: the no-overlap guard keys on this row, so one person's time is one row.
        constraints = [models.UniqueConstraint(fields=["provider", "user"], name="ss_staff_once_per_provider")]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"


class WorkingHours(models.Model):
    """An interval of a staff member's working time on a weekday (0 Monday … 6 Sunday), local time."""

    staff = models.ForeignKey(ProviderStaff, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField()
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["staff", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0) & Q(weekday__lte=6), name="ss_hours_weekday"),
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="ss_hours_end_after_start"),
            models.UniqueConstraint(fields=["staff", "weekday", "starts"], name="ss_hours_once"),
        ]


class Representative(models.Model):
    """A user who may book and cancel services for a person (a parent, guardian or trusted person), on the consent
    document referenced."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="represents")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="representatives")
    relationship = models.CharField(_("relationship"), max_length=100, blank=True)
    consent_reference = models.CharField(_("consent document"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "person"], condition=Q(revoked_at__isnull=True),
                                    name="ss_representative_once"),
            models.CheckConstraint(condition=~Q(consent_reference=""), name="ss_representative_has_consent"),
        ]


class Purpose(models.TextChoices):
    COURT = "court", _("Court or police")
    HOSPITAL = "hospital", _("Hospital or clinic")
    EXAM = "exam", _("Exam or studies")
    PUBLIC_SERVICE = "public_service", _("Public service centre or akimat")
    WORK = "work", _("Work or job interview")
    HOME = "home", _("At home")
    OTHER = "other", _("Other")


class RecurrenceSeries(models.Model):
    """A recurring booking: weekly on the given weekdays until a date. Each occurrence is its own Booking."""

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="+")
    weekdays = models.JSONField()  # [0..6], Monday is 0
    start_time = models.TimeField()
    minutes = models.PositiveIntegerField()
    first_date = models.DateField()
    until = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(until__gte=F("first_date")), name="ss_series_until_after_first"),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="ss_series_duration"),
        ]


class Booking(models.Model):
    class Status(models.TextChoices):
        # The same English words name the states of aid, goods and rides, which Kazakh and Russian say differently
        # (a service is "көрсетілді" / "оказана", goods "жеткізілді" / "доставлены"): a context of their own.
        REQUESTED = "requested", pgettext_lazy("booking", "Requested")
        ASSIGNED = "assigned", pgettext_lazy("booking", "Assigned")
        DELIVERED = "delivered", pgettext_lazy("booking", "Delivered")
        CANCELLED = "cancelled", pgettext_lazy("booking", "Cancelled")
        NO_SHOW = "no_show", _("Person did not come")

    # Statuses that reserve contract volume. Staff time is held by every exclusive booking with staff that is not
    # cancelled (the exclusion constraint of migrations 0003 and 0004).
    ACTIVE = (Status.REQUESTED, Status.ASSIGNED)

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="social_bookings")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The provider whose dispatcher or staff took the booking for the person (by phone); empty when the person's
    # side booked it (the person, their representative, the organisation that registered them).
    taken_by = models.ForeignKey("organizations.Organization", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("taken by the provider"))
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="bookings")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="bookings")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    units = models.DecimalField(_("units"), max_digits=8, decimal_places=2)
    place = models.CharField(_("address"), max_length=300, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.OTHER)
    note = models.CharField(_("note"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    staff = models.ForeignKey(ProviderStaff, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="bookings", verbose_name=_("staff member"))
    series = models.ForeignKey(RecurrenceSeries, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="bookings")
    # Whether the booking holds its staff member's time alone (ServiceType.exclusive_staff, set by the booking
    # service): false for a shared InvaTaxi ride, whose driver carries other passengers at the same time.
    exclusive = models.BooleanField(_("holds the staff member's time alone"), default=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    cancel_reason = models.CharField(max_length=300, blank=True)
    late_cancellation = models.BooleanField(default=False)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        indexes = [
            models.Index(fields=["staff", "starts_at"], name="ss_booking_staff_idx"),
            models.Index(fields=["contract", "starts_at"], name="ss_booking_contract_idx"),
            models.Index(fields=["person", "service_type", "starts_at"], name="ss_booking_person_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="ss_booking_end_after_start"),
            models.CheckConstraint(condition=Q(units__gt=0), name="ss_booking_units_positive"),
            models.CheckConstraint(condition=Q(status__in=["requested", "cancelled"]) | Q(staff__isnull=False),
                                   name="ss_booking_assigned_has_staff"),
            models.CheckConstraint(condition=Q(status="cancelled", cancelled_at__isnull=False)
                                   | (~Q(status="cancelled") & Q(cancelled_at__isnull=True)),
                                   name="ss_booking_cancelled_has_time"),
            models.CheckConstraint(condition=Q(late_cancellation=False) | Q(status="cancelled"),
                                   name="ss_booking_late_only_when_cancelled"),
        ]

    def __str__(self):
        return f"{self.service_type.code} {self.starts_at:%Y-%m-%d %H:%M}"


class DeliveryRecord(models.Model):
    """A service delivered: recorded by the assigned staff member with the actual times and the person's
    confirmation. What a contract has consumed is the sum of its delivery records."""

    class Confirmation(models.TextChoices):
        CODE = "code", _("The person told their one-time code")
        SIGNATURE = "signature", _("The person signed")

    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="delivery")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="deliveries")
    staff = models.ForeignKey(ProviderStaff, on_delete=models.PROTECT, related_name="deliveries")
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"))
    units = models.DecimalField(_("units"), max_digits=8, decimal_places=2)
    confirmation = models.CharField(max_length=10, choices=Confirmation.choices)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["contract", "started_at"], name="ss_delivery_contract_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ended_at__gt=F("started_at")), name="ss_delivery_end_after_start"),
            models.CheckConstraint(condition=Q(units__gt=0), name="ss_delivery_units_positive"),
        ]


class Act(models.Model):
    """The monthly act of services rendered under a contract, for payment. Its totals are the sums of its lines
    (the service computes both; on PostgreSQL a deferred trigger refuses a commit where they differ, and refuses
    any change of an issued act)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="acts")
    month = models.DateField(_("month"))  # the first day of the month
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    total_units = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    total_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month", "contract"]
        verbose_name = _("act of services rendered")
        verbose_name_plural = _("acts of services rendered")
        constraints = [
            models.UniqueConstraint(fields=["contract", "month"], name="ss_act_once_per_month"),
            models.CheckConstraint(condition=Q(total_units__gte=0) & Q(total_amount__gte=0), name="ss_act_totals"),
            models.CheckConstraint(condition=Q(status="draft", issued_at__isnull=True)
                                   | Q(status="issued", issued_at__isnull=False), name="ss_act_issued_has_time"),
        ]


class ActLine(models.Model):
    act = models.ForeignKey(Act, on_delete=models.CASCADE, related_name="lines")
    # A delivery is billed once: it belongs to the act of its contract and month.
    delivery = models.OneToOneField(DeliveryRecord, on_delete=models.PROTECT, related_name="act_line")
    date = models.DateField()
    units = models.DecimalField(max_digits=8, decimal_places=2)
    unit_price = models.DecimalField(max_digits=14, decimal_places=2)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(units__gt=0) & Q(unit_price__gte=0) & Q(amount__gte=0),
                                   name="ss_act_line_values"),
        ]
