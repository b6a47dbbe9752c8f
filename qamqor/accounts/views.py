import datetime as dt

import segno
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from qamqor.core.errors import ServiceError
from qamqor.core.services import access_record, access_record_many

from . import services
from .forms import (AccessiblePasswordChangeForm, AccessiblePasswordResetForm, AccessibleSetPasswordForm, CodeForm,
                    LoginForm, ProfileForm, SignUpForm, TokenForm)
from .models import ApiToken


def _next(request, fallback):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def lockout(request, credentials=None, *args, **kwargs):
    """Shown by django-axes when failed log-ins for this e-mail and address reach the limit."""
    from django.conf import settings

    minutes = int(settings.AXES_COOLOFF_TIME * 60)
    response = render(request, "accounts/login.html", {
        "form": LoginForm(request), "locked_out": True,
        "lockout_message": _("Too many failed log-ins. For your safety, log-in with this e-mail is paused for "
                             "%(minutes)d minutes. You can reset your password meanwhile.") % {"minutes": minutes},
    }, status=429)
    return response


def signup(request):
    if request.user.is_authenticated:
        return redirect("core:dashboard")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_sign_up(language=request.LANGUAGE_CODE, **form.cleaned_data)
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Qamqor. Your account is ready."))
            return redirect("core:dashboard")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def profile(request):
    user = request.user
    form = ProfileForm(request.POST or None, initial={"full_name": user.full_name, "phone": user.phone,
                                                      "language": user.language})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_profile(actor=user, user=user, **form.cleaned_data)
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("accounts:profile")
    has_2fa = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    return render(request, "accounts/profile.html", {"form": form, "has_2fa": has_2fa, "roles": user.active_roles()},
                  status=400 if form.errors else 200)


@login_required
def two_factor_setup(request):
    """Set up an authenticator: scan the QR code (or type the key), then confirm with a code."""
    device = None
    device_id = request.session.get("2fa_setup_device")
    if device_id:
        device = TOTPDevice.objects.filter(pk=device_id, user=request.user, confirmed=False).first()
    if device is None:
        device = services.two_factor_begin(user=request.user)
        request.session["2fa_setup_device"] = device.pk
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.two_factor_confirm(user=request.user, device=device, code=form.cleaned_data["code"])
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            request.session.pop("2fa_setup_device", None)
            otp_login(request, device)
            messages.success(request, _("Two-step verification is on."))
            return redirect(_next(request, reverse("core:dashboard")))
    qr = segno.make(device.config_url, error="m")
    secret = device.bin_key.hex()
    import base64

    b32 = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(request, "accounts/2fa_setup.html", {
        "form": form, "qr_svg": qr.svg_inline(scale=5, dark="#000000", light="#ffffff", title=_("QR code for your authenticator app")),
        "secret": " ".join(b32[i:i + 4] for i in range(0, len(b32), 4)), "raw_secret": secret,
        "next": _next(request, ""),
    }, status=400 if form.errors else 200)


@login_required
def two_factor_verify(request):
    """Confirm the second factor after log-in."""
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = "".join(ch for ch in form.cleaned_data["code"] if ch.isdigit())
        devices = list(TOTPDevice.objects.filter(user=request.user, confirmed=True))
        for device in devices:
            if device.verify_token(code):
                otp_login(request, device)
                return redirect(_next(request, reverse("core:dashboard")))
        # django-otp slows down guessing: after each wrong code the next try must wait (1 s, 2 s, 4 s, ...).
        locked_until = max((d.throttling_failure_timestamp for d in devices if d.throttling_failure_timestamp), default=None)
        if locked_until and devices and devices[0].throttling_failure_count > 1:
            form.add_error("code", _("The code is not right, and several wrong codes were typed. Wait a few seconds, "
                                     "then type the code your authenticator app shows now."))
        else:
            form.add_error("code", _("The code is not right. Type the 6 digits your authenticator app shows now."))
    return render(request, "accounts/2fa_verify.html", {"form": form, "next": _next(request, "")},
                  status=400 if form.errors else 200)


