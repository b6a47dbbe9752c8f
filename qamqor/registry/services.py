"""Every write to the registry, each with its audit row in the same transaction."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.services import audit_record, snapshot
from qamqor.lib.iin import InvalidNumber, parse_iin
from qamqor.lib.names import full_name_key
from qamqor.lib.validators import IIN_MESSAGES

from . import access
from .models import Category, CategoryAssignment, Consent, Household, HouseholdMember, Person

PERSON_FIELDS = ("iin", "surname", "given_name", "patronymic", "birth_date", "sex", "citizenship", "phone", "email",
                 "region", "district", "locality", "address", "latitude", "longitude", "disability", "disability_cause",
                 "disability_set_on", "disability_review_on", "disability_indefinite", "uses_wheelchair",
                 "needs_escort", "has_guide_dog", "deaf_sign_language", "blind_low_vision")


class PossibleDuplicates(ServiceError):
    """The new record looks like persons already registered; the user confirms or opens the existing record."""

    def __init__(self, candidates):
        super().__init__(_("This person may already be registered. Check the records below before saving a new one."),
                         code="possible_duplicate")
        self.candidates = candidates


def clean_person_data(data: dict, *, today: dt.date | None = None) -> dict:
    """Check what a form or an import gives for a person; raises ServiceError naming the field."""
    today = today or timezone.localdate()
    data = dict(data)
    for name in ("surname", "given_name", "patronymic"):
        data[name] = " ".join((data.get(name) or "").split())
    if not data["surname"]:
        raise ServiceError(_("Write the surname."), field="surname")
    if not data["given_name"]:
        raise ServiceError(_("Write the given name."), field="given_name")
    iin = "".join(ch for ch in (data.get("iin") or "") if not ch.isspace())
    data["iin"] = iin or None
    born = data.get("birth_date")
    if iin:
        try:
            facts = parse_iin(iin)
        except InvalidNumber as exc:
            raise ServiceError(IIN_MESSAGES[exc.code], field="iin", code=f"iin_{exc.code}") from None
        if born and born != facts.birth_date:
            raise ServiceError(_("The birth date %(date)s does not agree with the IIN, which gives %(iin_date)s. "
                                 "Check both.") % {"date": born.strftime("%d.%m.%Y"),
                                                   "iin_date": facts.birth_date.strftime("%d.%m.%Y")},
                               field="birth_date", code="iin_birth_date_mismatch")
        if data.get("sex") and data["sex"] != facts.sex:
            raise ServiceError(_("The sex does not agree with the IIN (its 7th digit). Check both."), field="sex",
                               code="iin_sex_mismatch")
        data["birth_date"], data["sex"] = facts.birth_date, facts.sex
    # After the IIN, which may have given the date: a typed date and one read from an IIN are checked alike.
    born = data.get("birth_date")
    if born and born > today:
        raise ServiceError(_("The birth date is in the future. Check the date."), field="birth_date")
    if born and born.year < today.year - 125:
        raise ServiceError(_("The birth date is more than 125 years ago. Check the date."), field="birth_date")
    if data.get("disability_indefinite"):
        data["disability_review_on"] = None
    if data.get("disability") is None:
        for name in ("disability_set_on", "disability_review_on"):
            data[name] = None
        data["disability_cause"], data["disability_indefinite"] = "", False
    return data


def likely_duplicates(data: dict, *, exclude_pk=None):
    """Active records with the same folded name and birth date, or the same name and birth year when a date is
    missing on one side: what a person entering a record should look at first."""
    key = full_name_key(data["surname"], data["given_name"], "")
    qs = Person.objects.filter(status=Person.Status.ACTIVE, name_key__startswith=key)
    born = data.get("birth_date")
    if born:
        qs = qs.filter(birth_date=born) | Person.objects.filter(status=Person.Status.ACTIVE, name_key__startswith=key,
                                                                birth_date__isnull=True)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs.select_related("region", "owner")[:10])


def person_create(*, actor, owner, data: dict, confirmed_new: bool = False) -> Person:
    """Register a person for an organisation. Refuses a known IIN; warns of likely duplicates unless confirmed."""
    if owner is None or not access.owners_for(actor).filter(pk=owner.pk).exists():
        raise PermissionDenied(_("You may register persons only for your own verified organisation."))
    data = clean_person_data(data)
    if data["iin"] and Person.objects.filter(iin=data["iin"]).exists():
        raise ServiceError(_("A person with this IIN is already registered. Find them by IIN instead of registering "
                             "them again."), field="iin", code="duplicate")
    candidates = likely_duplicates(data)
    if candidates and not confirmed_new:
        raise PossibleDuplicates(candidates)
    values = {name: data.get(name) for name in PERSON_FIELDS if name in data}
    for flag in ("disability_indefinite", "uses_wheelchair", "needs_escort", "has_guide_dog", "deaf_sign_language",
                 "blind_low_vision"):
        values[flag] = bool(values.get(flag))
    for text in ("patronymic", "phone", "email", "district", "locality", "address", "disability_cause", "sex"):
        values[text] = values.get(text) or ""
    try:
        with transaction.atomic():
            person = Person.objects.create(owner=owner, created_by=actor,
                                           name_key=full_name_key(values["surname"], values["given_name"],
                                                                  values["patronymic"]), **values)
            audit_record(actor=actor, action="person.create", obj=person, after=snapshot(person))
            # The user said these are different people; a reviewer still gets to compare them.
            for candidate in candidates:
                duplicate_pair(person, candidate, 0.5)
    except IntegrityError:
        raise ServiceError(_("A person with this IIN is already registered. Find them by IIN instead of registering "
                             "them again."), field="iin", code="duplicate") from None
    return person


def person_update(*, actor, person: Person, data: dict) -> Person:
    if not access.can_edit_person(actor, person):
        raise PermissionDenied(_("Only staff of the organisation that registered this person may change the record."))
    merged = {name: getattr(person, name) for name in PERSON_FIELDS}
    merged.update(data)
    cleaned = clean_person_data(merged)
    if cleaned["iin"] and Person.objects.filter(iin=cleaned["iin"]).exclude(pk=person.pk).exists():
        raise ServiceError(_("Another person already has this IIN. Check the number."), field="iin", code="duplicate")
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        before = snapshot(locked)
        for name in PERSON_FIELDS:
            if name in cleaned:
                value = cleaned[name]
                if value is None and name in ("patronymic", "phone", "email", "district", "locality", "address",
                                              "disability_cause", "sex"):
                    value = ""
                setattr(locked, name, value)
        locked.name_key = full_name_key(locked.surname, locked.given_name, locked.patronymic)
        locked.save()
        audit_record(actor=actor, action="person.update", obj=locked, before=before, after=snapshot(locked))
    return locked


def consent_give(*, actor, person: Person, purpose: str, given_by: str, given_on: dt.date, source: str,
                 representative_name: str = "", document_reference: str = "") -> Consent:
    if not access.can_edit_person(actor, person):
        raise PermissionDenied(_("Only staff of the organisation that registered this person may record consent."))
    if given_by == Consent.GivenBy.REPRESENTATIVE and not representative_name.strip():
        raise ServiceError(_("Write the legal representative's name."), field="representative_name")
    if given_on > timezone.localdate():
        raise ServiceError(_("Consent cannot be dated in the future."), field="given_on")
    if Consent.objects.filter(person=person, purpose=purpose, withdrawn_at__isnull=True).exists():
        raise ServiceError(_("This consent is already recorded. Withdraw it first to record it again."),
                           field="purpose", code="duplicate")
    try:
        with transaction.atomic():
            consent = Consent.objects.create(person=person, purpose=purpose, given_by=given_by,
                                             representative_name=representative_name.strip(), given_on=given_on,
                                             source=source, document_reference=document_reference.strip(),
                                             recorded_by=actor)
            audit_record(actor=actor, action="consent.give", obj=consent, after=snapshot(consent))
    except IntegrityError:  # recorded at the same moment by someone else (one active consent per purpose)
        raise ServiceError(_("This consent is already recorded. Withdraw it first to record it again."),
                           field="purpose", code="duplicate") from None
    return consent


def consent_withdraw(*, actor, consent: Consent) -> None:
    """Withdrawal takes effect at once: shared views stop showing the person in the same transaction."""
    person = consent.person
    own = person.user_id is not None and person.user_id == getattr(actor, "pk", None)
    if not (own or access.can_edit_person(actor, person)):
        raise PermissionDenied(_("Only the person, or staff of the organisation that registered them, may withdraw consent."))
    with transaction.atomic():
        locked = Consent.objects.select_for_update().get(pk=consent.pk)
        if locked.withdrawn_at is not None:
            return
        before = snapshot(locked)
        locked.withdrawn_at, locked.withdrawn_by = timezone.now(), actor
        locked.save(update_fields=["withdrawn_at", "withdrawn_by"])
        audit_record(actor=actor, action="consent.withdraw", obj=locked, before=before, after=snapshot(locked))


def category_assign(*, actor, category: Category, evidence: str, evidence_reference: str, valid_from: dt.date,
                    valid_to: dt.date | None = None, person: Person | None = None,
                    household: Household | None = None) -> CategoryAssignment:
    """Record that a person or household belongs to a category, with the evidence and who checked it."""
    target = person if person is not None else household
    if category.derived:
        raise ServiceError(_("This category is worked out from the record itself and cannot be assigned by hand."),
                           field="category")
    if category.applies_to == Category.AppliesTo.PERSON and person is None:
        raise ServiceError(_("This category is for a person, not a household."), field="category")
    if category.applies_to == Category.AppliesTo.HOUSEHOLD and household is None:
        raise ServiceError(_("This category is for a household. Assign it on the household's page."), field="category")
    if not access.can_edit_owned(actor, target):
        raise PermissionDenied(_("Only staff of the organisation that registered this record may assign categories."))
    if not evidence_reference.strip():
        raise ServiceError(_("Name the document or the source system that shows this."), field="evidence_reference")
    if valid_to is not None and valid_to < valid_from:
        raise ServiceError(_("The end date is before the start date."), field="valid_to")
    with transaction.atomic():
        assignment = CategoryAssignment.objects.create(
            category=category, person=person, household=household, evidence=evidence,
            evidence_reference=evidence_reference.strip(), valid_from=valid_from, valid_to=valid_to, verified_by=actor)
        audit_record(actor=actor, action="category.assign", obj=assignment, after=snapshot(assignment))
    return assignment


def category_end(*, actor, assignment: CategoryAssignment) -> None:
    target = assignment.person or assignment.household
    if not access.can_edit_owned(actor, target):
        raise PermissionDenied(_("Only staff of the organisation that registered this record may end a category."))
    with transaction.atomic():
        locked = CategoryAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.ended_at is not None:
            return
        before = snapshot(locked)
        locked.ended_at = timezone.now()
        if locked.valid_to is None or locked.valid_to > timezone.localdate():
            locked.valid_to = max(timezone.localdate(), locked.valid_from)
        locked.save(update_fields=["ended_at", "valid_to"])
        audit_record(actor=actor, action="category.end", obj=locked, before=before, after=snapshot(locked))


def household_create(*, actor, head: Person, address: str = "") -> Household:
    """A household around its head; the head's organisation owns it."""
    if not access.can_edit_person(actor, head):
        raise PermissionDenied(_("Only staff of the organisation that registered this person may create their household."))
    if HouseholdMember.objects.filter(person=head, left_on__isnull=True).exists():
        raise ServiceError(_("This person already belongs to a household."), code="conflict")
    try:
        with transaction.atomic():
            household = Household.objects.create(owner_id=head.owner_id, region_id=head.region_id,
                                                 address=address or head.address, created_by=actor)
            HouseholdMember.objects.create(household=household, person=head,
                                           relationship=HouseholdMember.Relationship.HEAD)
            audit_record(actor=actor, action="household.create", obj=household, after=snapshot(household))
    except IntegrityError:  # the person joined a household at the same moment
        raise ServiceError(_("This person already belongs to a household."), code="conflict") from None
    return household


