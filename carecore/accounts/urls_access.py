"""Access management, onboarding and the confidentiality rules (namespace "accounts")."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import access, rules

urlpatterns: list[URLPattern] = [
    path("users/", access.UserListView.as_view(), name="user_list"),
    path("users/new/", access.UserCreateView.as_view(), name="user_create"),
    path("users/<int:pk>/", access.UserDetailView.as_view(), name="user_detail"),
    path(
        "users/<int:pk>/privacy-officer/",
        access.UserPrivacyOfficerView.as_view(),
        name="user_privacy_officer",
    ),
    path("users/<int:pk>/deactivate/", access.UserDeactivateView.as_view(), name="user_deactivate"),
    path("users/<int:pk>/reactivate/", access.UserReactivateView.as_view(), name="user_reactivate"),
    path(
        "users/<int:pk>/second-factor/reset/",
        access.UserSecondFactorResetView.as_view(),
        name="user_second_factor_reset",
    ),
    path(
        "users/<int:pk>/password-link/",
        access.UserPasswordLinkView.as_view(),
        name="user_password_link",
    ),
    path("users/<int:pk>/team/", access.UserTeamView.as_view(), name="user_team"),
    path("teams/", access.TeamListView.as_view(), name="team_list"),
    path("lockouts/", access.LockoutListView.as_view(), name="lockout_list"),
    path("welcome/<uidb64>/<token>/", access.PasswordSetView.as_view(), name="password_set"),
    path("rules/", rules.RulesView.as_view(), name="rules"),
    path("rules/publish/", rules.RulesPublishView.as_view(), name="rules_publish"),
]
