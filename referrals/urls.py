from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("directory/", views.directory, name="directory"),
    path("inbox/", views.inbox, name="inbox"),
    path("notifications/", views.notifications, name="notifications"),
    path("case/<uuid:case_pk>/", views.case_referrals, name="case-referrals"),
    path("case/<uuid:case_pk>/new/", views.referral_create, name="referral-create"),
    path("<uuid:pk>/", views.referral_detail, name="referral-detail"),
    path("<uuid:pk>/send/", views.referral_send, name="referral-send"),
    path("<uuid:pk>/act/", views.referral_act, name="referral-act"),
    path("<uuid:pk>/notes/", views.referral_note, name="referral-note"),
    path("<uuid:pk>/slip.pdf", views.referral_slip_pdf, name="referral-slip"),
]
