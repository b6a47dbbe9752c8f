from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qamqor.core.errors import PermissionDenied as ServicePermissionDenied
from qamqor.core.errors import ServiceError
from qamqor.core.services import access_record, access_record_many
from qamqor.lib.iin import normalise

from . import access, selectors, services
from .forms import CategoryForm, ConsentForm, CoordinationForm, MemberForm, PersonForm, SearchForm
from .models import CategoryAssignment, Consent, Household, HouseholdMember, Person


def _registry_user(request):
    if not access.can_use_registry(request.user):
        raise PermissionDenied


def _person(request, pk, purpose):
    """A person this user may see; the view is written to the access log."""
    person = selectors.person_detail(user=request.user, pk=pk)
    if person is None:
        raise Http404(_("No such person."))
    access_record(actor=request.user, subject=person, purpose=purpose, path=request.path)
    return person


@login_required
def search(request):
    _registry_user(request)
    form = SearchForm(request.GET or None)
    page = None
    if form.is_valid() and any(form.cleaned_data.values()):
        f = form.cleaned_data
        results = selectors.person_search(user=request.user, query=f["q"], birth_year=f["birth_year"],
                                          region=f["region"], category=f["category"])
        page = Paginator(results, 25).get_page(request.GET.get("page"))
        access_record_many(actor=request.user, subjects=page.object_list, purpose="registry search",
                           path=request.get_full_path())
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "registry/search.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "can_register": access.can_register_persons(request.user)})


@login_required
def person_new(request):
    if not access.can_register_persons(request.user):
        raise PermissionDenied
    owners = access.owners_for(request.user)
    form = PersonForm(request.POST or None, owners=owners, show_confirm=bool(request.POST.get("show_confirm")))
    candidates = []
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        owner, confirmed = data.pop("owner"), data.pop("confirmed_new", False)
        try:
            person = services.person_create(actor=request.user, owner=owner, data=data, confirmed_new=confirmed)
        except services.PossibleDuplicates as exc:
            candidates = exc.candidates
            access_record_many(actor=request.user, subjects=[c for c in candidates if access.can_view_person(request.user, c)],
                               purpose="duplicate check on registration", path=request.path)
            form = PersonForm(request.POST, owners=owners, show_confirm=True)
            form.is_valid()
        except ServicePermissionDenied:
            raise PermissionDenied from None
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The person is registered."))
            return redirect("registry:person", pk=person.pk)
    return render(request, "registry/person_form.html", {
        "form": form, "candidates": candidates,
        "visible_ids": {c.pk for c in candidates if access.can_view_person(request.user, c)},
    }, status=400 if (form.errors or candidates) else 200)


@login_required
def person_detail(request, pk):
    person = _person(request, pk, "view record")
    household = selectors.current_household(person)
    return render(request, "registry/person_detail.html", {
        "person": person, "household": household,
        "flags": selectors.household_flags(household) if household else None,
        "score": selectors.vulnerability_score(person),
        "can_edit": access.can_edit_person(request.user, person),
        "today": timezone.localdate(),
    })


@login_required
def person_edit(request, pk):
    person = _person(request, pk, "edit record")
    if not access.can_edit_person(request.user, person):
        raise PermissionDenied
    form = PersonForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(actor=request.user, person=person, data=form.cleaned_data)
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:person", pk=person.pk)
    return render(request, "registry/form.html", {"form": form, "person": person, "title": _("Edit the record")},
                  status=400 if form.errors else 200)


