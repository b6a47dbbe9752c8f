"""Reference data (regions, holidays), the audit and personal-data access logs, preferences, task progress."""

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TranslatedNameMixin:
    """Models with name_kk, name_ru and name_en show the name in the active language."""

    @property
    def name(self):
        lang = (translation.get_language() or "kk")[:2]
        return getattr(self, f"name_{lang}", None) or self.name_kk or self.name_ru or self.name_en

    def __str__(self):
        return self.name


class Region(TranslatedNameMixin, models.Model):
    """A first-level unit of Kazakhstan (17 oblasts and 3 cities), as in ../shared/reference/regions.csv."""

    kato_code = models.CharField(_("KATO code"), max_length=9, unique=True)
    iso_code = models.CharField(_("ISO 3166-2 code"), max_length=6, unique=True)
    name_kk = models.CharField(_("name in Kazakh"), max_length=120)
    name_ru = models.CharField(_("name in Russian"), max_length=120)
    name_en = models.CharField(_("name in English"), max_length=120)
    admin_centre_en = models.CharField(_("administrative centre"), max_length=120)
    source = models.CharField(_("source"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["kato_code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(condition=models.Q(kato_code__regex=r"^[0-9]{9}$"), name="region_kato_9_digits"),
        ]


class Holiday(TranslatedNameMixin, models.Model):
    """A public holiday (day off), 2019-2030, as in ../shared/reference/holidays.csv."""

    class Kind(models.TextChoices):
        FIXED = "fixed", _("fixed date")
        LUNAR = "lunar", _("lunar calendar")
        ORTHODOX = "orthodox", _("Orthodox calendar")

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed")
        PROJECTED = "projected", _("projected")
        COMPUTED = "computed", _("computed")

    date = models.DateField(_("date"))
    name_kk = models.CharField(_("name in Kazakh"), max_length=160)
    name_ru = models.CharField(_("name in Russian"), max_length=160)
    name_en = models.CharField(_("name in English"), max_length=160)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    source = models.CharField(_("source"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")
        constraints = [models.UniqueConstraint(fields=["date", "name_en"], name="holiday_unique_date_name")]


class AuditLog(models.Model):
    """One change to data someone may need to account for; written by services in the same transaction."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"


class AccessLog(models.Model):
    """One view of personal data: who looked at whose data, why and when."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    subject_type = models.CharField(max_length=80)
    subject_id = models.CharField(max_length=64)
    purpose = models.CharField(max_length=200)
    channel = models.CharField(max_length=20, default="web")  # web, api, export, cli
    path = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="access_subject_idx")]


class AccessibilityPreference(models.Model):
    """A signed-in user's accessibility panel settings (visitors keep theirs in a cookie)."""

    class FontSize(models.IntegerChoices):
        NORMAL = 100, _("Normal")
        LARGE = 125, _("Large")
        LARGER = 150, _("Larger")
        LARGEST = 200, _("Largest")

    class Spacing(models.TextChoices):
        NORMAL = "normal", _("Normal")
        WIDE = "wide", _("Wide")
        WIDER = "wider", _("Wider")

    class LineHeight(models.TextChoices):
        NORMAL = "normal", _("Normal")
        RELAXED = "relaxed", _("1.5 lines")
        DOUBLE = "double", _("Double")

    class Scheme(models.TextChoices):
        NORMAL = "normal", pgettext_lazy("colour scheme", "Normal")
        HIGH_CONTRAST = "contrast", _("High contrast")
        DARK = "dark", _("Dark")
        YELLOW = "yellow", _("Black on yellow")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="accessibility")
    font_size = models.PositiveSmallIntegerField(choices=FontSize.choices, default=FontSize.NORMAL)
    letter_spacing = models.CharField(max_length=10, choices=Spacing.choices, default=Spacing.NORMAL)
    line_height = models.CharField(max_length=10, choices=LineHeight.choices, default=LineHeight.NORMAL)
    scheme = models.CharField(max_length=10, choices=Scheme.choices, default=Scheme.NORMAL)
    images = models.BooleanField(default=True)

    FIELDS = ("font_size", "letter_spacing", "line_height", "scheme", "images")


class TaskProgress(models.Model):
    """Progress of one piece of long work, shown as a progress bar in the page and in the CLI."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=60)
    label = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    task_result_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(done__lte=models.F("total")) | models.Q(total=0), name="progress_done_le_total")]

    @property
    def percent(self):
        if self.status == self.Status.SUCCEEDED:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def finished(self):
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class DisabilityCategory(TranslatedNameMixin, models.Model):
    """Disability groups and child categories (../shared/reference/disability.csv), legacy ones kept for old records."""

    code = models.CharField(max_length=40, unique=True)
    name_kk = models.CharField(max_length=200)
    name_ru = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    age_range = models.CharField(max_length=120, blank=True)
    legacy = models.BooleanField(default=False)
    # 1 for group I (most severe) to 3 for group III; children under 7 count as group I for priority.
    severity = models.PositiveSmallIntegerField(null=True, blank=True)
    source = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["legacy", "code"]


class SubsistenceMinimum(models.Model):
    """Subsistence minimum, MCI and the poverty-line share, by date of change (subsistence_minimum.csv)."""

    effective_from = models.DateField(unique=True)
    subsistence_minimum_kzt = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    mci_kzt = models.DecimalField(max_digits=12, decimal_places=2)
    # The poverty line as a share of the subsistence minimum (0.50, 0.70): the national rule. Regional and
    # median-income variants are not in the reference data, so this is the national floor.
    poverty_line_share = models.DecimalField(max_digits=4, decimal_places=2)
    poverty_line_rule = models.TextField()
    source = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["effective_from"]
