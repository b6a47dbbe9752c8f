"""The social registry: persons, households, categories with evidence, consent, and the record of merges."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qamqor.core.models import TranslatedNameMixin


class Person(models.Model):
    class Sex(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class Citizenship(models.TextChoices):
        CITIZEN = "citizen", _("Citizen of Kazakhstan")
        KANDAS = "kandas", _("Kandas (ethnic Kazakh repatriate)")
        RESIDENT = "resident", _("Foreign resident")
        STATELESS = "stateless", _("Stateless")
        UNKNOWN = "unknown", _("Not known")

    class DisabilityCause(models.TextChoices):
        GENERAL = "general", _("General illness")
        CHILDHOOD = "childhood", _("From childhood")
        WORK_INJURY = "work_injury", _("Work injury")
        OCCUPATIONAL = "occupational", _("Occupational disease")
        MILITARY = "military", _("Military service")
        DISASTER = "disaster", _("Disaster or accident")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        MERGED = "merged", _("Merged into another record")

    # The organisation that registered the person owns the record (DESIGN.md section 5).
    owner = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="persons",
                              verbose_name=_("registered by"))
    iin = models.CharField(_("IIN"), max_length=12, null=True, blank=True, unique=True,
                           help_text=_("Leave empty for people without documents."))
    surname = models.CharField(_("surname"), max_length=100)
    given_name = models.CharField(_("given name"), max_length=100)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    # The name folded across scripts (qamqor.lib.names.full_name_key), surname first: what search matches on.
    name_key = models.CharField(max_length=320, db_index=True, editable=False)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    citizenship = models.CharField(_("citizenship"), max_length=10, choices=Citizenship.choices,
                                   default=Citizenship.CITIZEN)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    district = models.CharField(_("district"), max_length=120, blank=True)
    locality = models.CharField(_("locality"), max_length=120, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    disability = models.ForeignKey("core.DisabilityCategory", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("disability"))
    disability_cause = models.CharField(_("cause of disability"), max_length=15, choices=DisabilityCause.choices,
                                        blank=True)
    disability_set_on = models.DateField(_("disability set on"), null=True, blank=True)
    disability_review_on = models.DateField(_("re-examination date"), null=True, blank=True)
    disability_indefinite = models.BooleanField(_("set without a re-examination date"), default=False)

    # Functional needs that services (InvaTaxi, interpreters, assistants) read.
    uses_wheelchair = models.BooleanField(_("uses a wheelchair"), default=False)
    needs_escort = models.BooleanField(_("needs an escort"), default=False)
    has_guide_dog = models.BooleanField(_("has a guide dog"), default=False)
    deaf_sign_language = models.BooleanField(_("deaf or hard of hearing, uses sign language"), default=False)
    blind_low_vision = models.BooleanField(_("blind or low vision"), default=False)

    # A person with an account sees their own record.
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="person")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["surname", "given_name", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [
            models.Index(fields=["owner", "status"], name="person_owner_status_idx"),
            models.Index(fields=["region", "status"], name="person_region_status_idx"),
            models.Index(fields=["birth_date"], name="person_birth_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(iin__isnull=True) | Q(iin__regex=r"^[0-9]{12}$"), name="person_iin_12_digits"),
            models.CheckConstraint(condition=~Q(surname="") & ~Q(given_name=""), name="person_has_a_name"),
            models.CheckConstraint(condition=Q(disability_indefinite=False) | Q(disability_review_on__isnull=True),
                                   name="person_review_date_or_indefinite"),
            models.CheckConstraint(condition=Q(status="merged", merged_into__isnull=False)
                                   | Q(status="active", merged_into__isnull=True), name="person_merged_has_target"),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self):
        return " ".join(p for p in (self.surname, self.given_name, self.patronymic) if p)


class Household(models.Model):
    owner = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="households")
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")


class HouseholdMember(models.Model):
    class Relationship(models.TextChoices):
        HEAD = "head", _("Head of household")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        SIBLING = "sibling", _("Brother or sister")
        GRANDCHILD = "grandchild", _("Grandchild")
        GRANDPARENT = "grandparent", _("Grandparent")
        GUARDIAN = "guardian", _("Guardian")
        OTHER = "other", _("Other relative")

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    relationship = models.CharField(_("relationship"), max_length=12, choices=Relationship.choices)
    in_full_time_study = models.BooleanField(_("in full-time study"), default=False)
    monthly_income = models.DecimalField(_("monthly income, ₸"), max_digits=12, decimal_places=2, default=0)
    joined_on = models.DateField(auto_now_add=True)
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            # A person lives in one household at a time.
            models.UniqueConstraint(fields=["person"], condition=Q(left_on__isnull=True), name="one_current_household"),
            models.CheckConstraint(condition=Q(monthly_income__gte=0), name="income_not_negative"),
        ]


class Category(TranslatedNameMixin, models.Model):
    """A vulnerability category (DESIGN.md section 1), as data; `weight` feeds the vulnerability score."""

    class AppliesTo(models.TextChoices):
        PERSON = "person", _("Person")
        HOUSEHOLD = "household", _("Household")

    code = models.SlugField(max_length=40, unique=True)
    name_kk = models.CharField(max_length=200)
    name_ru = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    applies_to = models.CharField(max_length=10, choices=AppliesTo.choices)
    weight = models.DecimalField(max_digits=5, decimal_places=2, default=1)
    # Derived categories (large family, low income) are computed from data, never assigned by hand.
    derived = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [models.CheckConstraint(condition=Q(weight__gte=0), name="category_weight_not_negative")]


class CategoryAssignment(models.Model):
    class Evidence(models.TextChoices):
        DOCUMENT = "document", _("Document seen")
        SOURCE_SYSTEM = "source_system", _("State information system")
        DECLARATION = "declaration", _("Declaration of the person")

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="assignments")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="categories")
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT, related_name="categories")
    evidence = models.CharField(_("evidence"), max_length=15, choices=Evidence.choices)
    evidence_reference = models.CharField(_("document or source"), max_length=200,
                                          help_text=_("For example: certificate No. 123 of 01.02.2026, or the system's name."))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(person__isnull=False, household__isnull=True)
                                   | Q(person__isnull=True, household__isnull=False), name="category_for_person_or_household"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                                   name="category_valid_to_after_from"),
        ]


class Consent(models.Model):
    class Purpose(models.TextChoices):
        REGISTRATION = "registration", _("Being registered")
        SHARING = "sharing", _("Sharing with other organisations for coordination")
        VOLUNTEER_CONTACT = "volunteer_contact", _("Contact by volunteers")
        STORY = "story", _("Publishing a story")

    class GivenBy(models.TextChoices):
        PERSON = "person", _("The person")
        REPRESENTATIVE = "representative", _("A legal representative")

    class Source(models.TextChoices):
        PAPER = "paper", _("Signed paper form")
        ELECTRONIC = "electronic", _("Electronic signature or in Qamqor")
        RECORDED = "recorded", _("Recorded verbal consent")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    given_by = models.CharField(_("given by"), max_length=15, choices=GivenBy.choices)
    representative_name = models.CharField(_("representative's name"), max_length=200, blank=True)
    given_on = models.DateField(_("given on"))
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    document_reference = models.CharField(_("document"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ["purpose", "-given_on"]
        constraints = [
            models.UniqueConstraint(fields=["person", "purpose"], condition=Q(withdrawn_at__isnull=True),
                                    name="one_active_consent_per_purpose"),
            models.CheckConstraint(condition=Q(given_by="person") | ~Q(representative_name=""),
                                   name="representative_is_named"),
        ]


class MergeRecord(models.Model):
    """A merge of a duplicate into a kept record: everything moved is listed, so that it can be undone."""

    kept = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    moved = models.JSONField(default=dict)  # {"categories": [ids], "consents": [ids], "memberships": [ids], ...}
    kept_before = models.JSONField(default=dict)  # fields of the kept record that the merge filled in
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    merged_at = models.DateTimeField(auto_now_add=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)


class DuplicateCandidate(models.Model):
    """A likely duplicate pair found by record linkage, waiting for a reviewer."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        MERGED = "merged", _("Merged")
        DISTINCT = "distinct", _("Not the same person")

    left = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField()
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    found_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["left", "right"], name="duplicate_pair_once"),
            models.CheckConstraint(condition=Q(left__lt=models.F("right")), name="duplicate_pair_ordered"),
        ]


class NameWord(models.Model):
    """Every word of every folded name in the registry (the search vocabulary). Name search first finds the words
    that look like what was typed, then the persons whose names hold them. On PostgreSQL a trigger on
    registry_person keeps it complete, whatever writes the person (the ORM, COPY, SQL); words no name uses any
    more stay and match nobody."""

    word = models.TextField(primary_key=True)

    class Meta:
        db_table = "registry_nameword"

    def __str__(self):
        return self.word
