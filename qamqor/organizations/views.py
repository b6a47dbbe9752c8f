from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qamqor.accounts.models import RoleAssignment
from qamqor.core.errors import PermissionDenied as ServicePermissionDenied
from qamqor.core.errors import ServiceError
from qamqor.core.services import access_record_many

from qamqor.accounts.access import coordinator_region_ids, is_platform_admin

from . import access, selectors, services
from .forms import FilterForm, MemberForm, OrganizationEditForm, OrganizationForm, RejectForm


def _get(request, pk):
    org = selectors.organization_detail(user=request.user, pk=pk)
    if org is None:
        raise Http404(_("No such organisation."))
    return org


def organization_list(request):
    form = FilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.organization_list(user=request.user, region=filters.get("region"), kind=filters.get("kind", ""),
                                     q=filters.get("q", ""))
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "organizations/list.html", {"form": form, "page": page, "query": query.urlencode()})


@login_required
def organization_register(request):
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organization_register(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The organisation is registered. A coordinator of its region will verify it."))
            return redirect("organizations:detail", pk=org.pk)
    return render(request, "organizations/form.html", {"form": form}, status=400 if form.errors else 200)


def organization_detail(request, pk):
    org = _get(request, pk)
    return render(request, "organizations/detail.html", {
        "org": org, "can_edit": access.can_edit_organization(request.user, org),
        "can_verify": access.can_verify_organization(request.user, org),
        "reject_form": RejectForm(),
    })


@login_required
def organization_edit(request, pk):
    org = _get(request, pk)
    if not access.can_edit_organization(request.user, org):
        raise PermissionDenied
    initial = {f: getattr(org, f) for f in services.EDITABLE}
    form = OrganizationEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(actor=request.user, org=org, **form.cleaned_data)
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("organizations:detail", pk=org.pk)
    return render(request, "organizations/form.html", {"form": form, "org": org}, status=400 if form.errors else 200)


@login_required
def review(request):
    queue = access.review_queue(request.user).select_related("region").order_by("created_at")
    if not (is_platform_admin(request.user) or coordinator_region_ids(request.user)):
        raise PermissionDenied
    return render(request, "organizations/review.html", {"queue": queue})


@login_required
@require_POST
def organization_verify(request, pk):
    org = _get(request, pk)
    try:
        services.organization_verify(actor=request.user, org=org)
    except ServicePermissionDenied:
        raise PermissionDenied from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s is verified.") % {"name": org.name})
    return redirect("organizations:detail", pk=org.pk)


@login_required
def organization_reject(request, pk):
    org = _get(request, pk)
    if not access.can_verify_organization(request.user, org):
        raise PermissionDenied
    form = RejectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_reject(actor=request.user, org=org, reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The registration is rejected; the organisation sees your reason."))
            return redirect("organizations:detail", pk=org.pk)
    return render(request, "organizations/reject.html", {"form": form, "org": org}, status=400 if form.errors else 200)


@login_required
@require_POST
def organization_resubmit(request, pk):
    org = _get(request, pk)
    try:
        services.organization_resubmit(actor=request.user, org=org)
    except ServicePermissionDenied:
        raise PermissionDenied from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The registration is sent for verification again."))
    return redirect("organizations:detail", pk=org.pk)


@login_required
def members(request, pk):
    org = _get(request, pk)
    if not access.can_manage_members(request.user, org):
        raise PermissionDenied
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_add(actor=request.user, org=org, **form.cleaned_data)
        except ServicePermissionDenied:
            raise PermissionDenied from None
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The member is added."))
            return redirect("organizations:members", pk=org.pk)
    member_rows = list(selectors.organization_members(org))
    access_record_many(actor=request.user, subjects=[m.user for m in member_rows], purpose="organisation members",
                       path=request.path)
    return render(request, "organizations/members.html", {"org": org, "form": form, "members": member_rows},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def member_remove(request, pk, assignment_id):
    org = _get(request, pk)
    assignment = RoleAssignment.objects.filter(pk=assignment_id, organization=org, revoked_at__isnull=True).first()
    if assignment is None:
        raise Http404(_("No such member."))
    try:
        services.member_remove(actor=request.user, org=org, assignment=assignment)
    except ServicePermissionDenied:
        raise PermissionDenied from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The member is removed."))
    return redirect("organizations:members", pk=org.pk)
