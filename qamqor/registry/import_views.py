"""Bulk import of persons from CSV and XLSX (upload, preview every bad row, all-or-nothing commit)."""

import csv
import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from qamqor.core.errors import PermissionDenied as ServicePermissionDenied
from qamqor.core.errors import ServiceError
from qamqor.core.forms import AccessibleFormMixin
from qamqor.core.models import DisabilityCategory, Region
from qamqor.core.services import progress_start, progress_update

from . import access, importing
from .models import Person

SESSION_KEY = "registry_imports"
PROBLEMS_PER_PAGE = 100


class ImportForm(AccessibleFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (UTF-8, separated by commas or semicolons) or Excel .xlsx: one person per row, the "
                               "column names in the first row, as in the template."),
        error_messages={"required": gettext_lazy("Choose the file to import."),
                        "empty": gettext_lazy("The file is empty. Fill in the template: one person per row under "
                                              "the column names."),
                        "invalid": gettext_lazy("No file was received. Choose the file again.")},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-"
                                                         "officedocument.spreadsheetml.sheet"}))
    owner = forms.ModelChoiceField(label=gettext_lazy("Registered by"), queryset=None, empty_label=None,
                                   help_text=gettext_lazy("The organisation that will own these records."))

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners


class CommitForm(AccessibleFormMixin, forms.Form):
    confirm_duplicates = forms.BooleanField(
        label=gettext_lazy("Import them anyway: I have checked that these are different people"), required=False)

    def __init__(self, *args, needs_confirmation: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_confirmation = needs_confirmation
        if not needs_confirmation:
            del self.fields["confirm_duplicates"]

    def clean(self):
        if self.needs_confirmation and not self.cleaned_data.get("confirm_duplicates"):
            self.add_error("confirm_duplicates", _("Some rows may be persons already registered. Tick this box if "
                                                   "they are different people, or correct the file and upload it "
                                                   "again."))
        return self.cleaned_data


def _may_import(request):
    if not access.can_register_persons(request.user):
        raise PermissionDenied


def _remember(request, token):
    tokens = [t for t in request.session.get(SESSION_KEY, []) if t != token][-9:]
    request.session[SESSION_KEY] = tokens + [token]


def _forget(request, token):
    request.session[SESSION_KEY] = [t for t in request.session.get(SESSION_KEY, []) if t != token]


def _batch(request, token):
    """The staged import behind a token: only from this user's session, and only theirs; None when it is gone."""
    if token not in request.session.get(SESSION_KEY, []):
        raise Http404(_("No such import."))
    batch = importing.ImportBatch.open(token)
    if batch is None:
        _forget(request, token)
        return None
    if batch.user_id != request.user.pk:
        batch.close()
        raise PermissionDenied
    return batch


def _gone(request):
    messages.error(request, _("This import is finished, discarded or has expired. Upload the file again."))
    return redirect("registry:import")


def _language(request):
    lang = request.GET.get("lang") or (get_language() or "kk")[:2]
    return lang if lang in importing.LANGUAGES else "kk"


@login_required
def import_upload(request):
    _may_import(request)
    owners = access.owners_for(request.user)
    if request.method == "POST":
        importing.sweep_stale()
        owner_id = request.POST.get("owner")
        # Only the organisations offered to this user: anything else is not a mistake but a forged form.
        if owner_id and owner_id not in {str(pk) for pk in owners.values_list("pk", flat=True)}:
            raise PermissionDenied
    form = ImportForm(request.POST if request.method == "POST" else None,
                      request.FILES if request.method == "POST" else None, owners=owners)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = importing.import_check(actor=request.user, owner=form.cleaned_data["owner"], upload=upload,
                                           filename=upload.name)
        except ServicePermissionDenied:
            raise PermissionDenied from None
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            batch.close()
            _remember(request, batch.token)
            return redirect("registry:import_preview", token=batch.token)
    return _render_upload(request, form, status=400 if form.errors else 200)


def _render_upload(request, form, *, import_error=None, status=200):
    return render(request, "registry/import_upload.html", {
        "form": form, "import_error": import_error, "columns": importing.column_help((get_language() or "kk")[:2]),
        "regions": Region.objects.order_by("kato_code"),
        "disabilities": DisabilityCategory.objects.filter(legacy=False),
        "template_languages": [{"code": "kk", "name": "Қазақша"}, {"code": "ru", "name": "Русский"},
                               {"code": "en", "name": "English"}],
    }, status=status)


def _render_preview(request, batch, form=None, status=200):
    owner = access.owners_for(request.user).filter(pk=batch.owner_id).first()
    context = {"batch": batch, "owner": owner, "form": form, "threshold": importing.BACKGROUND_ABOVE}
    if batch.error_count:
        paginator = Paginator(range(batch.error_count), PROBLEMS_PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
        context.update(page=page, problems=batch.problems("error", offset=page.start_index() - 1,
                                                         limit=PROBLEMS_PER_PAGE))
    else:
        warnings = batch.problems("warning", limit=1000)
        ids = {pk for w in warnings for pk in w.candidates}
        visible = set(access.visible_persons(request.user).filter(pk__in=ids).values_list("pk", flat=True))
        for w in warnings:
            w.visible = [pk for pk in w.candidates if pk in visible]
        regions = {r.pk: r for r in Region.objects.all()}
        disabilities = {d.pk: d for d in DisabilityCategory.objects.all()}
        rows = batch.first_rows()
        for row in rows:
            row["region"] = regions.get(row.get("region"))
            row["disability"] = disabilities.get(row.get("disability"))
            row["sex"] = Person.Sex(row["sex"]).label if row.get("sex") else ""
        context.update(warnings=warnings, more_warnings=batch.warning_count > len(warnings), rows=rows,
                       form=form or CommitForm(needs_confirmation=bool(batch.warning_rows)))
    return render(request, "registry/import_preview.html", context, status=status)


@login_required
def import_preview(request, token):
    _may_import(request)
    batch = _batch(request, token)
    if batch is None:
        return _gone(request)
    try:
        if request.method != "POST":
            return _render_preview(request, batch)
        if not batch.valid:
            return _render_preview(request, batch, status=400)
        form = CommitForm(request.POST, needs_confirmation=bool(batch.warning_rows))
        if not form.is_valid():
            return _render_preview(request, batch, form=form, status=400)
        confirmed = bool(form.cleaned_data.get("confirm_duplicates"))
        return _commit(request, batch, confirmed)
    finally:
        batch.close()


def _commit(request, batch, confirmed):
    try:
        batch.claim()
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("registry:import")
    _forget(request, batch.token)
    if batch.in_background:
        from .tasks import import_persons_task

        progress = progress_start(kind="registry_import", owner=request.user, total=batch.total_rows,
                                  label=ngettext("Importing %(count)s person from %(file)s",
                                                 "Importing %(count)s persons from %(file)s", batch.total_rows)
                                  % {"count": batch.total_rows, "file": batch.filename})
        batch.close()
        result = import_persons_task.enqueue(progress.pk, batch.token, request.user.pk, confirmed)
        progress_update(progress.pk, task_result_id=str(result.id))
        return HttpResponseRedirect(reverse("core:task_progress", args=[progress.pk]))
    try:
        count = importing.import_commit(actor=request.user, batch=batch, confirmed=confirmed)
    except ServicePermissionDenied:
        raise PermissionDenied from None
    except ServiceError as exc:
        # The registry changed after the check: the staged result is stale, so it goes, and the file is checked anew.
        form = ImportForm(owners=access.owners_for(request.user), initial={"owner": batch.owner_id})
        return _render_upload(request, form, import_error=exc.message, status=409)
    finally:
        batch.delete()
    messages.success(request, ngettext("%(count)s person is imported.", "%(count)s persons are imported.", count)
                     % {"count": count})
    return redirect("registry:search")


@login_required
@require_POST
def import_discard(request, token):
    _may_import(request)
    if token in request.session.get(SESSION_KEY, []):
        batch = importing.ImportBatch.open(token)
        if batch is not None and batch.user_id == request.user.pk:
            batch.delete()
    _forget(request, token)
    messages.success(request, _("The file is discarded: nothing was imported."))
    return redirect("registry:import")


def _cell(text):
    """A spreadsheet must not run what a file or an organisation's name put in a cell (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
@require_GET
def import_problems_csv(request, token):
    """Every problem of a checked file as a CSV, to work through in a spreadsheet."""
    _may_import(request)
    batch = _batch(request, token)
    if batch is None:
        return _gone(request)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([_("Row"), _("Column"), _("Value"), _("What is wrong"), _("Kind")])
    try:
        for level, kind in (("error", _("Error")), ("warning", _("Warning"))):
            for p in batch.iter_problems(level):
                writer.writerow([p.row, _cell(p.column), _cell(p.value), _cell(p.message), kind])
    finally:
        batch.close()
    response = HttpResponse(out.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="qamqor-import-problems.csv"'
    return response


@login_required
@require_GET
def import_template_csv(request):
    _may_import(request)
    lang = _language(request)
    response = HttpResponse(importing.template_csv(lang), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="qamqor-persons-{lang}.csv"'
    return response


@login_required
@require_GET
def import_template_xlsx(request):
    _may_import(request)
    lang = _language(request)
    response = HttpResponse(importing.template_xlsx(lang),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="qamqor-persons-{lang}.xlsx"'
    return response


urlpatterns = [
    path("import/", import_upload, name="import"),
    path("import/template.csv", import_template_csv, name="import_template_csv"),
    path("import/template.xlsx", import_template_xlsx, name="import_template_xlsx"),
    path("import/<str:token>/", import_preview, name="import_preview"),
    path("import/<str:token>/problems.csv", import_problems_csv, name="import_problems"),
    path("import/<str:token>/discard/", import_discard, name="import_discard"),
]
