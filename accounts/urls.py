from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("two-step/", views.otp_verify, name="otp-verify"),
    path("two-step/setup/", views.otp_setup, name="otp-setup"),
    path("act-as/", views.membership_choose, name="membership-choose"),
    path("act-as/<int:pk>/", views.membership_switch, name="membership-switch"),
    # The page script's idle time-out warning (static/js/session.js).
    path("session/", views.session_status, name="session-status"),
    path("session/extend/", views.session_extend, name="session-extend"),
]
