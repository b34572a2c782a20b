"""Sign-in, second factor, session and account-security URLs (namespace "accounts")."""

from __future__ import annotations

from django.urls import path

from .views import security, signin

urlpatterns = [
    path("sign-in/", signin.SignInView.as_view(), name="login"),
    path("sign-out/", signin.SignOutView.as_view(), name="logout"),
    path("two-factor/verify/", signin.OtpVerifyView.as_view(), name="otp_verify"),
    path("session/keepalive/", signin.SessionKeepAliveView.as_view(), name="session_keepalive"),
    path("security/", security.SecurityView.as_view(), name="security"),
    path("security/password/", security.PasswordChangeView.as_view(), name="password_change"),
    path("security/two-factor/set-up/", security.OtpSetupView.as_view(), name="otp_setup"),
    path(
        "security/two-factor/recovery-codes/",
        security.RecoveryCodesView.as_view(),
        name="otp_recovery_codes",
    ),
]
