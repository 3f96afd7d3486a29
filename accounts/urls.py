from django.urls import path

from accounts import views, views_grants, views_passwords

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
    # Separation of duties: confirming grants, one-time password links, the owner's e-mail address.
    path("grants/", views_grants.grants, name="grants"),
    path("grants/<int:pk>/confirm/", views_grants.grant_confirm, name="grant-confirm"),
    path("grants/<int:pk>/decline/", views_grants.grant_decline, name="grant-decline"),
    path("members/<int:pk>/password-link/", views_grants.member_link, name="member-link"),
    path("password-link/", views_passwords.link_show, name="link-show"),
    path("password/forgot/", views_passwords.password_forgot, name="password-forgot"),
    path("link/<str:token>/", views_passwords.link_use, name="link-use"),
    path("link/", views_passwords.link_set_password, name="link-set-password"),
    path("email/", views_passwords.email_change, name="email-change"),
    # The page script's idle time-out warning (static/js/session.js).
    path("session/", views.session_status, name="session-status"),
    path("session/extend/", views.session_extend, name="session-extend"),
]
