"""Aid: the item catalogue, warehouses, campaigns, needs, offers and pledges, lots, allocation runs and
distributions (DESIGN.md section 2). Money is Decimal in KZT with two decimals; quantities are whole units."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qamqor.core.models import TranslatedNameMixin

MONEY = {"max_digits": 14, "decimal_places": 2}


class Item(TranslatedNameMixin, models.Model):
    """A thing, a sum or a service that can be needed and given: a food package, a wheelchair, legal aid."""

    class Kind(models.TextChoices):
        GOODS = "goods", _("goods")
        MONEY = "money", _("money")
        SERVICE = "service", _("service")
        KIT = "kit", _("kit of items")

    class Unit(models.TextChoices):
        PIECE = "piece", _("piece")
        PACKAGE = "package", _("package")
        PORTION = "portion", _("portion")
        KG = "kg", _("kilogram")
        SET = "set", _("set")
        COURSE = "course", _("course of treatment")
        HOUR = "hour", _("hour")
        KZT = "kzt", _("tenge")

    class HelpKind(models.TextChoices):
        """What kind of help it is: "days since the household last received this kind of help" counts by this."""

        FOOD = "food", _("food")
        MEDICINE = "medicine", _("medicine")
        MEDICAL_EQUIPMENT = "medical_equipment", _("medical equipment")
        MOBILITY = "mobility", _("mobility aids")
        EDUCATION = "education", _("education")
        CLOTHES = "clothes", _("clothes")
        HOUSEHOLD = "household", _("household goods")
        CASH = "cash", _("cash assistance")
        SERVICE = "service", _("services")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_kk = models.CharField(_("name in Kazakh"), max_length=160)
    name_ru = models.CharField(_("name in Russian"), max_length=160)
    name_en = models.CharField(_("name in English"), max_length=160)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    help_kind = models.CharField(_("kind of help"), max_length=20, choices=HelpKind.choices)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    value_kzt = models.DecimalField(_("value of one unit, ₸"), null=True, blank=True, **MONEY)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["help_kind", "code"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [
            models.CheckConstraint(condition=Q(value_kzt__isnull=True) | Q(value_kzt__gte=0), name="item_value_not_negative"),
        ]


class KitComponent(models.Model):
    """A kit (an item of kind "kit") is made of other items: a food package of flour, oil, rice and tea."""

    kit = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="components")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kit", "item"], name="kit_component_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="kit_component_quantity_positive"),
            models.CheckConstraint(condition=~Q(kit=models.F("item")), name="kit_not_its_own_component"),
        ]


class Warehouse(models.Model):
    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="warehouses",
                                     verbose_name=_("organisation"))
    name = models.CharField(_("name"), max_length=160)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["organization", "name"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="warehouse_name_unique")]

    def __str__(self):
        return self.name


class Campaign(models.Model):
    """A collection for a purpose and a period, often for a holiday: "Kurban Ait 2026: meat for families in need"."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        OPEN = "open", _("collecting")
        CLOSED = "closed", _("closed")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("address on the site"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    organizer = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="campaigns",
                                  verbose_name=_("organiser"))
    holiday = models.ForeignKey("core.Holiday", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("holiday"))
    regions = models.ManyToManyField("core.Region", blank=True, related_name="+", verbose_name=_("regions"),
                                     help_text=_("Leave empty for the whole country."))
    categories = models.ManyToManyField("registry.Category", blank=True, related_name="+",
                                        verbose_name=_("for whom"), help_text=_("Leave empty for anyone in need."))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    budget_kzt = models.DecimalField(_("budget, ₸"), default=0, **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "title"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_ends_after_start"),
            models.CheckConstraint(condition=Q(budget_kzt__gte=0), name="campaign_budget_not_negative"),
        ]

    def __str__(self):
        return self.title


