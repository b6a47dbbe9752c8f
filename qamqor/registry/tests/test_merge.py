import datetime as dt

import pytest

from qamqor.core.errors import ServiceError
from qamqor.core.services import snapshot
from qamqor.lib.iin import make_iin
from qamqor.lib.names import full_name_key
from qamqor.registry import services
from qamqor.registry.models import Category, CategoryAssignment, Consent, DuplicateCandidate, Household, HouseholdMember, Person


def person(org, region, surname, given, **extra):
    return Person.objects.create(owner=org, region=region, surname=surname, given_name=given,
                                 name_key=full_name_key(surname, given), **extra)


@pytest.fixture
def pair(people, org, almaty, make_user):
    """A record and its duplicate: the duplicate has the IIN, a phone, an account, a category, consent, household."""
    born = dt.date(1985, 7, 14)
    iin = next(i for i in (make_iin(born, "F", s) for s in range(50)) if i)
    kept = person(org, almaty, "Кусаинова", "Ляззат", birth_date=born)
    dup = person(org, almaty, "Kussainova", "Lyazzat", birth_date=born, iin=iin, phone="+7 701 000 00 00",
                 user=make_user("lyazzat@test.kz"))
    staff = people["org_staff"]
    services.category_assign(actor=staff, person=dup, category=Category.objects.get(code="pensioner"),
                             evidence="document", evidence_reference="Pension certificate 1",
                             valid_from=dt.date(2025, 1, 1))
    services.consent_give(actor=staff, person=dup, purpose="sharing", given_by="person", given_on=dt.date(2026, 1, 1),
                          source="paper")
    services.consent_give(actor=staff, person=kept, purpose="sharing", given_by="person", given_on=dt.date(2026, 2, 1),
                          source="paper")
    household = services.household_create(actor=staff, head=dup)
    services.duplicate_pair(kept, dup, 0.97)
    return kept, dup, household


def state(*persons):
    """Everything about the records: their fields and every link pointing at them."""
    out = {}
    for p in persons:
        p.refresh_from_db()
        out[p.pk] = {
            "fields": snapshot(p),
            "categories": sorted(CategoryAssignment.objects.filter(person=p).values_list("pk", flat=True)),
            "consents": sorted(Consent.objects.filter(person=p).values_list("pk", flat=True)),
            "memberships": sorted(HouseholdMember.objects.filter(person=p).values_list("pk", flat=True)),
        }
    return out


def test_merge_moves_everything_and_unmerge_restores_every_field_and_link(people, pair):
    kept, dup, household = pair
    before = state(kept, dup)
    coordinator = people["coordinator"]
    record = services.person_merge(actor=coordinator, kept=kept, merged=dup)
    kept.refresh_from_db()
    dup.refresh_from_db()
    assert dup.status == "merged" and dup.merged_into_id == kept.pk
    assert kept.iin == before[dup.pk]["fields"]["iin"] and kept.phone == "+7 701 000 00 00"
    assert kept.user_id == before[dup.pk]["fields"]["user_id"]
    assert CategoryAssignment.objects.filter(person=kept).count() == 1
    assert HouseholdMember.objects.get(household=household).person_id == kept.pk
    # Both had consent to share: the kept record's own stays, the duplicate's stays with the duplicate.
    assert Consent.objects.filter(person=kept, withdrawn_at__isnull=True).count() == 1
    assert DuplicateCandidate.objects.get().decision == "merged"
    services.person_unmerge(actor=coordinator, record=record)
    after = state(kept, dup)
    for pk in before:
        for part in ("categories", "consents", "memberships"):
            assert after[pk][part] == before[pk][part], (pk, part)
        changed = {k for k in before[pk]["fields"] if before[pk]["fields"][k] != after[pk]["fields"][k]}
        assert changed <= {"updated_at"}, changed
    assert DuplicateCandidate.objects.get().decision == "pending"


def test_records_with_different_iins_are_never_merged(people, org, almaty):
    a = person(org, almaty, "A", "B", iin=next(i for i in (make_iin(dt.date(1990, 1, 1), "M", s) for s in range(50)) if i))
    b = person(org, almaty, "A", "B", iin=next(i for i in (make_iin(dt.date(1991, 1, 1), "M", s) for s in range(50)) if i))
    with pytest.raises(ServiceError):
        services.person_merge(actor=people["coordinator"], kept=a, merged=b)
    assert Person.objects.filter(status="active").count() == 2


def test_the_review_queue_merges_and_undoes_through_the_pages(client_for, people, pair):
    kept, dup, _household = pair
    client = client_for(people["coordinator"])
    candidate = DuplicateCandidate.objects.get()
    queue = client.get("/registry/duplicates/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"/registry/duplicates/{candidate.pk}/" in queue
    page = client.get(f"/registry/duplicates/{candidate.pk}/").content.decode()
    assert "Кусаинова" in page and "Kussainova" in page
    response = client.post(f"/registry/duplicates/{candidate.pk}/", {"action": "merge", "keep": kept.pk})
    assert response.status_code == 302
    dup.refresh_from_db()
    assert dup.status == "merged"
    record_id = response.url.rstrip("/").split("/")[-1]
    undo = client.post(f"/registry/merges/{record_id}/undo/")
    assert undo.status_code == 302
    dup.refresh_from_db()
    assert dup.status == "active"


def test_not_the_same_person_is_remembered(client_for, people, pair):
    candidate = DuplicateCandidate.objects.get()
    client_for(people["coordinator"]).post(f"/registry/duplicates/{candidate.pk}/", {"action": "distinct"})
    candidate.refresh_from_db()
    assert candidate.decision == "distinct"
    kept, dup, _ = pair
    services.duplicate_pair(kept, dup, 0.99)  # found again by a later run: stays decided
    candidate.refresh_from_db()
    assert candidate.decision == "distinct"


def test_staff_of_another_organisation_cannot_open_the_queue(client_for, people, pair):
    assert client_for(people["volunteer"]).get("/registry/duplicates/").status_code == 403


def test_a_coordinator_runs_the_linkage_engine_and_the_pairs_reach_the_queue(client_for, people, org, almaty):
    from qamqor.core.models import TaskProgress

    born = dt.date(1985, 7, 14)
    iin = next(i for i in (make_iin(born, "F", s) for s in range(50)) if i)
    a = person(org, almaty, "Кусаинова", "Ляззат", birth_date=born, iin=iin, sex="F", phone="+7 701 111 22 33")
    b = person(org, almaty, "Kussainova", "Lyazzat", birth_date=born, sex="F", phone="+7 701 111 22 33")
    for i in range(40):  # others, so that the model has something to tell apart
        person(org, almaty, f"Иванов{i}", "Иван", birth_date=dt.date(1950 + i, 1 + i % 12, 1 + i % 28), sex="M")
    response = client_for(people["coordinator"]).post("/registry/duplicates/find/")
    assert response.status_code == 302 and response.url.startswith("/tasks/")
    progress = TaskProgress.objects.get(kind="registry_linkage")
    assert progress.status == "succeeded" and progress.percent == 100  # immediate backend in tests
    pair = DuplicateCandidate.objects.get(left_id=min(a.pk, b.pk), right_id=max(a.pk, b.pk))
    assert pair.probability >= 0.5 and pair.decision == "pending"
