from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from qamqor.accounts import services as account_services

from . import accessibility, selectors, services
from .forms import AccessibilityForm
from .models import AccessibilityPreference as Pref


def _safe_next(request, fallback="/"):
    target = request.POST.get("next") or request.GET.get("next") or fallback
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return fallback
    return target


def home(request):
    return render(request, "core/home.html", {"regions_count": 20})


def dashboard(request):
    from qamqor.accounts.access import is_platform_admin
    from qamqor.accounts.selectors import dashboard_for

    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    context = dashboard_for(request.user)
    context["is_platform_admin"] = is_platform_admin(request.user)
    return render(request, "core/dashboard.html", context)


def regions(request):
    return render(request, "core/regions.html", {"regions": selectors.regions_with_counts()})


def holidays(request):
    years = selectors.holiday_years()
    raw = request.GET.get("year", "")
    year = int(raw) if raw.isdigit() and int(raw) in years else timezone.localdate().year
    if year not in years and years:
        year = years[-1]
    return render(request, "core/holidays.html", {"year": year, "years": years,
                                                  "holidays": selectors.holidays_for_year(year)})


@require_http_methods(["GET", "POST"])
def accessibility_settings(request):
    """The accessibility panel: remembered in the user's record when signed in, in a cookie for visitors."""
    current = accessibility.for_request(request)
    if request.method == "POST":
        if request.POST.get("reset"):
            values = dict(accessibility.DEFAULTS)
            form = None
        else:
            form = AccessibilityForm(request.POST)
            values = accessibility.clean({**current, **form.cleaned_data}) if form.is_valid() else None
        if values is None:
            return render(request, "core/accessibility.html", {"form": form}, status=400)
        if request.user.is_authenticated:
            services.accessibility_save(user=request.user, values=values)
        request._a11y = values
        if request.htmx:
            response = render(request, "core/accessibility.html", {"form": AccessibilityForm(initial=values), "saved": True})
        else:
            response = HttpResponseRedirect(_safe_next(request, request.path))
        response.set_cookie(accessibility.COOKIE, accessibility.to_cookie(values), max_age=60 * 60 * 24 * 365,
                            samesite="Lax", secure=request.is_secure(), httponly=True)
        return response
    return render(request, "core/accessibility.html", {"form": AccessibilityForm(initial=current)})


@require_POST
def set_language(request):
    """Switch the language: stored on the user when signed in, and in a cookie for everyone."""
    from django.conf import settings

    lang = request.POST.get("language", "")
    response = HttpResponseRedirect(_safe_next(request, "/"))
    if lang not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated and request.user.language != lang:
        account_services.user_set_language(user=request.user, language=lang)
    translation.activate(lang)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, max_age=settings.LANGUAGE_COOKIE_AGE, samesite="Lax",
                        secure=request.is_secure())
    return response


def task_progress(request, pk: int):
    record = selectors.progress_for(request.user, pk)
    if record is None:
        raise Http404(_("No such task."))
    template = "core/progress.html#progress-bar" if request.htmx else "core/progress.html"
    return render(request, template, {"progress": record})


def health(request):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def a11y_choices():
    return {"font_size": Pref.FontSize.choices, "letter_spacing": Pref.Spacing.choices,
            "line_height": Pref.LineHeight.choices, "scheme": Pref.Scheme.choices}


@require_POST
def demo_seed(request):
    """Demo installations only: a platform admin starts large demo data as a background task and watches it."""
    from django.conf import settings
    from django.core.exceptions import PermissionDenied

    from qamqor.accounts.access import is_platform_admin

    from .tasks import seed_demo_task

    if not (settings.DEMO and is_platform_admin(request.user)):
        raise PermissionDenied
    seed = 100 + selectors.progress_count(kind="seed_demo")
    progress = services.progress_start(kind="seed_demo", label=_("Generating large demo data"), owner=request.user)
    result = seed_demo_task.enqueue(progress.pk, "large", seed)
    services.progress_update(progress.pk, task_result_id=str(result.id))
    return HttpResponseRedirect(f"/tasks/{progress.pk}/")