def household_add_member(*, actor, household: Household, person: Person, relationship: str,
                         in_full_time_study: bool = False, monthly_income=0) -> HouseholdMember:
    if not access.can_edit_household(actor, household):
        raise PermissionDenied(_("Only staff of the organisation that registered this household may change it."))
    if not access.can_view_person(actor, person):
        raise PermissionDenied(_("You may add only persons whose records you can see."))
    if monthly_income is not None and monthly_income < 0:
        raise ServiceError(_("Income cannot be negative."), field="monthly_income")
    try:
        with transaction.atomic():
            member = HouseholdMember.objects.create(household=household, person=person, relationship=relationship,
                                                    in_full_time_study=in_full_time_study,
                                                    monthly_income=monthly_income or 0)
            audit_record(actor=actor, action="household.add_member", obj=member, after=snapshot(member))
    except IntegrityError:
        raise ServiceError(_("This person already belongs to a household."), field="person", code="conflict") from None
    return member


def household_remove_member(*, actor, member: HouseholdMember) -> None:
    household = member.household
    if not access.can_edit_household(actor, household):
        raise PermissionDenied(_("Only staff of the organisation that registered this household may change it."))
    with transaction.atomic():
        before = snapshot(member)
        HouseholdMember.objects.filter(pk=member.pk, left_on__isnull=True).update(left_on=timezone.localdate())
        member.refresh_from_db()
        audit_record(actor=actor, action="household.remove_member", obj=member, before=before, after=snapshot(member))