class CampaignItem(models.Model):
    """What a campaign collects and gives, with its target."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))
    target_quantity = models.PositiveIntegerField(_("target quantity"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "item"], name="campaign_item_once")]


class Need(models.Model):
    """A request for help: for a person (and so their household) or for an institution."""

    class Urgency(models.IntegerChoices):
        LOW = 1, _("can wait")
        NORMAL = 2, _("normal")
        URGENT = 3, _("urgent")
        CRITICAL = 4, _("critical: health or life at risk")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ALLOCATED = "allocated", _("allocated")
        DELIVERED = "delivered", _("delivered")
        CANCELLED = "cancelled", _("cancelled")

    class InstitutionKind(models.TextChoices):
        HOSPITAL = "hospital", _("hospital")
        SCHOOL = "school", _("school")
        CARE_HOME = "care_home", _("care home")
        OTHER = "other", _("other institution")

    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="needs",
                               verbose_name=_("person"))
    # The household at the time of the need: "no double help" is counted per household.
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="needs")
    institution_name = models.CharField(_("institution"), max_length=200, blank=True)
    institution_kind = models.CharField(_("kind of institution"), max_length=12, choices=InstitutionKind.choices,
                                        blank=True)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="needs", verbose_name=_("what is needed"))
    quantity = models.PositiveIntegerField(_("quantity"))
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.NORMAL)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="needs",
                                 verbose_name=_("campaign"))
    evidence = models.CharField(_("evidence"), max_length=300, blank=True,
                                help_text=_("A document, a social worker's visit, a doctor's note."))
    description = models.TextField(_("description"), blank=True)
    # The organisation that recorded it; empty when the person applied themselves (a coordinator then sees it).
    owner = models.ForeignKey("organizations.Organization", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="needs", verbose_name=_("recorded by"))
    self_applied = models.BooleanField(_("applied by the person"), default=False)
    # A person who applied through the site before anyone registered them: a coordinator of the region links the
    # need to a registry record (or registers them) before it can be allocated.
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="applications", verbose_name=_("applicant"))
    applicant_name = models.CharField(_("name"), max_length=200, blank=True)
    applicant_phone = models.CharField(_("phone"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        indexes = [models.Index(fields=["campaign", "status"], name="need_campaign_status_idx"),
                   models.Index(fields=["region", "status"], name="need_region_status_idx"),
                   models.Index(fields=["household", "item"], name="need_household_item_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="need_quantity_positive"),
            # For a person, for an institution, or an applicant not yet in the registry: exactly one.
            models.CheckConstraint(
                condition=(Q(person__isnull=False) & Q(institution_name="")) |
                          (Q(person__isnull=True) & ~Q(institution_name="") & Q(applicant__isnull=True)) |
                          (Q(person__isnull=True) & Q(institution_name="") & Q(applicant__isnull=False)
                           & ~Q(applicant_name="")),
                name="need_for_person_institution_or_applicant"),
        ]

    @property
    def recipient(self):
        if self.person_id:
            return self.person.full_name
        return self.institution_name or self.applicant_name

    @property
    def household_key(self):
        """Whom "no double help" counts by: the household, else the person, the institution or the applicant."""
        if self.household_id:
            return f"h{self.household_id}"
        if self.person_id:
            return f"p{self.person_id}"
        if self.applicant_id:
            return f"a{self.applicant_id}"
        return f"n{self.pk}"


class Offer(models.Model):
    """A gift or a pledge: money, goods or volunteer time, from an organisation or a person, maybe restricted."""

    class Kind(models.TextChoices):
        MONEY = "money", _("money")
        GOODS = "goods", _("goods")
        TIME = "time", _("volunteer time")

    class Status(models.TextChoices):
        PLEDGED = "pledged", _("pledged")
        RECEIVED = "received", _("received")
        ALLOCATED = "allocated", _("allocated")
        DELIVERED = "delivered", _("delivered")
        CANCELLED = "cancelled", _("cancelled")

    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    donor_organization = models.ForeignKey("organizations.Organization", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="offers",
                                           verbose_name=_("donor organisation"))
    donor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="offers", verbose_name=_("donor"))
    # Who receives and accounts for it.
    recipient = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="offers_received",
                                  verbose_name=_("given to"))
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="offers",
                                 verbose_name=_("campaign"))
    amount_kzt = models.DecimalField(_("amount, ₸"), null=True, blank=True, **MONEY)
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.PROTECT, related_name="offers",
                             verbose_name=_("item"))
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    warehouse = models.ForeignKey(Warehouse, null=True, blank=True, on_delete=models.PROTECT, related_name="offers",
                                  verbose_name=_("warehouse"))
    hours = models.PositiveIntegerField(_("hours"), null=True, blank=True)
    available_from = models.DateField(_("available from"), null=True, blank=True)
    available_to = models.DateField(_("available until"), null=True, blank=True)
    restricted_regions = models.ManyToManyField("core.Region", blank=True, related_name="+",
                                                verbose_name=_("only in these regions"))
    restricted_categories = models.ManyToManyField("registry.Category", blank=True, related_name="+",
                                                   verbose_name=_("only for these people"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLEDGED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [
            models.CheckConstraint(condition=Q(donor_organization__isnull=False) | Q(donor_user__isnull=False),
                                   name="offer_has_a_donor"),
            models.CheckConstraint(
                condition=(Q(kind="money", amount_kzt__gt=0, item__isnull=True, quantity__isnull=True)
                           | Q(kind="goods", amount_kzt__isnull=True, item__isnull=False, quantity__gt=0)
                           | Q(kind="time", amount_kzt__isnull=True, item__isnull=True, hours__gt=0)),
                name="offer_kind_fields"),
            models.CheckConstraint(condition=Q(available_to__isnull=True) | Q(available_from__isnull=True)
                                   | Q(available_to__gte=models.F("available_from")), name="offer_dates_in_order"),
        ]


class Lot(models.Model):
    """A quantity of one item in one warehouse that a campaign may give: what the allocation engine shares out."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="lots")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="lots", verbose_name=_("item"))
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="lots", verbose_name=_("warehouse"))
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    quantity = models.PositiveIntegerField(_("quantity"))
    # Units handed out or promised by a confirmed allocation; quantity - allocated is what is left.
    allocated = models.PositiveIntegerField(_("allocated"), default=0)
    restricted_to = models.ManyToManyField("registry.Category", blank=True, related_name="+",
                                           verbose_name=_("only for these people"))
    offer = models.ForeignKey(Offer, null=True, blank=True, on_delete=models.PROTECT, related_name="lots")
    excluded = models.BooleanField(_("left out of allocation"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "item", "id"]
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="lot_quantity_positive"),
            # Never more promised than there is: the last line of defence behind the row locks.
            models.CheckConstraint(condition=Q(allocated__lte=models.F("quantity")), name="lot_not_over_allocated"),
        ]

    @property
    def available(self):
        return self.quantity - self.allocated


