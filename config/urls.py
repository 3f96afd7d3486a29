from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from accounts.admin_site import admin_site
from portal import views as portal_views

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("cases/", include("casework.urls")),
    path("referrals/", include("referrals.urls")),
    path("indicators/", include("indicators.urls")),
    # Language can be switched on the sign-in page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("operator/", admin_site.urls),
]