# Merging duplicates: reversible, nothing lost (DESIGN.md section 5).

# Fields the kept record takes from the merged one when it has no value of its own.
FILLABLE = ("iin", "patronymic", "birth_date", "sex", "phone", "email", "district", "locality", "address", "latitude",
            "longitude", "disability_id", "disability_cause", "disability_set_on", "disability_review_on", "user_id")


def _empty(value):
    return value is None or value == ""


def duplicate_pair(left: Person, right: Person, probability: float):
    """Record a likely duplicate pair for review (ordered by id; a pair already decided stays decided)."""
    from .models import DuplicateCandidate

    a, b = sorted((left.pk, right.pk))
    candidate, _created = DuplicateCandidate.objects.get_or_create(left_id=a, right_id=b,
                                                                   defaults={"probability": probability})
    return candidate


def person_merge(*, actor, kept: Person, merged: Person):
    """Merge `merged` into `kept`: its categories, consents and household membership move over, empty fields of
    the kept record are filled from it, and it stays in the database marked as merged. Undo with person_unmerge."""
    from .models import DuplicateCandidate, MergeRecord

    if kept.pk == merged.pk:
        raise ServiceError(_("A record cannot be merged into itself."))
    if not (access.can_review_duplicates(actor) or (access.can_edit_person(actor, kept)
                                                    and access.can_edit_person(actor, merged))):
        raise PermissionDenied(_("Only a coordinator, or staff of the organisation that registered both records, may "
                                 "merge them."))
    if not (access.can_view_person(actor, kept) and access.can_view_person(actor, merged)):
        raise PermissionDenied(_("You may merge only records you can see."))
    with transaction.atomic():
        kept, merged = (Person.objects.select_for_update().get(pk=kept.pk),
                        Person.objects.select_for_update().get(pk=merged.pk))
        if kept.status != Person.Status.ACTIVE or merged.status != Person.Status.ACTIVE:
            raise ServiceError(_("One of the records is already merged."), code="conflict")
        if kept.iin and merged.iin and kept.iin != merged.iin:
            raise ServiceError(_("The two records have different IINs, so they are different people. Mark them as "
                                 "not the same person."), code="conflict")
        before_kept, before_merged = snapshot(kept), snapshot(merged)
        moved = {"categories": list(CategoryAssignment.objects.filter(person=merged).values_list("pk", flat=True))}
        CategoryAssignment.objects.filter(pk__in=moved["categories"]).update(person=kept)
        # Consents move unless the kept record already has one in force for the same purpose.
        kept_purposes = set(Consent.objects.filter(person=kept, withdrawn_at__isnull=True).values_list("purpose", flat=True))
        movable = Consent.objects.filter(person=merged).exclude(purpose__in=kept_purposes, withdrawn_at__isnull=True)
        moved["consents"] = list(movable.values_list("pk", flat=True))
        Consent.objects.filter(pk__in=moved["consents"]).update(person=kept)
        # The household membership moves if the kept record has none.
        moved["memberships"] = []
        if not HouseholdMember.objects.filter(person=kept, left_on__isnull=True).exists():
            moved["memberships"] = list(HouseholdMember.objects.filter(person=merged, left_on__isnull=True)
                                        .values_list("pk", flat=True))
            HouseholdMember.objects.filter(pk__in=moved["memberships"]).update(person=kept)
        filled = {name: getattr(kept, name) for name in FILLABLE
                  if _empty(getattr(kept, name)) and not _empty(getattr(merged, name))}
        taken = {name: getattr(merged, name) for name in filled}
        # Unique columns (IIN, account) must leave the merged record before the kept one takes them.
        merged.iin = None if "iin" in filled else merged.iin
        merged.user_id = None if "user_id" in filled else merged.user_id
        merged.status, merged.merged_into = Person.Status.MERGED, kept
        merged.save()
        for name, value in taken.items():
            setattr(kept, name, value)
        kept.save()
        # What undo needs: which empty fields were filled, and the unique values taken from the merged record.
        record = MergeRecord.objects.create(kept=kept, merged=merged, moved=moved, merged_by=actor, kept_before={
            "filled": sorted(filled), "taken": {k: taken[k] for k in ("iin", "user_id") if k in taken}})
        a, b = sorted((kept.pk, merged.pk))
        DuplicateCandidate.objects.filter(left_id=a, right_id=b).update(
            decision=DuplicateCandidate.Decision.MERGED, decided_by=actor, decided_at=timezone.now())
        audit_record(actor=actor, action="person.merge", obj=kept, before={"kept": before_kept, "merged": before_merged},
                     after={"kept": snapshot(kept), "merged": snapshot(merged), "moved": moved})
    return record


