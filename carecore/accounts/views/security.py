"""My account security: second-factor enrolment, recovery codes, password change."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from ..forms_signin import (
    INVALID_CODE_MESSAGE,
    THROTTLED_CODE_MESSAGE,
    OtpSetupForm,
    PasswordChangeSecureForm,
)
from ..services.otp import (
    OtpOutcome,
    otp_enrolled,
    otp_enrolment_confirm,
    otp_required,
    otp_status,
    recovery_codes_issue,
    totp_device_pending,
    totp_provisioning,
)
from ..services.sessions import user_sessions_active_count
from ..services.signin import password_change
from .signin import safe_next_url

PASSWORD_CHANGED_MESSAGE = _("Your password was changed. Your other sessions were signed out.")
ALREADY_ENROLLED_MESSAGE = _("Two-step verification is already set up for your account.")
VERIFY_FIRST_MESSAGE = _("Confirm it is you with your authenticator app first.")


class SecurityView(View):
    """Show the signed-in user's second-factor status, password link and session count."""

    template_name = "accounts/security/overview.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        context = {
            "otp": otp_status(user=user),  # type: ignore[arg-type]
            "otp_verified": user.is_verified(),  # type: ignore[union-attr]
            "otp_required": otp_required(user=user, session=request.session),  # type: ignore[arg-type]
            "active_sessions": user_sessions_active_count(user=user),  # type: ignore[arg-type]
            "idle_minutes": int(settings.CARECORE_SESSION_IDLE_TIMEOUT.total_seconds() // 60),
            "absolute_hours": int(
                settings.CARECORE_SESSION_ABSOLUTE_TIMEOUT.total_seconds() // 3600
            ),
        }
        return render(request, self.template_name, context)


@method_decorator(
    [sensitive_post_parameters("old_password", "new_password1", "new_password2"), never_cache],
    name="dispatch",
)
class PasswordChangeView(View):
    """Change one's password; every other session of the account ends."""

    template_name = "accounts/security/password_change.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = PasswordChangeSecureForm(user=request.user)
        return render(request, self.template_name, {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PasswordChangeSecureForm(user=request.user, data=request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form})
        password_change(request=request, new_password=form.cleaned_data["new_password1"])
        messages.success(request, PASSWORD_CHANGED_MESSAGE)
        return redirect("accounts:security")


@method_decorator([sensitive_post_parameters("code"), never_cache], name="dispatch")
class OtpSetupView(View):
    """Add an authenticator app: scan, confirm with a code, receive recovery codes once."""

    template_name = "accounts/otp/setup.html"
    codes_template_name = "accounts/otp/recovery_codes.html"

    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        if otp_enrolled(user=request.user):  # type: ignore[arg-type]
            # Replacing a device needs an admin reset; a password alone must never swap it.
            if request.user.is_verified():  # type: ignore[union-attr]
                messages.info(request, ALREADY_ENROLLED_MESSAGE)
                return redirect("accounts:security")
            return redirect(f"{reverse('accounts:otp_verify')}?{request.GET.urlencode()}")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, OtpSetupForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = OtpSetupForm(request.POST)
        if form.is_valid():
            device = totp_device_pending(user=request.user)  # type: ignore[arg-type]
            result = otp_enrolment_confirm(
                request=request, device=device, code=form.cleaned_data["code"]
            )
            if result.outcome == OtpOutcome.VERIFIED:
                # Shown in this response only, never stored for a later page.
                context = {
                    "codes": result.recovery_codes,
                    "next": safe_next_url(request),
                    "first_time": True,
                }
                return render(request, self.codes_template_name, context)
            form.add_error(
                "code",
                THROTTLED_CODE_MESSAGE
                if result.outcome == OtpOutcome.THROTTLED
                else INVALID_CODE_MESSAGE,
            )
        return self._render(request, form)

    def _render(self, request: HttpRequest, form: OtpSetupForm) -> HttpResponse:
        device = totp_device_pending(user=request.user)  # type: ignore[arg-type]
        context = {
            "form": form,
            "provisioning": totp_provisioning(device=device),
            "next": safe_next_url(request),
        }
        return render(request, self.template_name, context)


@method_decorator(never_cache, name="dispatch")
class RecoveryCodesView(View):
    """Replace one's recovery codes (POST) and show the new ones once."""

    http_method_names = ["post"]
    template_name = "accounts/otp/recovery_codes.html"

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_verified():  # type: ignore[union-attr]
            messages.error(request, VERIFY_FIRST_MESSAGE)
            return redirect("accounts:security")
        codes = recovery_codes_issue(request=request)
        return render(request, self.template_name, {"codes": codes, "first_time": False})