class AllocationRun(models.Model):
    """One solve of a campaign: a preview the coordinator reads, then confirms (creating distributions) or drops."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("preview")
        CONFIRMED = "confirmed", _("confirmed")
        DISCARDED = "discarded", _("discarded")
        STALE = "stale", _("out of date")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="allocation_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    objective = models.FloatField(default=0)
    optimal = models.BooleanField(default=False)
    cross_region = models.BooleanField(_("lots may serve other regions"), default=False)
    # Needs and lots left out, and need-lot quantities forced, by the coordinator: [need ids], [lot ids], [[n, l, q]].
    excluded_needs = models.JSONField(default=list, blank=True)
    excluded_lots = models.JSONField(default=list, blank=True)
    locks = models.JSONField(default=list, blank=True)
    seconds = models.FloatField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class AllocationDecision(models.Model):
    """What the run decided for one need, and why."""

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="decisions")
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="+")
    priority = models.FloatField()
    served = models.PositiveIntegerField()
    reason = models.CharField(max_length=30)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "need"], name="decision_once_per_need")]


class AllocationLine(models.Model):
    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="lines")
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="allocation_line_positive")]


class Distribution(models.Model):
    """What was (or is to be) handed to whom, by which organisation or volunteer, when, and the receipt."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("to be handed over")
        HANDED = "handed", _("handed over")
        CANCELLED = "cancelled", _("cancelled")

    class Confirmation(models.TextChoices):
        CODE = "code", _("one-time code")
        SIGNATURE = "signature", _("signature mark")

    need = models.ForeignKey(Need, on_delete=models.PROTECT, related_name="distributions")
    # Denormalised from the need: "help received by this household" is read without joins, and survives a merge.
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="distributions")
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="distributions")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="distributions")
    quantity = models.PositiveIntegerField(_("quantity"))
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="distributions")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="distributions")
    run = models.ForeignKey(AllocationRun, null=True, blank=True, on_delete=models.PROTECT, related_name="distributions")
    event = models.ForeignKey("events.Event", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="distributions", verbose_name=_("charity event"))
    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT,
                                     related_name="distributions", verbose_name=_("handed over by"))
    volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("volunteer"))
    value_kzt = models.DecimalField(_("value, ₸"), default=0, **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    code_hash = models.CharField(max_length=64, blank=True)
    confirmation = models.CharField(_("confirmed by"), max_length=10, choices=Confirmation.choices, blank=True)
    handed_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("distribution")
        verbose_name_plural = _("distributions")
        indexes = [models.Index(fields=["household", "status", "handed_at"], name="distribution_household_idx"),
                   models.Index(fields=["person", "status", "handed_at"], name="distribution_person_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="distribution_quantity_positive"),
            models.CheckConstraint(condition=Q(value_kzt__gte=0), name="distribution_value_not_negative"),
            models.CheckConstraint(condition=~Q(status="handed") | (Q(handed_at__isnull=False) & ~Q(confirmation="")),
                                   name="distribution_handed_is_confirmed"),
        ]