@login_required
def tokens(request):
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        expires = form.cleaned_data.get("expires_at")
        expires_at = (timezone.make_aware(dt.datetime.combine(expires, dt.time(23, 59, 59)))
                      if expires else None)
        try:
            _token, new_token = services.token_create(user=request.user, name=form.cleaned_data["name"],
                                                      expires_at=expires_at)
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            form = TokenForm()
    items = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(request, "accounts/tokens.html", {"form": form, "tokens": items, "new_token": new_token},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = ApiToken.objects.filter(pk=pk, user=request.user).first()
    if token is None:
        raise Http404(_("No such token."))
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, _("The token is revoked; programs using it can no longer sign in."))
    return redirect("accounts:tokens")


class LogoutView(auth_views.LogoutView):
    pass


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_form.html"
    form_class = AccessiblePasswordResetForm
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_form.html"
    form_class = AccessibleSetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_form.html"
    form_class = AccessiblePasswordChangeForm
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        messages.success(self.request, _("Your password is changed."))
        return super().form_valid(form)


def _people_guard(request):
    from django.core.exceptions import PermissionDenied

    from .access import can_manage_people

    if not can_manage_people(request.user):
        raise PermissionDenied


@login_required
def people(request):
    """Platform admins: find people and see their roles."""
    from django.core.paginator import Paginator

    from .forms import PeopleFilterForm
    from .selectors import people_list

    _people_guard(request)
    form = PeopleFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(people_list(q=filters.get("q", ""), role=filters.get("role", "")), 25).get_page(request.GET.get("page"))
    access_record_many(actor=request.user, subjects=page.object_list, purpose="people and roles: list",
                       path=request.get_full_path())
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "accounts/people.html", {"form": form, "page": page, "query": query.urlencode()})


@login_required
def person(request, pk: int):
    """Platform admins: give and remove roles, reset two-step verification, switch an account off or on."""
    from qamqor.organizations.models import Organization

    from .forms import RoleGrantForm
    from .models import RoleAssignment
    from .selectors import user_with_roles

    _people_guard(request)
    target = user_with_roles(pk)
    if target is None:
        raise Http404(_("No such person."))
    form = RoleGrantForm(request.POST or None) if request.POST.get("action") == "grant" else RoleGrantForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "grant" and form.is_valid():
                org = None
                bin_value = "".join(ch for ch in form.cleaned_data["organization_bin"] if ch.isdigit())
                if bin_value:
                    org = Organization.objects.filter(bin=bin_value).first()
                    if org is None:
                        raise ServiceError(_("No organisation has this BIN."), field="organization_bin")
                services.role_grant(actor=request.user, user=target, role=form.cleaned_data["role"], organization=org,
                                    region=form.cleaned_data["region"])
                messages.success(request, _("The role is given."))
                return redirect("accounts:person", pk=target.pk)
            if action == "revoke":
                assignment = RoleAssignment.objects.filter(pk=request.POST.get("assignment"), user=target,
                                                           revoked_at__isnull=True).first()
                if assignment is None:
                    raise Http404(_("No such role."))
                services.role_revoke(actor=request.user, assignment=assignment)
                messages.success(request, _("The role is removed."))
                return redirect("accounts:person", pk=target.pk)
            if action == "reset_2fa":
                services.two_factor_reset(actor=request.user, user=target)
                messages.success(request, _("Two-step verification is reset: the person sets it up again at next log-in."))
                return redirect("accounts:person", pk=target.pk)
            if action in ("deactivate", "activate"):
                services.user_set_active(actor=request.user, user=target, active=action == "activate")
                messages.success(request, _("Saved."))
                return redirect("accounts:person", pk=target.pk)
        except ServiceError as exc:
            if action == "grant":
                form.add_service_error(exc)
            else:
                messages.error(request, exc.message)
    has_2fa = TOTPDevice.objects.filter(user=target, confirmed=True).exists()
    access_record(actor=request.user, subject=target, purpose="people and roles: manage", path=request.path)
    return render(request, "accounts/person.html", {"target": target, "form": form, "has_2fa": has_2fa},
                  status=400 if form.errors else 200)