@login_required
def consent_new(request, pk):
    person = _person(request, pk, "record consent")
    if not access.can_edit_person(request.user, person):
        raise PermissionDenied
    form = ConsentForm(request.POST or None, initial={"given_on": timezone.localdate(), "given_by": "person"})
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_give(actor=request.user, person=person, **form.cleaned_data)
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The consent is recorded."))
            return redirect("registry:person", pk=person.pk)
    return render(request, "registry/form.html", {"form": form, "person": person, "title": _("Record consent")},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def consent_withdraw(request, pk, consent_id):
    consent = Consent.objects.filter(pk=consent_id, person_id=pk, withdrawn_at__isnull=True).select_related("person").first()
    if consent is None or not access.can_view_person(request.user, consent.person):
        raise Http404(_("No such consent."))
    try:
        services.consent_withdraw(actor=request.user, consent=consent)
    except ServicePermissionDenied:
        raise PermissionDenied from None
    messages.success(request, _("The consent is withdrawn. It takes effect now."))
    own = consent.person.user_id == request.user.pk
    return redirect("registry:me" if own else "registry:person", **({} if own else {"pk": pk}))


@login_required
def category_new(request, pk):
    person = _person(request, pk, "assign category")
    if not access.can_edit_person(request.user, person):
        raise PermissionDenied
    form = CategoryForm(request.POST or None, applies_to="person", initial={"valid_from": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.category_assign(actor=request.user, person=person, **form.cleaned_data)
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The category is recorded."))
            return redirect("registry:person", pk=person.pk)
    return render(request, "registry/form.html", {"form": form, "person": person, "title": _("Add a category")},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def category_end(request, assignment_id):
    assignment = CategoryAssignment.objects.select_related("person", "household").filter(pk=assignment_id).first()
    if assignment is None:
        raise Http404(_("No such category."))
    target = assignment.person
    if target is not None and not access.can_view_person(request.user, target):
        raise Http404(_("No such category."))
    try:
        services.category_end(actor=request.user, assignment=assignment)
    except ServicePermissionDenied:
        raise PermissionDenied from None
    messages.success(request, _("The category is ended."))
    if target is not None:
        return redirect("registry:person", pk=target.pk)
    return redirect("registry:household", pk=assignment.household_id)


def _household(request, pk):
    household = Household.objects.select_related("region", "owner").filter(pk=pk).first()
    if household is None:
        raise Http404(_("No such household."))
    members = list(selectors.household_members(household))
    if not access.can_view_household(request.user, household, [m.person_id for m in members]):
        raise Http404(_("No such household."))
    access_record_many(actor=request.user, subjects=[m.person for m in members], purpose="view household",
                       path=request.path)
    return household, members


@login_required
@require_POST
def household_new(request, pk):
    person = _person(request, pk, "create household")
    try:
        household = services.household_create(actor=request.user, head=person)
    except ServicePermissionDenied:
        raise PermissionDenied from None
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("registry:person", pk=person.pk)
    return redirect("registry:household", pk=household.pk)


@login_required
def household_detail(request, pk):
    household, members = _household(request, pk)
    can_edit = access.can_edit_household(request.user, household)
    form = MemberForm(request.POST or None) if request.POST.get("action") == "add" else MemberForm()
    category_form = (CategoryForm(request.POST, applies_to="household") if request.POST.get("action") == "category"
                     else CategoryForm(applies_to="household", initial={"valid_from": timezone.localdate()}))
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action == "add" and form.is_valid():
                data = dict(form.cleaned_data)
                member = Person.objects.filter(iin=normalise(data.pop("iin")), status=Person.Status.ACTIVE).first()
                if member is None or not access.can_view_person(request.user, member):
                    raise ServiceError(_("No registered person with this IIN is in your records. Register them first."),
                                       field="iin")
                services.household_add_member(actor=request.user, household=household, person=member, **data)
                messages.success(request, _("The member is added."))
                return redirect("registry:household", pk=household.pk)
            if action == "category" and category_form.is_valid():
                services.category_assign(actor=request.user, household=household, **category_form.cleaned_data)
                messages.success(request, _("The category is recorded."))
                return redirect("registry:household", pk=household.pk)
            if action == "remove":
                member = HouseholdMember.objects.filter(pk=request.POST.get("member"), household=household,
                                                        left_on__isnull=True).first()
                if member is None:
                    raise Http404(_("No such member."))
                services.household_remove_member(actor=request.user, member=member)
                return redirect("registry:household", pk=household.pk)
        except ServicePermissionDenied:
            raise PermissionDenied from None
        except ServiceError as exc:
            (form if action == "add" else category_form).add_service_error(exc)
    return render(request, "registry/household.html", {
        "household": household, "members": members, "flags": selectors.household_flags(household),
        "categories": household.categories.select_related("category", "verified_by"),
        "form": form, "category_form": category_form, "can_edit": can_edit,
    }, status=400 if (form.errors or category_form.errors) else 200)


@login_required
def coordination(request):
    """Is this person known to anyone, and (with consent) in which categories: no more than is needed."""
    if not access.can_use_coordination_view(request.user):
        raise PermissionDenied
    form = CoordinationForm(request.GET or None)
    result, asked = None, False
    if form.is_valid():
        asked = True
        result = selectors.coordination_lookup(iin=normalise(form.cleaned_data["iin"]))
        if result and result.get("shared"):
            access_record(actor=request.user, subject=result["person"], purpose="coordination view", path=request.path)
    return render(request, "registry/coordination.html", {"form": form, "result": result, "asked": asked})


@login_required
def me(request):
    """A person's own record, with what is held about them and who looked at it."""
    person = Person.objects.filter(user=request.user, status=Person.Status.ACTIVE).select_related(
        "region", "owner", "disability").first()
    if person is None:
        return render(request, "registry/me.html", {"person": None})
    access_record(actor=request.user, subject=person, purpose="own record", path=request.path)
    from qamqor.core.models import AccessLog

    views = AccessLog.objects.filter(subject_type="registry.person", subject_id=str(person.pk)).order_by("-at")[:100]
    return render(request, "registry/me.html", {"person": person, "views": views})


@login_required
def me_export(request):
    person = Person.objects.filter(user=request.user, status=Person.Status.ACTIVE).select_related(
        "region", "owner", "disability").first()
    if person is None:
        raise Http404(_("No record is linked to your account."))
    access_record(actor=request.user, subject=person, purpose="own record export", channel="export", path=request.path)
    response = JsonResponse(selectors.own_record_export(person), json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = 'attachment; filename="qamqor-my-record.json"'
    return response


# Review of likely duplicates: merge (reversible) or mark as different people.

def _reviewer(request):
    if not access.can_open_duplicate_queue(request.user):
        raise PermissionDenied


@login_required
def duplicates(request):
    _reviewer(request)
    page = Paginator(selectors.duplicate_queue(request.user), 25).get_page(request.GET.get("page"))
    subjects = [p for c in page.object_list for p in (c.left, c.right)]
    access_record_many(actor=request.user, subjects=subjects, purpose="duplicate review queue", path=request.path)
    return render(request, "registry/duplicates.html", {"page": page, "query": ""})


@login_required
def duplicate_detail(request, pk):
    from .models import DuplicateCandidate

    _reviewer(request)
    candidate = selectors.duplicate_queue(request.user).filter(pk=pk).first() or \
        DuplicateCandidate.objects.filter(pk=pk).exclude(decision="pending").select_related("left", "right").first()
    if candidate is None or not (access.can_view_person(request.user, candidate.left)
                                 and access.can_view_person(request.user, candidate.right)):
        raise Http404(_("No such pair."))
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "merge":
                keep_id = int(request.POST.get("keep", 0) or 0)
                if keep_id not in (candidate.left_id, candidate.right_id):
                    raise ServiceError(_("Choose which record to keep."))
                kept, merged = ((candidate.left, candidate.right) if keep_id == candidate.left_id
                                else (candidate.right, candidate.left))
                record = services.person_merge(actor=request.user, kept=kept, merged=merged)
                messages.success(request, _("The records are merged. You can undo this."))
                return redirect("registry:merge", pk=record.pk)
            if action == "distinct":
                services.duplicate_mark_distinct(actor=request.user, candidate=candidate)
                messages.success(request, _("Marked as different people."))
                return redirect("registry:duplicates")
        except ServicePermissionDenied:
            raise PermissionDenied from None
        except ServiceError as exc:
            messages.error(request, exc.message)
    for person in (candidate.left, candidate.right):
        access_record(actor=request.user, subject=person, purpose="duplicate review", path=request.path)
    rows = [(Person._meta.get_field(name).verbose_name, getattr(candidate.left, name), getattr(candidate.right, name))
            for name in ("iin", "surname", "given_name", "patronymic", "birth_date", "sex", "region", "locality",
                         "address", "phone", "disability", "owner")]
    return render(request, "registry/duplicate_detail.html", {"candidate": candidate, "rows": rows})


@login_required
def merge_detail(request, pk):
    from .models import MergeRecord

    record = MergeRecord.objects.select_related("kept", "merged", "merged_by").filter(pk=pk).first()
    if record is None or not access.can_view_person(request.user, record.kept):
        raise Http404(_("No such merge."))
    if request.method == "POST":
        try:
            services.person_unmerge(actor=request.user, record=record)
        except ServicePermissionDenied:
            raise PermissionDenied from None
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The merge is undone: both records are as they were."))
            return redirect("registry:person", pk=record.kept_id)
    return render(request, "registry/merge.html", {"record": record})


@login_required
@require_POST
def find_duplicates(request):
    """Coordinators and platform admins start a linkage run over the records they see; they watch its progress."""
    from qamqor.accounts.access import coordinator_region_ids
    from qamqor.core import services as core_services

    from .linkage_tasks import find_duplicates_task

    if not access.can_review_duplicates(request.user):
        raise PermissionDenied
    regions = sorted(coordinator_region_ids(request.user))
    region_id = None if access.is_platform_admin(request.user) else (regions[0] if regions else None)
    progress = core_services.progress_start(kind="registry_linkage", label=_("Finding likely duplicates"),
                                            owner=request.user)
    result = find_duplicates_task.enqueue(progress.pk, region_id)
    core_services.progress_update(progress.pk, task_result_id=str(result.id))
    return redirect("core:task_progress", pk=progress.pk)