def person_unmerge(*, actor, record):
    """Undo a merge exactly: the merged record is active again with everything it had."""
    from .models import DuplicateCandidate

    if not (access.can_review_duplicates(actor) or access.can_edit_person(actor, record.kept)):
        raise PermissionDenied(_("Only a coordinator, or staff of the organisation that registered the record, may undo "
                                 "a merge."))
    with transaction.atomic():
        record = type(record).objects.select_for_update().get(pk=record.pk)
        if record.undone_at is not None:
            raise ServiceError(_("This merge was undone already."), code="conflict")
        kept = Person.objects.select_for_update().get(pk=record.kept_id)
        merged = Person.objects.select_for_update().get(pk=record.merged_id)
        before = {"kept": snapshot(kept), "merged": snapshot(merged)}
        CategoryAssignment.objects.filter(pk__in=record.moved.get("categories", [])).update(person=merged)
        Consent.objects.filter(pk__in=record.moved.get("consents", [])).update(person=merged)
        HouseholdMember.objects.filter(pk__in=record.moved.get("memberships", [])).update(person=merged)
        # The kept record gives back what it took: fields it had empty become empty again.
        for name in record.kept_before.get("filled", []):
            field = Person._meta.get_field(name.removesuffix("_id"))
            setattr(kept, name, None if field.null else "")
        kept.save()
        taken = record.kept_before.get("taken", {})
        if "iin" in taken:
            merged.iin = taken["iin"]
        if "user_id" in taken:
            merged.user_id = taken["user_id"]
        merged.status, merged.merged_into = Person.Status.ACTIVE, None
        merged.save()
        record.undone_by, record.undone_at = actor, timezone.now()
        record.save(update_fields=["undone_by", "undone_at"])
        a, b = sorted((kept.pk, merged.pk))
        DuplicateCandidate.objects.filter(left_id=a, right_id=b).update(
            decision=DuplicateCandidate.Decision.PENDING, decided_by=None, decided_at=None)
        audit_record(actor=actor, action="person.unmerge", obj=kept, before=before,
                     after={"kept": snapshot(kept), "merged": snapshot(merged)})
    return merged


def duplicate_mark_distinct(*, actor, candidate) -> None:
    """A reviewer decides the two records are different people; the pair is not proposed again."""
    from .models import DuplicateCandidate

    if not (access.can_view_person(actor, candidate.left) and access.can_view_person(actor, candidate.right)):
        raise PermissionDenied(_("You may review only records you can see."))
    with transaction.atomic():
        DuplicateCandidate.objects.filter(pk=candidate.pk).update(
            decision=DuplicateCandidate.Decision.DISTINCT, decided_by=actor, decided_at=timezone.now())
        audit_record(actor=actor, action="duplicate.distinct", obj=candidate)
